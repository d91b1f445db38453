"""The worker on a real SQLite store seeded with the demo: every sheet scored into SQL and
`result:` docs, replays change nothing, conflicts merged in one deterministic batch."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, select

from server.audit import Audit, AuditFilter
from server.results import SheetResult, get_result, list_results
from server.review.tables import ConflictRecord
from server.seed import seed_demo
from server.worker.service import Worker
from server.worker.tables import WorkerFailure
from sync import revtree
from sync.backends.sql import SqlStore


class World:
    def __init__(self, store: SqlStore, engine: Any, audit: Audit, summary: Any) -> None:
        self.store, self.engine, self.audit, self.summary = store, engine, audit, summary

    def worker(self) -> Worker:
        return Worker(self.store, self.engine, self.audit, batch=100)

    async def sheet(self, index: int = 0, kind: str = "") -> tuple[str, dict[str, Any]]:
        db = f"c-{self.summary.commune_codes[index]}"
        start = f"sheet:2026:{kind}" if kind else "sheet:"
        rows = (await self.store.all_docs(db, startkey=start, endkey="sheet:\uffff",
                                          include_docs=True, limit=1))["rows"]
        return db, rows[0]["doc"]


async def _open(path: Path) -> World:
    url = f"sqlite:///{path}"
    store = SqlStore(url)
    await store.initialize()
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    audit = Audit(engine)
    audit.initialize()
    return World(store, engine, audit, None)


async def _close(world: World) -> None:
    await world.store.close()
    world.engine.dispose()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any]:
    """The seeded demo store, and the same once the worker drained it (built once)."""
    import asyncio

    folder = tmp_path_factory.mktemp("worker")

    async def build() -> Any:
        world = await _open(folder / "seeded.sqlite3")
        summary = await seed_demo(world.store, seed=3)
        await world.worker().initialize()
        await _close(world)
        shutil.copy(folder / "seeded.sqlite3", folder / "drained.sqlite3")
        world = await _open(folder / "drained.sqlite3")
        await world.worker().drain()
        await _close(world)
        return summary

    summary = asyncio.run(build())
    return folder / "seeded.sqlite3", folder / "drained.sqlite3", summary


async def _world(template: tuple[Path, Path, Any], tmp_path: Path, which: int) -> World:
    target = tmp_path / "thidua.sqlite3"
    shutil.copy(template[which], target)
    world = await _open(target)
    world.summary = template[2]
    return world


@pytest.fixture
async def world(template: tuple[Path, Path, Any], tmp_path: Path) -> AsyncIterator[World]:
    """A drained demo store (every sheet scored)."""
    world = await _world(template, tmp_path, 1)
    yield world
    await _close(world)


@pytest.fixture
async def seeded(template: tuple[Path, Path, Any], tmp_path: Path) -> AsyncIterator[World]:
    """A seeded demo store nobody scored yet."""
    world = await _world(template, tmp_path, 0)
    yield world
    await _close(world)


def _results(engine: Any) -> dict[str, tuple[str, int]]:
    with Session(engine) as session:
        return {r.id: (r.sheet_rev, r.total) for r in session.exec(select(SheetResult))}


async def test_every_sheet_is_scored_once_and_a_replay_writes_nothing(seeded: World) -> None:
    world = seeded
    worker = world.worker()
    await worker.drain()
    results = _results(world.engine)
    assert len(results) == world.summary.counts["sheets"]
    db, sheet = await world.sheet()
    rid = "result:" + sheet["_id"].removeprefix("sheet:")
    assert results[rid][0] == sheet["_rev"]
    doc = await world.store.get(db, rid)
    view = get_result(world.engine, rid)
    assert view is not None and doc["total"] == f"{view.total / 10:.1f}"
    assert doc["sheet_rev"] == sheet["_rev"] and len(doc["criteria"]) == len(view.criteria)
    # replay from checkpoint 0 (a fresh worker forgetting its checkpoints): nothing written
    with world.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM worker_checkpoint")
    before = await world.store.db_info(db)
    replay = world.worker()
    await replay.drain()
    assert replay.scorer.written == 0
    assert (await world.store.db_info(db)).update_seq == before.update_seq
    assert _results(world.engine) == results


async def test_an_edit_rescores_and_a_delete_removes_the_result(world: World) -> None:
    worker = world.worker()
    db, sheet = await world.sheet()
    rid = "result:" + sheet["_id"].removeprefix("sheet:")
    edited = {**sheet, "inputs": {**sheet["inputs"]}}
    name = sorted(edited["inputs"])[0]
    edited["inputs"][name] = 0
    written = await world.store.put(db, edited)
    assert (await world.store.get(db, rid))["sheet_rev"] == sheet["_rev"]  # stale for now
    await worker.drain()
    assert (await world.store.get(db, rid))["sheet_rev"] == written.rev
    await world.store.put(db, {"_id": sheet["_id"], "_rev": written.rev, "_deleted": True})
    await worker.drain()
    assert get_result(world.engine, rid) is None
    assert rid not in {r["id"] for r in (await world.store.all_docs(db))["rows"]}


def _branch(doc: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """A child revision of `doc` as a device would replicate it (new_edits=false)."""
    rev = revtree.new_rev(doc["_rev"], body, deleted=False)
    pos, digest = revtree.parse_rev(rev)
    return {**body, "_id": doc["_id"], "_rev": rev,
            "_revisions": {"start": pos, "ids": [digest, revtree.parse_rev(doc["_rev"])[1]]}}


async def test_a_conflict_is_merged_deterministically_with_a_clash_record(world: World) -> None:
    db, sheet = await world.sheet()
    body = {k: v for k, v in sheet.items() if not k.startswith("_")}
    names = sorted(body["inputs"])
    one = {**body, "inputs": {**body["inputs"], names[0]: 7, names[1]: 1},
           "updated_at": "2026-11-02T08:00:00Z", "scorer": "canbo1", "device_id": "d1"}
    two = {**body, "inputs": {**body["inputs"], names[0]: 9, names[2]: 2},
           "updated_at": "2026-11-02T09:00:00Z", "scorer": "canbo2", "device_id": "d2"}
    await world.store.bulk_docs(db, [_branch(sheet, one), _branch(sheet, two)], new_edits=False)
    first, second = world.worker(), world.worker()
    await first.drain()
    await second.drain()  # a second worker (or a replay) writes nothing new
    winner = await world.store.get(db, sheet["_id"], conflicts=True)
    assert "_conflicts" not in winner
    assert winner["inputs"][names[0]] == 9  # the later edit wins the clash
    assert (winner["inputs"][names[1]], winner["inputs"][names[2]]) == (1, 2)  # both kept
    with Session(world.engine) as session:
        records = list(session.exec(select(ConflictRecord)))
    assert [(r.kind, r.field, r.merged_rev) for r in records] == [
        ("clash", f"inputs.{names[0]}", winner["_rev"])]
    assert '"value":7' in records[0].values and '"value":9' in records[0].values
    assert get_result(world.engine, "result:" + sheet["_id"][6:]).needs_review  # type: ignore[union-attr]
    merges = world.audit.query(AuditFilter(action="merge"))
    assert [e.rev for e in merges] == [winner["_rev"]]


async def test_locked_conflicts_go_to_review_and_deletes_are_recorded(world: World) -> None:
    db, sheet = await world.sheet(0)
    body = {k: v for k, v in sheet.items() if not k.startswith("_")}
    locked = _branch(sheet, {**body, "status": "locked"})
    other = _branch(sheet, {**body, "inputs": {**body["inputs"], sorted(body["inputs"])[0]: 3}})
    await world.store.bulk_docs(db, [locked, other], new_edits=False)
    db2, sheet2 = await world.sheet(1)
    edit = _branch(sheet2, {**{k: v for k, v in sheet2.items() if not k.startswith("_")},
                            "status": "submitted", "inputs": {}})
    tomb = revtree.new_rev(sheet2["_rev"], {}, deleted=True)
    pos, digest = revtree.parse_rev(tomb)
    await world.store.bulk_docs(db2, [edit, {"_id": sheet2["_id"], "_rev": tomb, "_deleted": True,
        "_revisions": {"start": pos, "ids": [digest, revtree.parse_rev(sheet2["_rev"])[1]]}}],
        new_edits=False)
    await world.worker().drain()
    still = await world.store.get(db, sheet["_id"], conflicts=True)
    assert still.get("_conflicts")  # never merged automatically
    with Session(world.engine) as session:
        kinds = {(r.doc_id, r.kind) for r in session.exec(select(ConflictRecord))}
    assert kinds == {(sheet["_id"], "locked"), (sheet2["_id"], "deleted")}
    assert (await world.store.get(db2, sheet2["_id"]))["_rev"] == edit["_rev"]  # edit kept


async def test_unscorable_sheets_are_recorded_and_a_unit_change_rescores(world: World) -> None:
    worker = world.worker()
    db, sheet = await world.sheet(kind="savings_group")
    unit_id = "unit:" + sheet["unit_kind"] + ":" + sheet["unit_code"]
    unit = await world.store.get("config", unit_id)
    assert unit["fraud"] is False
    await world.store.put("config", {**unit, "fraud": True})
    await worker.drain()
    view = get_result(world.engine, "result:" + sheet["_id"][6:])
    assert view is not None and view.excluded
    # a campaign moved to an unknown criteria set: every sheet fails, recorded with its change
    campaign = await world.store.get("config", "campaign:" + sheet["campaign"])
    await world.store.put("config", {**campaign, "criteria_version": "khong-co"})
    await worker.drain()
    with Session(world.engine) as session:
        failures = list(session.exec(select(WorkerFailure)))
    assert len(failures) == world.summary.counts["sheets"]
    assert all("khong-co" in f.error for f in failures)
    assert len(list_results(world.engine, campaign=sheet["campaign"])) == len(failures)


async def test_a_closed_campaign_is_never_rescored(world: World) -> None:
    """Closing freezes the results: a later criteria set, unit or sheet change (even one that
    bypassed the gatekeeper) leaves them as they were, and nothing is recorded as failed."""
    worker = world.worker()
    db, sheet = await world.sheet(kind="savings_group")
    before = _results(world.engine)
    rid = "result:" + sheet["_id"].removeprefix("sheet:")
    doc_before = await world.store.get(db, rid)
    campaign = await world.store.get("config", "campaign:" + sheet["campaign"])
    await world.store.put("config", {**campaign, "closed_at": "2026-12-01T09:00:00Z",
                                      "closed_by": "branch"})
    await worker.drain()
    campaign = await world.store.get("config", "campaign:" + sheet["campaign"])
    await world.store.put("config", {**campaign, "criteria_version": "khong-co"})
    unit_id = "unit:" + sheet["unit_kind"] + ":" + sheet["unit_code"]
    unit = await world.store.get("config", unit_id)
    await world.store.put("config", {**unit, "fraud": True})
    edited = {**sheet, "inputs": {**sheet["inputs"], sorted(sheet["inputs"])[0]: 0}}
    await world.store.put(db, edited)
    await worker.drain()
    assert _results(world.engine) == before
    assert (await world.store.get(db, rid)) == doc_before
    with Session(world.engine) as session:
        assert list(session.exec(select(WorkerFailure))) == []
    # reopened (closed_at cleared): the worker catches up on the next change
    campaign = await world.store.get("config", "campaign:" + sheet["campaign"])
    await world.store.put("config", {**campaign, "closed_at": None,
                                      "criteria_version": doc_before["criteria_version"]})
    await worker.drain()
    assert get_result(world.engine, rid).excluded  # type: ignore[union-attr]
