"""Follow the changes of every database of a store from durable checkpoints.

`Follower` is the generic part of the server's worker: it pages through each database's
`_changes` (style `all_docs`, so conflicted leaves are seen) from the checkpoint of that
database, hands each page to `handle(db, rows)`, and stores the page's `last_seq` as the new
checkpoint only after `handle` returned. So every change is handled at least once, in order
per database; a crash between the two replays the page (`handle` must be idempotent). New
databases are picked up on the next scan. `pace()`, when given, is awaited before each page
is handled (the server yields to the requests it is serving, `server.traffic`).

When `handle` raises, the database's checkpoint stays, the error is kept in `status`, and
that database is retried after an exponential backoff (others go on). Waking up: a store
offering `change_signal(db)` (the embedded store) wakes the follower after each local
commit; every `rescan` seconds every database is looked at (writes by other processes).

A store offering `db_updates()` (CouchDB: its `_db_updates` feed, see `DbUpdateFeed`) names
the databases that changed, new ones included: while that feed runs, only those (and the
ones being retried) are looked at, and every database only each `feed_rescan` seconds (a
safety net); while it does not, every `rescan` seconds as above.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Literal, Protocol

import msgspec

from .errors import NotFound
from .store import ChangeRow, DocumentStore, Seq

__all__ = ["Checkpoints", "DbStatus", "DbUpdateFeed", "Follower", "Handler", "MemoryCheckpoints"]

logger = logging.getLogger("thidua.follower")

#: `handle(db, rows)`: process one page of changes (idempotently).
Handler = Callable[[str, Sequence[ChangeRow]], Awaitable[None]]


class Checkpoints(Protocol):
    """Durable storage of the last handled sequence of each database."""

    async def load(self) -> dict[str, Seq]: ...

    async def save(self, db: str, seq: Seq) -> None: ...


class DbUpdateFeed(Protocol):
    """Which databases changed, as a store's `db_updates()` offers it."""

    #: Whether the feed runs now (`pop` answers names).
    live: bool
    #: Times the feed (re)started; each start is followed by one look at every database.
    starts: int

    def pop(self) -> set[str] | None:
        """Databases changed since the last call; None when the caller must look at all."""
        ...


class MemoryCheckpoints:
    """Checkpoints in a dict (tests, one-shot runs)."""

    def __init__(self) -> None:
        self.seqs: dict[str, Seq] = {}

    async def load(self) -> dict[str, Seq]:
        return dict(self.seqs)

    async def save(self, db: str, seq: Seq) -> None:
        self.seqs[db] = seq


class DbStatus(msgspec.Struct):
    """Where the follower is in one database."""

    checkpoint: Seq = 0
    update_seq: Seq = 0
    pending: int = 0  # changes known to be after the checkpoint
    error: str | None = None
    failures: int = 0  # consecutive failed attempts
    retry_at: float = 0.0  # monotonic time before which the database is not retried


