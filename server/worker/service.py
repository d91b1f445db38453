"""`Worker`: the server's policy over the generic `sync.follower.Follower`.

It follows `config` and every commune (`c-`) and province (`p-`) database. For each page of
changes: the directory is refreshed from `config` (a changed criteria set, unit or commune
rescores the results it affects), conflicted sheets are reconciled (`reconcile.py`), then
every sheet of the page is scored (`scorer.py`). A page that fails for an unexpected reason is
handled again one change at a time, and a change that still fails is recorded in
`worker_failure` with the change; infrastructure errors (store or SQL unavailable) leave the
checkpoint where it is and the follower backs off.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
import msgspec
from sqlalchemy import Engine, func, or_, select
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from scoring.ids import CONFIG_DB
from sync.errors import StoreUnavailable
from sync.follower import Follower
from sync.store import ChangeRow, DocumentStore, Seq

from ..audit import Audit
from ..results.tables import SheetResult, install_result_tables
from ..review.tables import install_review_tables
from .checkpoints import SqlCheckpoints
from .directory import Affected, WorkerDirectory
from .gcpasses import long_lived
from .reconcile import Reconciler
from .scorer import Scorer
from .sqlrows import insert_ignore, relaxed_sync, table_of
from .tables import WorkerFailure, install_worker_tables
from .writes import Writer

__all__ = ["Worker", "WorkerStatus", "follows"]

logger = logging.getLogger("thidua.worker")
_TRANSIENT = (StoreUnavailable, OperationalError, OSError)
_RESULTS, _FAILURES = table_of(SheetResult), table_of(WorkerFailure)
#: `config` pages: their rows only move its checkpoint (the directory reads `config` itself;
#: so they are read `main_only`, without revision trees),
#: and every full page of the store's `_changes` counts the changes after it (a national
#: `config` holds ~276,000 documents: pages of 200 made that count 1,400 times).
_CONFIG_PAGE = 25_000  # 11 counts of a national `config`, not 55
#: With a `pace` (the server's worker), a page is scored this many sheets at a time, `pace`
#: awaited between slices: a phone's request waits for at most one slice, and while
#: requests are in flight the worker waits (`server.traffic`) instead of taking the GIL.
_SLICE = 25


def follows(db: str) -> bool:
    """The databases the worker follows: `config`, `c-` and `p-`."""
    return db == CONFIG_DB or db.startswith(("c-", "p-"))


class WorkerStatus(msgspec.Struct):
    """What `/healthz` and `thidua check` report."""

    state: str  # running | off | stopped
    lag: int = 0  # changes known but not handled yet
    databases: int = 0
    errors: dict[str, str] = {}  # database -> last error (being retried)
    results_written: int = 0
    merges: int = 0


class Worker:
    def __init__(
        self, store: DocumentStore, engine: Engine, audit: Audit | None = None, *,
        batch: int = 200, rescan: float = 2.0, pace: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.store, self.engine = store, engine
        relaxed_sync(engine)  # a checkpoint per page: no fsync each
        self.directory = WorkerDirectory()
        writer = Writer(store, engine)
        self.scorer = Scorer(store, engine, self.directory, writer)
        self.reconciler = Reconciler(store, writer, audit)
        self.checkpoints = SqlCheckpoints(engine)
        self.follower = Follower(store, self.handle, self.checkpoints, accept=follows,
                                 batch=lambda db: _CONFIG_PAGE if db == CONFIG_DB else batch,
                                 style=lambda db: "main_only" if db == CONFIG_DB else "all_docs",
                                 rescan=rescan, pace=pace)
        self.pace, self.running = pace, False

    def install(self) -> None:
        """Create the results, review and worker tables (blocking, idempotent)."""
        install_result_tables(self.engine)
        install_review_tables(self.engine)
        install_worker_tables(self.engine)

    async def initialize(self) -> None:
        await anyio.to_thread.run_sync(self.install)

    def status(self) -> WorkerStatus:
        return WorkerStatus(
            state="running" if self.running else "stopped", lag=self.follower.lag(),
            databases=len(self.follower.status), errors=self.follower.errors(),
            results_written=self.scorer.written, merges=self.reconciler.merges)

    async def run(self) -> None:
        self.running = True
        try:
            await self.follower.run()
        finally:
            self.running = False
            with contextlib.suppress(SQLAlchemyError):
                self.checkpoints.flush_now()  # stopping: keep what was handled

    async def drain(self) -> int:
        """Handle everything pending now (tests, `thidua worker --once`)."""
        handled = await self.follower.drain()
        await self.checkpoints.flush()
        return handled

    # -- the policy ------------------------------------------------------------------
    async def handle(self, db: str, rows: Sequence[ChangeRow]) -> None:
        if db != CONFIG_DB and self.directory.loaded and not any(
                row.id.startswith("sheet:") for row in rows):
            return  # nothing to score (e.g. the worker's own `result:` docs read back);
            # `config` changes are applied with the next page that has sheets, or its own
        first = not self.directory.loaded
        status = self.follower.status.get(CONFIG_DB)
        with long_lived() if first else contextlib.nullcontext():
            affected = await self.directory.refresh(
                self.store, status.checkpoint if status is not None else 0)
        if first:  # criteria sets changed while no worker ran
            affected.campaigns = await anyio.to_thread.run_sync(self._stale_campaigns)
        if affected:
            await self._rescore(affected)
        if db == CONFIG_DB:
            return
        try:
            await self._page(db, rows)
        except _TRANSIENT:
            raise
        except Exception:  # noqa: BLE001 - narrowed down to the change at fault below
            logger.exception("worker: page of %s failed; one change at a time", db)
            for row in rows:
                try:
                    await self._page(db, [row])
                except _TRANSIENT:
                    raise
                except Exception as exc:  # noqa: BLE001 - recorded with the change
                    await self._record_failure(db, row, exc)

    async def _page(self, db: str, rows: Sequence[ChangeRow]) -> None:
        sheets = [row for row in rows if row.id.startswith("sheet:")]
        for row in sheets:
            if len(row.changes) > 1:
                await self.reconciler.reconcile(db, row.id)
        step = _SLICE if self.pace is not None else max(1, len(sheets))
        for start in range(0, len(sheets), step):
            if start and self.pace is not None:
                await self.pace()
            await self.scorer.score(db, {row.id: row.seq for row in sheets[start:start + step]})

    async def _record_failure(self, db: str, row: ChangeRow, exc: Exception) -> None:
        rev = row.changes[0]["rev"] if row.changes else ""
        failure = {"id": f"{db}/{row.id}/{rev}", "db": db, "doc_id": row.id, "rev": rev,
                   "seq": msgspec.json.encode(row.seq).decode(),
                   "error": f"{type(exc).__name__}: {exc}", "at": datetime.now(UTC),
                   "resolved": False}
        await self.scorer.writer.rows(lambda conn, _r: insert_ignore(conn, _FAILURES, [failure]),
                                      [])

    async def _rescore(self, affected: Affected) -> None:
        """Rescore every stored result of the changed campaigns, units and communes."""
        targets = await anyio.to_thread.run_sync(self._targets, affected)
        for db, ids in sorted(targets.items()):
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                await self.scorer.score(db, dict.fromkeys(chunk, "rescore"), force=set(chunk))

    def _stale_campaigns(self) -> set[str]:
        c = _RESULTS.c
        stale: set[str] = set()
        with self.engine.connect() as conn:
            for campaign, version in conn.execute(
                    select(c.campaign, c.criteria_version).distinct()):
                known = self.directory.campaigns.get(campaign)
                if known is not None and known.criteria_version != version:
                    stale.add(campaign)
        return stale

    def _targets(self, affected: Affected) -> dict[str, list[str]]:
        c = _RESULTS.c
        conditions: list[Any] = []
        if affected.campaigns:
            conditions.append(c.campaign.in_(sorted(affected.campaigns)))
        if affected.units:
            conditions.append(c.unit.in_(sorted(affected.units)))
        if affected.communes:
            conditions.append(c.commune_code.in_(sorted(affected.communes)))
        found: dict[str, list[str]] = defaultdict(list)
        with self.engine.connect() as conn:
            for db, sheet_id in conn.execute(select(c.db, c.sheet_id).where(or_(*conditions))):
                found[db].append(sheet_id)
        return found

    # -- reporting ----------------------------------------------------------------------
    def open_failures(self) -> int:
        with self.engine.connect() as conn:
            query = select(func.count()).select_from(_FAILURES).where(
                _FAILURES.c.resolved.is_(False))
            return int(conn.execute(query).scalar_one())


async def backlog(store: DocumentStore, checkpoints: dict[str, Seq]) -> dict[str, int]:
    """Changes after each followed database's checkpoint (what `thidua check` reports)."""
    out: dict[str, int] = {}
    for db in await store.list_dbs():
        if follows(db):
            page = await store.changes(db, since=checkpoints.get(db, 0), limit=1)
            out[db] = page.pending + len(page.results)
    return out
