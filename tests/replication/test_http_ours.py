"""Wire details only our server is held to (pouchdb-server deviates or crashes on them):
per-entry errors in `_bulk_docs`, size limits, `_selector`, exact error reasons."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .servers import Server, our_server
from .test_http import error_of

H1, H2 = "1" * 32, "2" * 32


@pytest.fixture
def http(ours: Server) -> Iterator[httpx.Client]:
    with ours.client() as client:
        yield client


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Ours with tiny limits: 4 KB per document, 64 KB per request."""
    server = our_server(Path(tmp_path_factory.mktemp("small")),
                        THIDUA_MAX_DOCUMENT_SIZE="4096", THIDUA_MAX_REQUEST_SIZE="65536")
    server.start()
    yield server
    server.stop()


def test_uuid_is_32_lowercase_hex(http: httpx.Client) -> None:
    uuid = http.get("").json()["uuid"]
    assert len(uuid) == 32 and int(uuid, 16) >= 0 and uuid == uuid.lower()


def test_error_reasons_match_couchdb(http: httpx.Client, db: str) -> None:
    assert http.get("tnosuchdb").json() == {"error": "not_found",
                                            "reason": "Database does not exist."}
    assert http.get(f"{db}/nope").json() == {"error": "not_found", "reason": "missing"}
    rev = http.put(f"{db}/d", json={}).json()["rev"]
    http.delete(f"{db}/d", params={"rev": rev})
    assert http.get(f"{db}/d").json() == {"error": "not_found", "reason": "deleted"}
    assert error_of(http.delete(f"{db}/d")) == (409, "conflict")
    assert error_of(http.get(f"{db}/_changes", params={"feed": "continuous"}))[0] == 400
    assert error_of(http.get(f"{db}/_changes", params={"limit": "x"}))[0] == 400
    assert error_of(http.get(f"{db}/_all_docs", params={"startkey": "not-json"}))[0] == 400
    assert error_of(http.get(f"{db}/d", params={"revs": "yes"}))[0] == 400


def test_bad_entries_fail_alone(http: httpx.Client, db: str) -> None:
    docs = [{"_id": "a"}, {"_id": "b", "_rev": "garbage"}, [1, 2], {"_id": "c"}]
    rows = http.post(f"{db}/_bulk_docs", json={"docs": docs}).json()
    assert rows[0]["ok"] and rows[3]["ok"]
    assert rows[1]["id"] == "b" and rows[1]["error"] == "bad_request"
    assert rows[2]["error"] == "bad_request"
    assert http.get(f"{db}/a").status_code == 200 and http.get(f"{db}/c").status_code == 200


def test_bad_revisions_fail_alone_in_replicated_writes(http: httpx.Client, db: str) -> None:
    docs = [
        {"_id": "x", "_rev": f"1-{H1}", "_revisions": {"start": 1, "ids": [H1]}},
        {"_id": "y", "_rev": f"2-{H2}", "_revisions": {"start": 2, "ids": ["not hex!"]}},
        {"_id": "z", "_rev": f"2-{H2}", "_revisions": {"start": 5, "ids": [H1]}},
        {"_id": "w", "_rev": "nonsense"},
        {"_id": "v", "_rev": f"1-{H2}"},
    ]
    answer = http.post(f"{db}/_bulk_docs", json={"docs": docs, "new_edits": False})
    assert answer.status_code == 201
    assert sorted(e["id"] for e in answer.json()) == ["w", "y"]
    assert {e["error"] for e in answer.json()} == {"bad_request"}
    assert http.get(f"{db}/x").json()["_rev"] == f"1-{H1}"
    assert http.get(f"{db}/z").json()["_rev"] == f"5-{H1}"  # `_revisions` wins, as in CouchDB
    assert http.get(f"{db}/v").json()["_rev"] == f"1-{H2}"