class Follower:
    """See the module docstring. `accept(db)` chooses the databases followed; `batch` is the
    page size, or a function of the database giving it; `style(db)` the `_changes` style of
    a database (`all_docs` unless told: a handler that ignores the rows of a database needs
    no conflicted leaves, and `main_only` does not read its revision trees)."""

    def __init__(
        self,
        store: DocumentStore,
        handle: Handler,
        checkpoints: Checkpoints,
        *,
        accept: Callable[[str], bool] = lambda db: True,
        batch: int | Callable[[str], int] = 200,
        style: Callable[[str], Literal["main_only", "all_docs"]] = lambda db: "all_docs",
        rescan: float = 2.0,
        feed_rescan: float = 300.0,
        backoff: tuple[float, float] = (0.5, 60.0),
        clock: Callable[[], float] = time.monotonic,
        pace: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.handle = handle
        self.checkpoints = checkpoints
        self.accept = accept
        self.batch = batch if callable(batch) else (lambda _db, size=batch: size)
        self.style = style
        self.rescan = rescan
        self.feed_rescan = feed_rescan
        self.backoff = backoff
        self.clock = clock
        self.pace = pace
        self.status: dict[str, DbStatus] = {}
        self._loaded = False
        self._scanned_at = float("-inf")
        self._signals: dict[str, asyncio.Event] = {}
        self._wake = asyncio.Event()
        self._feed_starts = 0  # the feed start the last full look came after
        self._looking_after = 0  # the feed start the full look under way comes after
        self._owed: set[str] = set()  # named by the feed, not drained yet

    # -- state ---------------------------------------------------------------------
    def lag(self) -> int:
        """Changes known but not yet handled, over every database."""
        return sum(s.pending for s in self.status.values())

    def errors(self) -> dict[str, str]:
        return {db: s.error for db, s in self.status.items() if s.error}

    def forget(self) -> None:
        """Drop what is known and reload the checkpoints at the next step (another process
        may have moved them, e.g. the previous holder of the worker's lease)."""
        self.status.clear()
        self._signals.clear()
        self._loaded = False
        self._scanned_at = float("-inf")
        self._feed_starts = -1
        self._owed.clear()

    def wake(self) -> None:
        """Look at every database at the next step (e.g. after a write by this process)."""
        self._scanned_at = float("-inf")
        self._wake.set()

    async def _load(self) -> None:
        if not self._loaded:
            for db, seq in (await self.checkpoints.load()).items():
                self.status.setdefault(db, DbStatus()).checkpoint = seq
            self._loaded = True

    # -- one pass ------------------------------------------------------------------
    def _due(self, now: float) -> list[str] | None:
        """Databases to look at now; None when every database is (a rescan)."""
        feed = self._db_updates()
        changed = feed.pop() if feed is not None else None
        if feed is not None and changed is not None:
            if feed.starts != self._feed_starts or now - self._scanned_at >= self.feed_rescan:
                self._looking_after = feed.starts
                return None
            self._owed |= {db for db in changed if self.accept(db)}
            retried = {db for db, status in self.status.items() if status.error}
            due = sorted(self._owed | retried)
        elif now - self._scanned_at >= self.rescan:
            return None
        else:
            due = [db for db, event in self._signals.items() if event.is_set()]
        return [db for db in due if self.status.get(db, DbStatus()).retry_at <= now]

    def _db_updates(self) -> DbUpdateFeed | None:
        offered = getattr(self.store, "db_updates", None)
        return offered() if callable(offered) else None  # type: ignore[no-any-return]

    @property
    def feed_synced(self) -> bool:
        """The store's `_db_updates` feed runs and a full look since its start is done: only
        the databases it names are read now."""
        feed = self._db_updates()
        return feed is not None and feed.live and self._feed_starts == feed.starts

    def _arm(self, db: str) -> None:
        signal = getattr(self.store, "change_signal", None)
        if callable(signal):
            event = signal(db)
            if isinstance(event, asyncio.Event):
                self._signals[db] = event

    async def step(self) -> int:
        """Handle what is pending in the databases due now; the number of rows handled."""
        await self._load()
        now = self.clock()
        dbs = self._due(now)
        full = dbs is None
        if dbs is None:
            dbs = [db for db in await self.store.list_dbs() if self.accept(db)]
            self._scanned_at = now
            for gone in set(self.status) - set(dbs):
                del self.status[gone]
                self._signals.pop(gone, None)
        handled = 0
        for db in dbs:
            status = self.status.setdefault(db, DbStatus())
            if status.retry_at > now:
                continue
            handled += await self._drain(db, status)
            self._owed.discard(db)
        if full:
            self._feed_starts = self._looking_after
        return handled

    async def _drain(self, db: str, status: DbStatus) -> int:
        """Every page of `db` after its checkpoint; stops at the first failure."""
        handled = 0
        self._arm(db)  # armed before reading: a commit after this read sets it
        while True:
            try:
                page = await self.store.changes(
                    db, since=status.checkpoint, limit=self.batch(db), style=self.style(db))
            except NotFound:
                self.status.pop(db, None)
                self._signals.pop(db, None)
                return handled
            status.pending = page.pending + len(page.results)
            if not page.results:
                status.update_seq = page.last_seq
                return handled
            try:
                if self.pace is not None:  # e.g. wait while requests are served
                    await self.pace()
                await self.handle(db, page.results)
                await self.checkpoints.save(db, page.last_seq)
            except Exception as exc:  # noqa: BLE001 - kept in the status, retried later
                status.failures += 1
                status.error = f"{type(exc).__name__}: {exc}"
                low, high = self.backoff
                status.retry_at = self.clock() + min(high, low * 2 ** (status.failures - 1))
                logger.warning("follower: %s failed (attempt %d): %s", db, status.failures,
                               status.error)
                return handled
            status.checkpoint = page.last_seq
            status.update_seq = page.last_seq
            status.error, status.failures, status.retry_at = None, 0, 0.0
            status.pending = page.pending
            handled += len(page.results)
            if not page.pending:
                return handled

    # -- forever -------------------------------------------------------------------
    async def run(self, idle: float = 0.05) -> None:
        """Step until cancelled; sleep `idle` seconds (or until woken) when nothing was due."""
        while True:
            try:
                handled = await self.step()
            except Exception:  # noqa: BLE001 - e.g. the store is down: try again later
                logger.exception("follower step failed")
                handled = 0
                await asyncio.sleep(self.backoff[0])
            if not handled:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), idle)

    async def drain(self, *, rounds: int = 1_000_000) -> int:
        """Step until nothing is pending in any database (tests, `thidua worker --once`)."""
        total = 0
        for _ in range(rounds):
            self._scanned_at = float("-inf")
            handled = await self.step()
            total += handled
            if not handled:
                return total
        return total
