"""PouchDB 9 replicating against a server: run once against ours, once against pouchdb-server."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from .node import run_pouch
from .servers import Server


def remote(db: str) -> str:
    return f"remote:{db}"


def ids_revs(all_docs: dict[str, Any]) -> dict[str, str]:
    return {row["id"]: row["value"]["rev"] for row in all_docs["rows"]}


def ok(result: Any) -> Any:
    assert not (isinstance(result, dict) and "error" in result), result
    return result


def test_push_then_pull_into_a_fresh_pouch(server: Server, db_name: str) -> None:
    r = run_pouch(server, [
        {"op": "generate", "db": "a", "count": 120, "size": 200},
        {"op": "put", "db": "a", "doc": {"_id": "_design/app", "views": {}}},
        {"op": "put", "db": "a", "doc": {"_id": "with/slash and space", "v": "đ"}},
        {"op": "replicate", "from": "a", "to": remote(db_name)},
        {"op": "replicate", "from": remote(db_name), "to": "b"},
        {"op": "all_docs", "db": "a"},
        {"op": "all_docs", "db": "b"},
        {"op": "get", "db": "b", "id": "with/slash and space"},
    ])
    push, pull, a_docs, b_docs, odd = (ok(x) for x in r[3:])
    assert push["ok"] and push["docs_written"] == 122
    assert pull["ok"] and pull["docs_written"] == 122
    assert ids_revs(b_docs) == ids_revs(a_docs)
    assert odd["v"] == "đ"
    with server.client() as http:
        info = http.get(db_name).json()
        assert info["doc_count"] == 122
        assert http.get(f"{db_name}/_design/app").json()["_id"] == "_design/app"
        assert http.get(f"{db_name}/with%2Fslash%20and%20space").json()["v"] == "đ"


def test_second_replication_resumes_from_checkpoint(server: Server, db_name: str) -> None:
    r = run_pouch(server, [
        {"op": "generate", "db": "a", "count": 30},
        {"op": "replicate", "from": "a", "to": remote(db_name)},
        {"op": "replicate", "from": remote(db_name), "to": "b"},
        {"op": "generate", "db": "a", "count": 5, "id_prefix": "more"},
        {"op": "replicate", "from": "a", "to": remote(db_name)},
        {"op": "replicate", "from": remote(db_name), "to": "b"},
    ])
    assert [ok(x)["docs_written"] for x in r[1:3]] == [30, 30]
    assert ok(r[4])["docs_read"] == 5, "push restarted from 0: checkpoint not kept"
    assert ok(r[5])["docs_read"] == 5, "pull restarted from 0: checkpoint or uuid unstable"


def test_two_way_sync_merges_both_sides(server: Server, db_name: str) -> None:
    with server.client() as http:
        assert http.put(db_name).status_code == 201
        body = {"docs": [{"_id": f"server{i}", "n": i} for i in range(10)]}
        assert http.post(f"{db_name}/_bulk_docs", json=body).status_code == 201
    r = run_pouch(server, [
        {"op": "generate", "db": "a", "count": 10, "id_prefix": "local"},
        {"op": "sync", "a": "a", "b": remote(db_name)},
        {"op": "all_docs", "db": "a"},
        {"op": "all_docs", "db": remote(db_name)},
    ])
    sync = ok(r[1])
    assert sync["push"]["docs_written"] == 10 and sync["pull"]["docs_written"] == 10
    assert ids_revs(r[2]) == ids_revs(r[3])
    assert len(r[2]["rows"]) == 20


def test_live_sync_between_two_devices(server: Server, db_name: str) -> None:
    """Two PouchDBs live-syncing through the server see each other's edits (longpoll)."""
    r = run_pouch(server, [
        {"op": "live_sync", "name": "one", "a": "a", "b": remote(db_name)},
        {"op": "live_sync", "name": "two", "a": "b", "b": remote(db_name)},
        {"op": "put", "db": "a", "doc": {"_id": "sheet", "score": 1}},
        {"op": "wait_for", "db": "b", "id": "sheet"},
        {"op": "put", "db": "b", "doc": {"_id": "other", "score": 5}},
        {"op": "wait_for", "db": "a", "id": "other"},
    ])
    first = ok(r[2])
    assert ok(r[3])["_rev"] == first["rev"] and r[3]["score"] == 1
    assert ok(r[5])["score"] == 5
    edit = {"_id": "sheet", "_rev": first["rev"], "score": 2}
    r = run_pouch(server, [
        {"op": "replicate", "from": remote(db_name), "to": "a"},
        {"op": "replicate", "from": remote(db_name), "to": "b"},
        {"op": "live_sync", "name": "one", "a": "a", "b": remote(db_name)},
        {"op": "live_sync", "name": "two", "a": "b", "b": remote(db_name)},
        {"op": "sleep", "ms": 300},
        {"op": "put", "db": "b", "doc": edit},
        {"op": "remove", "db": "a", "id": "other", "rev": r[4]["rev"]},
        {"op": "wait_for", "db": "a", "id": "sheet", "rev_prefix": "2-"},
        {"op": "wait_for", "db": "b", "id": "other", "deleted": True},
        {"op": "cancel", "name": "one"},
        {"op": "cancel", "name": "two"},
    ])
    assert ok(r[5])["rev"].startswith("2-")
    assert ok(r[7])["_rev"] == r[5]["rev"] and r[7]["score"] == 2
    assert ok(r[8]) == {"deleted": True}
    assert ok(r[9])["errors"] == [] and ok(r[10])["errors"] == []


