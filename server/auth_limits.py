"""Sign-in limits shared by every server process: fixed-window failure counters in SQL.

A key (a name at an address, or an address across names) may fail `max_failures` times per
window. The counter is *reserved* before the password is checked, by one atomic upsert
whose `RETURNING count` gives every concurrent attempt its own number in the window
(PostgreSQL and SQLite serialise upserts of one row), so however many attempts race over
however many servers, at most `max_failures` of a window reach the password check. A
success gives its reservation back (and clears the name's counter); a check that was never
run (limit reached, queue full) gives it back too. A window starts at a key's first failure
and lasts `window` seconds: over any `window` seconds a key gets at most twice
`max_failures` checks. Keys are stored as sha256 digests (no names or addresses in the
table). Methods are blocking: async callers run them in a thread.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .auth_tables import LimitRow

__all__ = ["ADDRESS", "NAME", "Limit", "Reservation", "SignInLimits"]

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
    """Counted attempts: (digest, window start) per key; `retry_after` > 0 when over."""

    held: tuple[tuple[str, float], ...]
    retry_after: int


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
        """Count one attempt against every key, atomically; over the limit when any key's
        count goes past `max_failures` (then `release` it: the check is not run)."""
        held, wait = [], 0
        with self.engine.begin() as connection:
            for limit, key in keys:
                digest = _digest(limit, key)
                expired = _TABLE.c.window_start <= now - limit.window
                insert = self._insert(_TABLE).values(key=digest, window_start=now, count=1)
                statement = insert.on_conflict_do_update(
                    index_elements=[_TABLE.c.key],
                    set_={
                        "count": case((expired, 1), else_=_TABLE.c.count + 1),
                        "window_start": case((expired, now), else_=_TABLE.c.window_start),
                    },
                ).returning(_TABLE.c.count, _TABLE.c.window_start)
                count, start = connection.execute(statement).one()
                held.append((digest, float(start)))
                if count > limit.max_failures:
                    wait = max(wait, _wait(limit, count, start, now))
            if random.randrange(_SWEEP_ONE_IN) == 0:  # noqa: S311 - not security
                longest = max(limit.window for limit, _ in keys)
                connection.execute(delete(_TABLE).where(_TABLE.c.window_start < now - longest))
        return Reservation(tuple(held), wait)

    def release(self, reservation: Reservation, clear: Sequence[tuple[Limit, str]] = ()) -> None:
        """Give the attempts back (the check was not run, or it succeeded); the keys in
        `clear` lose every failure (a right password clears its name's counter)."""
        cleared = {_digest(limit, key) for limit, key in clear}
        with self.engine.begin() as connection:
            if cleared:
                connection.execute(delete(_TABLE).where(_TABLE.c.key.in_(cleared)))
            for digest, start in reservation.held:
                if digest in cleared:
                    continue
                connection.execute(
                    update(_TABLE)
                    .where(
                        _TABLE.c.key == digest,
                        _TABLE.c.window_start == start,
                        _TABLE.c.count > 0,
                    )
                    .values(count=_TABLE.c.count - 1)
                )
