"""Errors of the document store, shaped like CouchDB's `{error, reason}` answers.

Two families, as in Kinto: `StoreError` subclasses for what the caller did (404, 409,
400, 403, 412, 413) and `StoreUnavailable` for infrastructure failures (503).
"""

from __future__ import annotations

__all__ = [
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "NotImplementedHere",
    "PreconditionFailed",
    "StoreError",
    "StoreUnavailable",
    "TooLarge",
    "UnsupportedMediaType",
    "Unauthorized",
    "error_for",
]


class StoreError(Exception):
    """A request the store refuses; `status`, `error` and `reason` as CouchDB sends them."""

    status: int = 500
    error: str = "unknown_error"

    def __init__(self, reason: str = "", *, error: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason or self.error
        if error is not None:
            self.error = error

    def to_json(self) -> dict[str, str]:
        return {"error": self.error, "reason": self.reason}


class BadRequest(StoreError):
    status, error = 400, "bad_request"


class Unauthorized(StoreError):
    status, error = 401, "unauthorized"


class UnsupportedMediaType(StoreError):
    status, error = 415, "bad_content_type"


class NotImplementedHere(StoreError):
    """A CouchDB feature thidua does not offer (JavaScript design functions)."""

    status, error = 501, "not_implemented"


class Forbidden(StoreError):
    status, error = 403, "forbidden"


class NotFound(StoreError):
    status, error = 404, "not_found"


class Conflict(StoreError):
    status, error = 409, "conflict"

    def __init__(self, reason: str = "Document update conflict.", **kw: str) -> None:
        super().__init__(reason, **kw)


class PreconditionFailed(StoreError):
    status, error = 412, "file_exists"


class TooLarge(StoreError):
    status, error = 413, "too_large"


class StoreUnavailable(StoreError):
    """The backend (database file, server, network) failed; `original` is the cause."""

    status, error = 503, "service_unavailable"

    def __init__(self, reason: str = "", *, original: BaseException | None = None) -> None:
        super().__init__(reason or "The document store is unavailable.")
        self.original = original


_BY_NAME: dict[str, type[StoreError]] = {
    "conflict": Conflict,
    "forbidden": Forbidden,
    "not_found": NotFound,
    "too_large": TooLarge,
    "unauthorized": Unauthorized,
    "missing_stub": PreconditionFailed,
}


def error_for(error: str, reason: str | None = None) -> StoreError:
    """The exception for a per-document error entry (`{id, error, reason}` of `_bulk_docs`)."""
    cls = _BY_NAME.get(error, BadRequest)
    return cls(reason or error, error=error)
