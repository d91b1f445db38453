"""Writing documents and their SQL rows together.

When the store keeps its documents in the results' database (the embedded store on the
settings' URL, capability `JOURNAL`), the rows are written inside the documents' own
transaction: both commit or neither. Otherwise (CouchDB) the documents are written first and
the rows after, in a thread; a crash in between is repaired by the replay (the worker checks
both sides before skipping a change).
`fence` (set by the worker lease, `lease.Lease.fence`) runs first in every such transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import anyio.to_thread
from sqlalchemy import Connection, Engine

from sync.store import JOURNAL, DocumentStore, WriteResult

from ..audit_hooks import shares_database

__all__ = ["Rows", "Writer"]

#: `rows(connection, results)`: the SQL rows for a batch, given the store's answers.
Rows = Callable[[Connection, list[WriteResult]], None]


class Writer:
    def __init__(self, store: DocumentStore, engine: Engine) -> None:
        self.store = store
        self.engine = engine
        self.shared = shares_database(store, engine) and JOURNAL in store.capabilities
        #: Run first in every transaction of rows; raises when the worker lost its lease.
        self.fence: Callable[[Connection], None] | None = None

    async def write(
        self, db: str, docs: Sequence[dict[str, Any]], rows: Rows, *, new_edits: bool = True
    ) -> list[WriteResult]:
        if not docs:
            await self.rows(rows, [])
            return []
        if self.shared:
            return await self.store.bulk_docs(  # type: ignore[call-arg]
                db, docs, new_edits=new_edits, journal=self._fenced(rows))
        results = await self.store.bulk_docs(db, docs, new_edits=new_edits)
        await self.rows(rows, results)
        return results

    async def rows(self, rows: Rows, results: list[WriteResult]) -> None:
        def run() -> None:
            with self.engine.begin() as conn:
                self._fenced(rows)(conn, results)

        await anyio.to_thread.run_sync(run)

    def _fenced(self, rows: Rows) -> Rows:
        fence = self.fence
        if fence is None:
            return rows

        def fenced(conn: Connection, results: list[WriteResult]) -> None:
            fence(conn)
            rows(conn, results)

        return fenced
