"""Sign-in limits shared by every server process: fixed-window failure counters in SQL.

A key (a name at an address, or an address across names) may fail `max_failures` times per
window. Each row counts the key's failed checks (`count`) and its checks still running
(`pending`). A check is *reserved* before the password is checked, by one atomic upsert
whose `RETURNING` gives every concurrent attempt its own numbers (PostgreSQL and SQLite
serialise upserts of one row), and runs only while failures + running checks stay within
`max_failures`: however many attempts race over however many servers, at most
`max_failures` checks of a window can fail. Only a failed check becomes a failure
(`failed`); a success gives its reservation back (and clears the name's failures), and so
does a check never run (`release`). So many right sign-ins at once from one address (a
commune office behind one NAT) are never answered "too many failed sign-ins": those over
the bound while the others run are told the server is busy (`Reservation.busy`), and a
key is limited (`retry_after`) only by failures. A window starts at a key's first
reservation after the last window ended and lasts `window` seconds: over any `window`
seconds a key gets at most twice `max_failures` failed checks. Keys are stored as sha256
digests (no names or addresses in the table). Methods are blocking: async callers run them
in a thread.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, case, delete, inspect, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from .auth_tables import LimitRow

__all__ = ["ADDRESS", "NAME", "Limit", "Reservation", "SignInLimits", "upgrade_limit_table"]

_TABLE = LimitRow.__table__  # type: ignore[attr-defined]
#: One reservation in this many also deletes the rows of windows that have ended.
_SWEEP_ONE_IN = 64


@dataclass(frozen=True)
class Limit:
    """At most `max_failures` failed sign-ins of one key of `kind` per `window` seconds."""

    kind: str
    max_failures: int
    window: float = 300.0


#: Per name at an address (`"name|address"`), and per address across names.
NAME = Limit("name", 10)
ADDRESS = Limit("address", 30)


@dataclass(frozen=True)
class Reservation:
    """Reserved checks: (digest, window start) per key. Not to be run (`release` it) when
    `retry_after` > 0 (a key failed too often: 429) or `busy` (nothing failed, but the
    checks running could fail up to the limit: 503, retry in a moment)."""

    held: tuple[tuple[str, float], ...]
    retry_after: int
    busy: bool = False


def _digest(limit: Limit, key: str) -> str:
    return hashlib.sha256(f"{limit.kind}:{key}".encode()).hexdigest()


def _wait(limit: Limit, count: int, window_start: float, now: float) -> int:
    if count < limit.max_failures:
        return 0
    return max(1, int(window_start + limit.window - now) + 1)


class SignInLimits:
    """The `auth_limits` table of `engine`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    def retry_after(self, keys: Sequence[tuple[Limit, str]], now: float) -> int:
        """Seconds until every key may try again (0: now); reads only."""
        digests = {_digest(limit, key): limit for limit, key in keys}
        query = select(_TABLE.c.key, _TABLE.c.count, _TABLE.c.window_start).where(
            _TABLE.c.key.in_(digests)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return max(
            (
                _wait(digests[key], count, start, now)
                for key, count, start in rows
                if start > now - digests[key].window
            ),
            default=0,
        )

    def reserve(self, keys: Sequence[tuple[Limit, str]], now: float) -> Reservation:
        """Reserve one check against every key, atomically (see `Reservation`)."""
        held, wait, busy = [], 0, False
        with self.engine.begin() as connection:
            for limit, key in keys:
                digest = _digest(limit, key)
                expired = _TABLE.c.window_start <= now - limit.window
                insert = self._insert(_TABLE).values(
                    key=digest, window_start=now, count=0, pending=1
                )
                statement = insert.on_conflict_do_update(
                    index_elements=[_TABLE.c.key],
                    set_={
                        "count": case((expired, 0), else_=_TABLE.c.count),
                        "pending": case((expired, 1), else_=_TABLE.c.pending + 1),
                        "window_start": case((expired, now), else_=_TABLE.c.window_start),
                    },
                ).returning(_TABLE.c.count, _TABLE.c.pending, _TABLE.c.window_start)
                failures, pending, start = connection.execute(statement).one()
                held.append((digest, float(start)))
                wait = max(wait, _wait(limit, failures, start, now))
                busy = busy or failures + pending > limit.max_failures
            if random.randrange(_SWEEP_ONE_IN) == 0:  # noqa: S311 - not security
                longest = max(limit.window for limit, _ in keys)
                connection.execute(delete(_TABLE).where(_TABLE.c.window_start < now - longest))
        return Reservation(tuple(held), wait, busy and not wait)

    def release(self, reservation: Reservation, clear: Sequence[tuple[Limit, str]] = ()) -> None:
        """Give the reserved checks back (not run, or succeeded); the keys in `clear` lose
        every failure (a right password clears its name's counter)."""
        self._settle(reservation, 0, {_digest(limit, key) for limit, key in clear})

    def failed(self, reservation: Reservation) -> None:
        """The check ran and failed: count it against every key."""
        self._settle(reservation, 1, set())

    def _settle(self, reservation: Reservation, failures: int, cleared: set[str]) -> None:
        with self.engine.begin() as connection:
            if cleared:
                connection.execute(update(_TABLE).where(_TABLE.c.key.in_(cleared)).values(count=0))
            for digest, start in reservation.held:  # a window that ended took its checks along
                connection.execute(
                    update(_TABLE)
                    .where(
                        _TABLE.c.key == digest,
                        _TABLE.c.window_start == start,
                        _TABLE.c.pending > 0,
                    )
                    .values(pending=_TABLE.c.pending - 1, count=_TABLE.c.count + failures)
                )


def upgrade_limit_table(connection: Connection) -> None:
    """Add `pending` to an `auth_limits` table made before it existed (its rows are
    counters of the current window: they stay valid)."""
    columns = {column["name"] for column in inspect(connection).get_columns(_TABLE.name)}
    if "pending" not in columns:
        connection.execute(
            text(f"ALTER TABLE {_TABLE.name} ADD COLUMN pending INTEGER NOT NULL DEFAULT 0")
        )
