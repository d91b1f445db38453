"""`/api/admin`: accounts and device tokens, for admins only (the audit view is in `admin_audit`).

Every change runs in a worker thread as the signed-in admin (`server.audit.acting_as`), so
`server.accounts` logs it to the audit log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import anyio.to_thread
import msgspec
from litestar import Controller, MediaType, Request, Response, delete, get, patch, post, put
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    PermissionDeniedException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter

from ..accounts import (
    Account,
    AccountError,
    Accounts,
    DeviceToken,
    DuplicateAccount,
    UnknownAccount,
)
from ..audit import Actor, acting_as
from ..errors import error_response

__all__ = ["AdminController", "ErrorBody", "admin_only", "error_specs"]

T = TypeVar("T")
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Password = Annotated[str, msgspec.Meta(max_length=1024)]
Code = Annotated[str, msgspec.Meta(max_length=32)]
AccountName = Annotated[str, PathParameter(min_length=1, max_length=64)]
TokenId = Annotated[str, PathParameter(min_length=1, max_length=32)]


class ErrorBody(msgspec.Struct):
    """The JSON error envelope of every refusal."""

    error: str
    reason: str


def error_specs(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error answers a handler may give."""
    return {
        status: ResponseSpec(data_container=ErrorBody, description="`{error, reason}`")
        for status in (400, 401, 403, *statuses)  # 400 replaces Litestar's own error shape
    }


def admin_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: 401 when anonymous, 403 unless the caller is an enabled admin."""
    user: Account | None = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException("You are not signed in.")
    if user.disabled or not user.is_admin:
        raise PermissionDeniedException("Only admins may use /api/admin.")


class AccountOut(msgspec.Struct):
    name: str
    roles: list[str]
    territories: list[str]
    disabled: bool
    created_at: datetime | None
    updated_at: datetime | None


class AccountCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new account: a unique name, a password of 8+ characters, roles, territory codes."""

    name: Name
    password: Password
    roles: list[str]
    territories: list[Code] = []


class AccountUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change (omitted ones are kept); `territories` alone keeps the roles."""

    roles: list[str] | None = None
    territories: list[Code] | None = None
    disabled: bool | None = None


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    password: Password


class TokenOut(msgspec.Struct):
    id: str
    account: str
    device: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A device token for `account`'s phone or tablet named `device`."""

    account: Name
    device: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class TokenCreated(msgspec.Struct):
    """The new token; `secret` (the bearer value) is shown this once and never stored."""

    token: TokenOut
    secret: str


def _account_out(account: Account) -> AccountOut:
    return msgspec.convert(msgspec.structs.asdict(account), AccountOut)


def _token_out(token: DeviceToken) -> TokenOut:
    return TokenOut(**msgspec.structs.asdict(token))


def _account_error(_: Request[Any, Any, Any], exc: AccountError) -> Response[Any]:
    if isinstance(exc, UnknownAccount):
        return error_response(404, str(exc))
    if isinstance(exc, DuplicateAccount):
        return error_response(409, str(exc))
    return error_response(400, str(exc))


def _checked_text(*values: str) -> None:
    """Refuse control characters (and NUL, which PostgreSQL cannot store)."""
    for value in values:
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            raise AccountError(f"{value!r}: control characters are not allowed")


async def as_admin(request: Request[Any, Any, Any], call: Callable[[], T]) -> T:
    """Run the blocking `call` in a thread, its account changes attributed to the caller."""
    user: Account = request.scope["user"]
    token_id = request.scope.get("state", {}).get("thidua.token_id")
    actor = Actor(user.name, token_id, request.client.host if request.client else None)

    def run() -> T:
        with acting_as(actor):
            return call()

    return await anyio.to_thread.run_sync(run)


