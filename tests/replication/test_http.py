"""The CouchDB HTTP API at the wire, with httpx; run against both servers unless marked."""

from __future__ import annotations

import json
import threading

import httpx
import pytest

from .servers import Server


def error_of(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) >= {"error", "reason"}, body
    return response.status_code, body["error"]


def test_welcome_has_a_stable_uuid(http: httpx.Client) -> None:
    first, second = http.get("").json(), http.get("").json()
    assert first["uuid"] and first["uuid"] == second["uuid"]


def test_database_lifecycle(http: httpx.Client, db_name: str) -> None:
    assert http.put(db_name).json() == {"ok": True}
    assert error_of(http.put(db_name)) == (412, "file_exists")
    assert db_name in http.get("_all_dbs").json()
    info = http.get(db_name).json()
    assert info["db_name"] == db_name and info["doc_count"] == 0
    assert http.head(db_name).status_code == 200
    assert http.delete(db_name).json() == {"ok": True}
    assert http.head(db_name).status_code == 404


@pytest.mark.parametrize("path", ["{db}", "{db}/_changes", "{db}/doc", "{db}/_all_docs"])
def test_unknown_database_is_404_json(http: httpx.Client, db_name: str, path: str) -> None:
    assert error_of(http.get(path.format(db=db_name))) == (404, "not_found")


def test_malformed_json_is_400(http: httpx.Client, db: str) -> None:
    headers = {"Content-Type": "application/json"}
    for method, path in [("POST", "_bulk_docs"), ("PUT", "doc"), ("POST", "_revs_diff"),
                         ("POST", "_bulk_get"), ("PUT", "_local/x")]:
        answer = http.request(method, f"{db}/{path}", content=b'{"docs": [', headers=headers)
        assert error_of(answer) == (400, "bad_request"), (method, path)


def test_document_crud_and_conflicts(http: httpx.Client, db: str) -> None:
    created = http.put(f"{db}/sheet", json={"score": 1})
    assert created.status_code == 201
    rev1 = created.json()["rev"]
    assert created.headers["etag"] == f'"{rev1}"'
    rev2 = http.put(f"{db}/sheet", json={"_rev": rev1, "score": 2}).json()["rev"]
    assert error_of(http.put(f"{db}/sheet", json={"_rev": rev1, "score": 3})) == (409, "conflict")
    assert error_of(http.put(f"{db}/sheet", json={"score": 3})) == (409, "conflict")
    assert error_of(http.delete(f"{db}/sheet", params={"rev": rev1})) == (409, "conflict")
    doc = http.get(f"{db}/sheet", params={"revs": "true"}).json()
    assert doc["_rev"] == rev2 and doc["_revisions"]["start"] == 2
    assert http.get(f"{db}/sheet", params={"rev": rev1}).json()["score"] == 1
    deleted = http.delete(f"{db}/sheet", headers={"If-Match": rev2})
    assert deleted.status_code == 200 and deleted.json()["rev"].startswith("3-")
    assert error_of(http.get(f"{db}/sheet")) == (404, "not_found")
    assert error_of(http.get(f"{db}/never")) == (404, "not_found")
    posted = http.post(db, json={"v": 1})
    assert posted.status_code == 201 and http.get(f"{db}/{posted.json()['id']}").json()["v"] == 1


def test_ids_with_reserved_characters(http: httpx.Client, db: str) -> None:
    assert http.put(f"{db}/_design/app", json={"views": {}}).status_code == 201
    assert http.get(f"{db}/_design/app").json()["_id"] == "_design/app"
    assert http.put(f"{db}/a%2Fb%3Fc%20d", json={"v": 1}).status_code == 201
    assert http.get(f"{db}/a%2Fb%3Fc%20d").json()["_id"] == "a/b?c d"


def test_local_docs_are_not_replicated(http: httpx.Client, db: str) -> None:
    path = f"{db}/_local/rep%2Bid%3D%3D"
    assert error_of(http.get(path)) == (404, "not_found")
    put = http.put(path, json={"last_seq": 5, "history": []})
    assert put.status_code == 201 and put.json()["id"] == "_local/rep+id=="
    got = http.get(path).json()
    assert got["_id"] == "_local/rep+id==" and got["last_seq"] == 5 and got["_rev"].startswith("0-")
    assert http.put(path, json={"_rev": got["_rev"], "last_seq": 9}).status_code == 201
    assert http.get(path).json()["last_seq"] == 9
    assert http.get(f"{db}/_changes").json()["results"] == []
    assert http.get(f"{db}/_all_docs").json()["rows"] == []
    assert http.delete(path).status_code == 200
    assert error_of(http.get(path)) == (404, "not_found")


def _bulk(http: httpx.Client, db: str, docs: list[dict], **body: object) -> httpx.Response:
    return http.post(f"{db}/_bulk_docs", json={"docs": docs, **body})


