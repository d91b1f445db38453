"""PouchDB 9 through a thidua server whose document store is the session's 3-node Apache
CouchDB cluster (q=1, n=3): the replication scenarios of `tests/replication/test_pouchdb.py`
(push, pull, live sync, conflicts, attachments), thidua SIGKILLed and restarted mid-push, and
one CouchDB node stopped mid-sync and started again: no document lost, every copy converges."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.couchdb import CouchCluster
from tests.replication.node import pouch_process, run_pouch
from tests.replication.servers import Server, our_server
from tests.replication.test_pouchdb import (  # noqa: F401 - collected here, on the cluster
    test_attachments_both_ways,
    test_concurrent_edits_give_the_same_winner_and_conflicts,
    test_conflict_resolution_replicates,
    test_live_sync_between_two_devices,
    test_push_then_pull_into_a_fresh_pouch,
)

COUNT = 600


def _thidua(couchdb_cluster: CouchCluster, folder: Path) -> Server:
    return our_server(folder, THIDUA_COUCHDB_URL=couchdb_cluster.url_with_auth)


@pytest.fixture(scope="module")
def server(couchdb_cluster: CouchCluster, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Server]:
    """thidua on the cluster (module-wide: its worker stops with the module)."""
    thidua = _thidua(couchdb_cluster, tmp_path_factory.mktemp("thidua-on-cluster"))
    thidua.start(wait=120)
    yield thidua
    thidua.stop()


@pytest.fixture
def db_name() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


def _state(url: str, auth: tuple[str, str], db: str) -> tuple[dict[str, str], list[int]]:
    """Winning revs by id, and the number of leaves of each doc, as `url` answers them."""
    with httpx.Client(base_url=url, auth=auth, timeout=60) as http:
        rows = http.get(f"{db}/_all_docs").json()["rows"]
        changes = http.get(f"{db}/_changes", params={"style": "all_docs"}).json()["results"]
    return {r["id"]: r["value"]["rev"] for r in rows}, [len(c["changes"]) for c in changes]


def _push_with(server: Server, db: str, outage: Any) -> tuple[list[Any], dict[str, str]]:
    """Push COUNT docs with retry; `outage()` runs at the first progress event."""
    steps: list[dict[str, Any]] = [
        {"op": "generate", "db": "a", "count": COUNT, "size": 200},
        {"op": "replicate", "from": "a", "to": f"remote:{db}",
         "opts": {"retry": True, "batch_size": 50}, "progress": True},
        {"op": "all_docs", "db": "a"},
    ]
    done = False
    with pouch_process(server, steps) as (events, finish):
        for event in events:
            if event["event"] == "change" and not done:
                outage()
                done = True
        results = finish(300)
    assert done, "the push finished before the outage"
    assert results[1].get("status") == "complete", results[1]
    return results, {r["id"]: r["value"]["rev"] for r in results[2]["rows"]}


def _pull_all(server: Server, db: str) -> dict[str, str]:
    r = run_pouch(server, [
        {"op": "replicate", "from": f"remote:{db}", "to": "b"},
        {"op": "all_docs", "db": "b"},
    ], timeout=300)
    assert r[0].get("ok"), r[0]
    return {row["id"]: row["value"]["rev"] for row in r[1]["rows"]}


def _pull_until(server: Server, db: str, expected: dict[str, str]) -> dict[str, str]:
    """A fresh device's pull, again until it holds `expected` (at most 90 s): a copy that
    was just restarted may answer `_changes` before internal replication has caught it up."""
    deadline = time.monotonic() + 90
    while (pulled := _pull_all(server, db)) != expected and time.monotonic() < deadline:
        time.sleep(1)
    return pulled


def _converged(cluster: CouchCluster, db: str, expected: dict[str, str]) -> None:
    """Every node's copy ends with exactly `expected` (internal replication catches up)."""
    for i in range(1, cluster.size + 1):
        deadline = time.monotonic() + 90
        while True:
            revs, leaves = _state(cluster.node_url(i), cluster.auth, db)
            if revs == expected or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert revs == expected, f"node{i} differs"
        assert set(leaves) == {1}, f"node{i} has duplicate revisions"


def test_node_stopped_mid_sync_and_started_again(
    server: Server, couchdb_cluster: CouchCluster, db_name: str
) -> None:
    """Node 2 (not the one thidua talks to) stops during a push and comes back during it;
    a live device pulls meanwhile; nothing is lost and every copy converges."""
    def outage() -> None:
        couchdb_cluster.stop_node(2)
        time.sleep(1)
        couchdb_cluster.start_node(2)

    _, pushed = _push_with(server, db_name, outage)
    assert len(pushed) == COUNT
    assert _pull_until(server, db_name, pushed) == pushed
    revs, leaves = _state(server.couch, server.auth or ("", ""), db_name)
    assert revs == pushed and set(leaves) == {1}
    _converged(couchdb_cluster, db_name, pushed)


def test_thidua_killed_mid_push_and_restarted(server: Server, db_name: str) -> None:
    """thidua SIGKILLed at the first batch and restarted on the same cluster: the push
    resumes and ends with every document exactly once (last: it restarts the module's
    server)."""
    def outage() -> None:
        server.kill()
        time.sleep(0.5)
        server.start(wait=120)

    _, pushed = _push_with(server, db_name, outage)
    revs, leaves = _state(server.couch, server.auth or ("", ""), db_name)
    assert revs == pushed and len(revs) == COUNT and set(leaves) == {1}
    assert _pull_until(server, db_name, pushed) == pushed
