"""The HTTP side of the CouchDB backend: async HTTP for documents, pycouchdb for the rest.

`CouchClient.call()` answers parsed JSON (or bytes). Document and replication requests (reads,
`_bulk_get`, `_bulk_docs`, `_revs_diff`, `_changes`, `_local`) go over `couch_wire.Pool`
(aiohttp: keep-alive connections on the event loop, llhttp parsing): profiled, the blocking client
in threads spent most of a pull re-acquiring the GIL and rebuilding `requests`' per-request
context, and httpx after it 1.5-2.5 ms of CPU per call (bench/scale.py, docs/benchmarks.md).
Database administration (`admin=True`: the welcome, `_all_dbs`, create,
delete, compact) stays on pycouchdb's `Server` session, run in a small thread pool.
Several node URLs (comma-separated) are tried in turn (`couch_nodes`: failover and recheck).
`translate()` turns every failure into a `sync.errors` class: CouchDB's `{error, reason}`
answers by status, pycouchdb exceptions by type, transport errors (refused, reset, timeout)
or non-JSON answers into `StoreUnavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypedDict, Unpack
from urllib.parse import quote, urlencode

import msgspec
import pycouchdb
import requests
from pycouchdb import exceptions as couch_exc
from requests.adapters import HTTPAdapter

from ..errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    StoreError,
    StoreUnavailable,
    TooLarge,
    Unauthorized,
)
from .couch_nodes import CONNECT_TIMEOUT, Node, Nodes, replayable, split_urls
from .couch_wire import Pool, Reply

__all__ = ["CouchClient", "Response", "doc_path", "translate"]

_BY_STATUS: dict[int, type[StoreError]] = {
    400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
    412: PreconditionFailed, 413: TooLarge, 415: BadRequest,
}
_BY_EXCEPTION: tuple[tuple[type[BaseException], type[StoreError]], ...] = (
    (couch_exc.Conflict, Conflict), (couch_exc.NotFound, NotFound),
    (couch_exc.BadRequest, BadRequest), (couch_exc.AuthenticationFailed, Unauthorized),
)


def doc_path(doc_id: str) -> str:
    """A document id as one URL path part; `_design/x` keeps its slash as CouchDB expects."""
    if doc_id.startswith("_design/"):
        return "_design/" + quote(doc_id[len("_design/"):], safe="")
    return quote(doc_id, safe="")


def _error_for(status: int, body: Any) -> StoreError:
    error = body.get("error") if isinstance(body, dict) else None
    reason = body.get("reason") if isinstance(body, dict) else None
    reason = str(reason or error or f"HTTP {status}")
    if status >= 500 or status not in _BY_STATUS:
        return StoreUnavailable(f"CouchDB answered {status}: {reason}")
    cls = _BY_STATUS[status]
    return cls(reason, error=str(error)) if error else cls(reason)


@contextlib.contextmanager
def translate() -> Iterator[None]:
    """Map pycouchdb and `requests` failures to `sync.errors` (the one choke point)."""
    try:
        yield
    except StoreError:
        raise
    except couch_exc.Error as exc:
        for source, target in _BY_EXCEPTION:
            if isinstance(exc, source):
                raise target(str(exc) or target.error) from exc
        raise StoreUnavailable(f"CouchDB error: {exc}", original=exc) from exc
    except (requests.RequestException, OSError) as exc:
        raise StoreUnavailable(f"CouchDB is unreachable: {str(exc) or type(exc).__name__}",
                               original=exc) from exc
    except ValueError as exc:  # a non-JSON answer (proxy error page, truncated body)
        raise StoreUnavailable(f"CouchDB sent an invalid answer: {exc}", original=exc) from exc


class Options(TypedDict, total=False):
    """`CouchClient.response`'s keyword options (`call` passes them on)."""

    params: Mapping[str, Any] | None
    body: Any
    raw: bool
    timeout: float | None
    wait: bool
    admin: bool
    accept: str | None


class Response:
    """A finished request: status, parsed JSON (or raw bytes), content type and ETag."""

    __slots__ = ("body", "content_type", "etag", "status")

    def __init__(self, status: int, body: Any, content_type: str, etag: str = "") -> None:
        self.status, self.body, self.content_type = status, body, content_type
        self.etag = etag


