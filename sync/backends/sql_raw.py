"""Hot-path SQL of the embedded store as plain driver statements (no Core compilation).

Statements are written with `?` placeholders and run through `exec_driver_sql` (errors are
still SQLAlchemy's, so `translate_errors` applies); on PostgreSQL `?` becomes `%s`. Results
are plain tuples: booleans come back as 0/1 on SQLite, callers wrap them in `bool()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection

__all__ = ["marks", "rows", "run", "run_many"]


@lru_cache(maxsize=512)
def _for(paramstyle: str, sql: str) -> str:
    return sql if paramstyle == "qmark" else sql.replace("?", "%s")


@lru_cache(maxsize=64)
def marks(count: int, width: int = 1) -> str:
    """`?,?,?` (width 1) or `(?,?),(?,?)` (row values) for `count` items."""
    one = "?" if width == 1 else "(" + ",".join("?" * width) + ")"
    return ",".join([one] * count)


def rows(conn: Connection, sql: str, params: Sequence[Any] = ()) -> Sequence[Any]:
    """All result rows of one statement, as tuples."""
    return conn.exec_driver_sql(_for(conn.dialect.paramstyle, sql), tuple(params)).fetchall()


def run(conn: Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """Execute one statement; returns its rowcount."""
    return conn.exec_driver_sql(_for(conn.dialect.paramstyle, sql), tuple(params)).rowcount


def run_many(conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
    """Execute one statement for each parameter tuple (executemany)."""
    if params:
        conn.exec_driver_sql(_for(conn.dialect.paramstyle, sql), params)
