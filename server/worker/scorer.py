"""Scoring a page of sheets of one commune database into results (SQL rows and `result:` docs).

For each sheet id: the winning revision is scored with its campaign's criteria set; the
`result_sheet`/`result_breakdown` rows and the `result:` document are replaced when the sheet
revision, the criteria set or the review mark differ from what is stored (so a replayed
change writes nothing). The row's `rank_key` moves the unit in the rankings of its commune,
office and province: that replacement is the incremental ranking update (read by
`server.results.read.ranking` and `/api/results/rankings`). A deleted sheet loses its
result. A result of a campaign the branch closed (`Campaign.closed_at`) is frozen: it is never rescored nor removed (a sheet of a
closed campaign that has no result yet, e.g. on a fresh backfill, is scored once). A sheet that cannot be scored is
recorded in `worker_failure` with its revision and sequence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
import msgspec
from sqlalchemy import Connection, Engine

from scoring.sheet import ScoreSheet
from sync.backends.sql_raw import marks, run
from sync.backends.sql_raw import rows as raw_rows
from sync.store import DocumentStore, Seq, WriteResult

from ..results.build import breakdown_row, build_result, rank_key_text
from ..results.documents import result_doc, result_doc_id
from ..results.tables import ResultBreakdown, SheetResult
from ..review.tables import ConflictRecord
from .directory import NotScorable, WorkerDirectory
from .gcpasses import paused
from .sqlrows import delete_in, insert_fast, insert_ignore, table_of
from .tables import WorkerFailure
from .writes import Writer

__all__ = ["Scorer"]

logger = logging.getLogger("thidua.worker")
_RESULTS, _BREAKDOWNS = table_of(SheetResult), table_of(ResultBreakdown)
_FAILURES, _CONFLICTS = table_of(WorkerFailure), table_of(ConflictRecord)
_SLICE = 16  # sheets scored (and explained, ~1 ms each) between yields to the event loop


def _now() -> datetime:
    return datetime.now(UTC)


class _Plan(msgspec.Struct):
    docs: list[dict[str, Any]] = msgspec.field(default_factory=list)
    results: list[dict[str, Any]] = msgspec.field(default_factory=list)
    breakdowns: list[dict[str, Any]] = msgspec.field(default_factory=list)
    replaced: list[str] = msgspec.field(default_factory=list)  # result ids whose rows go
    failures: list[dict[str, Any]] = msgspec.field(default_factory=list)
    scored: list[str] = msgspec.field(default_factory=list)  # sheet ids scored or current


class _StoredResult(msgspec.Struct):
    """What the scorer compares of a stored `result:` document (other fields skipped)."""

    sheet_rev: Any = None
    criteria_version: Any = None
    needs_review: Any = False
    rev: Any = ""  # set to its winning `_rev` (not in the body)


_decode_result = msgspec.json.Decoder(_StoredResult).decode


def _stored_doc(bodies: Mapping[str, tuple[str, bytes]], rid: str) -> _StoredResult | None:
    found = bodies.get(rid)
    if found is None:
        return None
    stored = _decode_result(found[1])
    stored.rev = found[0]
    return stored


class Scorer:
    def __init__(
        self, store: DocumentStore, engine: Engine, directory: WorkerDirectory, writer: Writer,
        *, clock: Callable[[], datetime] = _now,
    ) -> None:
        self.store, self.engine, self.directory, self.writer = store, engine, directory, writer
        self.clock = clock
        #: SQLite (WAL: a reader never waits for a writer): the stored rows are read on the
        #: event loop; PostgreSQL (a network round trip): in a thread.
        self._inline = engine.dialect.name == "sqlite"
        self.written = 0  # results written since start (status, benchmarks)

    async def score(self, db: str, seqs: Mapping[str, Seq], *, force: set[str] = frozenset()) -> int:  # type: ignore[assignment]
        """Bring the results of the sheets `seqs` names (sheet id -> change seq) up to date
        (those in `force` are rescored even when current); the number of results written."""
        ids = sorted(seqs)
        if not ids:
            return 0
        with paused():  # the page's garbage is collected after it (`gcpasses`)
            plan = await self._plan(db, ids, seqs, force)
            await self.writer.write(db, plan.docs,
                                    lambda conn, res: self._rows(conn, db, plan, res))
        self.written += len(plan.docs)
        return len(plan.docs)

    async def _plan(self, db: str, ids: list[str], seqs: Mapping[str, Seq],
                    force: set[str]) -> _Plan:
        rids = [result_doc_id(i) for i in ids]
        # The sheets and their results, one read, as stored JSON: decoded straight into
        # their Structs (`ScoreSheet.from_body`, `_StoredResult`)
        bodies = await self.store.winning_bodies(db, [*ids, *rids])
        if self._inline:  # a SQLite read of two indexed queries: less than a thread hop
            stored_rows, open_ids = self._stored(db, rids, ids)
        else:
            stored_rows, open_ids = await anyio.to_thread.run_sync(self._stored, db, rids, ids)
        plan = _Plan()
        now = self.clock()
        for index, (sheet_id, rid) in enumerate(zip(ids, rids, strict=True)):
            if index % _SLICE == _SLICE - 1:
                await asyncio.sleep(0)  # let HTTP requests in between (scoring is CPU work)
            self._plan_one(plan, db, sheet_id, rid, bodies.get(sheet_id), _stored_doc(bodies, rid),
                           stored_rows.get(rid), sheet_id in open_ids, seqs[sheet_id], now,
                           sheet_id in force)
        return plan

    def _stored(self, db: str, rids: list[str], ids: list[str]) -> tuple[
            dict[str, tuple[Any, ...]], set[str]]:
        """The stored rows' state of `rids` and the sheets of `ids` with open conflict
        records (plain statements: compiling an `IN` of a new length each page cost more)."""
        rows: dict[str, tuple[Any, ...]] = {}
        open_ids: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(rids), 500):
                chunk = rids[start:start + 500]
                found = raw_rows(conn, (
                    "SELECT id, campaign, sheet_rev, criteria_version, needs_review, rank_key, "
                    "classification, excluded, forced_by, office_code, province_code FROM "
                    f"{_RESULTS.name} WHERE id IN ({marks(len(chunk))})"), chunk)
                rows.update({r[0]: ((r[2], r[3], bool(r[4])), tuple(r[5:]), r[1]) for r in found})
                sheet_chunk = ids[start:start + 500]
                found = raw_rows(conn, (
                    f"SELECT doc_id FROM {_CONFLICTS.name} WHERE db = ? AND status = ? AND "
                    f"doc_id IN ({marks(len(sheet_chunk))})"), (db, "open", *sheet_chunk))
                open_ids.update(r[0] for r in found)
        return rows, open_ids

    def _plan_one(
        self, plan: _Plan, db: str, sheet_id: str, rid: str, winner: tuple[str, bytes] | None,
        stored_doc: _StoredResult | None, stored_row: tuple[Any, ...] | None,
        review: bool, seq: Seq, now: datetime, force: bool = False,
    ) -> None:
        if stored_row is not None and self.directory.closed(stored_row[2]):
            plan.scored.append(sheet_id)
            return  # the campaign is closed: its results are final
        if winner is None:  # deleted or gone
            if stored_row is not None:
                plan.replaced.append(rid)
            if stored_doc is not None:
                plan.docs.append({"_id": rid, "_rev": stored_doc.rev, "_deleted": True})
            plan.scored.append(sheet_id)
            return
        rev = winner[0]
        try:
            sheet = ScoreSheet.from_body(winner[1], sheet_id)
            given, cset, compiled = self.directory.sheet_input(sheet)
        except (NotScorable, msgspec.ValidationError, ValueError, TypeError) as exc:
            plan.failures.append(self._failure(db, sheet_id, rev, seq, str(exc), now))
            return
        want = (rev, cset.version, review)
        doc_state = None if stored_doc is None else (
            stored_doc.sheet_rev, stored_doc.criteria_version, bool(stored_doc.needs_review))
        plan.scored.append(sheet_id)
        current = stored_row is not None and stored_row[0] == want and doc_state == want
        if current and not force:
            return  # already current: a replay writes nothing
        score = compiled.score(given.kind, given.inputs, given.manual, given.flags)
        if current and stored_row is not None and stored_row[1] == (
                rank_key_text(score), score.classification, ",".join(score.excluded),
                score.forced_by, given.scopes.get("pgd", ""), given.scopes.get("province", "")):
            return  # rescored to the same result: nothing to write
        row, criteria = build_result(sheet, sheet_rev=rev, scopes=dict(given.scopes), cset=cset,
                                     score=score, scored_at=now, needs_review=review)
        body = result_doc(row, criteria)
        if stored_doc is not None:
            body["_rev"] = stored_doc.rev
        plan.docs.append(body)
        plan.replaced.append(rid)
        plan.results.append(row)
        plan.breakdowns.append(breakdown_row(rid, criteria))

    @staticmethod
    def _failure(db: str, doc_id: str, rev: str, seq: Seq, error: str, at: datetime) -> dict[str, Any]:
        logger.warning("cannot score %s/%s@%s: %s", db, doc_id, rev, error)
        return {"id": f"{db}/{doc_id}/{rev}", "db": db, "doc_id": doc_id, "rev": rev,
                "seq": msgspec.json.encode(seq).decode(), "error": error, "at": at,
                "resolved": False}

    @staticmethod
    def _rows(conn: Connection, db: str, plan: _Plan, results: list[WriteResult]) -> None:
        delete_in(conn, _BREAKDOWNS, "result_id", plan.replaced)
        delete_in(conn, _RESULTS, "id", plan.replaced)
        insert_fast(conn, _RESULTS, plan.results)
        insert_fast(conn, _BREAKDOWNS, plan.breakdowns)
        insert_ignore(conn, _FAILURES, plan.failures)
        for start in range(0, len(plan.scored), 500):
            chunk = plan.scored[start:start + 500]
            run(conn, "UPDATE worker_failure SET resolved = ? WHERE db = ? AND resolved = ? "
                      f"AND doc_id IN ({marks(len(chunk))})", (True, db, False, *chunk))