def test_replicated_writes_and_revs_diff(http: httpx.Client, db: str) -> None:
    h1, h2, h3 = "1" * 32, "2" * 32, "3" * 32
    docs = [
        {"_id": "x", "_rev": f"2-{h2}", "v": 2, "_revisions": {"start": 2, "ids": [h2, h1]}},
        {"_id": "x", "_rev": f"2-{h3}", "v": 3, "_revisions": {"start": 2, "ids": [h3, h1]}},
    ]
    answer = _bulk(http, db, docs, new_edits=False)
    assert answer.status_code == 201 and answer.json() == []
    assert _bulk(http, db, docs, new_edits=False).json() == []
    doc = http.get(f"{db}/x", params={"conflicts": "true"}).json()
    assert doc["_rev"] == f"2-{h3}" and doc["_conflicts"] == [f"2-{h2}"]
    diff = http.post(f"{db}/_revs_diff", json={"x": [f"2-{h2}", f"3-{'4' * 32}"],
                                               "y": [f"1-{h1}"]}).json()
    assert diff["x"]["missing"] == [f"3-{'4' * 32}"] and diff["y"]["missing"] == [f"1-{h1}"]
    assert http.post(f"{db}/_revs_diff", json={"x": [f"2-{h2}"]}).json() == {}
    revs = http.get(f"{db}/x", params={"open_revs": "all"},
                    headers={"Accept": "application/json"}).json()
    assert sorted(entry["ok"]["_rev"] for entry in revs) == [f"2-{h2}", f"2-{h3}"]
    missing = http.get(f"{db}/x", params={"open_revs": f'["2-{h2}","9-{h1}"]', "revs": "true"},
                       headers={"Accept": "application/json"}).json()
    assert missing[0]["ok"]["_revisions"] == {"start": 2, "ids": [h2, h1]}
    assert missing[1] == {"missing": f"9-{h1}"}
    put = http.put(f"{db}/y", params={"new_edits": "false"},
                   json={"_rev": f"1-{h1}", "v": 1})
    assert put.status_code == 201 and http.get(f"{db}/y").json()["_rev"] == f"1-{h1}"


def test_bulk_get_latest(http: httpx.Client, db: str) -> None:
    rev1 = http.put(f"{db}/d", json={"v": 1}).json()["rev"]
    rev2 = http.put(f"{db}/d", json={"_rev": rev1, "v": 2}).json()["rev"]
    body = {"docs": [{"id": "d", "rev": rev1}, {"id": "nope", "rev": rev1}]}
    results = http.post(f"{db}/_bulk_get", params={"revs": "true", "latest": "true"},
                        json=body).json()["results"]
    assert [r["id"] for r in results] == ["d", "nope"]
    assert results[0]["docs"][0]["ok"]["_rev"] == rev2
    assert results[0]["docs"][0]["ok"]["_revisions"]["start"] == 2
    assert "ok" not in results[1]["docs"][0]  # CouchDB: {"error": ...}; pouchdb-server: {"missing"}


def test_changes_paging_and_filters(http: httpx.Client, db: str) -> None:
    for i in range(5):
        http.put(f"{db}/c{i}", json={"i": i, "kind": "odd" if i % 2 else "even"})
    page = http.get(f"{db}/_changes", params={"limit": 2}).json()
    assert [r["id"] for r in page["results"]] == ["c0", "c1"]
    rest = http.get(f"{db}/_changes", params={"since": page["results"][-1]["seq"]}).json()
    assert [r["id"] for r in rest["results"]] == ["c2", "c3", "c4"]
    empty = http.get(f"{db}/_changes", params={"since": rest["last_seq"]}).json()
    assert empty["results"] == [] and empty["last_seq"] == rest["last_seq"]
    by_ids = http.post(f"{db}/_changes", params={"filter": "_doc_ids"},
                       json={"doc_ids": ["c3", "c1"]}).json()
    assert sorted(r["id"] for r in by_ids["results"]) == ["c1", "c3"]
    by_query = http.get(f"{db}/_changes", params={"filter": "_doc_ids", "doc_ids": '["c4"]'})
    assert [r["id"] for r in by_query.json()["results"]] == ["c4"]
    newest = http.get(f"{db}/_changes", params={"descending": "true", "limit": 1}).json()
    assert [r["id"] for r in newest["results"]] == ["c4"]


