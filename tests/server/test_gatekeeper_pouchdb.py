"""The gatekeeper against a real PouchDB (Node) replicating with a real server process."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from gate_world import PASSWORD, served_world, sheet
from replication.node import run_pouch
from replication.servers import Server

DB = "c-89101"

@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = served_world(tmp_path_factory.mktemp("gate-pouch"))
    server.start()
    yield server
    server.stop()


def as_user(server: Server, name: str) -> Server:
    return dataclasses.replace(server, auth=(name, PASSWORD), proc=None)


@pytest.mark.slow
def test_pouchdb_scorer_replicates_to_its_own_commune(served: Server) -> None:
    good = sheet("89101")
    r = run_pouch(
        as_user(served, "scorer"),
        [
            {"op": "bulk", "db": "a", "docs": [good, {"_id": "result:z", "type": "result"}]},
            {"op": "replicate", "from": "a", "to": f"remote:{DB}"},
            {"op": "replicate", "from": f"remote:{DB}", "to": "b"},
            {"op": "get", "db": "b", "id": good["_id"]},
        ],
    )
    push, pull, back = r[1], r[2], r[3]
    assert push["ok"] and push["docs_written"] == 1 and push["doc_write_failures"] == 1, push
    assert pull["ok"] and pull["docs_written"] >= 1, pull
    assert back["commune_code"] == "89101"
    with served.client() as http:
        assert http.get(f"{DB}/result:z").status_code == 404


@pytest.mark.slow
def test_pouchdb_scorer_is_refused_another_commune(served: Server) -> None:
    r = run_pouch(
        as_user(served, "scorer"),
        [
            {"op": "bulk", "db": "a", "docs": [sheet("91101")]},
            {"op": "replicate", "from": "a", "to": "remote:c-91101"},
            {"op": "replicate", "from": "remote:c-91101", "to": "b"},
        ],
    )
    for result in r[1:]:
        assert result.get("status") in (401, 403) or result.get("ok") is False, result


@pytest.mark.slow
def test_pouchdb_viewer_pulls_but_cannot_push(served: Server) -> None:
    r = run_pouch(
        as_user(served, "viewer"),
        [
            {"op": "replicate", "from": f"remote:{DB}", "to": "b"},
            {"op": "replicate", "from": f"remote:{DB}", "to": "b"},
            {"op": "bulk", "db": "b", "docs": [sheet("89101")]},
            {"op": "replicate", "from": "b", "to": f"remote:{DB}"},
        ],
    )
    assert r[0]["ok"] and r[1]["ok"] and r[1]["docs_read"] == 0, r[:2]
    push = r[3]
    assert push.get("status") in (401, 403) or push.get("doc_write_failures"), push
