"""sync.follower on real SQLite stores: every change handled at least once, in order, from
durable checkpoints; a failing page is retried after a backoff; a replay changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest

from sync.backends.sql import SqlStore
from sync.follower import Follower, MemoryCheckpoints
from sync.store import ChangeRow


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[SqlStore, SqlStore]]:
    source = SqlStore(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    target = SqlStore(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    for store in (source, target):
        await store.initialize()
    yield source, target
    for store in (source, target):
        await store.close()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _until(check: Callable[[], bool], seconds: float = 30) -> None:
    """Poll `check` until true; a loaded machine may take seconds."""
    async with asyncio.timeout(seconds):
        while not check():
            await asyncio.sleep(0.01)


def copier(source: SqlStore, target: SqlStore, fail_on: set[str] | None = None):  # type: ignore[no-untyped-def]
    """A handler replicating each changed doc's leaves into `target` (a mini replicator)."""
    seen: list[tuple[str, str]] = []

    async def handle(db: str, rows: Sequence[ChangeRow]) -> None:
        for row in rows:
            if fail_on and row.id in fail_on:
                fail_on.discard(row.id)
                raise RuntimeError(f"cannot copy {row.id}")
            seen.append((db, row.id))
            leaves = await source.get_open_revs(db, row.id, "all", revs=True)
            if db not in await target.list_dbs():
                await target.create_db(db)
            docs = [entry["ok"] for entry in leaves if "ok" in entry]
            await target.bulk_docs(db, docs, new_edits=False)

    return handle, seen


async def _leaves(store: SqlStore, db: str) -> dict[str, list[str]]:
    page = await store.changes(db, style="all_docs")
    return {row.id: sorted(c["rev"] for c in row.changes) for row in page.results}


async def test_every_change_of_every_database_is_handled_and_checkpointed(stores) -> None:  # type: ignore[no-untyped-def]
    source, target = stores
    for db in ("c-1", "c-2"):
        await source.create_db(db)
        await source.bulk_docs(db, [{"_id": f"d{i}", "n": i} for i in range(25)])
    handle, seen = copier(source, target)
    checkpoints = MemoryCheckpoints()
    follower = Follower(source, handle, checkpoints, batch=10, accept=lambda db: db != "c-2")
    assert await follower.drain() == 25
    assert {db for db, _ in seen} == {"c-1"}
    assert checkpoints.seqs["c-1"] == (await source.db_info("c-1")).update_seq
    assert await _leaves(target, "c-1") == await _leaves(source, "c-1")
    # a new database and new edits are picked up, from the checkpoint on
    await source.create_db("c-3")
    await source.bulk_docs("c-3", [{"_id": "x"}])
    doc = await source.get("c-1", "d3")
    await source.bulk_docs("c-1", [{**doc, "n": 33}])
    seen.clear()
    assert await follower.drain() == 2
    assert sorted(seen) == [("c-1", "d3"), ("c-3", "x")]
    assert follower.lag() == 0


async def test_a_failing_page_is_retried_after_backoff_and_nothing_is_skipped(stores) -> None:  # type: ignore[no-untyped-def]
    source, target = stores
    await source.create_db("c-1")
    await source.create_db("c-2")
    await source.bulk_docs("c-1", [{"_id": f"d{i:02}"} for i in range(30)])
    await source.bulk_docs("c-2", [{"_id": "other"}])
    handle, seen = copier(source, target, fail_on={"d15"})
    clock = Clock()
    checkpoints = MemoryCheckpoints()
    follower = Follower(source, handle, checkpoints, batch=10, clock=clock, backoff=(5.0, 60.0))
    await follower.step()
    status = follower.status["c-1"]
    assert status.error == "RuntimeError: cannot copy d15" and status.failures == 1
    assert status.retry_at == 5.0 and follower.lag() == 20  # the failed page and the next
    assert ("c-2", "other") in seen  # the other database went on
    clock.now = 1.0
    follower.wake()
    assert await follower.step() == 0  # still backing off
    clock.now = 5.0
    follower.wake()
    assert await follower.step() == 20
    assert follower.errors() == {}
    ids = [doc_id for db, doc_id in seen if db == "c-1"]
    assert sorted(set(ids)) == [f"d{i:02}" for i in range(30)]  # none skipped
    assert await _leaves(target, "c-1") == await _leaves(source, "c-1")


async def test_a_replay_from_zero_changes_nothing(stores) -> None:  # type: ignore[no-untyped-def]
    source, target = stores
    await source.create_db("c-1")
    await source.bulk_docs("c-1", [{"_id": f"d{i}"} for i in range(12)])
    handle, _ = copier(source, target)
    await Follower(source, handle, MemoryCheckpoints(), batch=5).drain()
    before = await target.db_info("c-1")
    handle, seen = copier(source, target)
    assert await Follower(source, handle, MemoryCheckpoints(), batch=5).drain() == 12
    assert len(seen) == 12
    after = await target.db_info("c-1")
    assert (after.update_seq, after.doc_count) == (before.update_seq, before.doc_count)


async def test_run_wakes_on_a_local_commit(stores) -> None:  # type: ignore[no-untyped-def]
    source, target = stores
    await source.create_db("c-1")
    handle, seen = copier(source, target)
    follower = Follower(source, handle, MemoryCheckpoints(), rescan=3600.0)
    task = asyncio.create_task(follower.run(idle=0.02))
    try:
        await _until(lambda: "c-1" in follower.status)  # first scan under way, signal armed
        await source.bulk_docs("c-1", [{"_id": "late"}])
        await _until(lambda: bool(seen))  # long before the rescan (an hour)
        assert seen == [("c-1", "late")]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_each_page_waits_for_pace_and_its_checkpoint_with_it(stores) -> None:  # type: ignore[no-untyped-def]
    source, target = stores
    await source.create_db("c-1")
    await source.bulk_docs("c-1", [{"_id": f"d{i:02}"} for i in range(25)])
    handle, seen = copier(source, target)
    go, paced = asyncio.Event(), []

    async def pace() -> None:  # the server: wait while requests are served
        paced.append(len(seen))
        await go.wait()

    checkpoints = MemoryCheckpoints()
    follower = Follower(source, handle, checkpoints, batch=10, pace=pace)
    draining = asyncio.create_task(follower.drain())
    await _until(lambda: bool(paced))  # the first page waits
    await asyncio.sleep(0.1)
    assert paced == [0] and seen == [] and "c-1" not in checkpoints.seqs
    go.set()
    assert await asyncio.wait_for(draining, 30) == 25
    assert paced == [0, 10, 20]  # before every page, nothing handled ahead of it
    assert checkpoints.seqs["c-1"] == (await source.db_info("c-1")).update_seq
