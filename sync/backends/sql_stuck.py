"""Ending PostgreSQL sessions left stuck inside a transaction by their own process.

A process paused (SIGSTOP, a frozen VM) or cut off in the middle of a transaction keeps its
row locks for as long as it stays away, and every writer of those rows waits. PostgreSQL ends
such a session by itself only while it is *idle* in its transaction
(`idle_in_transaction_session_timeout`): not while a pipeline (psycopg's `executemany`) is
half sent, when the session stays `active` waiting for its client, and PostgreSQL 15 has no
`transaction_timeout`. So a writer whose lock wait timed out (`lock_timed_out`) calls
`end_stuck_sessions`: every session of the same role and database that has been waiting for
its client for longer than `after` seconds inside a transaction is ended with
`pg_terminate_backend` (its transaction rolls back, as if its process had died), and the
writer tries again. None of our transactions waits for its client between two statements
for more than milliseconds, so a session waiting seconds is one whose process is not running.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

__all__ = ["end_stuck_sessions", "lock_timed_out"]

_LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout expired

_END_STUCK = text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND usename = current_user "
    "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND wait_event = 'ClientRead' "
    "AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)') "
    "AND state_change < clock_timestamp() - make_interval(secs => :after)")


def lock_timed_out(exc: BaseException) -> bool:
    """True when `exc` is PostgreSQL's "canceling statement due to lock timeout"."""
    orig = getattr(exc, "orig", None)
    return (isinstance(exc, OperationalError)
            and getattr(orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE)


def end_stuck_sessions(conn: Connection, after: float) -> int:
    """End the sessions stuck on their client in a transaction for more than `after`
    seconds (see the module docstring); how many were ended. PostgreSQL only."""
    return int(conn.execute(_END_STUCK, {"after": float(after)}).scalar_one())
