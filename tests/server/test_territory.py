"""When `server.territory.Territory` reads `config`: after this process's writes, at once;
after another process's, within `RECHECK` seconds; on every call for a store with no signal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from gate_world import seed_world

from scoring.ids import CONFIG_DB
from server.territory import RECHECK, Territory
from sync.backends.sql import SqlStore
from sync.store import ChangesPage

NEW_COMMUNE = {
    "_id": "commune:89301",
    "type": "commune",
    "code": "89301",
    "name": "Xã mới",
    "kind": "xa",
    "province_code": "89",
    "office_code": "890200",
}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class CountingStore:
    """Only what `Territory` calls, counted; no change signal."""

    def __init__(self, inner: SqlStore) -> None:
        self.inner = inner
        self.reads = 0

    async def changes(self, db: str, **options: Any) -> ChangesPage:
        self.reads += 1
        return await self.inner.changes(db, **options)


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[SqlStore, SqlStore]]:
    """Two stores on one SQLite file: this server's and another process's (e.g. the CLI)."""
    url = f"sqlite:///{tmp_path / 'territory.sqlite3'}"
    ours, other = SqlStore(url), SqlStore(url)
    await ours.initialize()
    await other.initialize()
    await seed_world(ours)
    yield ours, other
    await other.close()
    await ours.close()


def _has_new_commune(directory: Any) -> bool:
    return "c-89301" in directory.dbs_for(("890200",))


async def test_a_write_by_this_process_shows_at_once(stores: tuple[SqlStore, SqlStore]) -> None:
    ours, _ = stores
    clock = Clock()
    territory = Territory(ours, clock=clock)
    first = await territory.directory()
    assert await territory.directory() is first
    await ours.put(CONFIG_DB, NEW_COMMUNE)
    assert _has_new_commune(await territory.directory())  # the clock has not moved


async def test_a_write_by_another_process_shows_within_recheck(
    stores: tuple[SqlStore, SqlStore],
) -> None:
    ours, other = stores
    clock = Clock()
    territory = Territory(ours, clock=clock)
    first = await territory.directory()
    await other.put(CONFIG_DB, NEW_COMMUNE)
    clock.now += RECHECK / 2
    assert await territory.directory() is first  # trusted for RECHECK seconds
    clock.now += RECHECK / 2
    assert _has_new_commune(await territory.directory())
    await other.delete_db(CONFIG_DB)
    clock.now += RECHECK
    assert (await territory.directory()).communes == {}


async def test_a_store_without_a_signal_is_read_on_every_call(
    stores: tuple[SqlStore, SqlStore],
) -> None:
    counting = CountingStore(stores[0])
    territory = Territory(counting, clock=Clock())  # type: ignore[arg-type]
    await territory.directory()
    await territory.directory()
    assert counting.reads == 2


async def test_a_failed_read_is_retried_on_the_next_call(
    stores: tuple[SqlStore, SqlStore],
) -> None:
    ours, _ = stores
    territory = Territory(ours, clock=Clock())
    failing = True
    read = ours.changes

    async def flaky(db: str, **options: Any) -> ChangesPage:
        if failing:
            raise RuntimeError("the store is down")
        return await read(db, **options)

    ours.changes = flaky  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await territory.directory()
    failing = False
    assert "c-89101" in (await territory.directory()).dbs_for(("890100",))


async def test_callers_during_the_first_read_wait_for_it(
    stores: tuple[SqlStore, SqlStore],
) -> None:
    """A freshly started server gets many requests at once (a phone's replication): none
    may be judged on the empty directory the first read is still filling."""
    ours, _ = stores
    territory = Territory(ours, clock=Clock())
    read = ours.changes

    async def slow(db: str, **options: Any) -> ChangesPage:
        await asyncio.sleep(0.05)
        return await read(db, **options)

    ours.changes = slow  # type: ignore[method-assign]
    seen = await asyncio.gather(*(territory.directory() for _ in range(5)))
    assert all("c-89101" in d.dbs_for(("890100",)) for d in seen)