def _winner(revs: list[str]) -> str:
    return max(revs, key=lambda rev: (int(rev.split("-")[0]), rev.split("-", 1)[1]))


def test_concurrent_edits_give_the_same_winner_and_conflicts(server: Server, db_name: str) -> None:
    r = run_pouch(server, [
        {"op": "put", "db": "a", "doc": {"_id": "unit-7", "score": 0}},
        {"op": "sync", "a": "a", "b": remote(db_name)},
        {"op": "sync", "a": "b", "b": remote(db_name)},
        {"op": "get", "db": "a", "id": "unit-7"},
        {"op": "get", "db": "b", "id": "unit-7"},
    ])
    base = ok(r[3])["_rev"]
    assert ok(r[4])["_rev"] == base
    r2 = run_pouch(server, [
        {"op": "sync", "a": "a", "b": remote(db_name)},
        {"op": "sync", "a": "b", "b": remote(db_name)},
        {"op": "put", "db": "a", "doc": {"_id": "unit-7", "_rev": base, "score": 10}},
        {"op": "put", "db": "b", "doc": {"_id": "unit-7", "_rev": base, "score": 20}},
        {"op": "sync", "a": "a", "b": remote(db_name)},
        {"op": "sync", "a": "b", "b": remote(db_name)},
        {"op": "sync", "a": "a", "b": remote(db_name)},
        {"op": "get", "db": "a", "id": "unit-7", "opts": {"conflicts": True}},
        {"op": "get", "db": "b", "id": "unit-7", "opts": {"conflicts": True}},
    ])
    rev_a, rev_b = ok(r2[2])["rev"], ok(r2[3])["rev"]
    assert rev_a != rev_b
    expected = _winner([rev_a, rev_b])
    loser = rev_b if expected == rev_a else rev_a
    doc_a, doc_b = ok(r2[7]), ok(r2[8])
    with server.client() as http:
        doc_s = http.get(f"{db_name}/unit-7", params={"conflicts": "true"}).json()
    if server.name == "pouchdb-server":  # its feed may lag its own writes: a later round converges
        for _ in range(5):
            if all("_conflicts" in d for d in (doc_a, doc_b, doc_s)):
                break
            again = run_pouch(server, [
                {"op": "sync", "a": "a", "b": remote(db_name)},
                {"op": "sync", "a": "b", "b": remote(db_name)},
                {"op": "get", "db": "a", "id": "unit-7", "opts": {"conflicts": True}},
                {"op": "get", "db": "b", "id": "unit-7", "opts": {"conflicts": True}},
            ])
            doc_a, doc_b = ok(again[2]), ok(again[3])
            with server.client() as http:
                doc_s = http.get(f"{db_name}/unit-7", params={"conflicts": "true"}).json()
    for doc in (doc_a, doc_b, doc_s):
        assert doc["_rev"] == expected
        assert doc["_conflicts"] == [loser]
    assert doc_a["score"] == doc_b["score"] == doc_s["score"]


def test_conflict_resolution_replicates(server: Server, db_name: str) -> None:
    with server.client() as http:
        http.put(db_name)
        docs = [
            {"_id": "x", "_rev": "2-" + "a" * 32, "v": "a",
             "_revisions": {"start": 2, "ids": ["a" * 32, "0" * 32]}},
            {"_id": "x", "_rev": "2-" + "b" * 32, "v": "b",
             "_revisions": {"start": 2, "ids": ["b" * 32, "0" * 32]}},
        ]
        answer = http.post(f"{db_name}/_bulk_docs", json={"docs": docs, "new_edits": False})
        assert answer.status_code == 201 and answer.json() == []
    r = run_pouch(server, [
        {"op": "replicate", "from": remote(db_name), "to": "a"},
        {"op": "get", "db": "a", "id": "x", "opts": {"conflicts": True}},
        {"op": "remove", "db": "a", "id": "x", "rev": "2-" + "a" * 32},
        {"op": "replicate", "from": "a", "to": remote(db_name)},
        {"op": "get", "db": remote(db_name), "id": "x", "opts": {"conflicts": True}},
    ])
    doc = ok(r[1])
    assert doc["_rev"] == "2-" + "b" * 32 and doc["_conflicts"] == ["2-" + "a" * 32]
    after = ok(r[4])
    assert after["_rev"] == "2-" + "b" * 32 and "_conflicts" not in after


