"""CouchDB's `/db/_session`: cookie sign-in (form or JSON), who am I, sign-out."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import msgspec
from litestar import Controller, MediaType, Request, Response, delete, get, post

from sync.errors import BadRequest
from sync.http.wire import decode

from ..auth import Authenticator, SignInRefused, cookie_header
from ..credentials import COOKIE_NAME
from ..errors import error_response

__all__ = ["SessionController"]

MAX_SIGN_IN_BODY = 16 * 1024


class SignIn(msgspec.Struct):
    name: str
    password: str


class UserCtx(msgspec.Struct):
    name: str | None
    roles: list[str]


class SessionInfo(msgspec.Struct):
    ok: bool
    userCtx: UserCtx  # noqa: N815 - CouchDB's field name
    info: dict[str, Any]


class SignedIn(msgspec.Struct):
    ok: bool
    name: str
    roles: list[str]


def _credentials(body: bytes, content_type: str) -> SignIn:
    """Name and password from a JSON or form body. :raises ValueError:"""
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            fields = parse_qs(body.decode("utf-8"), max_num_fields=16)
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"The form is not valid UTF-8 or has too many fields: {exc}") from exc
        name, password = fields.get("name", [""])[0], fields.get("password", [""])[0]
        if not name:
            raise ValueError("The form needs 'name' and 'password'.")
        return SignIn(name=name, password=password)
    if content_type.startswith("application/json"):
        try:
            return decode(body, SignIn, "sign-in body")  # bad JSON, deep nesting, not UTF-8
        except BadRequest as exc:
            raise ValueError(f"Expected {{name, password}}: {exc.reason}") from exc
    raise ValueError("Use application/json or application/x-www-form-urlencoded.")


class SessionController(Controller):
    path = "/db/_session"
    tags = ["auth"]

    @post(
        "/",
        operation_id="sessionSignIn",
        status_code=200,
        media_type=MediaType.JSON,
        request_max_body_size=MAX_SIGN_IN_BODY,
    )
    async def sign_in(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Check name and password; answer the account and an `AuthSession` cookie."""
        auth: Authenticator = request.app.state.auth
        content_type = request.headers.get("content-type", "")
        try:
            creds = _credentials(await request.body(), content_type)
        except ValueError as exc:
            status = 415 if "Use application" in str(exc) else 400
            return error_response(status, str(exc))
        client = request.client.host if request.client else ""
        try:
            account = await auth.sign_in(creds.name, creds.password, client)
            cookie = await auth.new_cookie(account.name)
        except SignInRefused as refused:
            headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
            return error_response(refused.status, refused.reason, headers=headers)
        request.scope["user"], request.scope["auth"] = account, "cookie"  # for the access log
        secure = request.url.scheme == "https"
        return Response(
            SignedIn(ok=True, name=account.name, roles=list(account.roles)),
            headers={"Set-Cookie": cookie_header(cookie, auth.settings.session_timeout, secure)},
        )

    @get("/", operation_id="sessionInfo", media_type=MediaType.JSON)
    async def info(self, request: Request[Any, Any, Any]) -> SessionInfo:
        """Who the caller is (`name: null` when anonymous), as CouchDB answers it."""
        user = request.scope.get("user")
        ctx = UserCtx(name=user.name, roles=list(user.roles)) if user else UserCtx(None, [])
        info: dict[str, Any] = {"authentication_handlers": ["cookie", "default", "token"]}
        if user:
            info["authenticated"] = request.scope.get("auth") or "default"
        return SessionInfo(ok=True, userCtx=ctx, info=info)

    @delete("/", operation_id="sessionSignOut", status_code=200, media_type=MediaType.JSON)
    async def sign_out(self, request: Request[Any, Any, Any]) -> Response[dict[str, bool]]:
        """End the session on the server (its cookie stops working everywhere) and clear it."""
        auth: Authenticator = request.app.state.auth
        value = request.cookies.get(COOKIE_NAME)
        if value:
            await auth.end_session(value)
        secure = request.url.scheme == "https"
        return Response({"ok": True}, headers={"Set-Cookie": cookie_header("", 0, secure)})
