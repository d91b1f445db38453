"""`/api/me`: the signed-in user's own account, databases and device tokens.

The PWA signs in with name and password once (`POST /api/me/tokens` with HTTP Basic), keeps
the bearer secret on the phone, and replicates `config` plus the databases listed by
`GET /api/me` with it; signing out on the phone revokes that token (`DELETE /api/me/token`).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, delete, get, post
from litestar.exceptions import ClientException, NotAuthorizedException
from litestar.params import JSONBody

from scoring.ids import CONFIG_DB

from ..accounts import Account, AccountError, Accounts
from ..gatekeeper import GatekeptStore, store_for
from .admin import _account_error, _checked_text, as_admin, error_specs

__all__ = ["MeController"]


class Me(msgspec.Struct):
    """Who the caller is and which databases a device of theirs replicates."""

    name: str
    roles: list[str]
    territories: list[str]
    dbs: list[str]


class NewDeviceToken(msgspec.Struct, forbid_unknown_fields=True):
    """The phone or tablet that asks for a token, as its user will recognise it."""

    device: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class DeviceTokenIssued(msgspec.Struct):
    """The new token; `secret` (the bearer value) is in this answer only."""

    id: str
    device: str
    secret: str


def _user(request: Request[Any, Any, Any]) -> Account:
    user: Account | None = request.scope.get("user")
    if user is None:
        raise NotAuthorizedException("You are not signed in.")
    return user


class MeController(Controller):
    """The caller's own account and device tokens (any signed-in role)."""

    path = "/api/me"
    tags = ["me"]
    exception_handlers = {AccountError: _account_error}

    @get("/", operation_id="meInfo", responses=error_specs())
    async def info(self, request: Request[Any, Any, Any]) -> Me:
        """The caller's name, roles, territory codes and databases (`config` first)."""
        user = _user(request)
        store = store_for(request)
        reach = await store.reach() if isinstance(store, GatekeptStore) else frozenset()
        return Me(
            name=user.name,
            roles=list(user.roles),
            territories=list(user.territories),
            dbs=[CONFIG_DB, *sorted(reach)],
        )

    @post("/tokens", operation_id="meCreateToken", status_code=201, responses=error_specs())
    async def create_token(
        self, request: Request[Any, Any, Any], data: JSONBody[NewDeviceToken]
    ) -> DeviceTokenIssued:
        """A long-lived bearer token for the caller's device (sign in with the password:
        Basic or the session cookie; a device token cannot mint another)."""
        user = _user(request)
        if request.scope.get("auth") == "token":
            raise ClientException("Sign in with your password to add a device.", status_code=403)
        _checked_text(data.device)
        accounts: Accounts = request.app.state.accounts
        token, secret = await as_admin(request, lambda: accounts.create_token(user.name, data.device))
        return DeviceTokenIssued(id=token.id, device=token.device, secret=secret)

    @delete(
        "/token",
        operation_id="meRevokeToken",
        status_code=200,
        media_type=MediaType.JSON,
        responses=error_specs(),
    )
    async def revoke_token(self, request: Request[Any, Any, Any]) -> dict[str, bool]:
        """Revoke the device token this request is signed with (signing out on a phone)."""
        _user(request)
        token_id = request.scope.get("state", {}).get("thidua.token_id")
        if request.scope.get("auth") != "token" or not token_id:
            raise ClientException("This request is not signed with a device token.")
        accounts: Accounts = request.app.state.accounts
        await as_admin(request, lambda: accounts.revoke_token(token_id))
        return {"ok": True}
