"""The worker on the embedded store over PostgreSQL (a throwaway cluster, `tests/pg.py`):
the seeded demo scored into SQL rows and `result:` docs in the documents' own transaction,
the same totals as on SQLite, a replay writes nothing, an edit is rescored."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from server.audit import Audit
from server.seed import seed_demo
from server.worker.service import Worker
from sync import revtree
from sync.backends.sql import SqlStore

SEED = 5


async def _drained(url: str) -> tuple[dict[str, tuple[str, int]], dict[str, Any]]:
    """Seed `url`, drain a worker over it; (result id -> (sheet rev, total), facts)."""
    args = {"check_same_thread": False, "timeout": 30} if url.startswith("sqlite") else {}
    store = SqlStore(url)
    await store.initialize()
    engine = create_engine(url, connect_args=args)
    try:
        audit = Audit(engine)
        audit.initialize()
        summary = await seed_demo(store, seed=SEED)
        worker = Worker(store, engine, audit, batch=100)
        await worker.initialize()
        await worker.drain()
        facts: dict[str, Any] = {"written": worker.scorer.written,
                                 "sheets": summary.counts["sheets"]}
        results = _results(engine)
        if url.startswith("postgresql"):
            facts.update(await _replay_and_edit(store, engine, audit, results))
        return results, facts
    finally:
        await store.close()
        engine.dispose()


def _results(engine: Any) -> dict[str, tuple[str, int]]:
    with engine.connect() as conn:
        return {r[0]: (r[1], r[2]) for r in conn.execute(
            text("SELECT id, sheet_rev, total FROM result_sheet"))}


async def _replay_and_edit(store: SqlStore, engine: Any, audit: Audit,
                           results: dict[str, tuple[str, int]]) -> dict[str, Any]:
    rid = sorted(results)[0]
    db = await _db_of(engine, rid)
    doc = await store.get(db, rid)
    with engine.begin() as conn:  # a fresh worker from checkpoint 0
        conn.execute(text("DELETE FROM worker_checkpoint"))
    before = (await store.db_info(db)).update_seq
    replay = Worker(store, engine, audit, batch=100)
    await replay.drain()
    replayed = (replay.scorer.written, (await store.db_info(db)).update_seq - before)
    sheet = await store.get(db, doc["sheet_id"])
    body = {k: v for k, v in sheet.items() if not k.startswith("_")}
    name = sorted(body["inputs"])[0]
    body["inputs"] = {**body["inputs"], name: 0}
    child = revtree.new_rev(sheet["_rev"], body, deleted=False)
    pos, digest = revtree.parse_rev(child)
    await store.bulk_docs(db, [{**body, "_id": sheet["_id"], "_rev": child, "_revisions": {
        "start": pos, "ids": [digest, revtree.parse_rev(sheet["_rev"])[1]]}}], new_edits=False)
    await replay.drain()
    return {"replayed": replayed, "doc": doc, "edited": child,
            "after": _results(engine)[rid], "result_doc": await store.get(db, rid)}


async def _db_of(engine: Any, rid: str) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT db FROM result_sheet WHERE id = :id"),
                                {"id": rid}).scalar_one())


def test_the_worker_on_postgresql_scores_like_sqlite(
        fresh_postgres_url: str, tmp_path: Path) -> None:
    on_pg, facts = asyncio.run(_drained(fresh_postgres_url))
    on_sqlite, _ = asyncio.run(_drained(f"sqlite:///{tmp_path / 'thidua.sqlite3'}"))
    assert len(on_pg) == facts["sheets"] == facts["written"]
    assert {rid: total for rid, (_, total) in on_pg.items()} == {
        rid: total for rid, (_, total) in on_sqlite.items()}
    rid = sorted(on_pg)[0]
    doc = facts["doc"]
    assert doc["_id"] == rid and doc["sheet_rev"] == on_pg[rid][0]
    assert doc["total"] == f"{on_pg[rid][1] / 10:.1f}"
    assert facts["replayed"] == (0, 0)  # a replay from checkpoint 0 writes nothing
    assert facts["after"][0] == facts["edited"]  # the edit was rescored
    assert facts["result_doc"]["sheet_rev"] == facts["edited"]
    assert facts["result_doc"]["_rev"] != doc["_rev"]
