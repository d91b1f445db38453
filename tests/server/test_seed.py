"""Seeding the demo province into the real SQLite store: contents and idempotence."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from scoring.campaign import Campaign
from scoring.decode import decode_doc
from scoring.demo import generate_province
from scoring.demo_sheets import generate_sheets
from scoring.sheet import ScoreSheet
from scoring.units import SavingsGroup
from server.seed import MARKER_ID, seed_demo, write_batches
from server.settings import Settings
from sync.backends import load_store
from sync.store import DocumentStore


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[DocumentStore]:
    store = load_store(settings)
    await store.initialize()
    try:
        yield store
    finally:
        await store.close()


async def test_seed_writes_directory_and_sheets(store: DocumentStore) -> None:
    summary = await seed_demo(store, seed=1)
    demo = generate_province(1)
    sheets = list(generate_sheets(demo))
    assert summary.seeded and summary.province_code == demo.province.code == "89"
    assert summary.counts["groups"] == len(demo.groups)
    assert summary.counts["sheets"] == len(sheets)
    assert summary.commune_codes == tuple(c.code for c in demo.communes)
    assert "Seeded Tỉnh An Giang (seed 1" in str(summary)

    dbs = await store.list_dbs()
    assert "config" in dbs and "p-89" in dbs
    assert {d for d in dbs if d.startswith("c-")} == {f"c-{c.code}" for c in demo.communes}
    directory = len(list(demo.directory_docs()))
    assert (await store.db_info("config")).doc_count == directory + 1  # + the marker
    assert summary.documents == directory + len(sheets) and summary.databases == len(dbs)

    group = demo.groups[0]
    stored = await store.get("config", f"unit:savings_group:{group.code}")
    assert SavingsGroup.from_doc(stored) == group
    assert isinstance(decode_doc(await store.get("config", "campaign:2026")), Campaign)

    sheet = sheets[0]
    stored_sheet = ScoreSheet.from_doc(await store.get(sheet.db, sheet.doc_id()))
    assert stored_sheet == sheet
    per_db = sum([(await store.db_info(f"c-{c.code}")).doc_count for c in demo.communes])
    assert per_db == len(sheets)


async def test_seed_is_idempotent(store: DocumentStore) -> None:
    first = await seed_demo(store, seed=1)
    seqs = {db: (await store.db_info(db)).update_seq for db in await store.list_dbs()}
    again = await seed_demo(store, seed=2)  # already seeded: the seed asked for is ignored
    assert not again.seeded and again.seed == 1
    assert again.counts == first.counts
    assert str(again).startswith("Already seeded, nothing written.")
    assert {db: (await store.db_info(db)).update_seq for db in await store.list_dbs()} == seqs


async def test_interrupted_seed_is_completed(store: DocumentStore) -> None:
    demo = generate_province(1)
    await store.create_db("config")
    half = list(demo.directory_docs())[:700]
    assert await write_batches(store, "config", half, batch_size=300) == (700, 0)
    summary = await seed_demo(store, seed=1)
    assert summary.seeded and summary.existing == 700
    directory = len(list(demo.directory_docs()))
    assert (await store.db_info("config")).doc_count == directory + 1
    marker = await store.get("config", MARKER_ID)
    assert marker["type"] == "seed" and marker["seed"] == 1
