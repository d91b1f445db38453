"""A data folder of the layout before `result_breakdown` (a `result_criterion` row per
criterion, ten single-column indexes on `result_sheet`) is upgraded by
`install_result_tables`: every criterion moves, in position order, into its result's packed
row, the old table and the dropped indexes go, and the readers give the same criteria."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    create_engine,
    insert,
    inspect,
    text,
)

from scoring import compile_set, load_shipped
from scoring.adapt import sheet_input
from scoring.demo import generate_province
from scoring.demo_sheets import generate_sheets
from server.results import SheetResult, get_result, install_result_tables, list_results, ranking
from server.results.build import build_result
from server.results.packed import PackedCriterion, pack_criteria
from server.results.upgrade import DROPPED_INDEXES

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
_OLD_INDEXED = ("campaign", "period", "unit", "unit_kind", "commune_code", "office_code",
                "province_code", "criteria_version", "rank_key", "scored_at")


def _old_tables() -> tuple[Table, Table]:
    meta = MetaData()
    sheet = Table("result_sheet", meta, *[
        Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
        for c in SheetResult.__table__.columns])  # type: ignore[attr-defined]
    for name in _OLD_INDEXED:
        Index(f"ix_result_sheet_{name}", sheet.c[name])
    criterion = Table(
        "result_criterion", meta, Column("result_id", Text), Column("criterion_id", Text),
        Column("position", Integer), Column("label_vi", Text), Column("points", Integer),
        Column("max_points", Integer), Column("source", Text), Column("explanation", Text),
        PrimaryKeyConstraint("result_id", "criterion_id"))
    return sheet, criterion


def _old_folder(engine: Any, communes: int = 2) -> dict[str, list[PackedCriterion]]:
    """Old-layout tables holding the results of `communes` demo communes; the criteria
    expected per result id."""
    sheet_table, criterion_table = _old_tables()
    sheet_table.metadata.create_all(engine)
    demo = generate_province(1, "province")
    cset = load_shipped(demo.campaign.criteria_version)
    compiled = compile_set(cset)
    units = {u.unit_id: u for u in demo.units()}
    by_code = {c.code: c for c in demo.communes}
    keep = {c.code for c in demo.communes[:communes]}
    expected: dict[str, list[PackedCriterion]] = {}
    rows, criteria_rows = [], []
    for sheet in generate_sheets(demo):
        if sheet.commune_code not in keep:
            continue
        given = sheet_input(sheet, units[sheet.unit_id], by_code[sheet.commune_code])
        score = compiled.score(given.kind, given.inputs, given.manual, given.flags)
        row, criteria = build_result(sheet, sheet_rev="1-abc", scopes=dict(given.scopes),
                                     cset=cset, score=score, scored_at=AT)
        rows.append(row)
        expected[row["id"]] = criteria
        criteria_rows += [
            {"result_id": row["id"], "criterion_id": c.id, "position": i, "label_vi": c.label_vi,
             "points": c.points, "max_points": c.max_points, "source": c.source,
             "explanation": c.explanation} for i, c in enumerate(criteria)]
    random.Random(3).shuffle(criteria_rows)  # stored order is not position order
    with engine.begin() as conn:
        conn.execute(insert(sheet_table), rows)
        conn.execute(insert(criterion_table), criteria_rows)
    return expected


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'thidua.sqlite3'}"
    return str(request.getfixturevalue("fresh_postgres_url"))


def test_an_old_results_layout_is_upgraded_with_every_criterion(url: str) -> None:
    engine = create_engine(url)
    try:
        expected = _old_folder(engine)
        assert len(expected) > 50
        install_result_tables(engine)
        install_result_tables(engine)  # a second start finds nothing to upgrade
        found = inspect(engine)
        assert not found.has_table("result_criterion")
        indexes = {i["name"] for i in found.get_indexes("result_sheet")}
        assert indexes.isdisjoint(DROPPED_INDEXES)
        assert {"ix_result_sheet_unit", "ix_result_sheet_rank_key"} <= indexes
        with engine.connect() as conn:
            packed = dict(conn.execute(text(
                "SELECT result_id, packed_criteria FROM result_breakdown")).all())
        # what the worker writes for the same result, byte for byte
        assert packed == {rid: pack_criteria(c) for rid, c in expected.items()}
        rid = sorted(expected)[0]
        view = get_result(engine, rid)
        assert view is not None
        assert [(c.id, c.points, c.explanation) for c in view.criteria] == [
            (c.id, c.points, c.explanation) for c in expected[rid]]
        listed = list_results(engine, campaign="2026", with_criteria=True)
        assert len(listed) == len(expected) and all(r.criteria for r in listed)
        ranked = ranking(engine, campaign="2026", period="2026", unit_kind=view.unit_kind,
                         scope_type="commune", scope_id=view.commune_code)
        assert view.unit in {r.result.unit for r in ranked}
    finally:
        engine.dispose()
