"""`create_tables`: `CREATE TABLE IF NOT EXISTS` that holds when several processes start at once.

SQLAlchemy's `create_all` checks for each table, then creates the missing ones; two processes
starting together on a fresh database (two servers, or a server and `thidua worker`) can both
find a table missing, and the second `CREATE` fails. On PostgreSQL the whole step runs under a
transaction-scoped advisory lock, so one process creates and the others find the tables made.
On SQLite a lost race is retried: each loss means one more table exists, so it ends after at
most one try per table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, text
from sqlalchemy.exc import SQLAlchemyError

__all__ = ["SCHEMA_LOCK", "create_tables"]

#: The advisory-lock key every schema step takes on PostgreSQL ("thidua" + 1, as a bigint).
SCHEMA_LOCK = 0x7468696475610001


def create_tables(bind: Engine | Connection, metadata: MetaData,
                  tables: Sequence[Any] | None = None,
                  then: Callable[[Connection], None] | None = None) -> None:
    """Create `tables` of `metadata` (all when None) that are missing, then run `then(conn)`
    (triggers, seed rows) in the same transaction; safe against concurrent callers."""
    def step(conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        metadata.create_all(conn, tables=tables)
        if then is not None:
            then(conn)

    if isinstance(bind, Connection):
        step(bind)
        return
    tries = len(tables if tables is not None else metadata.sorted_tables) + 1
    for attempt in range(1, tries + 1):
        try:
            with bind.begin() as conn:
                step(conn)
            return
        except SQLAlchemyError:
            if attempt == tries or bind.dialect.name == "postgresql":
                raise
