"""The app's lifespan: open the document store and the account store, close both on exit.

It runs once per server process; several processes may share one database: what they must
agree on (sessions, tokens, sign-in limits, credential epochs) is in SQL (`server.auth`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from litestar import Litestar

from sync.backends import load_store

from .accounts import Accounts
from .auth import Authenticator
from .settings import Settings

__all__ = ["make_lifespan"]

logger = logging.getLogger("thidua.server")


def make_lifespan(settings: Settings):  # type: ignore[no-untyped-def]
    """A lifespan context manager bound to `settings`."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        store = load_store(settings)
        accounts = Accounts.from_settings(settings)
        try:
            await store.initialize()
            await anyio.to_thread.run_sync(accounts.initialize)
            app.state.store = store
            app.state.accounts = accounts
            app.state.auth = Authenticator(accounts, settings)
            logger.info(
                "started",
                extra={
                    "fields": {"store": type(store).__name__, "data_dir": str(settings.data_dir)}
                },
            )
            yield
        finally:
            auth = getattr(app.state, "auth", None)
            if auth is not None:  # the last "last used" times of device tokens
                await auth.token_uses.flush()
            await store.close()
            await anyio.to_thread.run_sync(accounts.close)
            logger.info("stopped")

    return lifespan
