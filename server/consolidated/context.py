"""What every results route needs from a request: the signed-in user, the directory, the
results engine, the communes the user may see, and the campaign and period asked for."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import ClientException, NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import Engine

from server.accounts import Account
from server.results.tables import install_result_tables
from server.territory import Directory, Territory

from .query import Filters

__all__ = ["Context", "context", "results_engine", "signed_in", "territory"]

_INSTALLED: set[int] = set()


def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: 401 when anonymous or disabled."""
    user: Account | None = connection.scope.get("user")
    if user is None or user.disabled:
        raise NotAuthorizedException("You are not signed in.")


def results_engine(request: Request[Any, Any, Any]) -> Engine:
    """The accounts' engine (the results tables live there), tables created once."""
    engine: Engine = request.app.state.accounts.engine
    if id(engine) not in _INSTALLED:
        install_result_tables(engine)
        _INSTALLED.add(id(engine))
    return engine


def territory(request: Request[Any, Any, Any]) -> Territory:
    """The app's `Territory` (shared with the gatekeeper)."""
    state = request.app.state
    current = getattr(state, "territory", None)
    if current is None or current.store is not state.store:
        current = state.territory = Territory(state.store)
    return current


class Context(msgspec.Struct, frozen=True):
    user: Account
    directory: Directory
    engine: Engine
    communes: frozenset[str] | None  # None: every commune (admins)


def reach(user: Account, directory: Directory) -> frozenset[str] | None:
    """The commune codes `user` may see results of (None: all)."""
    if user.is_admin:
        return None
    return frozenset(db[2:] for db in directory.dbs_for(user.territories) if db.startswith("c-"))


async def context(request: Request[Any, Any, Any]) -> Context:
    user: Account = request.scope["user"]
    directory = await territory(request).directory()
    return Context(user, directory, results_engine(request), reach(user, directory))


def campaign_of(directory: Directory, campaign: str | None) -> str:
    """The campaign asked for, else the latest (by year) in the directory.

    :raises ClientException: unknown campaign, or none at all.
    """
    if campaign is not None:
        if campaign not in directory.campaigns:
            raise ClientException(f"campaign {campaign!r} is not in the directory")
        return campaign
    if not directory.campaigns:
        raise ClientException("there is no campaign in the directory yet")
    return max(directory.campaigns, key=lambda c: (directory.campaigns[c].year, c))


def period_of(directory: Directory, campaign: str, period: str | None) -> str | None:
    """The period asked for (checked), else the campaign's only period, else None (all)."""
    periods = directory.campaigns[campaign].periods
    if period is not None:
        if period not in periods:
            raise ClientException(f"period {period!r} is not a period of campaign {campaign!r}")
        return period
    return next(iter(periods)) if len(periods) == 1 else None


def filters(ctx: Context, campaign: str | None, period: str | None, **given: Any) -> Filters:
    cid = campaign_of(ctx.directory, campaign)
    return Filters(campaign=cid, period=period_of(ctx.directory, cid, period),
                   communes=ctx.communes, **{k: v for k, v in given.items() if v is not None})