def test_ancestors_are_known_to_revs_diff(http: httpx.Client, db: str) -> None:
    doc = {"_id": "x", "_rev": f"2-{H2}", "_revisions": {"start": 2, "ids": [H2, H1]}}
    http.post(f"{db}/_bulk_docs", json={"docs": [doc], "new_edits": False})
    assert http.post(f"{db}/_revs_diff", json={"x": [f"1-{H1}", f"2-{H2}"]}).json() == {}


def test_bulk_get_without_rev_gives_the_leaves(http: httpx.Client, db: str) -> None:
    rev = http.put(f"{db}/d", json={"v": 1}).json()["rev"]
    results = http.post(f"{db}/_bulk_get", json={"docs": [{"id": "d"}, {"id": "zz"}]}).json()
    assert results["results"][0]["docs"][0]["ok"]["_rev"] == rev
    assert results["results"][1]["docs"][0]["error"]["error"] == "not_found"


def test_selector_filter(http: httpx.Client, db: str) -> None:
    for i in range(4):
        http.put(f"{db}/c{i}", json={"i": i, "kind": "odd" if i % 2 else "even"})
    selected = http.post(f"{db}/_changes", params={"filter": "_selector", "include_docs": "true"},
                         json={"selector": {"kind": "odd"}}).json()
    assert sorted(r["doc"]["i"] for r in selected["results"]) == [1, 3]
    assert error_of(http.post(f"{db}/_changes", params={"filter": "_selector"}))[0] == 400


def test_longpoll_times_out_empty(http: httpx.Client, db: str) -> None:
    """pouchdb-server ignores `timeout` on longpoll; CouchDB and ours answer an empty page."""
    now = http.get(f"{db}/_changes", params={"since": "now"}).json()["last_seq"]
    started = time.monotonic()
    idle = http.get(f"{db}/_changes", params={"feed": "longpoll", "since": now, "timeout": 500})
    assert 0.4 < time.monotonic() - started < 5
    assert idle.json() == {"results": [], "last_seq": now, "pending": 0}
    beat = http.get(f"{db}/_changes", params={"feed": "longpoll", "since": now, "timeout": 700,
                                               "heartbeat": 200})
    assert beat.text.startswith("\n\n") and beat.json()["results"] == []
    started = time.monotonic()
    params = {"feed": "longpoll", "since": now, "timeout": 6000, "heartbeat": 5000}
    with http.stream("GET", f"{db}/_changes", params=params) as streamed:
        assert streamed.status_code == 200
        assert time.monotonic() - started < 4, "headers wait for the first heartbeat"
        assert b"".join(streamed.iter_bytes()).strip().startswith(b'{"results":[]')


def test_head_document(http: httpx.Client, db: str) -> None:
    rev = http.put(f"{db}/d", json={"v": 1}).json()["rev"]
    head = http.head(f"{db}/d")
    assert head.status_code == 200 and head.headers["etag"] == f'"{rev}"' and not head.content
    assert http.head(f"{db}/nope").status_code == 404


def test_oversized_document_is_413(small: Server, db_name: str) -> None:
    with small.client() as http:
        http.put(db_name)
        big = {"pad": "x" * 5000}
        assert error_of(http.put(f"{db_name}/big", json=big)) == (413, "too_large")
        assert error_of(http.post(db_name, json=big)) == (413, "too_large")
        rows = http.post(f"{db_name}/_bulk_docs",
                         json={"docs": [{"_id": "ok1"}, {"_id": "big", **big}, {"_id": "ok2"}]})
        assert rows.status_code == 201
        assert [r.get("error") for r in rows.json()] == [None, "too_large", None]
        assert rows.json()[1]["id"] == "big"
        assert http.get(f"{db_name}/ok2").status_code == 200
        assert error_of(http.get(f"{db_name}/big")) == (404, "not_found")


def test_oversized_request_is_413(small: Server, db_name: str) -> None:
    with small.client() as http:
        http.put(db_name)
        docs = [{"_id": f"d{i}", "pad": "x" * 1000} for i in range(80)]
        answer = http.post(f"{db_name}/_bulk_docs", json={"docs": docs})
        assert error_of(answer) == (413, "too_large")
        assert http.get(db_name).json()["doc_count"] == 0


