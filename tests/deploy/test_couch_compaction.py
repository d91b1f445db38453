"""CouchDB compaction (`_compact`, or CouchDB 3's automatic smoosh) against the worker's
three-way merge, on real Apache CouchDB 3.5. Compaction drops the bodies of non-leaf
revisions, so the merge of a conflicted sheet loses its common ancestor (the CouchDB store
does not declare `revision_bodies`). The reconciler then merges without an ancestor: every
field the leaves disagree on becomes a clash for review with every competing value; no value
is lost silently. Beside it, the same sheet in an uncompacted database merges the edits of
different fields with no review (the ancestor is still there)."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from server.review.tables import install_review_tables
from server.worker.reconcile import Reconciler
from server.worker.writes import Writer
from sync import revtree
from sync.backends.couchdb import CouchStore
from sync.errors import NotFound
from tests.sync.test_couch_client import store  # noqa: F401 - the CouchStore fixture

SHEET = "sheet:2026:group:g1:2026"
ANCESTOR = {"kind": "group", "status": "draft", "inputs": {"a": 1, "b": 1, "c": 1}}
#: Leaf 1 changes a and c, leaf 2 changes b and c (c differently): a clash on c only.
EDITS = ({"a": 2, "c": 5}, {"b": 3, "c": 6})


def _branch(parent: str, body: dict[str, Any], ids: list[str]) -> dict[str, Any]:
    rev = revtree.new_rev(parent, body, deleted=False)
    pos, digest = revtree.parse_rev(rev)
    return {**body, "_id": SHEET, "_rev": rev, "_revisions": {"start": pos, "ids": [digest, *ids]}}


async def _conflicted(couch: CouchStore, db: str) -> tuple[str, list[dict[str, Any]]]:
    """The ancestor (1-) and two leaves (2-) that edit it concurrently."""
    await couch.create_db(db)
    root = revtree.new_rev(None, ANCESTOR, deleted=False)  # type: ignore[arg-type]
    root_hash = revtree.parse_rev(root)[1]
    first = {**ANCESTOR, "_id": SHEET, "_rev": root,
             "_revisions": {"start": 1, "ids": [root_hash]}}
    leaves = [_branch(root, {**ANCESTOR, "inputs": {**ANCESTOR["inputs"], **edit},
                             "updated_at": f"2026-03-0{n + 1}T08:00:00Z"}, [root_hash])
              for n, edit in enumerate(EDITS)]
    await couch.bulk_docs(db, [first], new_edits=False)
    await couch.bulk_docs(db, leaves, new_edits=False)
    return root, leaves


async def _compacted(couch: CouchStore, db: str) -> None:
    await couch.compact(db)
    for _ in range(600):  # CouchDB compacts in the background
        info = await couch.client.call("GET", db)
        if not info.get("compact_running"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("compaction did not finish in 60 s")


def _records(engine: Engine, db: str) -> dict[str, list[Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT field, kind, \"values\" FROM review_conflict "
                                 "WHERE db = :db"), {"db": db}).all()
    assert {kind for _, kind, _ in rows} <= {"clash"}
    return {field: sorted(v["value"] for v in json.loads(values)) for field, _, values in rows}


async def _merge(couch: CouchStore, engine: Engine, db: str) -> tuple[dict[str, Any],
                                                                    dict[str, list[Any]]]:
    assert await Reconciler(couch, Writer(couch, engine), None).reconcile(db, SHEET)
    merged = await couch.get(db, SHEET, conflicts=True)
    assert not merged.get("_conflicts"), merged  # one open leaf left
    return merged["inputs"], _records(engine, db)


async def test_compaction_sends_the_merge_to_review_with_every_value(
        store: CouchStore, tmp_path: Path) -> None:  # noqa: F811 - the fixture
    assert "revision_bodies" not in store.capabilities
    engine = create_engine(f"sqlite:///{tmp_path / 'results.sqlite3'}")
    install_review_tables(engine)
    kept, compacted = f"c-{uuid.uuid4().hex[:8]}", f"c-{uuid.uuid4().hex[:8]}"
    try:
        for db in (kept, compacted):
            root, _ = await _conflicted(store, db)
        await _compacted(store, compacted)
        with pytest.raises(NotFound):  # the ancestor's body is gone
            await store.get(compacted, SHEET, rev=root)
        assert (await store.get(kept, SHEET, rev=root))["inputs"] == ANCESTOR["inputs"]

        inputs, records = await _merge(store, engine, kept)
        assert inputs == {"a": 2, "b": 3, "c": 6}  # the latest leaf's c, the clash reviewed
        assert records == {"inputs.c": [5, 6]}

        inputs, records = await _merge(store, engine, compacted)
        # No ancestor: a and b differ between the leaves too, so they are clashes as well;
        # every value any leaf had is in the merged sheet or in a record for review.
        assert set(records) == {"inputs.a", "inputs.b", "inputs.c"}
        assert records == {"inputs.a": [1, 2], "inputs.b": [1, 3], "inputs.c": [5, 6]}
        for name, values in records.items():
            assert inputs[name.removeprefix("inputs.")] in values
    finally:
        for db in (kept, compacted):
            await store.delete_db(db)
        engine.dispose()
