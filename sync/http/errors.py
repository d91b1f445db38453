"""Exception handlers: every failure under `/db/` answers CouchDB's `{error, reason}` JSON."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap

from ..errors import StoreError
from .wire import json_response

__all__ = ["ERROR_NAMES", "EXCEPTION_HANDLERS", "couch_error", "error_name"]

log = logging.getLogger("thidua.sync.http")

#: CouchDB's `error` names by status; other statuses use the HTTP phrase in snake_case.
ERROR_NAMES = {
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
    429: "too_many_requests",
    500: "unknown_error",
    503: "service_unavailable",
}


def error_name(status: int) -> str:
    """CouchDB's `error` name for an HTTP status."""
    if status in ERROR_NAMES:
        return ERROR_NAMES[status]
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "unknown_error"


def couch_error(status: int, error: str, reason: str) -> Response[bytes]:
    return json_response({"error": error, "reason": reason}, status)


def _store_error(_: Request[Any, Any, Any], exc: StoreError) -> Response[bytes]:
    if exc.status >= 500 and exc.status != 501:  # 501: a feature we do not offer, no failure
        log.error("document store failure: %s", exc.reason, exc_info=exc)
    return couch_error(exc.status, exc.error, exc.reason)


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    response = couch_error(status, error_name(status), str(exc.detail))
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
