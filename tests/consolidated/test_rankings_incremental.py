"""The rankings the API serves are kept incrementally by the worker (one `result_sheet` row and
its `rank_key` per scored sheet): after random edits, deletes and a replay from checkpoint 0,
every ranking equals one built from scratch (every current sheet scored again and ranked by
`scoring.incremental.Scoreboard`)."""

from __future__ import annotations

import random
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import text

from scoring.adapt import sheet_input
from scoring.campaign import Campaign
from scoring.criteria import load_shipped
from scoring.decode import decode_doc
from scoring.ids import CONFIG_DB
from scoring.incremental import Scoreboard, SheetInput
from scoring.places import Commune
from scoring.sheet import ScoreSheet
from scoring.units import Unit
from server.accounts import Accounts
from server.app import create_app
from server.settings import Settings
from sync.backends import load_store
from sync.store import DocumentStore
from tests.consolidated.conftest import auth
from tests.consolidated.world import rescore

SCOPES = ("commune", "pgd", "province")


async def _docs(store: DocumentStore, db: str, prefix: str) -> list[dict[str, Any]]:
    rows = (await store.all_docs(db, startkey=prefix, endkey=prefix + "\uffff",
                                 include_docs=True))["rows"]
    return [r["doc"] for r in rows]


async def _edit(settings: Settings, seed: int) -> str:
    """Random edits of unlocked 2026 sheets (new totals), a few deletes; the campaign."""
    rng = random.Random(seed)
    store = load_store(settings)
    await store.initialize()
    try:
        dbs = [db for db in await store.list_dbs() if db.startswith("c-")]
        for db in rng.sample(dbs, 4):
            sheets = [d for d in await _docs(store, db, "sheet:2026:")
                      if d.get("status") != "locked"]
            writes = []
            for doc in rng.sample(sheets, min(len(sheets), 12)):
                if rng.random() < 0.15:
                    writes.append({"_id": doc["_id"], "_rev": doc["_rev"], "_deleted": True})
                    continue
                numeric = sorted(k for k, v in doc.get("inputs", {}).items()
                                 if isinstance(v, int) and not isinstance(v, bool))
                for name in rng.sample(numeric, min(len(numeric), 2)):
                    doc["inputs"][name] = rng.choice([0, 1, 2, 5, doc["inputs"][name] * 2])
                writes.append(doc)
            answers = await store.bulk_docs(db, writes)
            assert all(a.ok for a in answers), answers
        return "2026"
    finally:
        await store.close()


async def _from_scratch(settings: Settings, campaign: str) -> dict[tuple[str, str, str], Any]:
    """Every current sheet of `campaign` scored again; every ranking, keyed by scope."""
    store = load_store(settings)
    await store.initialize()
    try:
        config = [decode_doc(d) for d in await _docs(store, CONFIG_DB, "")
                  if d.get("type") in ("unit", "commune", "campaign")]
        units = {u.unit_id: u for u in config if isinstance(u, Unit)}
        communes = {c.code: c for c in config if isinstance(c, Commune)}
        version = next(c.criteria_version for c in config
                       if isinstance(c, Campaign) and c.id == campaign)
        given: list[SheetInput] = []
        for db in await store.list_dbs():
            if db.startswith("c-"):
                for doc in await _docs(store, db, f"sheet:{campaign}:"):
                    sheet = ScoreSheet.from_doc(doc)
                    given.append(sheet_input(sheet, units[sheet.unit_id],
                                             communes[sheet.commune_code]))
    finally:
        await store.close()
    board = Scoreboard(load_shipped(version), SCOPES)
    board.load(given)
    keys = {(g.kind, st, g.scopes[st]) for g in given for st in SCOPES}
    return {key: board.ranking(*key) for key in keys}


async def _served(client: AsyncTestClient[Any], kind: str, scope: str, code: str) -> list[Any]:
    rows: list[Any] = []
    while True:
        answer = await client.get("/api/results/rankings", headers=auth("admin"), params={
            "unit_kind": kind, "scope_type": scope, "scope_id": code, "limit": 500,
            "offset": len(rows)})
        assert answer.status_code == 200, answer.text
        page = answer.json()["rows"]
        rows += page
        if len(page) < 500:
            return rows


async def _assert_rankings_equal(settings: Settings, campaign: str, sample: int) -> None:
    expected = await _from_scratch(settings, campaign)
    rng = random.Random(sample)
    chosen = [k for k in sorted(expected) if k[1] != "commune"]  # offices and the province
    chosen += rng.sample([k for k in sorted(expected) if k[1] == "commune"], 12)
    async with AsyncTestClient(create_app(settings)) as client:
        for kind, scope, code in chosen:
            want = expected[(kind, scope, code)]
            got = await _served(client, kind, scope, code)
            ranked = [(r["rank"], r["row"]["unit"], r["row"]["total"]) for r in got
                      if r["rank"] is not None]
            assert ranked == [(e.rank, e.unit, e.total) for e in want.entries], (kind, scope, code)
            assert [r["row"]["unit"] for r in got if r["rank"] is None] == [
                e.unit for e in want.excluded]


async def _forget_checkpoints(settings: Settings) -> None:
    accounts = Accounts.from_settings(settings)
    try:
        with accounts.engine.begin() as conn:
            conn.execute(text("DELETE FROM worker_checkpoint"))
    finally:
        accounts.close()


async def test_api_rankings_equal_a_from_scratch_ranking_after_random_edits_and_a_replay(
        world_copy: Settings) -> None:
    settings = world_copy  # the worker off in the app: `rescore` drains it here
    campaign = await _edit(settings, seed=11)
    assert await rescore(settings) > 0
    await _assert_rankings_equal(settings, campaign, sample=1)
    campaign = await _edit(settings, seed=12)  # a second round moves units again
    await rescore(settings)
    await _forget_checkpoints(settings)  # a restart that lost its checkpoints replays all
    assert await rescore(settings) > 0
    await _assert_rankings_equal(settings, campaign, sample=2)
