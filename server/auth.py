"""Authentication: who is calling, from HTTP Basic, the `AuthSession` cookie or a device token.

`Authenticator` (kept on `app.state.auth`) checks credentials against `Accounts`;
`AuthMiddleware` runs on every routed HTTP request, sets `scope["user"]` (an `Account` or
None) and `scope["auth"]` (`basic`, `cookie` or `token`), and refuses `/db` and `/api`
requests that `server.access.decide` does not allow, with CouchDB's JSON errors. The CouchDB
routes themselves are not touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import NoReturn

import anyio.to_thread
import msgspec
from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

from sync.http.errors import error_name
from sync.http.scope_headers import ScopeHeaders

from .access import decide
from .accounts import Account, Accounts, AuthRecord, DeviceToken
from .auth_epochs import SqliteEpochs
from .auth_limits import ADDRESS, NAME, Limit, SignInLimits
from .auth_reads import EpochReads
from .credentials import (
    COOKIE_NAME,
    VerifiedCache,
    parse_basic,
    read_session_cookie,
    session_cookie,
    session_valid,
)
from .logs import mark_request_start
from .settings import Settings
from .signin_gate import GateFull, PasswordGate
from .token_uses import TokenUses
from .traffic import Traffic

__all__ = ["AuthMiddleware", "Authenticator", "Identity", "SignInRefused"]

BAD_PASSWORD = "Name or password is incorrect."
BUSY = "The server is busy checking other sign-ins; retry in a moment."
#: Failed sign-ins one address may make within the limiter's window, across all names.
ADDRESS_FAILURES = ADDRESS.max_failures
PROTECTED_PREFIXES = ("/db", "/api")
#: Server-rendered pages (server.awards.pages): credentials read, access decided by the page.
PAGES_PREFIX = "/branch"
IDENTIFIED_PREFIXES = (*PROTECTED_PREFIXES, PAGES_PREFIX)
_ENCODER = msgspec.json.Encoder()
#: `on_sign_in(name, client, method, ok, reason, always=...)`: the audit hook (`SignInAudit`).
SignInHook = Callable[..., None]


def _no_audit(*args: object, **kwargs: object) -> None:
    return None


class SignInRefused(Exception):
    """A refused sign-in: 401 wrong credentials, or 429 with `retry_after` seconds."""

    def __init__(self, status: int, reason: str, retry_after: int = 0) -> None:
        super().__init__(reason)
        self.status, self.reason, self.retry_after = status, reason, retry_after


class Identity(msgspec.Struct):
    """The outcome of reading a request's credentials."""

    user: Account | None = None
    method: str | None = None
    sent: bool = False
    refused: SignInRefused | None = None
    token_id: str | None = None
    refresh_cookie: str | None = None


