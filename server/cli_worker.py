"""`thidua worker`: the reconcile-and-score worker on its own (e.g. with `THIDUA_WORKER=off`
on the server, or to backfill)."""

from __future__ import annotations

import time

import click

__all__ = ["worker_cmd"]


@click.command("worker")
@click.option("--once", is_flag=True, help="Handle what is pending now, then exit.")
@click.pass_context
def worker_cmd(ctx: click.Context, once: bool) -> None:
    """Follow every database, merge conflicted sheets and score them into the results."""
    import anyio

    from .cli import get_settings
    from .logs import configure_logging
    from .worker.lease import Lease, run_leased
    from .worker.standalone import open_worker

    settings = get_settings(ctx)
    configure_logging(settings.log_level)  # takeovers, lost leases and failures, as the server's

    async def run() -> int:
        async with open_worker(settings) as worker:
            if once:
                return await worker.drain()
            click.echo("thidua worker: following every database while it holds the worker "
                       "lease (Ctrl-C stops)")
            await run_leased(worker, Lease(worker.engine, ttl=settings.worker_lease))
            return 0

    started = time.perf_counter()
    try:
        handled = anyio.run(run)
    except KeyboardInterrupt:
        return
    click.echo(f"handled {handled:,} changes in {time.perf_counter() - started:.1f} s")