def test_delete_and_recreate(server: Server, db_name: str) -> None:
    r = run_pouch(server, [
        {"op": "put", "db": "a", "doc": {"_id": "gone", "v": 1}},
        {"op": "replicate", "from": "a", "to": remote(db_name)},
        {"op": "replicate", "from": remote(db_name), "to": "c"},
        {"op": "get", "db": "a", "id": "gone"},
    ])
    rev1 = ok(r[3])["_rev"]
    r = run_pouch(server, [
        {"op": "replicate", "from": remote(db_name), "to": "a"},
        {"op": "replicate", "from": remote(db_name), "to": "c"},
        {"op": "remove", "db": "a", "id": "gone", "rev": rev1},
        {"op": "replicate", "from": "a", "to": remote(db_name)},
        {"op": "replicate", "from": remote(db_name), "to": "c"},
        {"op": "get", "db": "c", "id": "gone"},
        {"op": "get", "db": remote(db_name), "id": "gone"},
        {"op": "put", "db": "a", "doc": {"_id": "gone", "v": 2}},
        {"op": "replicate", "from": "a", "to": remote(db_name)},
        {"op": "replicate", "from": remote(db_name), "to": "c"},
        {"op": "get", "db": "c", "id": "gone"},
    ])
    assert ok(r[2])["rev"].startswith("2-")
    assert r[5]["status"] == 404 and r[5]["reason"] == "deleted"
    assert r[6]["status"] == 404  # CouchDB and ours say "deleted", pouchdb-server "missing"
    recreated = ok(r[7])
    assert recreated["rev"].startswith("3-")
    again = ok(r[10])
    assert again["_rev"] == recreated["rev"] and again["v"] == 2
    with server.client() as http:
        assert http.get(f"{db_name}/gone").json()["_rev"] == recreated["rev"]


PNG = bytes(range(256)) * 40


def test_attachments_both_ways(server: Server, db_name: str) -> None:
    data = base64.b64encode(PNG).decode()
    r = run_pouch(server, [
        {"op": "put", "db": "a", "doc": {"_id": "photo", "_attachments": {
            "scan.png": {"content_type": "image/png", "data": data}}}},
        {"op": "replicate", "from": "a", "to": remote(db_name)},
    ])
    ok(r[1])
    with server.client() as http:
        raw = http.get(f"{db_name}/photo/scan.png")
        assert raw.status_code == 200 and raw.content == PNG
        assert raw.headers["content-type"].startswith("image/png")
        rev = http.get(f"{db_name}/photo").json()["_rev"]
        added = http.put(f"{db_name}/photo/notes%2Fa.txt", params={"rev": rev},
                         content="ghi chú".encode(), headers={"Content-Type": "text/plain"})
        assert added.status_code == 201, added.text
    r = run_pouch(server, [
        {"op": "replicate", "from": remote(db_name), "to": "b"},
        {"op": "get_attachment", "db": "b", "id": "photo", "name": "scan.png"},
        {"op": "get_attachment", "db": "b", "id": "photo", "name": "notes/a.txt"},
        {"op": "get", "db": "b", "id": "photo"},
    ])
    assert base64.b64decode(ok(r[1])["data_b64"]) == PNG
    assert base64.b64decode(ok(r[2])["data_b64"]).decode() == "ghi chú"
    stubs = ok(r[3])["_attachments"]
    assert stubs["scan.png"]["stub"] and stubs["scan.png"]["length"] == len(PNG)


@pytest.mark.slow
def test_ten_thousand_docs(server: Server, db_name: str) -> None:
    r = run_pouch(server, [
        {"op": "generate", "db": "a", "count": 10_000, "size": 100},
        {"op": "replicate", "from": "a", "to": remote(db_name)},
        {"op": "replicate", "from": remote(db_name), "to": "b"},
        {"op": "info", "db": "b"},
    ], timeout=600)
    assert ok(r[1])["docs_written"] == 10_000
    assert ok(r[2])["docs_written"] == 10_000
    assert ok(r[3])["doc_count"] == 10_000
    with server.client() as http:
        assert http.get(db_name).json()["doc_count"] == 10_000
