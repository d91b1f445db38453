"""The PWA's first load (`pwa/src/firstload.mjs`: `_changes` pages with the documents, written
with `new_edits: false`, then a replication from the last seq) run by PouchDB 9 against thidua
on the 3-node CouchDB cluster (where `_changes` is CouchDB's answer passed through), thidua on
SQLite, and the cluster straight: with conflicts, a deleted document, an attachment, pages
smaller than the database, writes landing on the server between the pages and an interrupted
first load, the phone ends with exactly the server's documents, leaves and attachments, and
the next replication goes on from the checkpoint; a scorer of another commune gets 403."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.couchdb import CouchCluster
from tests.replication.servers import ROOT, Server, _cli, couchdb_server, our_server

SCRIPT = ROOT / "tests" / "js" / "first_load.mjs"


def _rev(n: int, tag: str) -> str:
    """An `N-<32 hex>` revision id, as phones make them."""
    return f"{n}-{uuid.uuid5(uuid.NAMESPACE_URL, tag).hex}"


@pytest.fixture(scope="module", params=["thidua-cluster", "thidua-sqlite", "cluster"])
def server(request: pytest.FixtureRequest, couchdb_cluster: CouchCluster,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if request.param == "cluster":
        yield couchdb_server(couchdb_cluster.url, couchdb_cluster.auth)
        return
    env = {"THIDUA_COUCHDB_URL": couchdb_cluster.url_with_auth} if request.param == "thidua-cluster" else {}
    thidua = our_server(tmp_path_factory.mktemp(request.param), **env)
    thidua.start(wait=120)
    yield thidua
    thidua.stop()


def _first_load(server: Server, db: str, auth: dict[str, str] | None = None,
                **spec: Any) -> dict[str, Any]:
    done = subprocess.run(
        ["node", str(SCRIPT)], capture_output=True, cwd=ROOT, timeout=180,
        input=json.dumps({"couch": server.couch, "auth": auth or server.node_auth, "db": db,
                          **spec}).encode())
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _fill(http: httpx.Client, db: str) -> list[dict[str, Any]]:
    """30 plain documents, one with two leaves on three branches' revisions (one leaf
    deleted), one deleted, one with an attachment; returns the writes another device makes during the first load."""
    assert http.put(db).status_code in (201, 202)
    plain = [{"_id": f"doc-{n:02d}", "n": n, "text": "Phường Đông Hòa"} for n in range(30)]
    assert not [r for r in http.post(f"{db}/_bulk_docs", json={"docs": plain}).json()
                if "error" in r]
    a, b, c, d = (_rev(1, "a"), _rev(2, "b"), _rev(2, "c"), _rev(3, "d"))
    branches = [
        {"_id": "conflicted", "_rev": b, "side": "b",
         "_revisions": {"start": 2, "ids": [b[2:], a[2:]]}},
        {"_id": "conflicted", "_rev": c, "side": "c",
         "_revisions": {"start": 2, "ids": [c[2:], a[2:]]}},
        {"_id": "conflicted", "_rev": d, "_deleted": True,
         "_revisions": {"start": 3, "ids": [d[2:], b[2:], a[2:]]}},
    ]
    answer = http.post(f"{db}/_bulk_docs", json={"docs": branches, "new_edits": False})
    assert answer.status_code == 201 and answer.json() == [], answer.text
    gone = http.put(f"{db}/gone", json={"v": 1}).json()
    assert http.delete(f"{db}/gone", params={"rev": gone["rev"]}).status_code == 200
    att = {"_id": "with-file", "_attachments": {"note.txt": {
        "content_type": "text/plain", "data": "SGVsbG8sIFZp4buHdCBOYW0h"}}}
    assert http.put(f"{db}/with-file", json=att).status_code == 201
    doc5 = http.get(f"{db}/doc-05").json()
    return [{"_id": "late-1", "v": 1}, {"_id": "late-2", "v": 2}, {**doc5, "n": 500}]


def _server_state(http: httpx.Client, db: str) -> dict[str, dict[str, Any]]:
    ids = [row["id"] for row in http.get(f"{db}/_changes").json()["results"]]
    winners = {row["key"]: row["value"] for row in
               http.post(f"{db}/_all_docs", json={"keys": ids}).json()["rows"]}
    state = {}
    for doc_id in ids:
        leaves = http.get(f"{db}/{doc_id}", params={"open_revs": "all", "attachments": "true"},
                          headers={"Accept": "application/json"}).json()
        attachments = {f"{leaf['ok']['_rev']}/{name}": att["data"] for leaf in leaves
                       for name, att in leaf["ok"].get("_attachments", {}).items()}
        state[doc_id] = {"leaves": sorted(leaf["ok"]["_rev"] for leaf in leaves),
                         "winner": winners[doc_id]["rev"],
                         "deleted": bool(winners[doc_id].get("deleted")),
                         "attachments": attachments}
    return state


@pytest.mark.parametrize("fail_after", [0, 2], ids=["whole", "interrupted"])
def test_first_load_brings_every_leaf_and_the_writes_made_meanwhile(
        server: Server, fail_after: int) -> None:
    db = f"t{uuid.uuid4().hex[:12]}"
    with server.client() as http:
        late = _fill(http, db)
        out = _first_load(server, db, limit=7, write=late, fail_after=fail_after)
        assert out["error"] is None, out
        assert out["pages"] >= 5 + bool(fail_after)  # 35 docs in pages of 7; one redone
        state = _server_state(http, db)
    assert {"late-1", "late-2"} <= set(state) and out["docs"].keys() == state.keys()
    assert out["docs"] == state
    live, deleted = _rev(2, "c"), _rev(3, "d")  # the leaves of `conflicted`: a live one wins
    assert state["conflicted"]["leaves"] == sorted([live, deleted]) and state["gone"]["deleted"]
    assert state["conflicted"]["winner"] == live
    assert state["doc-05"]["winner"].startswith("2-")
    assert out["again"] == 0  # the next replication started from the first load's checkpoint


@pytest.mark.parametrize("server", ["thidua-cluster", "thidua-sqlite"], indirect=True)
def test_a_scorer_of_another_commune_gets_403(server: Server) -> None:
    """Territories are thidua's: straight CouchDB has none."""
    db = "c-26734"
    with server.client() as http:
        assert http.put(db).status_code in (201, 202, 412)
    name = f"scorer{uuid.uuid4().hex[:6]}"
    added = _cli(["user", "add", name, "--role", "scorer", "--territory", "26735",
                  "--password-stdin"], server.env, "first-load-password\n")
    assert added.returncode == 0, added.stderr
    out = _first_load(server, db, auth={"username": name, "password": "first-load-password"})
    assert out["result"] is None and out["error"]["status"] == 403, out
    assert out["docs"] == {}


