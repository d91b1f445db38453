"""The conformance suite on the CouchDB backend: against a real pouchdb-server (in memory,
started here on a free loopback port), and against Apache CouchDB 3.5 (the session's node from
`tests.couchdb`: the build `make setup` made, or `THIDUA_TEST_COUCHDB_URL`)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

pytest.register_assert_rewrite("sync.testing")

from server.settings import Settings  # noqa: E402
from sync.backends import load_store  # noqa: E402
from sync.backends.couchdb import CouchStore  # noqa: E402
from sync.errors import BadRequest, NotFound, StoreUnavailable  # noqa: E402
from sync.testing import StoreConformance  # noqa: E402
from tests.couchdb import CouchCluster, CouchNode  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
POUCHDB_SERVER = ROOT / "node_modules" / ".bin" / "pouchdb-server"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def pouchdb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of an in-memory pouchdb-server, killed at the end of the session."""
    if not POUCHDB_SERVER.exists() or shutil.which("node") is None:
        pytest.skip("pouchdb-server is not installed (npm ci)")
    workdir = tmp_path_factory.mktemp("pouchdb-server")
    port = _free_port()
    log = (workdir / "stdout.txt").open("wb")
    proc = subprocess.Popen(
        [str(POUCHDB_SERVER), "-m", "-o", "127.0.0.1", "-p", str(port), "-n"],
        cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a busy machine starts slowly
        while True:
            try:
                if requests.get(url, timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pouchdb-server did not start: see {workdir}/stdout.txt")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


class TestPouchdbServerStore(StoreConformance):
    @pytest.fixture
    async def store(self, pouchdb_server: str) -> AsyncIterator[CouchStore]:
        store = CouchStore(pouchdb_server, poll_seconds=1)
        await store.initialize()
        yield store
        await store.close()


class TestCouchdbStore(StoreConformance):
    @pytest.fixture
    async def store(self, couchdb_node: CouchNode) -> AsyncIterator[CouchStore]:
        store = CouchStore(couchdb_node.url_with_auth, poll_seconds=1)
        await store.initialize()
        yield store
        await store.close()


def test_load_store_picks_couchdb(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, couchdb_url="http://127.0.0.1:5984",
                        max_document_size=5000)
    store = load_store(settings)
    assert isinstance(store, CouchStore)
    assert (store.url, store.max_document_size) == ("http://127.0.0.1:5984", 5000)


async def test_refused_connection_is_unavailable() -> None:
    store = CouchStore(f"http://127.0.0.1:{_free_port()}", timeout=2)
    assert await store.ping() is False
    with pytest.raises(StoreUnavailable) as info:
        await store.list_dbs()
    assert info.value.status == 503 and info.value.original is not None
    with pytest.raises(StoreUnavailable):
        await store.initialize()
    with pytest.raises(StoreUnavailable):
        await store.bulk_docs("db", [{"_id": "a"}])
    await store.close()


async def test_server_answers_map_to_store_errors(pouchdb_server: str) -> None:
    store = CouchStore(pouchdb_server, poll_seconds=1)
    await store.initialize()
    assert store.quirks and "deterministic_revs" not in store.capabilities
    with pytest.raises(NotFound):
        await store.db_info("t-never-created")
    with pytest.raises(BadRequest) as info:
        await store.db_info("Bad Name")
    assert info.value.error == "illegal_database_name"
    await store.close()


class _HtmlPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = b"<html><body>502 Bad Gateway</body></html>"
        self.send_response(502 if self.path != "/" else 200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


async def test_non_couchdb_answers_are_unavailable() -> None:
    """A proxy's HTML page (200 or 502) is an infrastructure failure, not a crash."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _HtmlPage)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    store = CouchStore(f"http://127.0.0.1:{httpd.server_address[1]}", timeout=5)
    try:
        for call in (store.initialize, store.list_dbs):
            with pytest.raises(StoreUnavailable) as info:
                await call()
            assert info.value.status == 503
        assert await store.ping() is False
    finally:
        await store.close()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


async def test_uuid_is_the_servers(pouchdb_server: str) -> None:
    store = CouchStore(pouchdb_server, poll_seconds=1)
    expected = requests.get(pouchdb_server, timeout=5).json()["uuid"].replace("-", "")
    assert await store.server_uuid() == expected
    await store.close()


@pytest.fixture
async def pouch_store(pouchdb_server: str) -> AsyncIterator[CouchStore]:
    store = CouchStore(pouchdb_server, poll_seconds=1)
    await store.initialize()
    yield store
    await store.close()


async def test_refused_batch_is_split_per_doc(pouch_store: CouchStore) -> None:
    """The server refuses the whole batch for one bad stub; the error lands on that doc."""
    db = f"t-{uuid.uuid4().hex[:12]}"
    await pouch_store.create_db(db)
    rev = (await pouch_store.put(db, {"_id": "a", "_attachments": {"x": {"data": "AAEC"}}})).rev
    results = await pouch_store.bulk_docs(db, [
        {"_id": "b"}, {"_id": "a", "_rev": rev, "_attachments": {"nope": {"stub": True}}},
        {"_id": "c"}])
    assert [r.ok for r in results] == [True, None, True]
    assert results[1].id == "a" and results[1].error and results[1].reason
    assert (await pouch_store.get(db, "a"))["_rev"] == rev
    assert (await pouch_store.db_info(db)).doc_count == 3
    kept = await pouch_store.put(db, {"_id": "a", "_rev": rev, "_attachments": {
        "x": {"stub": True}}})
    assert (await pouch_store.get_attachment(db, "a", "x", rev=kept.rev)).data == b"\x00\x01\x02"


async def test_missing_database_is_not_found(pouch_store: CouchStore) -> None:
    db = f"t-{uuid.uuid4().hex[:12]}"
    with pytest.raises(NotFound):
        await pouch_store.bulk_get(db, [{"id": "a"}])
    with pytest.raises(NotFound):
        await pouch_store.get_open_revs(db, "a", "all")
    with pytest.raises(NotFound):
        await pouch_store.get_attachment(db, "a", "x")
    with pytest.raises(NotFound):
        await pouch_store.get_open_revs(db, "a", ["1-" + "a" * 32], latest=True)
    with pytest.raises(NotFound):
        await pouch_store.revs_diff(db, {"a": ["1-" + "a" * 32]})


async def test_many_waiters_do_not_starve_other_calls(pouch_store: CouchStore) -> None:
    db = f"t-{uuid.uuid4().hex[:12]}"
    await pouch_store.create_db(db)
    since = (await pouch_store.db_info(db)).update_seq
    waiters = [asyncio.create_task(pouch_store.wait_for_change(db, since, 10)) for _ in range(30)]
    await asyncio.sleep(0.2)
    assert (await asyncio.wait_for(pouch_store.put(db, {"_id": "x"}), 5)).ok
    assert await asyncio.wait_for(asyncio.gather(*waiters), 5) == [True] * 30
    # one shared long poll at a time, not one per waiter
    assert pouch_store.client.peak_waiting <= 2


async def test_local_docs_are_written_without_mvcc(pouch_store: CouchStore) -> None:
    db = f"t-{uuid.uuid4().hex[:12]}"
    await pouch_store.create_db(db)
    assert (await pouch_store.put_local(db, "ck", {"_rev": "0-7", "n": 1})).rev == "0-1"
    assert (await pouch_store.put_local(db, "ck", {"n": 2})).rev == "0-2"
    assert (await pouch_store.put_local(db, "ck", {"_rev": "0-1", "n": 3})).rev == "0-3"
    assert (await pouch_store.get_local(db, "ck"))["n"] == 3


class TestCouchdbClusterStore(StoreConformance):
    """The same suite on three joined CouchDB nodes (q=1, n=3), through node 1."""

    @pytest.fixture
    async def store(self, couchdb_cluster: CouchCluster) -> AsyncIterator[CouchStore]:
        store = CouchStore(couchdb_cluster.url_with_auth, poll_seconds=1)
        await store.initialize()
        yield store
        await store.close()
