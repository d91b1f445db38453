"""Hot-path SQL of the embedded store as plain driver statements, on the driver's own cursor.

Statements are written with `?` placeholders; on PostgreSQL `?` becomes `%s`. They run on the
DBAPI connection of the caller's SQLAlchemy `Connection`, inside its transaction, with none of
SQLAlchemy's per-statement machinery (result metadata, events): for a point query that
machinery costs ten times the query. Driver errors are raised as SQLAlchemy's (`DBAPIError`
subclasses), so `translate_errors` and the lock detection treat both paths alike. Results are
plain tuples: booleans come back as 0/1 on SQLite, callers wrap them in `bool()`.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

__all__ = ["marks", "named_rows", "rows", "run", "run_many"]


@lru_cache(maxsize=512)
def _for(paramstyle: str, sql: str) -> str:
    return sql if paramstyle == "qmark" else sql.replace("?", "%s")


@lru_cache(maxsize=64)
def marks(count: int, width: int = 1) -> str:
    """`?,?,?` (width 1) or `(?,?),(?,?)` (row values) for `count` items."""
    one = "?" if width == 1 else "(" + ",".join("?" * width) + ")"
    return ",".join([one] * count)


def _execute(conn: Connection, sql: str, params: Any, many: bool = False) -> Any:
    """A driver cursor that ran `sql` in `conn`'s transaction."""
    dialect = conn.dialect
    statement = _for(dialect.paramstyle, sql)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if many:
            cursor.executemany(statement, params)
        else:
            cursor.execute(statement, params)
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(statement, params, exc, dialect.loaded_dbapi.Error) from exc
    return cursor


def rows(conn: Connection, sql: str, params: Sequence[Any] = ()) -> Sequence[Any]:
    """All result rows of one statement, as tuples."""
    return _execute(conn, sql, tuple(params)).fetchall()  # type: ignore[no-any-return]


@lru_cache(maxsize=64)
def _row_type(columns: tuple[str, ...]) -> Any:
    return namedtuple("Row", columns)  # noqa: PYI024 - built from a cursor's columns


def named_rows(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """All result rows of one statement, as named tuples (`row.column`)."""
    cursor = _execute(conn, sql, tuple(params))
    make = _row_type(tuple(column[0] for column in cursor.description))._make
    return [make(row) for row in cursor.fetchall()]


def run(conn: Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """Execute one statement; returns its rowcount."""
    return _execute(conn, sql, tuple(params)).rowcount  # type: ignore[no-any-return]


def run_many(conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
    """Execute one statement for each parameter tuple (executemany)."""
    if params:
        _execute(conn, sql, params, many=True)
