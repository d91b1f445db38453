"""Score every stored sheet once into the results tables (a store seeded without the worker:
the demo, benchmarks, tests). The worker (`server.worker`) keeps results current afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine, delete
from sqlmodel import Session

from scoring import compile_set, load_shipped
from scoring.adapt import sheet_input
from scoring.model import CONFIG_DB, Campaign, Commune, ScoreSheet, Unit, decode_doc
from server.results.build import build_result
from server.results.tables import CriterionResult, SheetResult, install_result_tables
from sync.store import DocumentStore

__all__ = ["backfill_results", "score_docs"]


def score_docs(
    config_docs: list[dict[str, Any]], sheets: list[tuple[dict[str, Any], str]],
    at: datetime,
) -> Iterator[tuple[SheetResult, list[CriterionResult]]]:
    """Result rows for `(sheet doc, rev)` pairs, with the directory from `config_docs`."""
    units: dict[str, Unit] = {}
    communes: dict[str, Commune] = {}
    campaigns: dict[str, Campaign] = {}
    for doc in config_docs:
        if doc.get("type") in ("unit", "commune", "campaign"):
            obj = decode_doc(doc)
            if isinstance(obj, Unit):
                units[obj.unit_id] = obj
            elif isinstance(obj, Commune):
                communes[obj.code] = obj
            elif isinstance(obj, Campaign):
                campaigns[obj.id] = obj
    compiled: dict[str, Any] = {}
    for doc, rev in sheets:
        sheet = ScoreSheet.from_doc(doc)
        unit, campaign = units.get(sheet.unit_id), campaigns.get(sheet.campaign)
        if unit is None or campaign is None or sheet.commune_code not in communes:
            continue
        version = campaign.criteria_version
        if version not in compiled:
            cset = load_shipped(version)
            compiled[version] = (cset, compile_set(cset))
        cset, engine = compiled[version]
        given = sheet_input(sheet, unit, communes[sheet.commune_code])
        score = engine.score(given.kind, given.inputs, given.manual, given.flags)
        yield build_result(sheet, sheet_rev=rev, scopes=dict(given.scopes), cset=cset,
                           score=score, scored_at=at)


async def _docs(store: DocumentStore, db: str, prefix: str = "") -> list[dict[str, Any]]:
    end = prefix + "\ufff0" if prefix else None
    listing = await store.all_docs(db, include_docs=True, startkey=prefix or None, endkey=end)
    return [row["doc"] for row in listing["rows"] if row.get("doc")]


async def backfill_results(store: DocumentStore, engine: Engine,
                           at: datetime | None = None) -> int:
    """Replace the results with a fresh score of every sheet in every `c-` database."""
    at = at or datetime.now(UTC)
    config = await _docs(store, CONFIG_DB)
    sheets = []
    for db in await store.list_dbs():
        if db.startswith("c-"):
            sheets += [(d, d["_rev"]) for d in await _docs(store, db, "sheet:")]

    def write() -> int:
        install_result_tables(engine)
        n = 0
        with Session(engine) as session:
            session.exec(delete(CriterionResult))  # type: ignore[call-overload]
            session.exec(delete(SheetResult))  # type: ignore[call-overload]
            for row, criteria in score_docs(config, sheets, at):
                session.add(row)
                session.add_all(criteria)
                n += 1
            session.commit()
        return n

    return await anyio.to_thread.run_sync(write)