class Authenticator:
    """Checks credentials. Shared by every server process through SQL: sessions, tokens,
    the sign-in limits (`SignInLimits`) and each account's credential epoch; per process:
    reads reused while their account's epoch is unchanged (`EpochReads`) and the Basic
    verify cache (bound to the password hash, read fresh through them)."""

    def __init__(
        self,
        accounts: Accounts,
        settings: Settings,
        clock: Callable[[], float] = time.time,
        on_sign_in: SignInHook = _no_audit,
    ) -> None:
        self.accounts = accounts
        self.settings = settings
        self.clock = clock
        self.on_sign_in = on_sign_in
        self.limits = SignInLimits(accounts.engine)
        self.cache = VerifiedCache(settings.secret_key, ttl=settings.session_timeout)
        self.gate = PasswordGate()
        self.reads = EpochReads(accounts.epoch, SqliteEpochs(accounts.engine))
        self.token_uses = TokenUses(accounts.touch_tokens)  # "last used", off the path

    async def record(self, name: str) -> AuthRecord | None:
        """The account and password hash of `name` (reused while its epoch holds)."""

        def read() -> tuple[AuthRecord, str, int] | None:
            found = self.accounts.auth_record_at(name)
            return (found[0], name, found[1]) if found else None

        return await self.reads.get("user:" + name, read)

    async def token(self, secret: str) -> tuple[Account, DeviceToken] | None:
        """The account and token of a bearer secret (reused while its owner's epoch holds)."""

        def read() -> tuple[tuple[Account, DeviceToken], str, int] | None:
            found = self.accounts.token_at(secret)
            return ((found[0], found[1]), found[0].name, found[2]) if found else None

        return await self.reads.get("token:" + secret, read)

    async def sign_in(
        self, name: str, password: str, client: str, method: str = "session"
    ) -> Account:
        """Check a name and password. :raises SignInRefused: 401 or 429 (rate limit).

        Audited: `session` sign-ins and wrong passwords always, repeated `basic` ones once
        in a while. The limits are shared by every server process: a check is reserved
        before it runs, so concurrent attempts cannot overrun them; only failed checks
        count, so right passwords racing from one address are at most told to retry (503).
        """
        keys: tuple[tuple[Limit, str], ...] = (
            (NAME, f"{name.lower()}|{client}"),
            (ADDRESS, client),
        )
        now = self.clock()
        record = await self.record(name)
        if (
            record
            and not record.account.disabled
            and self.cache.hit(name, password, record.password_hash, now)
        ):  # a right password, known here: no check, but a limited key stays limited
            wait = await anyio.to_thread.run_sync(self.limits.retry_after, keys, now)
            if wait:
                self._limited(name, client, method, wait)
            self.on_sign_in(name, client, method, True, always=method == "session")
            return record.account
        if self.gate.full:  # refused before any reservation: a storm costs no SQL writes
            wait = await anyio.to_thread.run_sync(self.limits.retry_after, keys, now)
            if wait:
                self._limited(name, client, method, wait)
            self._busy(name, client, method)
        held = await anyio.to_thread.run_sync(self.limits.reserve, keys, now)
        if held.retry_after or held.busy:
            await anyio.to_thread.run_sync(self.limits.release, held)
            if held.retry_after:
                self._limited(name, client, method, held.retry_after)
            self._busy(name, client, method)
        try:  # unknown names are checked against a dummy hash: the same cost
            account = await self.gate.run(self.accounts.verify_password, name, password)
        except GateFull:
            await anyio.to_thread.run_sync(self.limits.release, held)
            self._busy(name, client, method)
        if account is None:
            await anyio.to_thread.run_sync(self.limits.failed, held)
            self.on_sign_in(name, client, method, False, BAD_PASSWORD, always=True)
            raise SignInRefused(401, BAD_PASSWORD)
        await anyio.to_thread.run_sync(self.limits.release, held, keys[:1])
        if record is not None:
            self.cache.remember(name, password, record.password_hash, now)
        self.on_sign_in(name, client, method, True, always=method == "session")
        return account

    def _busy(self, name: str, client: str, method: str) -> NoReturn:
        self.on_sign_in(name, client, method, False, BUSY)
        raise SignInRefused(503, BUSY, 1)

    def _limited(self, name: str, client: str, method: str, wait: int) -> NoReturn:
        self.on_sign_in(name, client, method, False, "Too many failed sign-ins.")
        raise SignInRefused(429, f"Too many failed sign-ins; retry in {wait} s.", wait)

    async def new_cookie(self, name: str) -> str:
        """A fresh `AuthSession` value for `name`, naming a new server-side session (its
        current password hash signs it)."""
        record = await anyio.to_thread.run_sync(self.accounts.auth_record, name)
        if record is None:
            raise SignInRefused(401, BAD_PASSWORD)
        session_id = await anyio.to_thread.run_sync(self.accounts.start_session, name)
        issued = int(self.clock())
        return session_cookie(
            name, issued, self.settings.secret_key, record.password_hash, session_id
        )

    async def session(self, name: str, session_id: str) -> tuple[AuthRecord, bool] | None:
        """`name`'s record and whether the session is open (reused while the epoch holds)."""

        def read() -> tuple[tuple[AuthRecord, bool], str, int] | None:
            found = self.accounts.session_at(session_id, name)
            return ((found[0], found[1]), name, found[2]) if found else None

        return await self.reads.get(f"session:{name}:{session_id}", read)

    async def end_session(self, value: str) -> None:
        """Sign-out: end the session a (validly signed) cookie names, for every process."""
        claimed = read_session_cookie(value)
        if claimed is None:
            return
        name, _issued, session_id = claimed
        record = await self.record(name)
        if record is not None and session_valid(
            value,
            self.settings.secret_key,
            record.password_hash,
            now=self.clock(),
            timeout=self.settings.session_timeout,
        ):
            await anyio.to_thread.run_sync(self.accounts.end_session, session_id)

    async def _from_cookie(self, value: str, client: str) -> Identity:
        claimed = read_session_cookie(value)
        expired = Identity(sent=True, refused=SignInRefused(401, "Your session has expired."))
        if claimed is None:
            self.on_sign_in(None, client, "cookie", False, "Garbled session cookie.")
            return expired
        name, issued, session_id = claimed
        found = await self.session(name, session_id)
        record = found[0] if found else None
        now = self.clock()
        timeout = self.settings.session_timeout
        if (
            found is None
            or record is None
            or not found[1]
            or record.account.disabled
            or not session_valid(
                value, self.settings.secret_key, record.password_hash, now=now, timeout=timeout
            )
        ):
            self.on_sign_in(name, client, "cookie", False, "Your session has expired.")
            return expired
        refresh = None
        if now - issued > timeout / 10:  # CouchDB re-issues a cookie that is being used
            refresh = session_cookie(
                name, int(now), self.settings.secret_key, record.password_hash, session_id
            )
        return Identity(user=record.account, method="cookie", sent=True, refresh_cookie=refresh)

    async def identify(self, headers: Headers | ScopeHeaders, client: str) -> Identity:
        """Read `Authorization` (Basic or Bearer), then the `AuthSession` cookie."""
        authorization = headers.get("authorization")
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() == "bearer":
                found = await self.token(value.strip())
                if found is None:
                    refused = SignInRefused(401, "The device token is unknown or revoked.")
                    self.on_sign_in(None, client, "token", False, refused.reason)
                    return Identity(sent=True, refused=refused)
                account, token = found
                self.token_uses.note(token.id)
                return Identity(user=account, method="token", sent=True, token_id=token.id)
            try:
                name, password = parse_basic(authorization)
            except ValueError as exc:  # recorded, then ignored (anonymous), as in CouchDB
                self.on_sign_in(None, client, "basic", False, str(exc))
                name = None
            if name is not None:
                try:
                    account = await self.sign_in(name, password, client, "basic")
                except SignInRefused as refused:
                    return Identity(sent=True, refused=refused)
                return Identity(user=account, method="basic", sent=True)
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a garbled Cookie header is simply ignored
            return Identity()
        if COOKIE_NAME in cookie and cookie[COOKIE_NAME].value:
            return await self._from_cookie(cookie[COOKIE_NAME].value, client)
        return Identity()


