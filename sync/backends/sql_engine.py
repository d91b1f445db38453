"""Engine set-up and the error choke point of the embedded SQL store.

SQLite gets WAL, `synchronous=NORMAL`, foreign keys and a busy timeout; its transactions are
started by us (`BEGIN`, or `BEGIN IMMEDIATE` for writers) instead of by the pysqlite driver,
so a write batch holds the write lock from its first read and readers see a snapshot.
On PostgreSQL, writers run in READ COMMITTED and lock their database row with
`SELECT ... FOR UPDATE`; readers run in REPEATABLE READ so a call sees one snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..errors import StoreError, StoreUnavailable

__all__ = ["WRITE", "Runner", "make_engine", "translate_errors"]

T = TypeVar("T")

#: Execution option that makes a SQLite transaction start with `BEGIN IMMEDIATE`.
WRITE = {"thidua_write": True}


def make_engine(url: str) -> Engine:
    """An engine for a `sqlite:///path` or `postgresql+psycopg://...` URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=8,
        max_overflow=8,
        # Every call ends its own transaction (`Runner._call`) and the driver is in autocommit
        # mode between them, so the pool's rollback-on-return is a wasted round trip.
        pool_reset_on_return=None,
    )
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
    cursor = dbapi_conn.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=30000",
        "cache_size=-32000",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("thidua_write")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextlib.contextmanager
def translate_errors() -> Iterator[None]:
    """Turn every SQLAlchemy/driver failure into `StoreUnavailable` (503)."""
    try:
        yield
    except StoreError:
        raise
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        reason = f"The document store failed: {type(cause).__name__}: {cause}"
        raise StoreUnavailable(reason, original=exc) from exc
    except OSError as exc:
        raise StoreUnavailable(f"The document store failed: {exc}", original=exc) from exc


class Runner:
    """Runs blocking database work in a small thread pool, one connection per call."""

    def __init__(self, engine: Engine, workers: int = 4) -> None:
        self.engine = engine
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="thidua-sql")

    def _call(self, fn: Callable[[Connection], T], write: bool) -> T:
        with translate_errors(), self.engine.connect() as conn:
            if write:
                conn.execution_options(**WRITE)
            elif conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")  # one snapshot
            with conn.begin():
                return fn(conn)

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """`fn(conn)` in a read transaction (a consistent snapshot)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._call, fn, False)

    async def write(self, fn: Callable[[Connection], T]) -> T:
        """`fn(conn)` in one write transaction, committed when it returns."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._call, fn, True)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.engine.dispose()