class CouchClient:
    """CouchDB over HTTP: `couch_wire` on the event loop, pycouchdb's session for `admin`
    calls."""

    def __init__(
        self, url: str, *, max_connections: int = 32, max_waits: int = 64, timeout: float = 30.0
    ) -> None:
        self.nodes = Nodes(url)
        self.server = pycouchdb.Server(split_urls(url)[0], timeout=timeout)
        self.timeout = timeout
        #: `w` of every `_bulk_docs` (None: CouchDB's quorum); see `CouchStore.initialize`.
        self.write_copies: int | None = None
        session = self.server.resource.session
        # pouchdb-server gzips streamed answers, which stalls long polls: ask for identity.
        session.headers["Accept-Encoding"] = "identity"
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=4)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self.session: requests.Session = session
        self._pool = ThreadPoolExecutor(4, thread_name_prefix="couchdb-admin")
        self._limits = (max_connections, max_waits)
        self.waiting = self.peak_waiting = 0  # long polls in flight, and their high-water mark
        # Bound to the event loop that made them (a pool's sockets belong to one loop).
        self._clients: tuple[asyncio.AbstractEventLoop, Pool, Pool] | None = None

    def _async(self, wait: bool) -> Pool:
        """This loop's pool (long polls have their own, so they never starve calls)."""
        loop = asyncio.get_running_loop()
        if self._clients is None or self._clients[0] is not loop:
            self._clients = (loop, Pool(self._limits[0]), Pool(self._limits[1]))
        _, calls, polls = self._clients
        return polls if wait else calls

    def _request(
        self,
        method: str,
        parts: Sequence[str],
        params: Mapping[str, Any] | None,
        body: Any,
        raw: bool,
        timeout: float | None,
    ) -> Response:
        """A blocking request on pycouchdb's session (the `admin` calls)."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "*/*"} if raw else {"Accept": "application/json"}

        def attempt(node: Node) -> requests.Response:
            return self.session.request(
                method, "/".join([node.root, *parts]), params=_encode_params(params), data=data,
                headers=headers, auth=node.auth,
                timeout=(min(CONNECT_TIMEOUT, timeout or self.timeout), timeout or self.timeout))

        with translate():
            response = self.nodes.send_now(attempt, replay=replayable(method, parts, body))
            return _finish(response.status_code, response.content,
                           response.headers.get("Content-Type", ""), response.headers.get("ETag", ""), raw)

    async def call(self, method: str, *parts: str, **options: Unpack[Options]) -> Any:
        """The answer's JSON (bytes with `raw`); the options as `response` takes them.

        :raises StoreError: mapped from the answer.
        """
        return (await self.response(method, *parts, **options)).body

    async def response(
        self,
        method: str,
        *parts: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        raw: bool = False,
        timeout: float | None = None,
        wait: bool = False,
        admin: bool = False,
        accept: str | None = None,
    ) -> Response:
        """The finished request: `wait` for long polls (their own pool), `admin` for database
        administration (pycouchdb, in a thread); `accept` overrides the Accept header (JSON,
        or anything with `raw`). :raises StoreError: mapped from the answer."""
        if admin:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._pool, partial(self._request, method, parts, params, body, raw, timeout))
        headers = {"Accept": accept or ("*/*" if raw else "application/json"),
                   "Accept-Encoding": "identity"}
        content = None
        if body is not None:
            content = _ENCODE(body)
            headers["Content-Type"] = "application/json"
        query = _encode_params(params)
        target = "/" + "/".join(parts) + (f"?{urlencode(query, quote_via=quote)}" if query else "")
        replay = replayable(method, parts, body)
        limit = timeout or self.timeout
        self.waiting += wait
        self.peak_waiting = max(self.peak_waiting, self.waiting)
        try:
            pool = self._async(wait)

            async def attempt(node: Node) -> Reply:
                return await pool.request(
                    method, node.root, target, auth=node.auth, headers=headers, body=content,
                    timeout=limit, connect_timeout=min(CONNECT_TIMEOUT, limit), replay=replay)

            with translate():
                answer = await self.nodes.send(attempt, replay=replay)
                return _finish(answer.status_code, answer.content,
                               answer.headers.get("content-type", ""),
                               answer.headers.get("etag", ""), raw)
        finally:
            self.waiting -= wait

    async def aclose(self) -> None:
        """Close both transports (the async pools only from the loop that made them)."""
        clients, self._clients = self._clients, None
        if clients is not None:
            with contextlib.suppress(RuntimeError):
                if clients[0] is asyncio.get_running_loop():
                    await clients[1].aclose()
                    await clients[2].aclose()
        self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.session.close()


def _finish(status: int, content: bytes, content_type: str, etag: str, raw: bool) -> Response:
    """A `Response` from an answer's parts. :raises StoreError: an error status."""
    if raw and status < 400:
        return Response(status, content, content_type, etag.strip('"'))
    parsed = _DECODE(content) if content else None
    if status >= 400:
        raise _error_for(status, parsed)
    return Response(status, parsed, content_type)


#: msgspec's JSON codec: about 3x faster than `json` on replication batches (profiled).
_ENCODE = msgspec.json.Encoder().encode
_DECODE = msgspec.json.Decoder().decode


def _encode_params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Query values as CouchDB reads them: booleans `true`/`false`, strings verbatim."""
    if not params:
        return None
    out = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out