def cookie_header(value: str, max_age: int, secure: bool) -> str:
    """The `Set-Cookie` value for the session cookie (empty `value` clears it)."""
    parts = [f"{COOKIE_NAME}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


async def send_json_error(
    send: Send, status: int, reason: str, extra_headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer an ASGI request with the JSON error envelope, outside any route handler."""
    body = _ENCODER.encode({"error": error_name(status), "reason": reason})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(extra_headers or []),
    ]
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": headers,
    }
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)


def _waits(scope: Scope) -> bool:
    """A `_changes` feed that waits for changes (long poll, continuous): PouchDB's live sync
    keeps one open per database, so it is not traffic the worker should wait for."""
    query: bytes = scope.get("query_string", b"")
    return b"feed=" in query and scope["path"].endswith("/_changes") and b"feed=normal" not in query


class AuthMiddleware(ASGIMiddleware):
    """Sets `scope["user"]` on every routed request and guards `/db` and `/api`."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        mark_request_start(scope)
        path: str = scope["path"]
        prefix = next(
            (p for p in IDENTIFIED_PREFIXES if path == p or path.startswith(p + "/")), None
        )
        scope["user"], scope["auth"] = None, None
        if prefix is None:  # static files, /healthz, /schema: no credentials needed or read
            await next_app(scope, receive, send)
            return
        traffic: Traffic | None = getattr(scope["app"].state, "traffic", None)
        if traffic is None or _waits(scope):
            await self._identified(scope, receive, send, next_app, path, prefix)
            return
        traffic.enter()  # the worker yields to requests in flight (server.traffic)
        try:
            await self._identified(scope, receive, send, next_app, path, prefix)
        finally:
            traffic.leave()

    async def _identified(
        self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp, path: str, prefix: str
    ) -> None:
        auth: Authenticator = scope["app"].state.auth
        client = scope.get("client")
        identity = await auth.identify(ScopeHeaders.of(scope), client[0] if client else "")
        scope["user"], scope["auth"] = identity.user, identity.method
        scope.setdefault("state", {})["thidua.token_id"] = identity.token_id
        if prefix == PAGES_PREFIX:  # server-rendered pages check roles; a stale cookie = signed out
            await next_app(scope, receive, send)
            return
        if await self._refused(scope, send, identity, path, prefix):
            return
        if identity.refresh_cookie:
            send = self._with_cookie(send, identity.refresh_cookie, auth, scope)
        await next_app(scope, receive, send)

    async def _refused(
        self, scope: Scope, send: Send, identity: Identity, path: str, prefix: str
    ) -> bool:
        rest = path[len(prefix) :].strip("/")
        if identity.refused and not (prefix == "/db" and rest == "_session"):
            refused = identity.refused
            headers = (
                [(b"retry-after", str(refused.retry_after).encode())] if refused.retry_after else []
            )
            await send_json_error(send, refused.status, refused.reason, headers)
            return True
        method = str(scope.get("method", "GET"))
        if prefix == "/db":
            decision = decide(identity.user, method, rest)
        elif identity.user is None:
            decision = decide(None, method, "_api")
        else:
            return False
        if decision.allowed:
            return False
        headers = []
        if decision.status == 401 and not identity.sent:
            headers.append((b"www-authenticate", b'Basic realm="thidua"'))
        await send_json_error(send, decision.status, decision.reason, headers)
        return True

    @staticmethod
    def _with_cookie(send: Send, value: str, auth: Authenticator, scope: Scope) -> Send:
        header = cookie_header(value, auth.settings.session_timeout, scope.get("scheme") == "https")

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", header.encode())]
            await send(message)

        return wrapped
