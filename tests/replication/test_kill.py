"""Our server SIGKILLed in the middle of a PouchDB replication, restarted on the same data:
the replication resumes and ends with every document exactly once (ours only: pouchdb-server
-m keeps nothing across a restart)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from .node import pouch_process
from .servers import Server

COUNT = 3000


def _kill_during(server: Server, steps: list[dict[str, Any]]) -> tuple[list[Any], list[str]]:
    """Run `steps`; SIGKILL + restart the server at the first replication progress event."""
    paused_errors: list[str] = []
    killed = False
    with pouch_process(server, steps) as (events, finish):
        for event in events:
            if event["event"] == "change" and not killed:
                server.kill()
                time.sleep(0.5)
                server.start()
                killed = True
            elif event["event"] == "paused" and event["error"]:
                paused_errors.append(event["error"])
        results = finish(180)
    assert killed, "the replication finished before the server could be killed"
    return results, paused_errors


def _server_state(server: Server, db: str) -> tuple[dict[str, str], int, list[int]]:
    with server.client() as http:
        rows = http.get(f"{db}/_all_docs").json()["rows"]
        changes = http.get(f"{db}/_changes", params={"style": "all_docs"}).json()["results"]
        info = http.get(db).json()
    return (
        {row["id"]: row["value"]["rev"] for row in rows},
        info["doc_count"],
        [len(row["changes"]) for row in changes],
    )


def _no_errors(result: Any) -> Any:
    assert not (isinstance(result, dict) and "error" in result), result
    return result


@pytest.mark.slow
def test_push_survives_server_kill(own_server: Server, db_name: str) -> None:
    with own_server.client() as http:
        uuid_before = http.get("").json()["uuid"]
    results, paused = _kill_during(own_server, [
        {"op": "generate", "db": "a", "count": COUNT, "size": 300},
        {"op": "replicate", "from": "a", "to": f"remote:{db_name}",
         "opts": {"retry": True, "batch_size": 50}, "progress": True},
        {"op": "all_docs", "db": "a"},
    ])
    assert paused, "PouchDB never saw the outage"
    assert _no_errors(results[1])["status"] == "complete"
    local = {row["id"]: row["value"]["rev"] for row in results[2]["rows"]}
    revs, doc_count, leaves = _server_state(own_server, db_name)
    assert revs == local
    assert doc_count == COUNT
    assert len(leaves) == COUNT and set(leaves) == {1}, "duplicate revisions after the crash"
    with own_server.client() as http:
        assert http.get("").json()["uuid"] == uuid_before, "checkpoints need a stable uuid"


@pytest.mark.slow
def test_pull_survives_server_kill(own_server: Server, db_name: str) -> None:
    with own_server.client() as http:
        assert http.put(db_name).status_code == 201
        for start in range(0, COUNT, 500):
            docs = [{"_id": f"d{i:05d}", "i": i, "pad": "x" * 300} for i in range(start, start + 500)]
            assert http.post(f"{db_name}/_bulk_docs", json={"docs": docs}).status_code == 201
    results, paused = _kill_during(own_server, [
        {"op": "replicate", "from": f"remote:{db_name}", "to": "b",
         "opts": {"retry": True, "batch_size": 50}, "progress": True},
        {"op": "all_docs", "db": "b"},
        {"op": "info", "db": "b"},
    ])
    assert paused, "PouchDB never saw the outage"
    assert _no_errors(results[0])["status"] == "complete"
    local = {row["id"]: row["value"]["rev"] for row in results[1]["rows"]}
    revs, doc_count, _ = _server_state(own_server, db_name)
    assert local == revs and doc_count == COUNT
    assert results[2]["doc_count"] == COUNT
