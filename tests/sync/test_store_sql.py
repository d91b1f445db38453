"""The conformance suite on the embedded SQL store: a real SQLite file and a real PostgreSQL
server (a throwaway local cluster, or `THIDUA_TEST_POSTGRES_URL`; see `conftest.py`)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from sqlalchemy import create_engine, text

pytest.register_assert_rewrite("sync.testing")

from server.settings import Settings  # noqa: E402
from sync.backends import load_store  # noqa: E402
from sync.backends.sql import SqlStore  # noqa: E402
from sync.errors import StoreUnavailable  # noqa: E402
from sync.testing import StoreConformance  # noqa: E402


class TestSqliteStore(StoreConformance):
    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[SqlStore]:
        store = SqlStore(f"sqlite:///{tmp_path / 'store.sqlite3'}")
        await store.initialize()
        yield store
        await store.close()


class TestPostgresStore(StoreConformance):
    @pytest.fixture
    async def store(self, fresh_postgres_url: str) -> AsyncIterator[SqlStore]:
        store = SqlStore(fresh_postgres_url)
        await store.initialize()
        yield store
        await store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store location on each backend: a new SQLite file or PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return str(request.getfixturevalue("fresh_postgres_url"))


def test_load_store_defaults_to_sqlite_in_data_dir(tmp_path: Path) -> None:
    store = load_store(Settings(data_dir=tmp_path, revs_limit=7, max_document_size=5000))
    assert isinstance(store, SqlStore)
    assert store.url == f"sqlite:///{(tmp_path / 'thidua.sqlite3').resolve()}"
    assert (store.revs_limit, store.max_document_size) == (7, 5000)


async def test_uuid_and_data_survive_reopen(store_url: str) -> None:
    first = SqlStore(store_url)
    await first.initialize()
    await first.create_db("keep")
    rev = (await first.put("keep", {"_id": "a", "v": 1})).rev
    uid = await first.server_uuid()
    await first.close()
    second = SqlStore(store_url)
    await second.initialize()
    assert await second.server_uuid() == uid
    assert (await second.get("keep", "a"))["_rev"] == rev
    await second.close()


async def test_small_revs_limit_drops_stemmed_bodies(store_url: str) -> None:
    store = SqlStore(store_url, revs_limit=3)
    await store.initialize()
    await store.create_db("s")
    revs = [(await store.put("s", {"_id": "d", "n": 0})).rev]
    for n in range(1, 6):
        revs.append((await store.put("s", {"_id": "d", "_rev": revs[-1], "n": n})).rev)
    doc = await store.get("s", "d", revs=True)
    assert doc["_revisions"]["start"] == 6 and len(doc["_revisions"]["ids"]) == 3
    assert (await store.get("s", "d", rev=revs[3]))["n"] == 3
    with pytest.raises(Exception, match="missing"):
        await store.get("s", "d", rev=revs[2])
    await store.close()


async def test_sqlite_file_is_wal_and_failures_are_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    store = SqlStore(f"sqlite:///{path}")
    await store.initialize()
    await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    broken = SqlStore(f"sqlite:///{path}")
    with pytest.raises(StoreUnavailable) as info:
        await broken.list_dbs()
    assert info.value.status == 503 and info.value.original is not None
    assert await broken.ping() is False
    await broken.close()


async def test_two_stores_on_one_database_keep_seqs_unique(store_url: str) -> None:
    one, two = SqlStore(store_url), SqlStore(store_url)
    await one.initialize()
    await two.initialize()
    await one.create_db("s")

    async def write(store: SqlStore, tag: str) -> None:
        for batch in range(10):
            docs = [{"_id": f"{tag}-{batch}-{i}"} for i in range(30)]
            assert all(r.ok for r in await store.bulk_docs("s", docs))

    await asyncio.gather(write(one, "a"), write(two, "b"))
    page = await two.changes("s")
    seqs = [row.seq for row in page.results]
    assert len(seqs) == 600 and seqs == sorted(set(seqs)) and page.last_seq == 600
    assert (await one.db_info("s")).doc_count == 600
    await one.close()
    await two.close()


async def test_delete_db_removes_every_row(store_url: str) -> None:
    store = SqlStore(store_url)
    await store.initialize()
    await store.create_db("d")
    rev = (await store.put("d", {"_id": "a", "_attachments": {"x": {"data": "AAEC"}}})).rev
    await store.put("d", {"_id": "a", "_rev": rev, "v": 2})
    await store.put_local("d", "l", {"v": 1})
    await store.delete_db("d")
    await store.close()
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            for table in ("sync_databases", "sync_documents", "sync_revisions", "sync_blobs",
                          "sync_local_docs"):
                count = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                assert count == 0, table
    finally:
        engine.dispose()


async def test_change_signal_is_set_by_the_next_commit(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'signal.sqlite3'}")
    await store.initialize()
    try:
        await store.create_db("watched")
        await store.create_db("other")
        signal = store.change_signal("watched")
        await store.put("other", {"_id": "x"})
        assert not signal.is_set()
        await store.put("watched", {"_id": "a"})
        assert signal.is_set()
        assert not store.change_signal("watched").is_set()  # a fresh event for the next commit
    finally:
        await store.close()


async def test_small_calls_never_block_the_loop_on_a_locked_sqlite_file(tmp_path: Path) -> None:
    """Small calls run on the event loop; while another connection holds the write lock,
    writes wait for it in a worker thread (the loop keeps running) and reads go on."""
    path = tmp_path / "locked.sqlite3"
    store = SqlStore(f"sqlite:///{path}")
    await store.initialize()
    await store.create_db("d")
    await store.put_local("d", "cp", {"seq": 1})
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        writes = asyncio.gather(store.put_local("d", "cp", {"_rev": "0-1", "seq": 2}),
                                store.bulk_docs("d", [{"_id": "a"}, {"_id": "b"}]))
        ticks = 0
        for _ in range(10):  # the loop keeps turning while the writes wait for the lock
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 10 and not writes.done()
        assert (await store.get_local("d", "cp"))["seq"] == 1  # readers are not blocked
        assert (await store.db_info("d")).doc_count == 0
        holder.execute("COMMIT")
        local, docs = await asyncio.wait_for(writes, 60)
        assert local.ok and all(result.ok for result in docs)
        assert (await store.get_local("d", "cp"))["seq"] == 2
        assert (await store.db_info("d")).doc_count == 2
    finally:
        holder.close()
        await store.close()


async def test_raw_json_values_store_as_decoded_ones(tmp_path: Path) -> None:
    """`msgspec.Raw` field values (the HTTP layer's replicated batches) are stored as given;
    in an interactive write they get the same deterministic rev as decoded values."""
    store = SqlStore(f"sqlite:///{tmp_path / 'raw.sqlite3'}")
    await store.initialize()
    try:
        await store.create_db("r")
        body = {"v": [1, {"b": 2, "a": "ấp"}], "s": "x"}
        raw = {key: msgspec.Raw(msgspec.json.encode(value)) for key, value in body.items()}
        decoded_rev = (await store.bulk_docs("r", [{"_id": "d", **body}]))[0].rev
        raw_rev = (await store.bulk_docs("r", [{"_id": "e", **raw}]))[0].rev
        assert raw_rev == decoded_rev  # the hash covers content, not the id
        rev = f"1-{'c' * 32}"
        assert await store.bulk_docs("r", [{"_id": "f", "_rev": rev, **raw}], new_edits=False)
        for doc_id in ("e", "f"):
            doc = await store.get("r", doc_id)
            assert {k: v for k, v in doc.items() if k[0] != "_"} == body
    finally:
        await store.close()


async def test_wal_is_checkpointed_in_the_background_after_writes(tmp_path: Path) -> None:
    """Commits only append to the WAL; a checkpoint shortly after copies the pages into the
    database file (no other connection asks for it here)."""
    path = tmp_path / "ckpt.sqlite3"
    store = SqlStore(f"sqlite:///{path}")
    await store.initialize()
    try:
        await store.create_db("c")
        await asyncio.sleep(0.5)
        before = path.stat().st_size
        docs = [{"_id": f"d{i:04}", "text": "x" * 2000} for i in range(200)]
        assert all(r.ok for r in await store.bulk_docs("c", docs))
        assert path.stat().st_size - before < 100_000  # the 400 KB are in the WAL so far
        for _ in range(300):  # the checkpoint thread may be slow on a busy machine
            await asyncio.sleep(0.1)
            if path.stat().st_size - before > 400_000:
                break
        assert path.stat().st_size - before > 400_000
    finally:
        await store.close()


def test_only_small_batches_are_written_on_the_event_loop() -> None:
    """A replication batch runs on the loop; many documents, big raw bodies or attachments
    go to the worker threads."""
    from sync.backends.sql import _small_batch

    def raw(size: int) -> msgspec.Raw:
        return msgspec.Raw(msgspec.json.encode("x" * size))

    batch = [{"_id": f"d{i}", "_rev": f"1-{'a' * 32}", "v": raw(1000)} for i in range(100)]
    assert _small_batch(batch)
    assert not _small_batch([{"_id": f"d{i}"} for i in range(501)])
    assert not _small_batch([{"_id": f"b{i}", "v": raw(1_000_000)} for i in range(3)])
    assert not _small_batch([{"_id": "a", "_attachments": {"f": {"data": "AAEC"}}}])
    assert not _small_batch([{"_id": "a", "_attachments": {"f": {"stub": True}}}])


def test_checkpoints_go_on_when_a_store_outlives_its_event_loop(tmp_path: Path) -> None:
    """A loop that closes before its scheduled checkpoint does not stop the next loop's."""
    path = tmp_path / "loops.sqlite3"
    store = SqlStore(f"sqlite:///{path}")

    async def first() -> None:
        await store.initialize()
        await store.create_db("c")  # schedules a checkpoint, then the loop ends at once

    async def second() -> int:
        before = path.stat().st_size
        docs = [{"_id": f"d{i:04}", "text": "x" * 2000} for i in range(200)]
        assert all(r.ok for r in await store.bulk_docs("c", docs))
        for _ in range(300):  # the checkpoint thread may be slow on a busy machine
            await asyncio.sleep(0.1)
            if path.stat().st_size - before > 400_000:
                break
        grown = path.stat().st_size - before  # (closing the store checkpoints too)
        await store.close()
        return grown

    asyncio.run(first())
    assert asyncio.run(second()) > 400_000
