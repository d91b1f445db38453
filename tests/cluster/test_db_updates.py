"""The worker learns which databases changed from CouchDB's `_db_updates` (on the session's
real 3-node cluster), and reads `_changes` only of those: a write in a commune database
created while it runs is handled (and, through the real worker, scored) without a look at
every other database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from scoring.demo import generate_province
from scoring.demo_sheets import generate_sheets
from scoring.ids import CONFIG_DB, commune_db
from server.results import get_result
from server.seed import write_batches
from server.worker.service import Worker
from sync.backends.couchdb import CouchStore
from sync.follower import Follower, MemoryCheckpoints
from sync.store import ChangeRow, ChangesPage
from tests.couchdb import CouchCluster, CouchNode


class CountingStore(CouchStore):
    """The real CouchDB store, noting which databases' `_changes` were read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read: list[str] = []

    async def changes(self, db: str, **kwargs: Any) -> ChangesPage:
        self.read.append(db)
        return await super().changes(db, **kwargs)


@pytest.fixture
async def store(couchdb_cluster: CouchCluster) -> AsyncIterator[CountingStore]:
    store = CountingStore(couchdb_cluster.url_with_auth, poll_seconds=2)
    await store.initialize()
    yield store
    await store.close()


async def until(check: Callable[[], bool], timeout: float = 60) -> None:
    for _ in range(int(timeout / 0.1)):
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def quiet(store: CountingStore, period: float = 1.5, timeout: float = 60) -> None:
    """Wait for `period` seconds in which nothing is read (late `_db_updates` events of the
    set-up's own writes, flushed by CouchDB up to 0.5 s later, are read first)."""
    for _ in range(int(timeout / period)):
        store.read.clear()
        await asyncio.sleep(period)
        if not store.read:
            return
    raise AssertionError(f"the follower keeps reading: {store.read}")


async def test_follower_reads_only_the_databases_that_changed(store: CountingStore) -> None:
    prefix = f"c-{uuid.uuid4().hex[:8]}-"
    old = [f"{prefix}{i}" for i in range(12)]
    for db in old:
        await store.create_db(db)
        await store.put(db, {"_id": "sheet:a"})
    seen: list[tuple[str, str]] = []

    async def handle(db: str, rows: Sequence[ChangeRow]) -> None:
        seen.extend((db, row.id) for row in rows)

    # rescan 0.2 s: without the feed every database would be read five times a second
    follower = Follower(store, handle, MemoryCheckpoints(), rescan=0.2, feed_rescan=600,
                        accept=lambda db: db.startswith(prefix))
    task = asyncio.create_task(follower.run())
    try:
        await until(lambda: len(seen) == len(old) and follower.feed_synced)
        await quiet(store)  # seven rescan periods in a row without a single read
        new = f"{prefix}new"
        await store.create_db(new)
        await store.put(new, {"_id": "sheet:b"})
        await store.put(old[3], {"_id": "sheet:c"})
        await until(lambda: {(new, "sheet:b"), (old[3], "sheet:c")} <= set(seen))
        await asyncio.sleep(1.5)  # seven rescan periods: nothing else is read
        assert set(store.read) == {new, old[3]}
        assert sorted(seen) == sorted({*((db, "sheet:a") for db in old), (new, "sheet:b"),
                                       (old[3], "sheet:c")})
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        for db in [*old, f"{prefix}new"]:
            await store.delete_db(db)


async def test_worker_scores_a_sheet_in_a_new_commune_database(
    store: CountingStore, tmp_path: Path
) -> None:
    """The real worker on the cluster: the directory is there, a commune's database is
    created while the worker runs, its sheets are scored; no other commune is read."""
    demo = generate_province(5, "province")
    commune = demo.communes[0]
    sheets = [s.to_doc() for s in generate_sheets(demo) if s.db == commune_db(commune.code)]
    assert sheets
    db = commune_db(commune.code)
    await store.create_db(CONFIG_DB)
    await write_batches(store, CONFIG_DB, demo.directory_docs())
    engine = create_engine(f"sqlite:///{tmp_path / 'results.sqlite3'}")
    worker = Worker(store, engine, rescan=0.2)
    worker.follower.feed_rescan = 600
    await worker.initialize()
    task = asyncio.create_task(worker.run())
    try:
        await until(lambda: CONFIG_DB in worker.follower.status and worker.follower.lag() == 0
                    and worker.follower.feed_synced)
        store.read.clear()
        await store.create_db(db)
        await write_batches(store, db, sheets)
        ids = ["result:" + s["_id"][len("sheet:"):] for s in sheets]
        await until(lambda: all(get_result(engine, rid) is not None for rid in ids), 120)
        assert set(store.read) <= {db, CONFIG_DB}
        assert db in store.read
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        engine.dispose()
        for name in (db, CONFIG_DB):
            await store.delete_db(name)


async def test_feed_on_a_single_node_creates_global_changes(couchdb_node: CouchNode) -> None:
    """A single node has no `_global_changes` (so no `_db_updates`) until the feed makes it;
    then the feed names a database written after it started."""
    store = CouchStore(couchdb_node.url_with_auth, poll_seconds=1)
    await store.initialize()
    db = f"c-{uuid.uuid4().hex[:8]}"
    try:
        feed = store.db_updates()
        assert feed is not None and feed.pop() is None  # not running before its first answer
        await until(lambda: feed.live)
        assert "_global_changes" in await store.list_dbs()
        await store.create_db(db)
        await store.put(db, {"_id": "sheet:a"})
        names: set[str] = set()

        def named() -> bool:
            names.update(feed.pop() or ())
            return db in names

        await until(named)
    finally:
        await store.delete_db(db)
        await store.close()
