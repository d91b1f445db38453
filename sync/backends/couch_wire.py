"""A small HTTP/1.1 client for the CouchDB backend's document and replication calls.

Keep-alive connections on the event loop (`asyncio.Protocol`), answers parsed by httptools
(llhttp, in C). Profiled on the replication path (bench/scale.py, docs/benchmarks.md):
httpx spent 1.5-2.5 ms of CPU per CouchDB call, about 40% of thidua's whole CPU on a
push through it; this client 0.15-0.3 ms for the same calls. It speaks only what CouchDB
answers: a status, headers, a body with `Content-Length` or chunked.

`Pool.request` raises `ConnectFailed` when the connection could not be made (the request
was never sent, so it may go to another node), `TimeoutError` past the timeout, and
`ConnectionError` when the node closed the connection or sent something that is not HTTP.
All three are `OSError`s: `couch_http.translate` makes them `StoreUnavailable`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

import httptools

__all__ = ["ConnectFailed", "Pool", "Reply"]


class ConnectFailed(ConnectionError):
    """No connection to the node (refused, unreachable, timed out): nothing was sent."""


class Reply:
    """A whole answer: status, headers (names in lower case) and body."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code, self.headers, self.content = status_code, headers, content


class _Connection(asyncio.Protocol):
    """One keep-alive connection: one exchange at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[Reply] | None = None
        self._headers: dict[str, str] = {}
        self._chunks: list[bytes] = []
        self.received = False  # a byte of the current answer arrived

    # -- asyncio.Protocol --------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"CouchDB sent an answer that is not HTTP: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(ConnectionError(f"the connection was closed before the answer ended"
                                   f"{f': {exc}' if exc else ''}"))

    # -- httptools callbacks -------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        answer, self._answer = self._answer, None
        reply = Reply(self._parser.get_status_code(), self._headers, b"".join(self._chunks))
        if not self._parser.should_keep_alive():
            self.close()
        if answer is not None and not answer.done():
            answer.set_result(reply)

    # -- use -------------------------------------------------------------------------------
    def _fail(self, exc: Exception) -> None:
        answer, self._answer = self._answer, None
        if answer is not None and not answer.done():
            answer.set_exception(exc)

    async def exchange(self, data: bytes) -> Reply:
        """Send one request and wait for its whole answer."""
        assert self.transport is not None and self._answer is None
        self._headers, self._chunks, self.received = {}, [], False
        self._answer = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self._answer

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class _Target:
    """A node root URL split once: where to connect and what to send."""

    __slots__ = ("authorization", "host", "host_header", "port", "prefix", "tls")

    def __init__(self, root: str, auth: tuple[str, str] | None) -> None:
        parts = urlsplit(root)
        self.tls = parts.scheme == "https"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (443 if self.tls else 80)
        self.host_header = parts.netloc.rsplit("@", 1)[-1]
        self.prefix = parts.path.rstrip("/")
        self.authorization = ""
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            self.authorization = f"Authorization: Basic {token}\r\n"


class Pool:
    """At most `size` connections in use at once (over all nodes), idle ones kept for reuse."""

    def __init__(self, size: int) -> None:
        self._gate = asyncio.Semaphore(size)
        self._idle: dict[str, list[_Connection]] = {}
        self._targets: dict[tuple[str, tuple[str, str] | None], _Target] = {}
        self._tls: ssl.SSLContext | None = None

    async def request(
        self,
        method: str,
        root: str,
        target: str,
        *,
        auth: tuple[str, str] | None,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
        connect_timeout: float,
        replay: bool,
    ) -> Reply:
        """`method target` (path after the root, query included) on the node at `root`.

        `replay`: the request may be sent twice; then a reused connection the node had
        closed meanwhile is retried once on a new one."""
        key = (root, auth)
        spot = self._targets.get(key) or self._targets.setdefault(key, _Target(root, auth))
        lines = [f"{method} {spot.prefix}{target} HTTP/1.1\r\nHost: {spot.host_header}\r\n",
                 spot.authorization]
        lines += [f"{name}: {value}\r\n" for name, value in headers.items()]
        if body is not None or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body or b'')}\r\n")
        data = "".join(lines).encode("latin-1") + b"\r\n" + (body or b"")
        async with self._gate, asyncio.timeout(timeout):
            conn = self._reuse(root)
            if conn is not None:
                try:
                    return await self._exchange(root, conn, data)
                except ConnectionError:
                    if conn.received or not replay:
                        raise
            conn = await self._connect(spot, connect_timeout)
            return await self._exchange(root, conn, data)

    def _reuse(self, root: str) -> _Connection | None:
        idle = self._idle.get(root)
        while idle:
            conn = idle.pop()
            if not conn.closed:
                return conn
        return None

    async def _connect(self, spot: _Target, timeout: float) -> _Connection:
        loop = asyncio.get_running_loop()
        context = None
        if spot.tls:
            context = self._tls = self._tls or ssl.create_default_context()
        try:
            async with asyncio.timeout(timeout):
                _, conn = await loop.create_connection(
                    _Connection, spot.host, spot.port, ssl=context,
                    server_hostname=spot.host if context else None)
        except (OSError, TimeoutError) as exc:
            raise ConnectFailed(f"cannot connect to {spot.host}:{spot.port}: "
                                f"{str(exc) or type(exc).__name__}") from exc
        return conn

    async def _exchange(self, root: str, conn: _Connection, data: bytes) -> Reply:
        try:
            reply = await conn.exchange(data)
        except BaseException:
            conn.close()  # an answer may still be on its way: never reuse it
            raise
        if not conn.closed:
            self._idle.setdefault(root, []).append(conn)
        return reply

    async def aclose(self) -> None:
        """Close the idle connections."""
        for idle in self._idle.values():
            for conn in idle:
                with contextlib.suppress(Exception):
                    conn.close()
        self._idle.clear()
