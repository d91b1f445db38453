"""`worker_lifespan`: the worker as a task of the server process (unless `THIDUA_WORKER=off`).

Runs after the main and audit lifespans (it needs the store, the accounts' engine and the
audit log). It runs only while it holds the worker lease (`lease.py`): of several servers
on one SQL database, one scores at a time. The results, review and worker tables are created either way (the API reads them).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from .lease import Lease, run_leased
from .service import Worker

__all__ = ["worker_lifespan"]


@asynccontextmanager
async def worker_lifespan(app: Litestar) -> AsyncIterator[None]:
    traffic = getattr(app.state, "traffic", None)  # yield to requests in flight (server.traffic)
    worker = Worker(app.state.store, app.state.accounts.engine, getattr(app.state, "audit", None),
                    pace=traffic.quiet if traffic is not None else None)
    await worker.initialize()
    if not app.state.settings.worker:
        app.state.worker = None
        yield
        return
    app.state.worker = worker
    lease = Lease(app.state.accounts.engine, ttl=app.state.settings.worker_lease)
    task = asyncio.create_task(run_leased(worker, lease), name="thidua-worker-lease")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
