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

Fencing: every takeover (a new holder) increments the row's `generation`; the holder keeps the
generation it took. `Lease.fence(conn)` runs first in every transaction of the worker's SQL
writes (results, review records, failures, checkpoints: `Writer.fence`, `SqlCheckpoints.fence`)
as a no-op UPDATE of the lease row that matches only this holder and generation: no match
raises `LeaseLost` and the transaction writes nothing. The UPDATE also locks the row until the
commit (PostgreSQL row lock, SQLite write lock), so a takeover waits for a write in flight and
every write of an old holder commits before the new holder's first (on PostgreSQL any
transaction holding that lock, a write or a renewal, left idle longer than the lease by a holder
paused inside it is ended by the server, and one stuck on its client inside a half-sent
pipeline, which no PostgreSQL timeout ends, is ended by the next `acquire` that waited the
lease time for the row: `sync.backends.sql_stuck`; so it cannot block a takeover; on SQLite a
paused writer blocks every writer). A holder that was paused
or cut off past its lease (SIGSTOP, a partition) and wakes up after a takeover therefore
cannot move a checkpoint back nor replace a result with an older computation. Documents it
writes to CouchDB outside those transactions are harmless: merges and closing tombstones have
deterministic revisions (the new holder writes the same ones) and `result:` documents are
updated from the revision read, so a stale update is a conflict, not an overwrite.
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
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlmodel import Field, SQLModel

from sync.backends.sql_schema import create_tables
from sync.backends.sql_stuck import end_stuck_sessions, lock_timed_out

from .service import Worker

__all__ = ["Lease", "LeaseLost", "WorkerLease", "run_leased"]

logger = logging.getLogger("thidua.worker")


class WorkerLease(SQLModel, table=True):
    """Who runs the worker (`holder`) until `expires_at` (epoch seconds, database clock)."""

    __tablename__ = "worker_lease"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=200)
    expires_at: float
    generation: int = 0  # incremented by every takeover (the fencing token)


class LeaseLost(OperationalError):
    """Another holder took the lease over: this worker's write is refused (transient for the
    worker: nothing is written, the checkpoint stays, and the holder stops at its next
    renewal)."""

    def __init__(self, lease: str, holder: str, generation: int) -> None:
        super().__init__(f"fence of lease {lease!r}", {}, Exception(
            f"lease {lease!r} generation {generation} of {holder} was taken over"))


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
        self.generation = 0  # the generation this holder took (0: never held)

    def install(self) -> None:
        create_tables(self.engine, SQLModel.metadata, [WorkerLease.__table__])  # type: ignore[attr-defined]
        if "generation" not in {c["name"] for c in inspect(self.engine).get_columns("worker_lease")}:
            with self.engine.begin() as conn:  # a table made before fencing
                conn.execute(text("ALTER TABLE worker_lease "
                                  "ADD COLUMN generation INTEGER NOT NULL DEFAULT 0"))

    def acquire_now(self) -> bool:
        """Take or renew the lease; False when someone else holds it unexpired, or when the
        row stayed locked for the lease time: then the sessions stuck in a transaction for
        that long (a holder paused inside its fenced write, maybe in a half-sent pipeline
        that no PostgreSQL timeout ends) are ended, and the next try gets the row."""
        try:
            return self._acquire()
        except OperationalError as exc:
            if not lock_timed_out(exc):
                raise
            with self.engine.begin() as conn:
                ended = end_stuck_sessions(conn, self.ttl)
            logger.warning("worker: lease %s row locked for %.0f s; ended %d stuck sessions",
                           self.name, self.ttl, ended)
            return False

    def _acquire(self) -> bool:
        params = {"name": self.name, "me": self.holder}
        with self.engine.begin() as conn:
            self._bound(conn, wait=True)
            now = _now(conn)
            done = conn.execute(text(
                "UPDATE worker_lease SET holder = :me, expires_at = :until, generation = "
                "generation + CASE WHEN holder = :me THEN 0 ELSE 1 END WHERE name = :name "
                "AND (holder = :me OR expires_at < :now)"),
                {**params, "until": now + self.ttl, "now": now})
            if done.rowcount:
                self.generation = int(conn.execute(text(
                    "SELECT generation FROM worker_lease WHERE name = :name"),
                    params).scalar_one())
                return True
        try:
            with self.engine.begin() as conn:
                self._bound(conn, wait=True)
                conn.execute(text("INSERT INTO worker_lease (name, holder, expires_at, generation)"
                                  " VALUES (:name, :me, :until, 1)"),
                             {**params, "until": _now(conn) + self.ttl})
        except IntegrityError:  # the row exists: held by another
            return False
        self.generation = 1
        return True

    def fence(self, conn: Connection) -> None:
        """First in a transaction of the worker's writes: lock the lease row if this holder
        still has the generation it took. :raises LeaseLost: it was taken over."""
        self._bound(conn)
        done = conn.execute(text(
            "UPDATE worker_lease SET generation = generation WHERE name = :name "
            "AND holder = :me AND generation = :generation"),
            {"name": self.name, "me": self.holder, "generation": self.generation})
        if not done.rowcount:
            raise LeaseLost(self.name, self.holder, self.generation)

    def release_now(self) -> None:
        """Give the lease up at once (a clean stop), if this holder has it."""
        with self.engine.begin() as conn:
            self._bound(conn)
            conn.execute(text("UPDATE worker_lease SET expires_at = 0 "
                              "WHERE name = :name AND holder = :me"),
                         {"name": self.name, "me": self.holder})

    def _bound(self, conn: Connection, *, wait: bool = False) -> None:
        """First in every transaction that locks the lease row. A holder paused inside one
        (SIGSTOP, a frozen VM) would keep the row locked and block every takeover for as long
        as it stays paused: on PostgreSQL the server ends such a transaction once it has been
        idle for the lease time. `wait`: also give up a lock wait after the lease time (a
        plain "not now" for the caller, which tries again), so no thread waits unbounded."""
        if conn.dialect.name != "postgresql":
            return
        ms = int(self.ttl * 1000)
        conn.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = {ms}"))
        if wait:
            conn.execute(text(f"SET LOCAL lock_timeout = {ms}"))

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
            logger.info("worker: lease %s taken by %s (generation %d)", lease.name,
                        lease.holder, lease.generation)
            worker.checkpoints.fence = worker.scorer.writer.fence = lease.fence
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
