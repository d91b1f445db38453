"""Bằng khen basis flags on proposals: Xuất sắc the year before from the previous campaign's
locked results, a reviewer's flag with a reason (audited), and clearing it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from scoring import CriteriaSet
from scoring.demo import DemoProvince
from server.audit_tables import AuditRow
from server.awards import AwardError
from server.awards.basis import set_flag
from server.awards.proposals import proposals
from tests.awards.conftest import sqlite_engine
from tests.awards.world import seed_results

EARLIER = [("2025", "2025", "Thi đua năm 2025")]


def _bk(engine: Engine, cset: CriteriaSet, earlier: list[tuple[str, str, str]]) -> dict[str, str]:
    found = proposals(engine, cset, "2026", "2026", earlier=earlier)
    return {p.unit: p.basis for p in found.proposals if p.award == "BK-TINH"}


def test_previous_year_results_carry_the_bang_khen_basis(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "db.sqlite3")  # 10 communes: one Bằng khen (quota)
    _, cset = seed_results(engine, communes=10)
    assert _bk(engine, cset, EARLIER) == {}  # no 2025 results yet: nobody has the basis
    seed_results(engine, lock_share=1.0, communes=10, campaign="2025")
    bk = _bk(engine, cset, EARLIER)
    assert bk, "units Xuất sắc in both years must get a Bằng khen proposal"
    assert all(b == "Xuất sắc năm trước (kết quả đã khóa của Thi đua năm 2025)" for b in bk.values())
    found = proposals(engine, cset, "2026", "2026", earlier=EARLIER)
    classes = {r.unit: r.classification for r in found.results}
    assert all(classes[u] == "Xuất sắc" for u in bk)
    assert set(bk) <= set(found.basis.by_unit)
    engine.dispose()


def test_a_reviewer_flag_is_a_basis_with_its_reason_and_can_be_cleared(
        world: tuple[Engine, DemoProvince, CriteriaSet]) -> None:
    engine, _, cset = world
    found = proposals(engine, cset, "2026", "2026")
    best = next(r for r in found.results if r.classification == "Xuất sắc"
                and r.sheet_status == "locked" and r.unit_kind == "association_commune"
                and not r.excluded)
    for bad, message in (({"flag": "khen_chuyen_de"}, "không dùng được"),
                         ({"reason": "  "}, "Cần ghi lý do"),
                         ({"unit": "association_commune:nope"}, "Không có kết quả")):
        args = {"unit": best.unit, "flag": "thanh_tich_dot_xuat", "reason": "Cứu hộ lũ"} | bad
        try:
            set_flag(engine, cset, campaign="2026", period="2026", active=True, user="chinhanh",
                     **args)
            raise AssertionError(f"accepted {bad}")
        except AwardError as exc:
            assert message in str(exc)
    set_flag(engine, cset, campaign="2026", period="2026", unit=best.unit,
             flag="thanh_tich_dot_xuat", active=True, reason="Cứu hộ lũ tháng 10", user="chinhanh")
    basis = proposals(engine, cset, "2026", "2026").basis  # 8 communes: BK quota 0
    assert basis.label(best.unit) == "Thành tích đột xuất (chinhanh ghi: Cứu hộ lũ tháng 10)"
    set_flag(engine, cset, campaign="2026", period="2026", unit=best.unit,
             flag="thanh_tich_dot_xuat", active=False, reason="Nhầm đơn vị", user="chinhanh")
    assert best.unit not in proposals(engine, cset, "2026", "2026").basis.by_unit
    with Session(engine) as s:
        actions = [r.action for r in s.exec(select(AuditRow).where(AuditRow.target == best.unit))]
    assert actions == ["award.basis", "award.basis.clear"]
