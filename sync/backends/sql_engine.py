"""Engine set-up, the error choke point and where the embedded SQL store's work runs.

SQLite gets WAL, `synchronous=NORMAL`, foreign keys and a busy timeout; its transactions are
started by us (`BEGIN`, or `BEGIN IMMEDIATE` for writers) instead of by the pysqlite driver,
so a write batch holds the write lock from its first read and readers see a snapshot.
On PostgreSQL, writers run in READ COMMITTED and lock their database row with
`SELECT ... FOR UPDATE`; readers run in REPEATABLE READ so a call sees one snapshot. A lock
wait gives up after `lock_wait` seconds (`lock_timeout`): the call then ends the sessions left
stuck in a transaction by a paused or cut-off process (`sql_stuck`) and runs again, at most
`LOCK_RETRIES` times, so a frozen process never blocks a database for longer than about
`lock_wait`, and a busy one makes writers wait, then answer "unavailable", never hang.

Where calls run (`Runner`): work goes to a small thread pool, except *small* SQLite calls
(a bounded number of rows: one replication batch, a checkpoint, database info), which run
on the event loop itself, on two dedicated connections that never wait for a lock
(`busy_timeout=0`). A thread hop costs far more than such a query (measured in
docs/benchmarks.md); when the database is locked by another writer (another process, a big
batch in a worker thread), the call is retried in the pool, which waits for the lock there,
so the event loop never blocks on a lock.

WAL checkpoints (copying committed pages back into the database file) run in a worker thread
shortly after writes (`PRAGMA wal_checkpoint(PASSIVE)`, which blocks neither readers nor
writers), not inside a commit on the event loop; SQLite's own automatic checkpoint stays as a
safety net at a larger WAL size.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from ..errors import StoreError, StoreUnavailable
from .sql_stuck import end_stuck_sessions, lock_timed_out

__all__ = ["LOCK_WAIT", "SMALL", "SMALL_BYTES", "WRITE", "Runner", "make_engine", "translate_errors"]

T = TypeVar("T")
logger = logging.getLogger("thidua.sync.store")

#: Execution option that makes a SQLite transaction start with `BEGIN IMMEDIATE`.
WRITE = {"thidua_write": True}
#: The most documents (or ids, or rows) a call may touch to count as small (run on the loop).
SMALL = 500
#: The most bytes of raw JSON a small `_bulk_docs` batch may carry (PouchDB's are ~100 KB).
SMALL_BYTES = 2_000_000
#: Seconds between a write and the background WAL checkpoint it schedules.
CHECKPOINT_DELAY = 0.2
#: WAL pages at which SQLite checkpoints inside a commit (only if the background one lags).
AUTO_CHECKPOINT_PAGES = 10_000
#: PostgreSQL: seconds a statement waits for a lock before the stuck sessions are looked for.
LOCK_WAIT = 10.0
#: PostgreSQL: lock waits a call sits through (looking for stuck sessions after each).
LOCK_RETRIES = 5


def make_engine(url: str, *, lock_wait: float = LOCK_WAIT) -> Engine:
    """An engine for a `sqlite:///path` or `postgresql+psycopg://...` URL (on PostgreSQL,
    lock waits give up after `lock_wait` seconds)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        options = f"-c lock_timeout={int(lock_wait * 1000)}"
        return create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8,
                             connect_args={"options": options})
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
        f"wal_autocheckpoint={AUTO_CHECKPOINT_PAGES}",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("thidua_write")
    statement = "BEGIN IMMEDIATE" if write else "BEGIN"
    try:  # on the driver directly: SQLAlchemy's statement machinery costs more than BEGIN
        conn.connection.dbapi_connection.execute(statement)  # type: ignore[union-attr]
    except sqlite3.Error as exc:
        raise DBAPIError.instance(statement, (), exc, sqlite3.Error) from exc


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


def _log_failure(done: asyncio.Future[None]) -> None:
    if not done.cancelled() and (exc := done.exception()) is not None:
        logger.warning("background WAL checkpoint failed: %s", exc)


class _Locked(Exception):
    """SQLite answered SQLITE_BUSY on a loop connection: run the call in the pool instead."""