def test_longpoll_waits_then_answers(http: httpx.Client, db: str, server: Server) -> None:
    """The write is made once three heartbeats have come (the feed is waiting, however slowly
    the request reached the server), or after 3 s from a server that holds its heartbeats back
    until the answer (pouchdb-server)."""
    now = http.get(f"{db}/_changes", params={"since": "now"}).json()["last_seq"]
    waiting = threading.Event()

    def write_once_waiting() -> None:
        waiting.wait(3)
        with server.client() as other:
            other.put(f"{db}/late", json={"v": 1})

    writer = threading.Thread(target=write_once_waiting)
    writer.start()
    body = b""
    try:
        with http.stream("GET", f"{db}/_changes", params={
                "feed": "longpoll", "since": now, "heartbeat": 100, "timeout": 30_000}) as feed:
            for chunk in feed.iter_bytes():
                body += chunk
                if body.count(b"\n") >= 3 and not body.strip():
                    waiting.set()
    finally:
        waiting.set()
        writer.join(60)
    assert body.count(b"\n") >= 3 and body.lstrip().startswith(b"{"), body[:200]
    assert [r["id"] for r in json.loads(body)["results"]] == ["late"]


def test_attachment_put_get_and_errors(http: httpx.Client, db: str) -> None:
    data = bytes(range(256))
    created = http.put(f"{db}/photo/a.bin", content=data,
                       headers={"Content-Type": "application/octet-stream"})
    assert created.status_code == 201
    rev = created.json()["rev"]
    got = http.get(f"{db}/photo/a.bin")
    assert got.content == data and got.headers["content-type"] == "application/octet-stream"
    stub = http.get(f"{db}/photo").json()["_attachments"]["a.bin"]
    assert stub["stub"] is True and stub["length"] == 256 and stub["digest"].startswith("md5-")
    inline = http.get(f"{db}/photo", params={"attachments": "true"}).json()
    assert inline["_attachments"]["a.bin"]["data"]
    assert error_of(http.get(f"{db}/photo/none.bin")) == (404, "not_found")
    stale = http.put(f"{db}/photo/b.txt", content=b"x", headers={"Content-Type": "text/plain"})
    assert error_of(stale) == (409, "conflict")
    second = http.put(f"{db}/photo/b.txt", params={"rev": rev}, content=b"x",
                      headers={"Content-Type": "text/plain"})
    assert second.status_code == 201
    assert http.get(f"{db}/photo/a.bin").content == data


def test_all_docs_ranges_and_keys(http: httpx.Client, db: str) -> None:
    _bulk(http, db, [{"_id": k, "v": k} for k in ("a", "b", "c", "d")])
    rows = http.get(f"{db}/_all_docs", params={"startkey": '"b"', "endkey": '"c"'}).json()["rows"]
    assert [r["id"] for r in rows] == ["b", "c"]
    keyed = http.post(f"{db}/_all_docs", params={"include_docs": "true"},
                      json={"keys": ["d", "a"]}).json()["rows"]
    assert [r["doc"]["v"] for r in keyed] == ["d", "a"]
    limited = http.get(f"{db}/_all_docs", params={"limit": 1, "skip": 1, "descending": "true"})
    assert [r["id"] for r in limited.json()["rows"]] == ["c"]


def test_fields_named_error_are_just_fields(http: httpx.Client, db: str) -> None:
    """A document may have `error`/`reason` fields; they are no error entry."""
    doc = {"_id": "e", "error": "late report", "reason": "flood"}
    rows = _bulk(http, db, [doc]).json()
    assert rows[0]["ok"] is True and rows[0]["id"] == "e"
    replicated = {"_id": "f", "_rev": "1-" + "f" * 32, "error": "x"}
    assert _bulk(http, db, [replicated], new_edits=False).json() == []
    assert http.get(f"{db}/f").json()["error"] == "x"


def test_replicated_batch_keeps_nested_content(http: httpx.Client, db: str) -> None:
    """A replicated batch's user fields come back exactly as sent (ours stores them raw)."""
    h1 = "a" * 32
    nested = {"tên": "Tổ TK&VV ấp Phú Hòa", "criteria": [{"code": "TC1", "score": 9.5,
              "notes": [None, True, {"deep": [1, -2, 3e-7]}]}], "empty": {}, "n": 12345678901}
    docs = [
        {"_id": "n", "_rev": f"1-{h1}", "_revisions": {"start": 1, "ids": [h1]}, **nested},
        {"_id": "gone", "_rev": f"1-{h1}", "_deleted": True, "why": "removed"},
    ]
    answer = _bulk(http, db, docs, new_edits=False)
    assert answer.status_code == 201 and answer.json() == []
    stored = http.get(f"{db}/n").json()
    assert {k: v for k, v in stored.items() if not k.startswith("_")} == nested
    got = http.post(f"{db}/_bulk_get", json={"docs": [{"id": "n", "rev": f"1-{h1}"}]}).json()
    assert got["results"][0]["docs"][0]["ok"]["criteria"] == nested["criteria"]
    assert http.get(f"{db}/gone").status_code == 404
    assert http.get(f"{db}/gone", params={"rev": f"1-{h1}"}).json()["why"] == "removed"
