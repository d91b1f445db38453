"""The HTTP side of the CouchDB backend: one pycouchdb `Server`, a thread pool, one choke point.

`CouchClient.call()` runs a blocking request in the pool and answers parsed JSON (or bytes);
`_translate()` turns every failure into a `sync.errors` class: CouchDB's `{error, reason}`
answers by status, pycouchdb exceptions by type, and `requests` errors (refused, reset,
timeout) or non-JSON answers into `StoreUnavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any
from urllib.parse import quote

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
        raise StoreUnavailable(f"CouchDB is unreachable: {exc}", original=exc) from exc
    except ValueError as exc:  # a non-JSON answer (proxy error page, truncated body)
        raise StoreUnavailable(f"CouchDB sent an invalid answer: {exc}", original=exc) from exc


class Response:
    """A finished request: status, parsed JSON (or raw bytes), content type and ETag."""

    __slots__ = ("body", "content_type", "etag", "status")

    def __init__(self, status: int, body: Any, content_type: str, etag: str = "") -> None:
        self.status, self.body, self.content_type = status, body, content_type
        self.etag = etag


class CouchClient:
    """Blocking pycouchdb/requests calls behind coroutines, in a private thread pool."""

    def __init__(
        self, url: str, *, max_workers: int = 16, max_waits: int = 64, timeout: float = 30.0
    ) -> None:
        self.server = pycouchdb.Server(url, timeout=timeout)
        self.base_url = self.server.base_url.rstrip("/")
        self.timeout = timeout
        #: `w` of every `_bulk_docs` (None: CouchDB's quorum); see `CouchStore.initialize`.
        self.write_copies: int | None = None
        session = self.server.resource.session
        # pouchdb-server gzips streamed answers, which stalls long polls: ask for identity.
        session.headers["Accept-Encoding"] = "identity"
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max_workers + max_waits)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self.session: requests.Session = session
        self._pool = ThreadPoolExecutor(max_workers, thread_name_prefix="couchdb")
        # Long polls block a thread each; their own pool keeps them from starving other calls.
        self._wait_pool = ThreadPoolExecutor(max_waits, thread_name_prefix="couchdb-wait")

    def url(self, parts: Sequence[str]) -> str:
        """`parts` are already-quoted path parts (see `quote_db` and `doc_path`)."""
        return "/".join([self.base_url, *parts])

    def _request(
        self,
        method: str,
        parts: Sequence[str],
        params: Mapping[str, Any] | None,
        body: Any,
        raw: bool,
        timeout: float | None,
    ) -> Response:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "*/*"} if raw else {"Accept": "application/json"}
        with translate():
            response = self.session.request(
                method, self.url(parts), params=_encode_params(params), data=data,
                headers=headers, timeout=timeout or self.timeout)
            content_type = response.headers.get("Content-Type", "")
            if raw and response.status_code < 400:
                etag = response.headers.get("ETag", "").strip('"')
                return Response(response.status_code, response.content, content_type, etag)
            parsed = response.json() if response.content else None
            if response.status_code >= 400:
                raise _error_for(response.status_code, parsed)
            return Response(response.status_code, parsed, content_type)

    async def call(
        self,
        method: str,
        *parts: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        raw: bool = False,
        timeout: float | None = None,
        wait: bool = False,
    ) -> Any:
        """The answer's JSON (bytes with `raw`); `wait` for long polls (their own threads).

        :raises StoreError: mapped from the answer.
        """
        return (await self.response(method, *parts, params=params, body=body, raw=raw,
                                    timeout=timeout, wait=wait)).body

    async def response(
        self,
        method: str,
        *parts: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        raw: bool = False,
        timeout: float | None = None,
        wait: bool = False,
    ) -> Response:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._wait_pool if wait else self._pool,
            partial(self._request, method, parts, params, body, raw, timeout))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._wait_pool.shutdown(wait=False, cancel_futures=True)
        self.session.close()


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
