"""Exception handlers: every failure under `/db/` answers CouchDB's `{error, reason}` JSON."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap

from ..errors import StoreError
from .wire import json_response

__all__ = ["EXCEPTION_HANDLERS", "couch_error"]

log = logging.getLogger("thidua.sync.http")

#: CouchDB's `error` names for the statuses Litestar itself raises.
_NAMES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "bad_content_type",
    500: "unknown_error",
    503: "service_unavailable",
}


def couch_error(status: int, error: str, reason: str) -> Response[bytes]:
    return json_response({"error": error, "reason": reason}, status)


def _store_error(_: Request[Any, Any, Any], exc: StoreError) -> Response[bytes]:
    if exc.status >= 500:
        log.error("document store failure: %s", exc.reason, exc_info=exc)
    return couch_error(exc.status, exc.error, exc.reason)


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    response = couch_error(status, _NAMES.get(status, "unknown_error"), str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return couch_error(500, "unknown_error", type(exc).__name__)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    StoreError: _store_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
