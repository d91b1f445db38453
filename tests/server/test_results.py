"""server.results: rows built from the engine, stored in SQLite, read back and ranked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session

from scoring import compile_set, load_shipped, rank_scope
from scoring.adapt import sheet_input
from scoring.demo import generate_province
from scoring.demo_sheets import generate_sheets
from scoring.ranking import ScoredUnit
from server.results import (
    ResultBreakdown,
    SheetResult,
    get_result,
    install_result_tables,
    list_results,
    ranking,
    result_doc,
)
from server.results.build import breakdown_row, build_result

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    demo = generate_province(1, "province")
    cset = load_shipped(demo.campaign.criteria_version)
    compiled = compile_set(cset)
    units = {u.unit_id: u for u in demo.units()}
    communes = {c.code: c for c in demo.communes}
    engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('r') / 'r.sqlite3'}")
    install_result_tables(engine)
    units_scored = []
    with Session(engine) as session:
        for sheet in generate_sheets(demo):
            unit = units[sheet.unit_id]
            given = sheet_input(sheet, unit, communes[sheet.commune_code])
            score = compiled.score(given.kind, given.inputs, given.manual, given.flags)
            row, criteria = build_result(sheet, sheet_rev="1-abc", scopes=dict(given.scopes),
                                         cset=cset, score=score, scored_at=AT)
            session.add(SheetResult(**row))
            session.add(ResultBreakdown(**breakdown_row(row["id"], criteria)))
            units_scored.append(ScoredUnit(given.unit, given.kind, given.scopes, score, given.flags))
        session.commit()
    return demo, cset, engine, units_scored


def test_a_result_reads_back_with_its_criteria_and_document(scored) -> None:  # type: ignore[no-untyped-def]
    demo, _cset, engine, units = scored
    first = units[0]
    view = get_result(engine, f"result:2026:{first.unit}:2026")
    assert view is not None and view.total == first.score.total
    assert [c.points for c in view.criteria] == list(first.score.points)
    assert all(c.explanation for c in view.criteria)
    assert view.sheet_rev == "1-abc" and view.criteria_version == "vbsp-2026"
    assert get_result(engine, "result:2026:savings_group:9999999:2026") is None


def test_result_doc_names_the_sheet_revision_and_uses_decimal_strings(scored) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    _demo, _cset, engine, _units = scored
    with Session(engine) as session:
        row = session.exec(select(SheetResult).limit(1)).one()
    view = get_result(engine, row.id)
    assert view is not None
    doc = result_doc(row, view.criteria)
    assert doc["_id"] == row.id and doc["type"] == "result"
    assert doc["sheet_id"] == "sheet:" + row.id.removeprefix("result:")
    assert doc["sheet_rev"] == "1-abc"
    assert doc["total"] == f"{row.total // 10}.{row.total % 10}"
    assert [c["id"] for c in doc["criteria"]] == [c.id for c in view.criteria]
    assert [c["points"] for c in doc["criteria"]] == [f"{c.points // 10}.{c.points % 10}"
                                                     for c in view.criteria]


def test_sql_ranking_matches_the_engine_ranking(scored) -> None:  # type: ignore[no-untyped-def]
    demo, cset, engine, units = scored
    commune = demo.communes[0].code
    members = [u for u in units if u.kind == "savings_group" and u.scopes["commune"] == commune]
    expected = rank_scope(cset, "savings_group", "commune", commune, members)
    got = ranking(engine, campaign="2026", period="2026", unit_kind="savings_group",
                  scope_type="commune", scope_id=commune)
    ranked = [(r.rank, r.result.unit) for r in got if r.rank is not None]
    assert ranked == [(e.rank, e.unit) for e in expected.entries]
    assert [r.result.unit for r in got if r.rank is None] == [e.unit for e in expected.excluded]
    with pytest.raises(ValueError, match="unknown ranking scope"):
        ranking(engine, campaign="2026", period="2026", unit_kind="savings_group",
                scope_type="hamlet", scope_id=commune)


def test_list_results_filters(scored) -> None:  # type: ignore[no-untyped-def]
    demo, _cset, engine, units = scored
    commune = demo.communes[1].code
    got = list_results(engine, campaign="2026", communes=[commune])
    assert {r.unit for r in got} == {u.unit for u in units if u.scopes["commune"] == commune}
    page = list_results(engine, campaign="2026", limit=5, offset=5, with_criteria=True)
    assert len(page) == 5 and all(r.criteria for r in page)
    assert list_results(engine, campaign="nope") == []
