"""Every error is answered as CouchDB-style JSON `{"error": ..., "reason": ...}`.

The app-level handlers cover Litestar's HTTP exceptions (404 unknown route, 405, 413 body
too large, 400 validation), the store's `StoreError` family and any other exception (500,
logged with its traceback, never shown to the client).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from sync.errors import StoreError
from sync.http.errors import error_name

__all__ = ["error_response", "exception_handlers"]

logger = logging.getLogger("thidua.errors")

def error_response(
    status: int, reason: str, *, error: str | None = None, headers: Mapping[str, str] | None = None
) -> Response[dict[str, str]]:
    """The one JSON error envelope."""
    return Response(
        {"error": error or error_name(status), "reason": reason},
        status_code=status,
        media_type=MediaType.JSON,
        headers=dict(headers or {}),
    )


def _http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code >= 500:
        logger.error("server error", exc_info=exc, extra={"fields": {"path": request.url.path}})
    reason = exc.detail or error_name(exc.status_code)
    if isinstance(exc, ValidationException) and exc.extra:
        reason = f"{reason}: {exc.extra}"
    return error_response(exc.status_code, str(reason), headers=exc.headers)


def _store_error(request: Request[Any, Any, Any], exc: StoreError) -> Response[Any]:
    if exc.status >= 500:
        logger.error(
            "store error",
            exc_info=getattr(exc, "original", None) or exc,
            extra={"fields": {"path": request.url.path, "method": request.method}},
        )
    return error_response(exc.status, exc.reason, error=exc.error)


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.error(
        "unhandled exception",
        exc_info=exc,
        extra={"fields": {"path": request.url.path, "method": request.method}},
    )
    return error_response(
        500, "Internal server error; the details are in the server log.", error="internal_error"
    )


def exception_handlers() -> ExceptionHandlersMap:
    """Handlers to register on the app (router-level handlers may refine them)."""
    return {
        HTTPException: _http_exception,
        StoreError: _store_error,
        Exception: _internal_error,
    }
