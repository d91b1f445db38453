"""CouchDB 3.5 behaviours PouchDB, pycouchdb and CouchDB tools rely on (issue 10), at the wire.

Every test runs against thidua, pouchdb-server and Apache CouchDB; CouchDB is the oracle.
Where pouchdb-server answers otherwise, the test says so through `QUIRKS`, never by skipping.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from .servers import Server

#: Known pouchdb-server (express-pouchdb 4) deviations from CouchDB 3.5.
QUIRKS = {
    "pouchdb-server": frozenset({
        "bulk_docs_whole_request",  # refuses bad entries one by one (or ignores them)
        "compaction_is_sync",
        "crashes_on_missing_design_functions",
        "slash_db_names",
        "all_docs_update_seq",
        "all_docs_key_with_keys",
        "attachment_content_type",
        "binary_attachments_as_buffers",  # `binary=true` inlines Node Buffer objects
        "local_attachments_stored",
        "crashes_on_longpoll_of_deleted_db",
    }),
}
BINARY = bytes(range(256)) * 4
JSON = {"Content-Type": "application/json"}


def quirk(server: Server, name: str) -> bool:
    return name in QUIRKS.get(server.name, frozenset())


def _seed_attachment(http: httpx.Client, db: str) -> str:
    data = base64.b64encode(BINARY).decode()
    answer = http.put(f"{db}/doc", json={"v": 1, "_attachments": {
        "a.bin": {"content_type": "application/octet-stream", "data": data}}})
    assert answer.status_code == 201, answer.text
    return data


def _inline(doc: dict[str, Any]) -> dict[str, Any]:
    att = doc["_attachments"]["a.bin"]
    assert "stub" not in att, att
    return att


@pytest.mark.parametrize("binary", [False, True])
def test_attachments_inline_on_all_docs(
    http: httpx.Client, db: str, binary: bool, server: Server
) -> None:
    data = _seed_attachment(http, db)
    binary = binary and not quirk(server, "binary_attachments_as_buffers")
    params = {"include_docs": "true", "attachments": "true", "binary": str(binary).lower()}
    [row] = http.get(f"{db}/_all_docs", params=params).json()["rows"]
    assert _inline(row["doc"])["data"] == data
    [row] = http.post(f"{db}/_all_docs", params=params, json={"keys": ["doc"]}).json()["rows"]
    assert _inline(row["doc"])["data"] == data
    [row] = http.get(f"{db}/_all_docs", params={"include_docs": "true"}).json()["rows"]
    assert row["doc"]["_attachments"]["a.bin"]["stub"] is True


@pytest.mark.parametrize("feed", ["normal", "longpoll"])
def test_attachments_inline_on_changes(
    http: httpx.Client, db: str, feed: str, server: Server
) -> None:
    data = _seed_attachment(http, db)
    for binary in ("false", "true")[:1 if quirk(server, "binary_attachments_as_buffers") else 2]:
        params = {"feed": feed, "include_docs": "true", "attachments": "true", "binary": binary}
        [row] = http.get(f"{db}/_changes", params=params).json()["results"]
        assert _inline(row["doc"])["data"] == data
    [row] = http.get(f"{db}/_changes", params={"feed": feed, "include_docs": "true"}).json()[
        "results"]
    assert row["doc"]["_attachments"]["a.bin"]["stub"] is True


@pytest.mark.parametrize("content_type", ["text/plain", "text/csv", "application/pdf"])
def test_attachment_get_answers_the_stored_content_type(
    http: httpx.Client, db: str, content_type: str, server: Server
) -> None:
    put = http.put(f"{db}/doc/file", content=b"a,b\n1,2\n", headers={"Content-Type": content_type})
    assert put.status_code == 201
    got = http.get(f"{db}/doc/file", headers={"Accept": "*/*"})
    assert got.content == b"a,b\n1,2\n"
    if not quirk(server, "attachment_content_type"):  # express adds "; charset=utf-8"
        assert got.headers["content-type"] == content_type


def test_compaction_drops_old_revision_bodies(http: httpx.Client, db: str, server: Server) -> None:
    rev1 = http.put(f"{db}/doc", json={"v": "old"}).json()["rev"]
    rev2 = http.put(f"{db}/doc", json={"_rev": rev1, "v": "new"}).json()["rev"]
    assert http.get(f"{db}/doc", params={"rev": rev1}).json()["v"] == "old"
    answer = http.post(f"{db}/_compact", json={})
    assert (answer.status_code, answer.json()) == (202 if not quirk(
        server, "compaction_is_sync") else answer.status_code, {"ok": True})
    deadline = time.monotonic() + 60  # CouchDB compacts in the background (slowly when busy)
    while http.get(f"{db}/doc", params={"rev": rev1}).status_code != 404:
        assert time.monotonic() < deadline, "old revision still readable after compaction"
        time.sleep(0.2)
    gone = http.get(f"{db}/doc", params={"rev": rev1})
    assert gone.json() == {"error": "not_found", "reason": "missing"}
    assert http.get(f"{db}/doc").json() == {"_id": "doc", "_rev": rev2, "v": "new"}
    info = http.get(f"{db}/doc", params={"revs_info": "true"}).json()["_revs_info"]
    assert info == [{"rev": rev2, "status": "available"}, {"rev": rev1, "status": "missing"}]


A32 = "a" * 32


@pytest.mark.parametrize(("docs", "new_edits", "error"), [
    ([{"_id": "_invalid"}], True, "illegal_docid"),
    ([{"_id": "z", "_zing": 1}], True, "doc_validation"),
    ([{"_id": "z", "_rev": "1-" + A32, "_zing": 1}], False, "doc_validation"),
    ([{"_id": "norev", "v": 1}], False, "bad_request"),
])
def test_bad_bulk_docs_entry_fails_the_whole_request(
    http: httpx.Client, db: str, server: Server, docs: list[Any], new_edits: bool, error: str
) -> None:
    batch = [{"_id": "fine", "_rev": "1-" + "b" * 32}, *docs]
    answer = http.post(f"{db}/_bulk_docs", json={"docs": batch, "new_edits": new_edits})
    if quirk(server, "bulk_docs_whole_request"):
        return
    assert answer.status_code == 400 and answer.json()["error"] == error, answer.text
    assert http.get(f"{db}/fine").status_code == 404
    assert http.get(db).json()["doc_count"] == 0


def test_conflicts_stay_per_document(http: httpx.Client, db: str) -> None:
    rev = http.put(f"{db}/a", json={}).json()["rev"]
    answer = http.post(f"{db}/_bulk_docs", json={"docs": [{"_id": "a"}, {"_id": "b"},
                                                          {"_id": "a", "_rev": rev, "v": 2}]})
    assert answer.status_code == 201
    conflict, created, updated = answer.json()
    assert (conflict["id"], conflict["error"]) == ("a", "conflict")
    assert created["ok"] and updated["ok"] and updated["rev"].startswith("2-")


def test_local_docs_in_bulk_docs(http: httpx.Client, db: str) -> None:
    written = http.post(f"{db}/_bulk_docs", json={"docs": [{"_id": "_local/ck", "n": 1},
                                                           {"_id": "real"}]})
    assert written.status_code == 201
    local, real = written.json()
    assert local == {"ok": True, "id": "_local/ck", "rev": "0-1"} and real["ok"]
    assert http.get(f"{db}/_local/ck").json() == {"_id": "_local/ck", "_rev": "0-1", "n": 1}
    assert [r["id"] for r in http.get(f"{db}/_all_docs").json()["rows"]] == ["real"]
    assert [r["id"] for r in http.get(f"{db}/_changes").json()["results"]] == ["real"]
    deleted = http.post(f"{db}/_bulk_docs", json={"docs": [
        {"_id": "_local/ck", "_rev": "0-1", "_deleted": True}]})
    assert deleted.json() == [{"ok": True, "id": "_local/ck", "rev": "0-0"}]
    assert http.get(f"{db}/_local/ck").json() == {"error": "not_found", "reason": "missing"}


def test_local_doc_rev_after_delete_is_0_0(http: httpx.Client, db: str) -> None:
    assert http.put(f"{db}/_local/x", json={"a": 1}).json()["rev"] == "0-1"
    deleted = http.delete(f"{db}/_local/x", params={"rev": "0-1"})
    assert deleted.status_code == 200
    assert deleted.json() == {"ok": True, "id": "_local/x", "rev": "0-0"}
    assert http.get(f"{db}/_local/x").status_code == 404


def test_local_docs_store_no_revisions_or_attachments(
    http: httpx.Client, db: str, server: Server
) -> None:
    """CouchDB answers 500 to `_revisions` and drops attachments; thidua refuses attachments
    with 400 (tests/replication/test_http_ours.py). No server ever stores either."""
    revisions = {"start": 1, "ids": [A32]}
    put = http.put(f"{db}/_local/r", json={"a": 1, "_revisions": revisions})
    if put.status_code == 201:
        assert http.get(f"{db}/_local/r").json() == {"_id": "_local/r", "_rev": "0-1", "a": 1}
    att = {"a.txt": {"content_type": "text/plain", "data": "AAEC"}}
    put = http.put(f"{db}/_local/att", json={"_attachments": att})
    if quirk(server, "local_attachments_stored"):
        return
    if put.status_code == 201:
        assert "_attachments" not in http.get(f"{db}/_local/att").json()
    else:
        assert put.status_code == 400
    bulk = http.post(f"{db}/_bulk_docs", json={"docs": [{"_id": "_local/b", "_attachments": att}]})
    if bulk.status_code == 201 and "ok" in bulk.json()[0]:
        assert "_attachments" not in http.get(f"{db}/_local/b").json()
    else:
        assert bulk.status_code == 400 or bulk.json()[0]["error"] == "bad_request"


def test_replicator_members_are_accepted(http: httpx.Client, db: str) -> None:
    members = {"_replication_id": "abc", "_replication_state": "completed",
               "_replication_state_time": "2026-12-01T09:00:00+00:00",
               "_replication_stats": {"docs_written": 3}}
    created = http.put(f"{db}/job", json={"source": "a", "target": "b", **members})
    assert created.status_code == 201, created.text
    got = http.get(f"{db}/job").json()
    assert {k: got[k] for k in members} == members
    bulk = http.post(f"{db}/_bulk_docs", json={"docs": [{"_id": "job2", **members}]})
    assert bulk.status_code == 201 and bulk.json()[0]["ok"]


def test_database_names_with_a_slash(http: httpx.Client, db_name: str, server: Server) -> None:
    name = f"{db_name}/sub"
    path = quote(name, safe="")
    created = http.put(path)
    if quirk(server, "slash_db_names"):
        return
    assert created.status_code == 201, created.text
    try:
        assert http.get(path).json()["db_name"] == name
        assert http.put(f"{path}/doc", json={"v": 1}).status_code == 201
        assert http.get(f"{path}/doc").json()["v"] == 1
        assert [r["id"] for r in http.get(f"{path}/_all_docs").json()["rows"]] == ["doc"]
        assert len(http.get(f"{path}/_changes").json()["results"]) == 1
        assert name in http.get("_all_dbs").json()
    finally:
        assert http.delete(path).status_code == 200
    bad = http.put(quote(f"{db_name.upper()}/sub", safe=""))
    assert (bad.status_code, bad.json()["error"]) == (400, "illegal_database_name")


def test_all_docs_key_with_keys_and_update_seq(http: httpx.Client, db: str, server: Server) -> None:
    for doc_id in ("a", "b"):
        http.put(f"{db}/{doc_id}", json={})
    incompatible = [
        http.get(f"{db}/_all_docs", params={"key": '"a"', "keys": '["a","b"]'}),
        http.get(f"{db}/_all_docs", params={"startkey": '"a"', "keys": '["a","b"]'}),
        http.post(f"{db}/_all_docs", params={"key": '"a"'}, json={"keys": ["b", "zz"]}),
    ]
    if not quirk(server, "all_docs_key_with_keys"):  # pouchdb-server: 500 for some
        for answer in incompatible:
            assert (answer.status_code, answer.json()["error"]) == (400, "query_parse_error")
    if quirk(server, "all_docs_key_with_keys"):
        return
    same = http.post(f"{db}/_all_docs", params={"key": '"a"'}, json={"keys": ["a"]})
    assert [r["id"] for r in same.json()["rows"]] == ["a"]
    with_seq = http.get(f"{db}/_all_docs", params={"update_seq": "true"}).json()
    assert str(with_seq["update_seq"]).split("-")[0] == str(http.get(db).json()[
        "update_seq"]).split("-")[0]
    assert "update_seq" not in http.get(f"{db}/_all_docs").json()


def test_revisions_win_over_rev(http: httpx.Client, db: str) -> None:
    """PouchDB sends `_rev: 2-a` with `_revisions: {start: 1, ids: [a]}` for a tree with a
    repeated hash: CouchDB writes `1-a`."""
    b32 = "b" * 32
    docs = [{"_id": "d", "v": 1, "_rev": f"2-{A32}", "_revisions": {"start": 1, "ids": [A32]}},
            {"_id": "e", "v": 2, "_rev": f"3-{b32}", "_revisions": {"start": 2, "ids": [A32, b32]}}]
    answer = http.post(f"{db}/_bulk_docs", json={"docs": docs, "new_edits": False})
    assert (answer.status_code, answer.json()) == (201, [])
    got = http.get(f"{db}/d", params={"revs": "true"}).json()
    assert (got["_rev"], got["_revisions"]) == (f"1-{A32}", {"start": 1, "ids": [A32]})
    got = http.get(f"{db}/e", params={"revs": "true"}).json()
    assert (got["_rev"], got["_revisions"]["ids"]) == (f"2-{A32}", [A32, b32])


@pytest.mark.parametrize("header", ["Basic Zm9v", "Digest username=x", "Basic"])
def test_unparseable_authorization_is_anonymous(server: Server, header: str) -> None:
    answer = httpx.get(server.couch, headers={"Authorization": header, "Accept": "application/json"},
                       timeout=10)
    assert answer.status_code == 200 and "uuid" in answer.json()


@pytest.mark.parametrize("heartbeat", [None, "200"])
def test_longpoll_on_a_deleted_database_ends(
    http: httpx.Client, db: str, server: Server, heartbeat: str | None
) -> None:
    if quirk(server, "crashes_on_longpoll_of_deleted_db"):
        return
    since = http.get(f"{db}/_changes").json()["last_seq"]
    answers: list[httpx.Response | BaseException] = []

    def poll() -> None:
        try:
            params = {"feed": "longpoll", "since": since, "timeout": "20000"}
            answers.append(http.get(f"{db}/_changes", params={
                **params, **({"heartbeat": heartbeat} if heartbeat else {})}))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            answers.append(exc)

    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(0.5)
    assert http.delete(db).status_code == 200
    waiter.join(15)
    assert not waiter.is_alive(), "longpoll kept waiting on a deleted database"
    [answer] = answers
    assert isinstance(answer, httpx.Response), answer
    assert answer.status_code in (200, 404)
    if answer.status_code == 200:
        assert answer.json()["results"] == []


def test_design_doc_without_the_filter_or_view_is_404(
    http: httpx.Client, db: str, server: Server
) -> None:
    http.put(f"{db}/_design/app", json={"filters": {"f": "function(d){return true}"},
                                        "views": {"v": {"map": "function(d){emit(d._id)}"}}})
    cases = [("_changes?filter=app/nope", "missing json key: nope"),
             ("_changes?filter=other/f", "missing"),
             ("_design/app/_view/nope", "missing_named_view"),
             ("_design/other/_view/v", "missing")]
    if quirk(server, "crashes_on_missing_design_functions"):
        return
    for path, reason in cases:
        answer = http.get(f"{db}/{path}")
        assert answer.json() == {"error": "not_found", "reason": reason}, path
        assert answer.status_code == 404
    bad = http.get(f"{db}/_changes", params={"filter": "nofilter"})
    assert bad.status_code == 400
