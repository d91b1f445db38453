"""The CouchDB backend's HTTP client for document and replication calls, over aiohttp.

One `aiohttp.ClientSession` per pool: keep-alive connections on the event loop, at most
`size` in use at once, answers parsed by llhttp (C). Profiled on the replication path
(bench/scale.py, docs/benchmarks.md): httpx spent 1.5-2.5 ms of CPU per CouchDB call, about
40% of thidua's whole CPU on a push through it; aiohttp about 0.2 ms for the same calls.

`Pool.request` raises `ConnectFailed` when no connection could be made (the request was never
sent, so it may go to another node), `TimeoutError` past the timeout, and `ConnectionError`
when the node closed the connection or sent something that is not HTTP. All three are
`OSError`s: `couch_http.translate` makes them `StoreUnavailable`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

import aiohttp
from yarl import URL

__all__ = ["ConnectFailed", "Pool", "Reply"]


class ConnectFailed(ConnectionError):
    """No connection to the node (refused, unreachable, timed out): nothing was sent."""


class Reply:
    """A whole answer: status, headers (looked up in any case) and body."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: Mapping[str, str], content: bytes) -> None:
        self.status_code, self.headers, self.content = status_code, headers, content


class Pool:
    """At most `size` connections in use at once, idle ones kept for reuse."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._session: aiohttp.ClientSession | None = None
        self._credentials: dict[tuple[str, str], str] = {}

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:  # made on the loop that uses it
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.size, limit_per_host=0),
                cookie_jar=aiohttp.DummyCookieJar(), skip_auto_headers=("User-Agent",))
        return self._session

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
        """`method target` (path after the root, query included, already encoded) on the node
        at `root`. `replay`: the request may be sent twice; then a connection the node closed
        under it is retried once on a new one."""
        url = URL(root.rstrip("/") + target, encoded=True)
        sent = dict(headers)
        if auth is not None:
            sent["Authorization"] = self._authorization(auth)
        if body is None and method in ("POST", "PUT"):
            body = b""
        limits = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        retried = False
        while True:
            try:
                async with self._open().request(method, url, headers=sent, data=body,
                                                timeout=limits, allow_redirects=False) as answer:
                    return Reply(answer.status, answer.headers, await answer.read())
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
                raise ConnectFailed(f"cannot connect to {url.host}:{url.port}: "
                                    f"{_reason(exc)}") from exc
            except TimeoutError:
                raise
            except aiohttp.ClientResponseError as exc:
                raise ConnectionError(
                    f"CouchDB sent an answer that is not HTTP: {exc.message}") from exc
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
                if replay and not retried:
                    retried = True
                    continue
                raise ConnectionError(
                    f"the connection was closed before the answer ended: {_reason(exc)}") from exc

    def _authorization(self, auth: tuple[str, str]) -> str:
        found = self._credentials.get(auth)
        if found is None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            found = self._credentials[auth] = f"Basic {token}"
        return found

    async def aclose(self) -> None:
        """Close the connections."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
