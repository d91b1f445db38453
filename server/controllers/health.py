"""`GET /healthz`: is the document store reachable, and which version runs."""

from __future__ import annotations

from typing import Any

import anyio
import msgspec
from litestar import MediaType, Request, Response, get

from .. import __version__

__all__ = ["Health", "WorkerHealth", "health"]

PING_TIMEOUT = 5.0


class WorkerHealth(msgspec.Struct):
    """The reconcile-and-score worker: `running`, `stopped` or `off` (`THIDUA_WORKER=off`)."""

    state: str
    lag: int = 0  # changes synced but not yet reconciled and scored
    errors: int = 0  # databases whose last attempt failed (retried with backoff)


class Health(msgspec.Struct):
    status: str
    version: str
    store: str
    backend: str
    worker: WorkerHealth | None = None


def _worker(request: Request[Any, Any, Any]) -> WorkerHealth:
    worker = getattr(request.app.state, "worker", None)
    if worker is None:
        return WorkerHealth(state="off")
    status = worker.status()
    return WorkerHealth(state=status.state, lag=status.lag, errors=len(status.errors))


@get("/healthz", operation_id="health", tags=["server"], media_type=MediaType.JSON)
async def health(request: Request[Any, Any, Any]) -> Response[Health]:
    """200 when the store answers a ping within 5 s, 503 otherwise."""
    store = getattr(request.app.state, "store", None)
    reachable = False
    if store is not None:
        with anyio.move_on_after(PING_TIMEOUT):
            try:
                reachable = await store.ping()
            except Exception:  # noqa: BLE001 - any failure means "unavailable"
                reachable = False
    body = Health(
        status="ok" if reachable else "unavailable",
        version=__version__,
        store="reachable" if reachable else "unreachable",
        backend=type(store).__name__ if store is not None else "none",
        worker=_worker(request),
    )
    return Response(body, status_code=200 if reachable else 503)
