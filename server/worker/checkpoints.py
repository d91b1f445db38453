"""`SqlCheckpoints`: the follower's checkpoints in the `worker_checkpoint` table.

Saves are gathered and written together, at most once every `every` seconds (and by `flush`),
in one transaction: a backfill of thousands of databases commits a few checkpoint batches,
not one commit per page. A checkpoint that was not written yet when the process dies is only
a replay of pages already handled, which the worker does idempotently (at-least-once).
`fence` (set by the worker lease, `lease.Lease.fence`) runs first in the transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import anyio.to_thread
import msgspec
from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from sync.store import Seq

from .sqlrows import table_of
from .tables import WorkerCheckpoint

__all__ = ["SqlCheckpoints"]

logger = logging.getLogger("thidua.worker")
_TABLE = table_of(WorkerCheckpoint)


class SqlCheckpoints:
    def __init__(self, engine: Engine, *, every: float = 1.0) -> None:
        self.engine = engine
        self.every = every
        self.pending: dict[str, Seq] = {}  # saved, not yet written
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}  # one per loop
        #: Run first in every write; raises when the worker lost its lease.
        self.fence: Callable[[Connection], None] | None = None

    def load_now(self) -> dict[str, Seq]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(_TABLE.c.db, _TABLE.c.seq)).all()
        return {db: msgspec.json.decode(seq) for db, seq in rows}

    async def load(self) -> dict[str, Seq]:
        await self.flush()  # what this process saved is newer than the table
        return await anyio.to_thread.run_sync(self.load_now)

    def save_now(self, db: str, seq: Seq) -> None:
        self.write_now({db: seq})

    def write_now(self, seqs: dict[str, Seq]) -> None:
        """Write `seqs` (database -> checkpoint) in one transaction (one upsert)."""
        if not seqs:
            return
        now = datetime.now(UTC)
        values = [{"db": db, "seq": msgspec.json.encode(seq).decode(), "updated_at": now}
                  for db, seq in seqs.items()]
        with self.engine.begin() as conn:
            if self.fence is not None:
                self.fence(conn)
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            insert = dialect.insert(_TABLE)
            conn.execute(insert.on_conflict_do_update(
                index_elements=[_TABLE.c.db],
                set_={"seq": insert.excluded.seq, "updated_at": insert.excluded.updated_at}),
                values)

    async def save(self, db: str, seq: Seq) -> None:
        self.pending[db] = seq
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.every, self._flush_soon)

    def _flush_soon(self) -> None:
        self._timer = None
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush_quietly())

    async def _flush_quietly(self) -> None:
        with contextlib.suppress(Exception):  # logged by `flush`; the next save schedules again
            await self.flush()

    async def flush(self) -> None:
        """Write every pending checkpoint now (the end of a drain, a stop)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        loop = asyncio.get_running_loop()
        if loop not in self._locks:
            self._locks = {loop: asyncio.Lock()}  # one flush at a time: later seqs win
        async with self._locks[loop]:
            if not self.pending:
                return
            seqs, self.pending = self.pending, {}
            try:
                await anyio.to_thread.run_sync(self.write_now, seqs)
            except Exception:  # noqa: BLE001 - kept for the next flush (pages replay meanwhile)
                logger.warning("worker: checkpoints not written; retried", exc_info=True)
                self.pending = {**seqs, **self.pending}
                raise

    def flush_now(self) -> None:
        """`flush` without an event loop (a stopping process)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        seqs, self.pending = self.pending, {}
        self.write_now(seqs)