@pytest.mark.parametrize("server", ["thidua-cluster"], indirect=True)
def test_changes_through_thidua_is_couchdbs_own_answer(
        server: Server, couchdb_cluster: CouchCluster) -> None:
    """On the CouchDB backend the `_changes` page (rows, docs, conflicts, `pending`) is what
    CouchDB answers (seqs too, but they name the copies read, so two answers differ), and a
    selector is still applied by thidua."""
    db = f"t{uuid.uuid4().hex[:12]}"
    query = {"style": "all_docs", "include_docs": "true", "conflicts": "true", "limit": "9"}
    with server.client() as ours, httpx.Client(base_url=couchdb_cluster.url,
                                               auth=couchdb_cluster.auth, timeout=60) as couch:
        _fill(ours, db)
        mine, theirs = (c.get(f"{db}/_changes", params=query).json() for c in (ours, couch))
        for page in (mine, theirs):
            assert isinstance(page.pop("last_seq"), str)
            assert all(isinstance(row.pop("seq"), str) for row in page["results"])
        assert mine == theirs and mine["pending"] == 33 - 9
        picked = ours.post(f"{db}/_changes", params={"filter": "_selector"},
                           json={"selector": {"n": {"$gt": 27}}}).json()["results"]
    assert sorted(row["id"] for row in picked) == ["doc-28", "doc-29"]
