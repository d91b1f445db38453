"""A reviewer locks a commune; a scorer's PouchDB (Node) sees the lock after sync and its
edit of the locked sheet is refused (the server keeps the locked revision)."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from replication.node import run_pouch
from replication.servers import ROOT, Server, free_port

from server.settings import Settings
from tests.consolidated.world import PASSWORDS, copy_world


@pytest.fixture
def served(world: Settings, tmp_path: Path) -> Iterator[Server]:
    data = copy_world(world, tmp_path / "data").data_dir
    env = {**os.environ, "PYTHONPATH": str(ROOT), "THIDUA_DATA_DIR": str(data),
           "THIDUA_LOG_LEVEL": "WARNING"}
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "server.app:create_app",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
               "--no-access-log"]
    server = Server("ours", command, data, env, port, "/db/", auth=("canbo1", PASSWORDS["canbo1"]))
    server.start()
    yield server
    server.stop()


def _api(server: Server, user: str) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=60,
                        auth=(user, PASSWORDS[user]))


@pytest.mark.slow
def test_a_locked_commune_is_locked_on_the_phone_and_cannot_be_edited(served: Server) -> None:
    with _api(served, "canbo1") as api:
        commune = api.get("/api/results/summary", params={"level": "commune"}).json()["rows"][0]["code"]
    db = f"remote:c-{commune}"
    with _api(served, "phonggd") as api:
        out = api.post("/api/workflow/lock", json={"scope": "commune", "code": commune}).json()
    sheet_id = out["locked"][0]
    steps = [
        {"op": "replicate", "from": db, "to": "phone"},
        {"op": "get", "db": "phone", "id": sheet_id},
    ]
    pulled, doc = run_pouch(served, steps)
    assert pulled["ok"] and doc["status"] == "locked"
    edited = {**doc, "status": "draft", "inputs": {**doc["inputs"]}}
    edited["inputs"][next(iter(edited["inputs"]))] = 1
    steps += [
        {"op": "put", "db": "phone", "doc": edited},
        {"op": "replicate", "from": "phone", "to": db},
    ]
    results = run_pouch(dataclasses.replace(served, proc=None), steps)
    pushed = results[3]
    assert pushed["doc_write_failures"] == 1 and pushed["docs_written"] == 0, pushed
    with _api(served, "phonggd") as api:
        stored = api.get(f"/db/c-{commune}/{sheet_id}").json()
    assert stored["_rev"] == doc["_rev"] and stored["status"] == "locked"
