"""The worker's backlog as `thidua check` reports it (read from the store and SQL)."""

from __future__ import annotations

import anyio.to_thread
from sqlalchemy import create_engine, inspect

from sync.backends import StoreConfig, load_store
from sync.store import Seq

from .checkpoints import SqlCheckpoints
from .service import backlog

__all__ = ["worker_backlog"]


async def worker_backlog(settings: StoreConfig) -> tuple[str, bool]:
    """("lag N changes in D databases; F open failures", ok) where ok means no lag and no
    open failure."""
    from sqlalchemy import func, select

    from .sqlrows import table_of
    from .tables import WorkerFailure

    engine = create_engine(settings.store_url)
    store = load_store(settings)
    try:
        await store.initialize()

        def read() -> tuple[dict[str, Seq], int] | None:
            if not inspect(engine).has_table("worker_checkpoint"):
                return None
            failures = table_of(WorkerFailure)
            with engine.connect() as conn:
                count = conn.execute(select(func.count()).select_from(failures).where(
                    failures.c.resolved.is_(False))).scalar_one()
            return SqlCheckpoints(engine).load_now(), int(count)

        found = await anyio.to_thread.run_sync(read)
        if found is None:
            return "has not run yet (no worker tables)", False
        checkpoints, failures = found
        lag = await backlog(store, checkpoints)
    finally:
        await store.close()
        engine.dispose()
    behind = sum(lag.values())
    late = sum(1 for n in lag.values() if n)
    return (f"lag {behind:,} changes ({late:,} of {len(lag):,} databases behind); "
            f"{failures:,} open failures"), behind == 0 and failures == 0
