"""Monthly bank figures: which months feed a period (latest, a given month, mean) and how a
sheet's months reach the engine and the scoreboard."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_engine import FULL

from scoring.adapt import sheet_input, unit_flags
from scoring.campaign import Campaign, MonthRule, Period
from scoring.criteria import load_shipped
from scoring.exclusion import AwardExclusion
from scoring.explain import explain_class
from scoring.incremental import Scoreboard
from scoring.periods import period_months, sheet_months
from scoring.places import Commune
from scoring.sheet import MonthFigures, ScoreSheet
from scoring.units import HamletHead, SavingsGroup

CSET = load_shipped()
COMMUNE = Commune(code="89101", name="Xã A", kind="xa", province_code="89", office_code="004602")
GROUP = SavingsGroup(code="1000001", name="Tổ 1", commune_code="89101", leader_name="B", hamlet_code="8910101",
                     association="PN", point_code="89101-1", office_code="004602", members=30, months_operating=60)


def period(how: str = "latest", month: str | None = None, months: tuple[str, ...] = ()) -> Period:
    return Period(id="2026", label="Cả năm 2026", start="2026-01-01", end="2026-12-31",
                  bank_months=MonthRule(how=how, month=month, months=months))  # type: ignore[arg-type]


def sheet() -> ScoreSheet:
    return ScoreSheet(
        campaign="2026", period="2026", unit_kind="savings_group", unit_code="1000001", commune_code="89101",
        inputs={**FULL, "no_qua_han": 40001}, bank_month="2026-10", bank_class="0",
        monthly={"2026-08": MonthFigures(inputs={"no_qua_han": 4000}, bank_class="Khá"),
                 "2026-09": MonthFigures(inputs={"no_qua_han": 0}),
                 "2025-12": MonthFigures(inputs={"no_qua_han": 0})})


def test_period_months() -> None:
    assert period_months(period()) == tuple(f"2026-{m:02d}" for m in range(1, 13))
    assert period_months(Period(id="q4", label="Q4", start="2025-11-15", end="2026-01-31")) == ("2025-11", "2025-12", "2026-01")
    assert period_months(period(months=("2026-12", "2026-06"))) == ("2026-06", "2026-12")
    with pytest.raises(ValueError, match="YYYY-MM"):
        MonthRule(how="month", month="2026-13")
    with pytest.raises(ValueError, match="how = month"):
        MonthRule(how="latest", month="2026-01")


def test_latest_given_and_mean_of_months() -> None:
    s = sheet()
    assert list(sheet_months(s, period())) == ["2026-10"]  # 2025-12 is outside the period
    assert sheet_months(s, period())["2026-10"]["xep_loai"] == "0"
    assert sheet_months(s, period("month", "2026-08"))["2026-08"] == {**FULL, "no_qua_han": 4000, "xep_loai": "Khá"}
    assert sheet_months(s, period("month", "2026-07")) == {}
    assert list(sheet_months(s, period("mean"))) == ["2026-08", "2026-09", "2026-10"]
    assert list(sheet_months(s, period("mean", months=("2026-09", "2026-10")))) == ["2026-09", "2026-10"]


def test_sheet_input_feeds_the_scoreboard_with_the_chosen_months() -> None:
    board = Scoreboard(CSET)
    board.load([sheet_input(sheet(), GROUP, COMMUNE, period=period())])
    s = board.score("savings_group:1000001")
    assert (s.total, s.classification, s.class_source, s.months) == (700, "Khá", "points_bank_empty", ("2026-10",))
    board.update(sheet_input(sheet(), GROUP, COMMUNE, period=period("month", "2026-08")))
    s = board.score("savings_group:1000001")
    assert (s.total, s.classification, s.class_source, s.months) == (950, "Khá", "bank_export", ("2026-08",))
    assert explain_class(CSET, s) == "Xếp loại theo hệ thống NHCSXH: Khá; số liệu tháng 08/2026"
    board.update(sheet_input(sheet(), GROUP, COMMUNE, period=period("mean")))
    s = board.score("savings_group:1000001")
    assert s.months == ("2026-08", "2026-09", "2026-10") and s.points[0] == 183  # (25 + 30 + 0) / 3
    plain = sheet_input(sheet(), GROUP, COMMUNE)  # no period: the sheet's inputs and its month
    assert plain.month == "2026-10" and plain.inputs["xep_loai"] == "0"


def test_women_flags_and_reviewer_exclusion_reach_the_engine() -> None:
    head = HamletHead(code="8910101", name="Trưởng ấp", commune_code="89101", hamlet_code="8910101",
                      person_name="Lê Thị C", female=True)
    assert unit_flags(head)["nu"] is True
    assert "ty_le_nu" not in unit_flags(GROUP)  # unknown: left out
    now = datetime(2026, 11, 2, tzinfo=UTC)
    flag = AwardExclusion(subject="savings_group:1000001", active=True, reason="Đang thanh tra")
    flag = flag.change(by="chinhanh", at=now, active=True, reason="Đang thanh tra theo QĐ 12")
    assert unit_flags(GROUP, exclusion=flag)["loai_tru_xet_khen"] is True
    cleared = flag.change(by="chinhanh", at=now, active=False, reason="Đã có kết luận")
    assert "loai_tru_xet_khen" not in unit_flags(GROUP, exclusion=cleared)
    assert [h.active for h in cleared.history] == [True, False]
    assert AwardExclusion.from_doc(cleared.to_doc()) == cleared
    assert cleared.doc_id() == "exclusion:savings_group:1000001"
    with pytest.raises(ValueError, match="lý do"):
        AwardExclusion(subject="x", active=True, reason=" ")


def test_campaign_says_it_is_a_thematic_movement() -> None:
    c = Campaign(id="2026", year=2026, name="x", periods=(period(),), criteria_version="vbsp-2026")
    assert c.movement == "thematic" and CSET.movement is not None and CSET.movement.kind == "thematic"
