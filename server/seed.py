"""Seed a demo province (or nation) and its campaign in progress into a `DocumentStore`.

Databases: `config` (territory, bank units, scored units, campaign), `p-<province>` (one per
province, for province-level documents) and `c-<commune>` (that commune's score sheets).
Idempotent: a `seed:demo` marker is written last; when it exists nothing is written. A run
that stopped half-way is completed on the next run (documents already there are kept).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import msgspec

from scoring.demo import generate_province
from scoring.demo_sheets import generate_sheets
from scoring.ids import CONFIG_DB, commune_db, province_db
from sync.errors import NotFound, PreconditionFailed
from sync.store import DocumentStore

__all__ = ["BATCH_SIZE", "MARKER_ID", "SeedSummary", "seed_demo", "write_batches"]

BATCH_SIZE = 500
MARKER_ID = "seed:demo"


class SeedSummary(msgspec.Struct, kw_only=True):
    """What `seed_demo` did; `seeded` is False when the store was already seeded."""

    seeded: bool
    seed: int
    scale: str
    province_code: str
    province_name: str
    office_codes: tuple[str, ...]
    commune_codes: tuple[str, ...]
    counts: dict[str, int]
    databases: int
    documents: int
    existing: int = 0

    def __str__(self) -> str:
        c = self.counts
        where = self.province_name if c.get("provinces", 1) == 1 else f"{c['provinces']} provinces"
        what = (
            f"{where} (seed {self.seed}, scale {self.scale}): "
            f"{c.get('communes', 0):,} communes, {c.get('hamlets', 0):,} hamlets, "
            f"{c.get('groups', 0):,} groups, {c.get('sheets', 0):,} score sheets"
        )
        if not self.seeded:
            return f"Already seeded, nothing written. {what}"
        kept = f" ({self.existing:,} already present)" if self.existing else ""
        return f"Seeded {what}; {self.documents:,} documents in {self.databases:,} databases{kept}"


async def _ensure_db(store: DocumentStore, name: str) -> None:
    with contextlib.suppress(PreconditionFailed):
        await store.create_db(name)


async def write_batches(
    store: DocumentStore, db: str, docs: Iterable[dict[str, Any]], batch_size: int = BATCH_SIZE
) -> tuple[int, int]:
    """Write new documents in batches; returns (written, already present).

    :raises RuntimeError: a document was refused for another reason than a conflict.
    """
    written = existing = 0
    batch: list[dict[str, Any]] = []

    async def flush() -> None:
        nonlocal written, existing
        for result in await store.bulk_docs(db, batch):
            if result.error == "conflict":
                existing += 1
            elif result.error:
                raise RuntimeError(f"{db}/{result.id}: {result.error}: {result.reason}")
            else:
                written += 1
        batch.clear()

    for doc in docs:
        batch.append(doc)
        if len(batch) >= batch_size:
            await flush()
    if batch:
        await flush()
    return written, existing


async def _marker(store: DocumentStore) -> dict[str, Any] | None:
    """The marker document, or None (also when `config` does not exist yet)."""
    try:
        return await store.get(CONFIG_DB, MARKER_ID)
    except NotFound:
        return None


async def seed_demo(store: DocumentStore, *, seed: int = 1, scale: str = "province") -> SeedSummary:
    """Generate the demo (`scoring.demo`) and write it, unless it is already there."""
    if (marker := await _marker(store)) is not None:
        fields = {k: v for k, v in marker.items() if not k.startswith("_") and k != "type"}
        return msgspec.convert({**fields, "seeded": False}, SeedSummary)
    demo = generate_province(seed, scale)
    sheets_by_db: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for sheet in generate_sheets(demo):
        sheets_by_db[sheet.db].append(sheet.to_doc())
    names = [
        CONFIG_DB,
        *(province_db(p.code) for p in demo.provinces),
        *(commune_db(c.code) for c in demo.communes),
    ]
    for name in names:
        await _ensure_db(store, name)
    written, existing = await write_batches(store, CONFIG_DB, demo.directory_docs())
    for db, docs in sheets_by_db.items():
        more, kept = await write_batches(store, db, docs)
        written, existing = written + more, existing + kept
    summary = SeedSummary(
        seeded=True,
        seed=seed,
        scale=scale,
        province_code=demo.province.code,
        province_name=demo.province.name,
        office_codes=tuple(o.code for o in demo.offices),
        commune_codes=tuple(c.code for c in demo.communes),
        counts={
            "provinces": len(demo.provinces),
            "communes": len(demo.communes),
            "hamlets": len(demo.hamlets),
            "offices": len(demo.offices),
            "points": len(demo.points),
            "groups": len(demo.groups),
            "associations": len(demo.associations),
            "hamlet_heads": len(demo.hamlet_heads),
            "sheets": sum(len(d) for d in sheets_by_db.values()),
        },
        databases=len(names),
        documents=written + existing,
        existing=existing,
    )
    await store.put(CONFIG_DB, {"_id": MARKER_ID, "type": "seed", **_marker_fields(summary)})
    return summary


def _marker_fields(summary: SeedSummary) -> dict[str, Any]:
    fields = msgspec.to_builtins(summary)
    fields.pop("seeded")
    return fields
