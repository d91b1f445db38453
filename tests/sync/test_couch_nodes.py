"""Several CouchDB node URLs (`sync/backends/couch_nodes.py`) against real Apache CouchDB 3.5
and real sockets that misbehave as a dead node does: refused, reset mid-request, 503.
Reads and replication calls go on to the next node, a write that may have been applied is
never sent twice, and a node that comes back is used again after the recheck time."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from server.settings import load_settings
from sync.backends.couch_nodes import Nodes, replayable
from sync.backends.couchdb import CouchStore
from sync.errors import StoreUnavailable
from tests.couchdb import CouchNode
from tests.replication.servers import free_port


class BadNode:
    """A socket on 127.0.0.1: `mode` "reset" (reads the request, closes), "503", or
    "forward" (a TCP relay to `target`: the node is back). Counts connections."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.mode, self.target, self.connections = "reset", target, 0
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self, port: int = 0) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.mode == "forward":
            up_reader, up_writer = await asyncio.open_connection(*self.target)
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            return
        await reader.readuntil(b"\r\n\r\n")
        if self.mode == "503":
            body = b'{"error":"service_unavailable","reason":"node down"}'
            writer.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
            await writer.drain()
        writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


def _with_auth(url: str, node: CouchNode) -> str:
    return url.replace("http://", f"http://{node.auth[0]}:{node.auth[1]}@")


@pytest.fixture
async def bad(couchdb_node: CouchNode) -> AsyncIterator[BadNode]:
    live = urlsplit(couchdb_node.url)
    node = BadNode((live.hostname or "127.0.0.1", live.port or 5984))
    await node.start()
    yield node
    await node.stop()


async def _store(urls: list[str], recheck: float = 30.0,
                 clock: Callable[[], float] | None = None) -> CouchStore:
    store = CouchStore(",".join(urls), poll_seconds=1)
    store.client.nodes.recheck = recheck
    if clock is not None:
        store.client.nodes.clock = clock
    await store.initialize()
    return store


async def _roundtrip(store: CouchStore) -> str:
    db = f"t-{uuid.uuid4().hex[:12]}"
    await store.create_db(db)
    await store.bulk_docs(db, [{"_id": "a", "_rev": "1-" + "a" * 32, "n": 1}], new_edits=False)
    assert (await store.get(db, "a"))["n"] == 1
    assert [r.id for r in (await store.changes(db)).results] == ["a"]
    return db


@pytest.mark.parametrize("mode", ["refused", "reset", "503"])
async def test_a_dead_first_node_is_skipped(couchdb_node: CouchNode, bad: BadNode,
                                            mode: str) -> None:
    """Every kind of dead first node: admin calls (pycouchdb), reads and replicated writes
    (httpx) all succeed through the live node, and the dead one is marked down."""
    if mode == "refused":
        await bad.stop()
    bad.mode = mode
    live = couchdb_node.url_with_auth
    store = await _store([_with_auth(bad.url, couchdb_node), live])
    try:
        db = await _roundtrip(store)
        nodes = store.client.nodes
        assert nodes.failovers >= 1
        assert nodes.order()[0] is nodes.nodes[1]
        assert nodes.nodes[0].down_until > 0 and nodes.nodes[1].down_until == 0
        await store.delete_db(db)
    finally:
        await store.close()


async def test_a_write_that_may_have_been_applied_is_not_sent_twice(
        couchdb_node: CouchNode, bad: BadNode) -> None:
    """A `_bulk_docs` with new edits cut off mid-request is not replayed on the next node
    (it may have been applied): a clear StoreUnavailable, and the live node never got it.
    The same database then takes a replicated write (replayable) through the failover."""
    live = couchdb_node.url_with_auth
    setup = await _store([live])
    db = f"t-{uuid.uuid4().hex[:12]}"
    await setup.create_db(db)
    store = await _store([_with_auth(bad.url, couchdb_node), live], recheck=0)  # node 1 first
    try:
        seen = bad.connections
        with pytest.raises(StoreUnavailable):
            await store.bulk_docs(db, [{"_id": "new", "v": 1}])
        assert bad.connections > seen
        assert not (await setup.all_docs(db))["rows"], "the cut-off write was replayed"
        await store.bulk_docs(db, [{"_id": "r", "_rev": "1-" + "b" * 32}], new_edits=False)
        assert [row["id"] for row in (await setup.all_docs(db))["rows"]] == ["r"]
    finally:
        await setup.delete_db(db)
        await store.close()
        await setup.close()


async def test_a_node_that_comes_back_is_used_again(couchdb_node: CouchNode, bad: BadNode) -> None:
    """Down: requests go to node 2. Back (the socket relays to a live CouchDB) and the
    recheck time passed: requests go to node 1 again. The nodes' clock is the test's: on a
    busy machine the round trip may outlast a real recheck time, and node 1 (still
    resetting) would be tried again with a write that must not be resent."""
    now = [0.0]
    store = await _store([_with_auth(bad.url, couchdb_node), couchdb_node.url_with_auth],
                         recheck=0.5, clock=lambda: now[0])
    try:
        db = await _roundtrip(store)
        assert store.client.nodes.nodes[0].down_until > 0
        bad.mode = "forward"
        before = bad.connections
        now[0] += 0.6  # the recheck time passed
        await store.get(db, "a")
        assert bad.connections > before, "the node that came back was not tried"
        assert store.client.nodes.nodes[0].down_until == 0
        failovers = store.client.nodes.failovers
        for _ in range(5):
            await store.get(db, "a")
        assert store.client.nodes.failovers == failovers
        await store.delete_db(db)
    finally:
        await store.close()


async def test_every_node_down_is_store_unavailable() -> None:
    store = CouchStore(f"http://127.0.0.1:{free_port()},http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(StoreUnavailable):
            await store.initialize()
    finally:
        await store.close()


def test_what_may_be_replayed() -> None:
    check = replayable
    assert check("GET", ["db", "doc"], None)
    assert check("POST", ["db", "_bulk_get"], {"docs": []})
    assert check("POST", ["db", "_bulk_docs"], {"docs": [], "new_edits": False})
    assert not check("POST", ["db", "_bulk_docs"], {"docs": []})
    assert not check("PUT", ["db", "doc"], {})
    assert not check("DELETE", ["db"], None)
    assert not check("POST", ["db"], {"_id": "x"})


def test_nodes_prefer_the_configured_order_and_recheck() -> None:
    now = [100.0]
    nodes = Nodes("http://a:1, http://u:p%40ss@b:2/", recheck=5, clock=lambda: now[0])
    first, second = nodes.nodes
    assert second.auth == ("u", "p@ss") and second.root == "http://b:2"
    nodes.down(first, "refused")
    assert nodes.order() == [second, first]
    now[0] += 5.1
    assert nodes.order() == [first, second]


def test_settings_take_several_couchdb_urls(tmp_path: Path) -> None:
    settings = load_settings({"THIDUA_DATA_DIR": str(tmp_path),
                              "THIDUA_COUCHDB_URL": " http://a:5984 ,https://u:p@b:6984"})
    assert settings.couchdb_url == "http://a:5984,https://u:p@b:6984"