def test_replicated_batch_with_a_non_object_entry(http: httpx.Client, db: str) -> None:
    """A replicated batch that is not all objects is decoded entry by entry: the odd entry
    fails alone and the rest is stored. An unknown `_` member fails the whole request (400
    `doc_validation`), as CouchDB answers, in the raw-values path too."""
    docs = [{"_id": "a", "_rev": f"1-{H1}", "v": 1}, "not a document",
            {"_id": "b", "_rev": f"1-{H2}"}]
    answer = http.post(f"{db}/_bulk_docs", json={"docs": docs, "new_edits": False})
    assert answer.status_code == 201
    assert [e["error"] for e in answer.json()] == ["bad_request"]
    raw_batch = [docs[0], {"_id": "c", "_rev": f"1-{H1}", "_foo": 1},
                 {"_id": "d", "_rev": f"1-{H2}", "w": [1]}]
    answer = http.post(f"{db}/_bulk_docs", json={"docs": raw_batch, "new_edits": False})
    assert error_of(answer) == (400, "doc_validation")
    assert http.get(f"{db}/d").status_code == 404 and http.get(f"{db}/c").status_code == 404
    assert http.get(f"{db}/a").json()["v"] == 1 and http.get(f"{db}/b").status_code == 200


def test_longpoll_on_a_deleted_database_logs_no_traceback(
    http: httpx.Client, db: str, ours: Server
) -> None:
    since = http.get(f"{db}/_changes").json()["last_seq"]
    log = ours.cwd / f"{ours.name}.log"
    before = log.stat().st_size
    with httpx.Client(base_url=ours.couch, auth=ours.auth, timeout=30) as other:
        answers: list[tuple[int, bytes]] = []
        waiting = threading.Event()

        def poll() -> None:  # the headers come at once: then the feed is waiting
            with other.stream("GET", f"{db}/_changes", params={
                    "feed": "longpoll", "since": since, "heartbeat": "200"}) as feed:
                waiting.set()
                answers.append((feed.status_code, feed.read()))

        waiter = threading.Thread(target=poll)
        waiter.start()
        assert waiting.wait(30), "the longpoll sent no headers"
        assert http.delete(db).status_code == 200
        waiter.join(15)
    assert not waiter.is_alive() and answers[0][0] == 200
    assert json.loads(answers[0][1])["results"] == []
    time.sleep(0.2)
    written = log.read_bytes()[before:].decode(errors="replace")
    assert "Traceback" not in written, written[-3000:]


def test_local_attachments_are_refused(http: httpx.Client, db: str) -> None:
    """CouchDB 3.5 drops them silently; thidua refuses them (nothing is lost unseen)."""
    att = {"a.txt": {"content_type": "text/plain", "data": "AAEC"}}
    answer = http.put(f"{db}/_local/x", json={"_attachments": att})
    assert answer.json() == {"error": "bad_request",
                             "reason": "_local documents do not accept attachments."}
    [entry] = http.post(f"{db}/_bulk_docs", json={"docs": [
        {"_id": "_local/y", "_attachments": att}]}).json()
    assert entry["error"] == "bad_request" and http.get(f"{db}/_local/y").status_code == 404


def test_compaction_keeps_territory_history(http: httpx.Client, db_name: str) -> None:
    """`config`, `c-` and `p-` keep old revision bodies (reconciler merges, audit)."""
    assert http.put("config").status_code in (201, 412)
    rev1 = http.put(f"config/{db_name}", json={"v": 1}).json()["rev"]
    http.put(f"config/{db_name}", json={"_rev": rev1, "v": 2})
    assert http.post("config/_compact", json={}).status_code == 202
    assert http.get(f"config/{db_name}", params={"rev": rev1}).json()["v"] == 1
    assert error_of(http.post("config/_compact", content=b"{}"))[0] == 415
