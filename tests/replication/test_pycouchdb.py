"""pycouchdb (a CouchDB client library) against the servers."""

from __future__ import annotations

import json
from urllib.parse import quote

import pycouchdb
import pytest

from .servers import Server


def connect(server: Server, authmethod: str = "session") -> pycouchdb.Server:
    base = server.couch
    if server.auth:
        user, password = (quote(x, safe="") for x in server.auth)
        base = base.replace("http://", f"http://{user}:{password}@", 1)
    return pycouchdb.Server(base, authmethod=authmethod)


@pytest.mark.parametrize("authmethod", ["session", "basic"])
def test_pycouchdb_document_lifecycle(server: Server, db_name: str, authmethod: str) -> None:
    couch = connect(server, authmethod)
    db = couch.create(db_name)
    assert db_name in couch
    saved = db.save({"_id": "unit-1", "name": "Xã Tân Phú", "score": 7})
    assert saved["_rev"].startswith("1-")
    saved["score"] = 8
    updated = db.save(saved)
    assert updated["_rev"].startswith("2-")
    assert db.get("unit-1")["score"] == 8
    with pytest.raises(pycouchdb.exceptions.Conflict):
        db.save({"_id": "unit-1", "_rev": saved["_rev"].replace("2-", "1-"), "score": 0})

    bulk = db.save_bulk([{"_id": f"b{i}", "i": i} for i in range(50)])
    assert len(bulk) == 50 and all(doc["_rev"].startswith("1-") for doc in bulk)
    assert len(db) == 51

    changes = db.changes_list()
    last_seq, rows = changes
    assert {row["id"] for row in rows} == {"unit-1"} | {f"b{i}" for i in range(50)}
    since = rows[10]["seq"]
    later = db.changes_list(since=since)[1]
    assert [row["id"] for row in later] == [row["id"] for row in rows[11:]]

    db.delete(db.get("unit-1"))
    with pytest.raises(pycouchdb.exceptions.NotFound):
        db.get("unit-1")
    assert len(db) == 50
    couch.delete(db_name)
    assert db_name not in couch


def test_pycouchdb_raw_bulk_docs_new_edits_false(server: Server, db_name: str) -> None:
    """The replication write as a CouchDB replicator sends it, through pycouchdb's resource."""
    couch = connect(server)
    db = couch.create(db_name)
    rev_a, rev_b = "1-" + "a" * 32, "2-" + "b" * 32
    docs = [
        {"_id": "r", "_rev": rev_a, "v": 1, "_revisions": {"start": 1, "ids": ["a" * 32]}},
        {"_id": "r", "_rev": rev_b, "v": 2, "_revisions": {"start": 2, "ids": ["b" * 32, "a" * 32]}},
        {"_id": "s", "_rev": rev_a, "v": 3},
    ]
    response, result = db.resource.post(
        "_bulk_docs", data=json.dumps({"docs": docs, "new_edits": False}),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201 and result == []
    assert db.get("r")["_rev"] == rev_b
    assert db.get("r", rev=rev_a)["v"] == 1
    again = db.resource.post(
        "_bulk_docs", data=json.dumps({"docs": docs, "new_edits": False}),
        headers={"Content-Type": "application/json"},
    )
    assert again[1] == []
    assert len(db.changes_list()[1]) == 2


def test_pycouchdb_delete_by_id_uses_head(ours: Server, db_name: str) -> None:
    """`delete(id)` asks the current rev with `HEAD` (pouchdb-server lacks HEAD on docs)."""
    db = connect(ours).create(db_name)
    db.save({"_id": "org.thidua:x y", "v": 1})
    db.delete("org.thidua:x y")
    with pytest.raises(pycouchdb.exceptions.NotFound):
        db.get("org.thidua:x y")
