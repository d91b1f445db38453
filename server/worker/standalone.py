"""The worker outside the server: `thidua worker` and the scoring step of `thidua demo`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from sqlalchemy import create_engine

from sync.backends import load_store

from ..audit import Audit
from ..results.read import RankedResult, ranking
from ..settings import Settings
from .service import Worker

__all__ = ["demo_ranking", "open_worker"]


@asynccontextmanager
async def open_worker(settings: Settings) -> AsyncIterator[Worker]:
    """A worker on the configured store and SQL database, closed on exit."""
    url = settings.store_url
    args = {"check_same_thread": False, "timeout": 30} if url.startswith("sqlite") else {}
    engine = create_engine(url, connect_args=args, pool_pre_ping=True)
    store = load_store(settings)
    await store.initialize()
    try:
        audit = Audit(engine)
        await anyio.to_thread.run_sync(audit.initialize)
        worker = Worker(store, engine, audit)
        await worker.initialize()
        yield worker
    finally:
        await store.close()
        engine.dispose()


async def demo_ranking(settings: Settings, *, limit: int = 10) -> tuple[int, list[RankedResult]]:
    """Score what is pending, then the best savings groups of the demo province as the
    server ranked them: (changes handled, ranking head)."""
    async with open_worker(settings) as worker:
        handled = await worker.drain()
        campaigns = sorted(worker.directory.campaigns.values(), key=lambda c: c.year)
        provinces = sorted({c.province_code for c in worker.directory.communes.values()})
        if not campaigns or not provinces:
            return handled, []
        campaign = campaigns[-1]
        rows = await anyio.to_thread.run_sync(lambda: ranking(
            worker.engine, campaign=campaign.id, period=campaign.periods[0].id,
            unit_kind="savings_group", scope_type="province", scope_id=provinces[0]))
        return handled, rows[:limit]
