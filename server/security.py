"""Security headers on every answer, and CSRF protection for cookie-authenticated changes.

CSRF, as CouchDB does it (PouchDB sends no CSRF token): the session cookie is `SameSite=Lax`,
and a change (POST, PUT, DELETE, PATCH) that carries the `AuthSession` cookie and no
`Authorization` header is refused (403 JSON) when

* its `Origin` (or, without one, its `Referer`) names another site than the request's host
  (or a configured CORS origin), or
* it has a body whose `Content-Type` is not `application/json` — the types an HTML form or a
  cross-site "simple" request can send. Exceptions: attachment uploads
  (`PUT /db/{db}/{doc}/{name}`, any type, still origin-checked) and the sign-in form
  (`POST /db/_session` with `application/x-www-form-urlencoded`).

HTTP Basic and bearer device tokens are not sent by browsers on their own: no CSRF check.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from sync.http.scope_headers import ScopeHeaders

from .auth import send_json_error
from .credentials import COOKIE_NAME

__all__ = ["CSP", "SECURITY_HEADERS", "SecurityMiddleware", "csrf_refusal"]

#: The PWA loads its own scripts, styles, workers and manifest; it talks to its own origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)
#: The OpenAPI pages (Swagger UI, served locally) run an inline script: no CSP there (the
#: other headers stay).
_NO_CSP_PREFIX = "/schema"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_NO_CSP_HEADERS = SECURITY_HEADERS
_ALL_HEADERS = (*SECURITY_HEADERS, (b"content-security-policy", CSP.encode()))
_FORM = "application/x-www-form-urlencoded"
_OURS = frozenset(name for name, _ in _ALL_HEADERS)


def _origin_host(value: str) -> str | None:
    parts = urlsplit(value)
    return parts.netloc.lower() if parts.scheme and parts.netloc else None


def _is_attachment_put(method: str, path: str) -> bool:
    parts = path.strip("/").split("/")
    if method != "PUT" or len(parts) < 4 or parts[0] != "db":
        return False
    return parts[2] not in ("_local", "_design") or len(parts) >= 5


def _cookie_only(headers: Headers | ScopeHeaders) -> bool:
    return "authorization" not in headers and f"{COOKIE_NAME}=" in headers.get("cookie", "")


def csrf_refusal(
    method: str, path: str, headers: Headers | ScopeHeaders, allowed_origins: tuple[str, ...] = ()
) -> str | None:
    """Why a request must be refused as a possible CSRF, or None when it may go on."""
    if method in _SAFE_METHODS or not _cookie_only(headers):
        return None
    host = headers.get("host", "").lower()
    allowed = {host, *(h for h in map(_origin_host, allowed_origins) if h)}
    origin = headers.get("origin")
    claimed = origin if origin and origin != "null" else headers.get("referer")
    if origin == "null" or (claimed and _origin_host(claimed) not in allowed):
        return "Cross-site request refused: the Origin does not match this server."
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    has_body = headers.get("content-length", "0") not in ("", "0") or (
        "transfer-encoding" in headers
    )
    if _is_attachment_put(method, path):
        return None
    if path.rstrip("/") == "/db/_session" and content_type == _FORM:
        return None
    if path.startswith("/branch/") and content_type == _FORM and claimed:
        return None  # the /branch/ pages' forms, from this server's own pages (Origin checked)
    if content_type == "application/json" or (not content_type and not has_body):
        return None
    return "A change signed in by cookie must be sent as application/json."


class SecurityMiddleware(ASGIMiddleware):
    """Adds `SECURITY_HEADERS` and `CSP` to every answer and applies `csrf_refusal`."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, allowed_origins: tuple[str, ...] = ()) -> None:
        self.allowed_origins = allowed_origins

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        path: str = scope["path"]
        extra = _NO_CSP_HEADERS if path.startswith(_NO_CSP_PREFIX) else _ALL_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if any(name.lower() in _OURS for name, _ in headers):  # a route set its own
                    present = {name.lower() for name, _ in headers}
                    headers.extend(h for h in extra if h[0] not in present)
                else:
                    headers.extend(extra)
                message["headers"] = headers
            await send(message)

        method = str(scope.get("method", "GET")).upper()
        refusal = None
        if method not in _SAFE_METHODS:  # (csrf_refusal's first test, without the headers)
            refusal = csrf_refusal(method, path, ScopeHeaders.of(scope), self.allowed_origins)
        if refusal:
            await send_json_error(send_with_headers, 403, refusal)
            return
        await next_app(scope, receive, send_with_headers)
