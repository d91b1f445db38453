"""`couch_wire.Pool`, the CouchDB backend's HTTP client, against small scripted servers on
127.0.0.1: what it sends, chunked and sized answers, connection reuse, a kept-alive
connection the server closed, timeouts and answers that are not HTTP.
(Against Apache CouchDB it is covered by every test of the CouchDB backend.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from sync.backends.couch_http import CouchClient
from sync.backends.couch_wire import ConnectFailed, Pool
from sync.errors import NotFound, StoreUnavailable
from tests.replication.servers import free_port

Handler = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]


class Scripted:
    """A server answering each request with `handler(request head + body, writer)`; the
    handler returns False to close the connection afterwards."""

    def __init__(self, handler: Handler) -> None:
        self.handler, self.connections = handler, 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                size = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                             if line.lower().startswith(b"content-length:")), 0)
                request = head + await reader.readexactly(size)
                self.requests.append(request)
                if not await self.handler(request, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[[Handler], Awaitable[Scripted]]]:
    started: list[Scripted] = []

    async def start(handler: Handler) -> Scripted:
        server = Scripted(handler)
        server.server = await asyncio.start_server(server.serve, "127.0.0.1", 0)
        started.append(server)
        return server

    yield start
    for server in started:
        assert server.server is not None
        server.server.close()


def _answer(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def test_sized_and_chunked_answers_over_one_kept_alive_connection(scripted) -> None:
    async def handler(request: bytes, writer: asyncio.StreamWriter) -> bool:
        if b"/chunked" in request.split(b"\r\n")[0]:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n")
        else:
            writer.write(_answer(b'{"ok":true}', extra='ETag: "abc"\r\n'))
        await writer.drain()
        return True

    server = await scripted(handler)
    client = CouchClient(f"http://u%40x:p%3Aw@{server.url.split('//')[1]}/couch")
    try:
        assert await client.call("GET", "db", "doc", params={"rev": "1-a", "revs": True}) \
            == {"ok": True}
        assert await client.call("POST", "db", "chunked", body={"k": "é"}) == {"a": 1}
        raw = await client.response("GET", "db", "att", raw=True)
        assert (raw.body, raw.etag) == (b'{"ok":true}', "abc")
    finally:
        await client.aclose()
    assert server.connections == 1
    first, second = server.requests[:2]
    assert first.startswith(b"GET /couch/db/doc?rev=1-a&revs=true HTTP/1.1\r\n")
    assert b"Authorization: Basic dUB4OnA6dw==\r\n" in first  # u@x:p:w
    assert b"Accept-Encoding: identity\r\n" in first
    assert second.endswith(b'\r\n\r\n{"k":"\xc3\xa9"}') and b"Content-Length: 10\r\n" in second


async def test_an_error_answer_maps_to_its_error(scripted) -> None:
    async def handler(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(_answer(b'{"error":"not_found","reason":"missing"}', "404 Object Not Found"))
        return True

    client = CouchClient((await scripted(handler)).url)
    try:
        with pytest.raises(NotFound, match="missing"):
            await client.call("GET", "db", "x")
    finally:
        await client.aclose()


async def test_a_kept_alive_connection_the_server_drops_is_retried_when_replayable(
    scripted,
) -> None:
    """The server answers the first request of each connection and drops the connection on
    the second, unanswered (as a node closing an idle connection just as a request goes
    out): a replayable request goes out again on a new connection; a write that is not
    replayable is not sent twice (it fails, `StoreUnavailable` above the pool)."""
    seen: dict[int, int] = {}

    async def handler(request: bytes, writer: asyncio.StreamWriter) -> bool:
        seen[id(writer)] = seen.get(id(writer), 0) + 1
        if seen[id(writer)] > 1:
            return False
        writer.write(_answer(b"{}"))
        await writer.drain()
        return True

    server = await scripted(handler)
    pool = Pool(4)

    async def send(path: str, replay: bool) -> bytes:
        reply = await pool.request("POST", server.url, path, auth=None, headers={}, body=b"{}",
                                   timeout=5.0, connect_timeout=5.0, replay=replay)
        return reply.content

    try:
        assert await send("/first", replay=True) == b"{}"
        assert await send("/again", replay=True) == b"{}"
        assert server.connections == 2
        assert [r.split(b" ")[1] for r in server.requests] == [b"/first", b"/again", b"/again"]
        with pytest.raises(ConnectionError):
            await send("/write", replay=False)
        assert [r.split(b" ")[1] for r in server.requests].count(b"/write") == 1
    finally:
        await pool.aclose()


async def test_timeouts_and_answers_that_are_not_http(scripted) -> None:
    async def silent(request: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(5)
        return False

    async def garbage(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"SSH-2.0-OpenSSH\r\n\r\n")
        await writer.drain()
        return False

    for handler, message in ((silent, "unreachable: TimeoutError"), (garbage, "not HTTP")):
        client = CouchClient((await scripted(handler)).url, timeout=0.5)
        try:
            with pytest.raises(StoreUnavailable, match=message):
                await client.call("GET", "db", timeout=0.5)
        finally:
            await client.aclose()


async def test_no_connection_is_connect_failed() -> None:
    pool = Pool(1)
    try:
        with pytest.raises(ConnectFailed):
            await pool.request("GET", f"http://127.0.0.1:{free_port()}", "/", auth=None,
                               headers={}, body=None, timeout=5.0, connect_timeout=5.0,
                               replay=True)
    finally:
        await pool.aclose()