class AdminController(Controller):
    """Accounts and device tokens."""

    path = "/api/admin"
    tags = ["admin"]
    guards = [admin_only]
    exception_handlers = {AccountError: _account_error}

    @get("/accounts", operation_id="adminListAccounts", responses=error_specs())
    async def list_accounts(self, request: Request[Any, Any, Any]) -> list[AccountOut]:
        """Every account, by name."""
        accounts: Accounts = request.app.state.accounts
        rows = await anyio.to_thread.run_sync(accounts.list)
        return [_account_out(a) for a in rows]

    @get("/accounts/{name:str}", operation_id="adminGetAccount", responses=error_specs(404))
    async def get_account(self, request: Request[Any, Any, Any], name: AccountName) -> AccountOut:
        """One account. 404 when there is none of that name."""
        accounts: Accounts = request.app.state.accounts
        account = await anyio.to_thread.run_sync(accounts.get, name)
        if account is None:
            raise UnknownAccount(f"no account named {name!r}")
        return _account_out(account)

    @post(
        "/accounts",
        operation_id="adminCreateAccount",
        status_code=201,
        responses=error_specs(409),
    )
    async def create_account(
        self, request: Request[Any, Any, Any], data: JSONBody[AccountCreate]
    ) -> AccountOut:
        """Create an account. 400: bad name, role, territory code or a short password;
        409: the name is taken."""
        accounts: Accounts = request.app.state.accounts
        _checked_text(data.password)
        account = await as_admin(
            request, lambda: accounts.add(data.name, data.password, data.roles, data.territories)
        )
        return _account_out(account)

    @patch(
        "/accounts/{name:str}",
        operation_id="adminUpdateAccount",
        responses=error_specs(404, 409),
    )
    async def update_account(
        self, request: Request[Any, Any, Any], name: AccountName, data: JSONBody[AccountUpdate]
    ) -> AccountOut:
        """Change roles, territories or the disabled flag. An admin cannot disable or demote
        themself (409)."""
        accounts: Accounts = request.app.state.accounts
        if data.roles is None and data.territories is None and data.disabled is None:
            raise AccountError("nothing to change: give roles, territories or disabled")
        me: Account = request.scope["user"]
        demoted = data.roles is not None and "admin" not in data.roles
        if name == me.name and (data.disabled or demoted):
            reason = "You cannot disable your own account or drop its admin role."
            raise ClientException(reason, status_code=409)

        def change() -> Account:
            current = accounts.get(name)
            if current is None:
                raise UnknownAccount(f"no account named {name!r}")
            if data.roles is not None or data.territories is not None:
                roles = data.roles if data.roles is not None else current.roles
                accounts.set_roles(name, roles, data.territories)
            if data.disabled is not None and data.disabled != current.disabled:
                accounts.disable(name, data.disabled)
            changed = accounts.get(name)
            assert changed is not None
            return changed

        return _account_out(await as_admin(request, change))

    @put(
        "/accounts/{name:str}/password",
        operation_id="adminSetPassword",
        status_code=204,
        responses=error_specs(404),
    )
    async def set_password(
        self, request: Request[Any, Any, Any], name: AccountName, data: JSONBody[PasswordChange]
    ) -> None:
        """Set a new password (8+ characters); the account's cookie sessions end."""
        accounts: Accounts = request.app.state.accounts
        _checked_text(data.password)
        await as_admin(request, lambda: accounts.set_password(name, data.password))

    @get("/tokens", operation_id="adminListTokens", responses=error_specs())
    async def list_tokens(
        self,
        request: Request[Any, Any, Any],
        account: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> list[TokenOut]:
        """Device tokens (never their secrets), of one account or of all."""
        accounts: Accounts = request.app.state.accounts
        tokens = await anyio.to_thread.run_sync(accounts.list_tokens, account)
        return [_token_out(t) for t in tokens]

    @post(
        "/tokens",
        operation_id="adminCreateToken",
        status_code=201,
        responses=error_specs(404),
    )
    async def create_token(
        self, request: Request[Any, Any, Any], data: JSONBody[TokenCreate]
    ) -> TokenCreated:
        """Issue a long-lived bearer token for a device; the secret is in this answer only."""
        accounts: Accounts = request.app.state.accounts
        _checked_text(data.device)
        token, secret = await as_admin(
            request, lambda: accounts.create_token(data.account, data.device)
        )
        return TokenCreated(token=_token_out(token), secret=secret)

    @delete(
        "/tokens/{token_id:str}",
        operation_id="adminRevokeToken",
        status_code=200,
        responses=error_specs(404),
        media_type=MediaType.JSON,
    )
    async def revoke_token(self, request: Request[Any, Any, Any], token_id: TokenId) -> TokenOut:
        """Revoke a device token (at once: its next request gets 401). Revoking twice is
        harmless."""
        accounts: Accounts = request.app.state.accounts
        token = await as_admin(request, lambda: accounts.revoke_token(token_id))
        return _token_out(token)
