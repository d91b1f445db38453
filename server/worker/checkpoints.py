"""`SqlCheckpoints`: the follower's checkpoints in the `worker_checkpoint` table."""

from __future__ import annotations

from datetime import UTC, datetime

import anyio.to_thread
import msgspec
from sqlalchemy import Engine, select

from sync.store import Seq

from .sqlrows import table_of
from .tables import WorkerCheckpoint

__all__ = ["SqlCheckpoints"]

_TABLE = table_of(WorkerCheckpoint)


class SqlCheckpoints:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load_now(self) -> dict[str, Seq]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(_TABLE.c.db, _TABLE.c.seq)).all()
        return {db: msgspec.json.decode(seq) for db, seq in rows}

    async def load(self) -> dict[str, Seq]:
        return await anyio.to_thread.run_sync(self.load_now)

    def save_now(self, db: str, seq: Seq) -> None:
        values = {"seq": msgspec.json.encode(seq).decode(), "updated_at": datetime.now(UTC)}
        with self.engine.begin() as conn:
            done = conn.execute(_TABLE.update().where(_TABLE.c.db == db).values(**values))
            if not done.rowcount:
                conn.execute(_TABLE.insert().values(db=db, **values))

    async def save(self, db: str, seq: Seq) -> None:
        await anyio.to_thread.run_sync(self.save_now, db, seq)
