"""JSON on the wire: module-level msgspec codecs and the response builder every handler uses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response
from litestar.response.base import ASGIResponse

from ..errors import BadRequest, StoreUnavailable, TooLarge
from ..store import DocumentStore, WriteResult
from .scope_headers import ScopeHeaders

__all__ = [
    "MAX_INT",
    "decode",
    "decode_with",
    "json_response",
    "read_body",
    "read_json",
    "settings_of",
    "store_of",
    "written",
]

T = TypeVar("T")

_ENCODER = msgspec.json.Encoder()
_DEFAULT_MAX_REQUEST = 64 * 1024 * 1024
_DEFAULT_MAX_DOC = 8_000_000
JSON_TYPE = "application/json"
#: The largest integer a query value may carry (a signed 64-bit column in SQLite/PostgreSQL).
MAX_INT = 2**63 - 1


def encode(data: Any) -> bytes:
    return _ENCODER.encode(data)


class _Encoded(ASGIResponse):
    """An answer whose headers are already encoded: sent as `ASGIResponse` sends it."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status_code, self._headers, self.body = status, headers, body
        self.is_head_response, self.background = False, None

    def encode_headers(self) -> list[tuple[bytes, bytes]]:
        return self._headers


class JsonResponse(Response[bytes]):
    """`json_response`'s answer. Its ASGI form is built directly (the route's own headers,
    then `content-type` and `content-length`, as Litestar orders them): Litestar's general
    `to_asgi_response` showed in the profiles of many phones, on every request. Anything it
    handles that this does not (cookies, background tasks, HEAD, bodiless statuses, headers
    added by the route's layers) goes through it."""

    def to_asgi_response(  # type: ignore[override]
        self, app: Any, request: Request[Any, Any, Any], **options: Any
    ) -> ASGIResponse:
        if (
            any(options.get(k) for k in _PLAIN_OPTIONS)
            or self.cookies
            or self.background
            or self.status_code is None
            or self.status_code in _NO_BODY
            or not isinstance(self.content, bytes)
        ):
            return super().to_asgi_response(app, request, **options)
        headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()
        ]
        headers.append((b"content-type", _JSON_TYPE))
        headers.append((b"content-length", str(len(self.content)).encode()))
        return _Encoded(self.status_code, headers, self.content)


#: `to_asgi_response` options under which `JsonResponse` defers to Litestar.
_PLAIN_OPTIONS = ("background", "cookies", "encoded_headers", "headers", "is_head_response")
_NO_BODY = frozenset({204, 304})
_JSON_TYPE = JSON_TYPE.encode()


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response[bytes]:
    """A CouchDB-style JSON answer (msgspec-encoded, never through Litestar's serializer)."""
    return JsonResponse(
        content=_ENCODER.encode(data),
        status_code=status,
        media_type=JSON_TYPE,
        headers=dict(headers) if headers else None,
    )


def written(result: WriteResult, status: int = 201) -> Response[bytes]:
    """`{ok, id, rev}` with the rev as ETag, as CouchDB answers a single write."""
    return json_response(
        {"ok": True, "id": result.id, "rev": result.rev}, status, {"ETag": f'"{result.rev}"'}
    )


def store_of(request: Request[Any, Any, Any]) -> DocumentStore:
    """The request's `DocumentStore`: `app.state.store_for(request)` when the app sets it
    (the server's gatekeeper, per user), else the app's store (set by its lifespan)."""
    store_for = getattr(request.app.state, "store_for", None)
    if store_for is not None:
        return store_for(request)
    store = getattr(request.app.state, "store", None)
    if store is None:
        raise StoreUnavailable("The document store is not initialised.")
    return store


def settings_of(request: Request[Any, Any, Any]) -> tuple[int, int]:
    """`(max_request_size, max_document_size)` from the app's settings (defaults without)."""
    settings = getattr(request.app.state, "settings", None)
    if settings is None:
        return _DEFAULT_MAX_REQUEST, _DEFAULT_MAX_DOC
    return settings.max_request_size, settings.max_document_size


async def read_body(request: Request[Any, Any, Any], limit: int | None = None) -> bytes:
    """The raw body, refusing (413) anything over `limit` (default: max request size)."""
    if limit is None:
        limit = settings_of(request)[0]
    declared = ScopeHeaders.of(request.scope).get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"Request body is larger than {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"Request body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def decode_with(decoder: Callable[[Any], T], data: bytes | str, what: str = "request body") -> T:
    """Run a msgspec `decoder` on `data`: the one place where every way JSON can be bad
    (malformed, mistyped, not UTF-8, nested too deeply) becomes a 400 `bad_request`."""
    if isinstance(data, bytes):
        try:  # also covers bytes msgspec would keep undecoded (`msgspec.Raw` members)
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest(f"Invalid {what}: not UTF-8 (byte {exc.start}).") from None
    try:
        return decoder(data)
    except msgspec.ValidationError as exc:
        raise BadRequest(f"Invalid {what}: {exc}") from None
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadRequest(f"Invalid JSON in {what}: {exc}") from None
    except RecursionError:
        raise BadRequest(f"Invalid JSON in {what}: nested too deeply.") from None


def decode(data: bytes | str, type_: Any = Any, what: str = "request body") -> Any:
    """Decode JSON into `type_` (see `decode_with` for the errors)."""
    return decode_with(lambda raw: msgspec.json.decode(raw, type=type_), data, what)


async def read_json(request: Request[Any, Any, Any], type_: type[T], limit: int | None = None) -> T:
    """Read and decode the JSON body; an empty body is a 400 `bad_request`."""
    body = await read_body(request, limit)
    if not body.strip():
        raise BadRequest("Request body must be a JSON object.")
    return decode(body, type_)