def _is_busy(exc: OperationalError) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED, extended codes (`SQLITE_BUSY_RECOVERY`, ...) included."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class Runner:
    """Runs blocking database work: small SQLite calls on the event loop, the rest in a small
    thread pool (one pooled connection per call). Each call is one transaction."""

    def __init__(self, engine: Engine, workers: int = 4, *, lock_wait: float = LOCK_WAIT) -> None:
        self.engine, self.lock_wait = engine, lock_wait
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="thidua-sql")
        self._on_loop = engine.dialect.name == "sqlite"
        self._loop_conns: dict[bool, Connection] = {}  # write? -> connection
        self._closed = False
        self._checkpoint_due: asyncio.AbstractEventLoop | None = None  # loop it is scheduled on

    def _call(self, fn: Callable[[Connection], T], write: bool) -> T:
        waits = 0
        with translate_errors():
            while True:
                try:
                    return self._call_once(fn, write)
                except OperationalError as exc:
                    waits += 1
                    if waits > LOCK_RETRIES or not lock_timed_out(exc):
                        raise
                    self._end_stuck()

    def _end_stuck(self) -> None:
        with self.engine.begin() as conn:
            ended = end_stuck_sessions(conn, self.lock_wait)
        if ended:
            logger.warning("ended %d database sessions stuck in a transaction for over %.0f s "
                           "(a paused or cut-off process held their locks)", ended,
                           self.lock_wait)

    def _call_once(self, fn: Callable[[Connection], T], write: bool) -> T:
        with self.engine.connect() as conn:
            if write:
                conn.execution_options(**WRITE)
            elif conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")  # one snapshot
            with conn.begin():
                return fn(conn)

    def _loop_conn(self, write: bool) -> Connection:
        conn = self._loop_conns.get(write)
        if conn is None or conn.invalidated or conn.closed:
            conn = self.engine.connect()
            conn.detach()  # owned by this runner until `close`, never back in the pool
            conn.connection.dbapi_connection.execute("PRAGMA busy_timeout = 0")  # type: ignore[union-attr]
            if write:
                conn.execution_options(**WRITE)
            self._loop_conns[write] = conn
        return conn

    def _call_on_loop(self, fn: Callable[[Connection], T], write: bool) -> T:
        with translate_errors():
            conn = self._loop_conn(write)
            try:
                with conn.begin():
                    return fn(conn)
            except OperationalError as exc:
                if _is_busy(exc):
                    raise _Locked from exc
                raise

    async def _run(self, fn: Callable[[Connection], T], write: bool, small: bool) -> T:
        if self._closed:
            raise StoreUnavailable("The document store is closed.")
        if write and self._on_loop:
            self._schedule_checkpoint()
        if small and self._on_loop:
            try:
                return self._call_on_loop(fn, write)
            except _Locked:
                pass  # another writer holds the lock: wait for it in a worker thread
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._call, fn, write)

    def _schedule_checkpoint(self) -> None:
        loop = asyncio.get_running_loop()
        if self._checkpoint_due is not loop:  # not yet scheduled on this loop
            self._checkpoint_due = loop
            loop.call_later(CHECKPOINT_DELAY, self._start_checkpoint)

    def _start_checkpoint(self) -> None:
        self._checkpoint_due = None  # writes from now on schedule the next one
        if self._closed:
            return
        try:
            done = asyncio.get_running_loop().run_in_executor(self._pool, self._checkpoint)
        except RuntimeError:  # the pool shut down meanwhile (`close` in another thread)
            return
        done.add_done_callback(_log_failure)

    def _checkpoint(self) -> None:
        with self.engine.connect() as conn:
            conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
                "PRAGMA wal_checkpoint(PASSIVE)")

    async def read(self, fn: Callable[[Connection], T], *, small: bool = False) -> T:
        """`fn(conn)` in a read transaction (a consistent snapshot); `small`: it touches at
        most `SMALL` rows, so SQLite may run it on the event loop."""
        return await self._run(fn, False, small)

    async def write(self, fn: Callable[[Connection], T], *, small: bool = False) -> T:
        """`fn(conn)` in one write transaction, committed when it returns (`small` as in
        `read`)."""
        return await self._run(fn, True, small)

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=True)
        for conn in self._loop_conns.values():
            conn.close()
        self._loop_conns.clear()
        self.engine.dispose()
