"""`Lease`: exactly one worker at a time, over a lease row with an expiry in the SQL database.

The `worker_lease` row (one per name) says who holds the lease and until when, in the
database's own clock (so servers' clocks may disagree). `acquire()` takes the lease when it is
free or expired, or renews it when this holder has it, in one conditional UPDATE (or the first
INSERT); a lost race is a plain "no". It works the same on SQLite and PostgreSQL.

`run_leased(worker, lease)` runs the worker only while it holds the lease: it renews every
third of the lease time, and stops the worker as soon as a renewal says the lease is gone, or
when renewals failed (database unreachable) for long enough that it may have expired. A new
holder starts from the durable checkpoints (`Follower.forget`), so a holder killed mid-batch
costs the replay of that batch (handled idempotently), never a change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid

import anyio.to_thread
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Field, SQLModel

from sync.backends.sql_schema import create_tables

from .service import Worker

__all__ = ["Lease", "WorkerLease", "run_leased"]

logger = logging.getLogger("thidua.worker")


class WorkerLease(SQLModel, table=True):
    """Who runs the worker (`holder`) until `expires_at` (epoch seconds, database clock)."""

    __tablename__ = "worker_lease"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=200)
    expires_at: float


_NOW = {"postgresql": "SELECT extract(epoch FROM clock_timestamp())::float8",
        "sqlite": "SELECT (julianday('now') - 2440587.5) * 86400.0"}


def _now(conn: Connection) -> float:
    return float(conn.execute(text(_NOW.get(conn.dialect.name, _NOW["postgresql"]))).scalar_one())


class Lease:
    """The lease `name` in `engine`'s database, held for `ttl` seconds per renewal."""

    def __init__(self, engine: Engine, *, ttl: float = 15.0, name: str = "worker",
                 holder: str | None = None) -> None:
        self.engine, self.ttl, self.name = engine, ttl, name
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def install(self) -> None:
        create_tables(self.engine, SQLModel.metadata, [WorkerLease.__table__])  # type: ignore[attr-defined]

    def acquire_now(self) -> bool:
        """Take or renew the lease; False when someone else holds it unexpired."""
        params = {"name": self.name, "me": self.holder}
        with self.engine.begin() as conn:
            now = _now(conn)
            done = conn.execute(text(
                "UPDATE worker_lease SET holder = :me, expires_at = :until WHERE name = :name "
                "AND (holder = :me OR expires_at < :now)"),
                {**params, "until": now + self.ttl, "now": now})
            if done.rowcount:
                return True
        try:
            with self.engine.begin() as conn:
                conn.execute(text("INSERT INTO worker_lease (name, holder, expires_at) "
                                  "VALUES (:name, :me, :until)"),
                             {**params, "until": _now(conn) + self.ttl})
        except IntegrityError:  # the row exists: held by another
            return False
        return True

    def release_now(self) -> None:
        """Give the lease up at once (a clean stop), if this holder has it."""
        with self.engine.begin() as conn:
            conn.execute(text("UPDATE worker_lease SET expires_at = 0 "
                              "WHERE name = :name AND holder = :me"),
                         {"name": self.name, "me": self.holder})

    def holder_now(self) -> str | None:
        """The current unexpired holder, if any."""
        with self.engine.connect() as conn:
            found = conn.execute(text("SELECT holder, expires_at FROM worker_lease "
                                      "WHERE name = :name"), {"name": self.name}).first()
            return found[0] if found is not None and found[1] >= _now(conn) else None

    async def acquire(self) -> bool:
        return await anyio.to_thread.run_sync(self.acquire_now)


async def run_leased(worker: Worker, lease: Lease) -> None:
    """Run `worker` whenever `lease` is ours, until cancelled (see the module docstring)."""
    await anyio.to_thread.run_sync(lease.install)
    every = lease.ttl / 3
    try:
        while True:
            if not await _try(lease):
                await asyncio.sleep(every)
                continue
            logger.info("worker: lease %s taken by %s", lease.name, lease.holder)
            worker.follower.forget()  # another holder may have moved the checkpoints
            await _hold(worker, lease, every)
    finally:
        with contextlib.suppress(SQLAlchemyError):
            await anyio.to_thread.run_sync(lease.release_now)


async def _try(lease: Lease) -> bool:
    try:
        return await lease.acquire()
    except SQLAlchemyError as exc:
        logger.warning("worker: lease %s not checked: %s", lease.name, exc)
        return False


async def _hold(worker: Worker, lease: Lease, every: float) -> None:
    """Run the worker while renewals succeed; return when the lease is (maybe) gone."""
    held_until = time.monotonic() + lease.ttl
    task = asyncio.create_task(worker.run(), name="thidua-worker")
    try:
        while not task.done():
            await asyncio.sleep(every)
            try:
                if not await lease.acquire():
                    logger.warning("worker: lease %s lost; stopping", lease.name)
                    return
                held_until = time.monotonic() + lease.ttl
            except SQLAlchemyError as exc:
                if time.monotonic() + every >= held_until:
                    logger.warning("worker: lease %s not renewed (%s); stopping", lease.name, exc)
                    return
        task.result()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
