"""Credential epochs: one counter per account in SQL, bumped by every change that can end a
credential, so that each server process knows at once when what it read is stale.

Every change (password, disable, roles, token revoke, sign-out) calls `bump` inside its own
transaction. A process caches what it read about an account (the account and its password
hash, a token, a session) with the epoch read *in the same statement* (`EPOCH` joined in),
and reuses it only while `current(engine, name)` still returns that epoch: one primary-key
read per request, and a change committed on any server is seen by the next request on every
other. Blocking: async callers run these in a thread, except `SqliteEpochs`, which reads a
local SQLite file on the event loop (a thread hop costs more than the read).
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from .auth_tables import AccountRow, EpochRow

__all__ = ["EPOCH", "ON_ACCOUNT", "EpochRow", "SqliteEpochs", "bump", "current"]

_TABLE = EpochRow.__table__  # type: ignore[attr-defined]
#: The account's epoch, for a query that joined the epochs table (0 before any change).
EPOCH = func.coalesce(col(EpochRow.epoch), 0)
#: The join condition: `.outerjoin(EpochRow, ON_ACCOUNT)` onto `AccountRow`.
ON_ACCOUNT = col(EpochRow.account) == col(AccountRow.name)


def bump(session: Session, name: str) -> None:
    """Make every cached read about `name` stale (in the caller's transaction)."""
    bind = session.get_bind()
    insert = postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(_TABLE)
        .values(account=name, epoch=1)
        .on_conflict_do_update(
            index_elements=[_TABLE.c.account], set_={"epoch": _TABLE.c.epoch + 1}
        )
    )


def current(engine: Engine, name: str) -> int:
    """The account's epoch now."""
    with engine.connect() as connection:
        value = connection.execute(
            select(_TABLE.c.epoch).where(_TABLE.c.account == name)
        ).scalar_one_or_none()
    return int(value or 0)


class SqliteEpochs:
    """Epoch reads of a SQLite file, cheap enough for the event loop: one connection that
    never waits for a lock (in WAL mode readers take none); `None` when it could not read
    (locked, or not SQLite on a file), and the caller reads in a worker thread instead."""

    def __init__(self, engine: Engine) -> None:
        path = engine.url.database if engine.dialect.name == "sqlite" else None
        self._connection: sqlite3.Connection | None = None
        if path and path != ":memory:" and not path.startswith("file:"):
            self._connection = sqlite3.connect(
                path, timeout=0, isolation_level=None, check_same_thread=False
            )

    def __call__(self, name: str) -> int | None:
        if self._connection is None:
            return None
        try:
            row = self._connection.execute(
                "SELECT epoch FROM auth_epochs WHERE account = ?", (name,)
            ).fetchone()
        except sqlite3.Error:
            return None
        return int(row[0]) if row else 0

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
