"""The worker's fast read (stored JSON bodies decoded straight into Structs: the SQL store's
`winning_bodies`, `ScoreSheet.from_body`) gives the same results, `result:` documents and
failures as the plain one (`all_docs` documents, `ScoreSheet.from_doc`)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import create_engine

from scoring.sheet import ScoreSheet
from server.audit import Audit
from server.seed import seed_demo
from server.worker.service import Worker
from sync.backends.sql import SqlStore
from sync.store import DocumentStore

_AT = datetime(2026, 12, 1, 8, 0, 0, 123456, tzinfo=UTC)
_QUERIES = [
    "SELECT * FROM result_sheet ORDER BY id",
    "SELECT * FROM result_breakdown ORDER BY result_id",
    "SELECT db.name, d.doc_id, d.tree, d.winner, d.deleted, d.seq FROM sync_documents d JOIN "
    "sync_databases db ON db.id = d.db_id WHERE d.doc_id LIKE 'result:%' ORDER BY 1, 2",
    "SELECT db.name, r.doc_id, r.rev, r.body FROM sync_revisions r JOIN sync_databases db ON "
    "db.id = r.db_id WHERE r.doc_id LIKE 'result:%' ORDER BY 1, 2, 3",
    "SELECT db, doc_id, rev, seq, error, resolved FROM worker_failure ORDER BY id",
    "SELECT db, seq FROM worker_checkpoint ORDER BY db",
]


class _PlainStore(SqlStore):
    """The store as any backend answers `winning_bodies`: `DocumentStore`'s default."""

    async def winning_bodies(self, db: str, ids: Sequence[str]) -> dict[str, tuple[str, bytes]]:
        return await DocumentStore.winning_bodies(self, db, ids)


def _plain_from_body(body: bytes, doc_id: str | None = None) -> ScoreSheet:
    return ScoreSheet.from_doc({**msgspec.json.decode(body), "_id": doc_id})


async def _odd_sheets(store: SqlStore) -> None:
    """Sheets of every kind of body next to the demo's: floats, decimals, bad values."""
    db = next(d for d in await store.list_dbs() if d.startswith("c-"))
    rows = (await store.all_docs(db, startkey="sheet:", endkey="sheet:\uffff",
                                 include_docs=True, limit=12))["rows"]
    docs = [row["doc"] for row in rows]
    name = sorted(docs[0]["inputs"])[0]
    changes: list[dict[str, Any]] = [
        {"inputs": {**docs[0]["inputs"], name: 12.5}},
        {"inputs": {**docs[1]["inputs"], name: "12.25"}},
        {"manual": {"x": {"points": 2.5}}},
        {"manual": {"x": {"points": "2.5"}}},
        {"monthly": {"2026-08": {"inputs": {name: 1.5}}}},
        {"status": "nope"},
        {"extra": 1},
        {"inputs": {**docs[7]["inputs"], name: True}},
        {"updated_at": "2026-10-05T15:59:49.123+07:00"},
        {"_deleted": True},
    ]
    edited = [{**doc, **change} for doc, change in zip(docs, changes, strict=False)]
    for result in await store.bulk_docs(db, edited):
        assert result.ok, result


async def _drain(path: Path, store_class: type[SqlStore]) -> None:
    url = f"sqlite:///{path}"
    store = store_class(url)
    await store.initialize()
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    try:
        audit = Audit(engine)
        audit.initialize()
        worker = Worker(store, engine, audit, batch=100)
        await worker.initialize()
        worker.scorer.clock = lambda: _AT
        await worker.drain()
        assert worker.scorer.written > 0
    finally:
        await store.close()
        engine.dispose()


def _dump(path: Path) -> list[list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as con:
        return [con.execute(query).fetchall() for query in _QUERIES]


async def test_the_fast_read_scores_as_the_plain_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded = tmp_path / "seeded.sqlite3"
    store = SqlStore(f"sqlite:///{seeded}")
    await store.initialize()
    await seed_demo(store, seed=2)
    await _odd_sheets(store)
    await store.close()
    fast, plain = tmp_path / "fast.sqlite3", tmp_path / "plain.sqlite3"
    shutil.copy(seeded, fast)
    shutil.copy(seeded, plain)
    await _drain(fast, SqlStore)
    with monkeypatch.context() as patch:
        patch.setattr(ScoreSheet, "from_body", _plain_from_body)
        await _drain(plain, _PlainStore)
    got, want = _dump(fast), _dump(plain)
    assert [len(rows) for rows in got] == [len(rows) for rows in want]
    assert len(want[4]) >= 6  # the odd sheets' failures are there, with their messages
    assert got == want
