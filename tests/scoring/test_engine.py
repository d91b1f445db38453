"""Engine: every band edge, rounding, division by zero, missing/invalid inputs, manual
entries, overrides, exclusions, Vietnamese explanations; fast engine == Decimal oracle."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from scoring.bankpoints import BANK_POINTS
from scoring.criteria import load_shipped
from scoring.engine import INVALID, MANUAL_INVALID, MISSING, OK, ManualEntry, score_sheet
from scoring.explain import explain
from scoring.numbers import format_vi, parse_exact
from scoring.reference import reference_score

sys.path.insert(0, str(Path(__file__).parent))
from sheetgen import random_sheets  # noqa: E402

CSET = load_shipped()
FULL = {
    "du_no": 1_000_000, "no_qua_han": 0, "lai_phai_thu": 1000, "lai_thuc_thu": 1000,
    "goc_den_han": 1000, "goc_thu_dung_han": 1000, "so_to_vien": 10, "so_to_vien_co_tiet_kiem": 10,
    "so_du_tiet_kiem_dau_ky": 0, "so_du_tiet_kiem_cuoi_ky": 100, "ke_hoach_tang_tiet_kiem": 100,
    "so_phien_gd_theo_lich": 12, "so_phien_to_giao_dich": 12,
}


def group(**changes: Any) -> Any:
    return score_sheet(CSET, "savings_group", {**FULL, **changes})


def test_full_marks_group() -> None:
    s = group()
    assert s.points == (300, 200, 200, 150, 100, 50) and s.total == 1000
    assert s.classification == "Tốt" and s.forced_by is None and s.excluded == ()


# (overdue per 1,000,000 outstanding, SG1 tenths): every edge of ==0, <=0.5%, <=1%, <=2%, <=4%, >4%
@pytest.mark.parametrize(("overdue", "points"), [
    (0, 300), (1, 250), (5000, 250), (5001, 200), (10000, 200), (10001, 120),
    (20000, 120), (20001, 50), (40000, 50), (40001, 0), (1_000_000, 0)])
def test_overdue_band_edges(overdue: int, points: int) -> None:
    assert group(no_qua_han=overdue).points[0] == points


@pytest.mark.parametrize(("done", "points"), [(12, 200), (11, 150), (9, 100), (8, 50), (6, 50), (5, 0), (13, 200)])
def test_commune_sessions_band_edges(done: int, points: int) -> None:
    assert group(so_phien_to_giao_dich=done).points[1] == points  # of 12: 11/12 = 91.7% >= 90%


@pytest.mark.parametrize(("paid", "points"), [
    (1000, 200), (990, 200), (989, 160), (970, 160), (969, 120), (950, 120), (949, 80),
    (900, 80), (899, 40), (800, 40), (799, 0)])
def test_interest_band_edges(paid: int, points: int) -> None:
    assert group(lai_thuc_thu=paid).points[2] == points


@pytest.mark.parametrize(("paid", "points"), [(990, 150), (989, 120), (950, 120), (949, 80), (900, 80), (899, 40), (800, 40), (799, 0)])
def test_principal_band_edges(paid: int, points: int) -> None:
    assert group(goc_thu_dung_han=paid).points[3] == points


@pytest.mark.parametrize(("end", "points"), [(100, 100), (99, 80), (80, 80), (79, 50), (50, 50), (49, 20), (1, 20), (0, 0), (-10, 0)])
def test_savings_growth_edges(end: int, points: int) -> None:
    assert group(so_du_tiet_kiem_dau_ky=1000, so_du_tiet_kiem_cuoi_ky=1000 + end).points[4] == points


@pytest.mark.parametrize(("savers", "points"), [(10, 50), (9, 50), (8, 40), (7, 30), (6, 20), (5, 20), (4, 0)])
def test_members_saving_edges(savers: int, points: int) -> None:
    assert group(so_to_vien_co_tiet_kiem=savers).points[5] == points


def test_exact_arithmetic_at_a_band_edge_that_floats_get_wrong() -> None:
    # 0.7 as a float ratio: 7/10 == 0.7 exactly here, and 0.1*3 style drift never applies.
    assert group(so_to_vien=30, so_to_vien_co_tiet_kiem=21).points[5] == 30
    assert group(du_no="3", no_qua_han="0.015").points[0] == 250  # exactly 0.5%


def test_division_by_zero_follows_the_declared_rule() -> None:
    s = group(goc_den_han=0, goc_thu_dung_han=0, lai_phai_thu=0)
    assert s.points[3] == 150 and s.points[2] == 200  # nothing due counts as 100%
    s = group(du_no=0)
    assert s.points[0] == 0
    assert explain(CSET, s)[0].text == "du_no bằng 0, không chấm được → 0/30 điểm"


def test_missing_input_scores_zero_with_reason() -> None:
    inputs = dict(FULL)
    del inputs["du_no"]
    s = score_sheet(CSET, "savings_group", inputs)
    assert s.points[0] == 0 and s.details[0] == (0, MISSING, "du_no")
    assert explain(CSET, s)[0].text == "Thiếu số liệu: du_no → 0/30 điểm"
    empty = score_sheet(CSET, "savings_group", {})
    assert empty.total == 0 and empty.classification == "Yếu"


@pytest.mark.parametrize("bad", [-1, "abc", "", "1_000", None, "NaN"])
def test_invalid_inputs_never_crash(bad: Any) -> None:
    s = group(no_qua_han=bad)
    assert s.points[0] == 0 and s.details[0][1] in (INVALID, MISSING)


def test_decimal_and_vietnamese_comma_inputs() -> None:
    assert group(no_qua_han=Decimal("5000.0")).points[0] == 250
    assert group(no_qua_han="5000,5").points[0] == 200
    assert parse_exact("0,35") == parse_exact("0.35")


def test_linear_rounding_half_up_to_tenths() -> None:
    def ac5(attended: int, held: int) -> int:
        return score_sheet(CSET, "association_commune", {"so_phien_giao_ban_tham_du": attended, "so_phien_giao_ban": held}).points[4]

    assert ac5(1, 8) == 13  # 10 × 0.125 = 1.25 -> 1.3
    assert ac5(1, 3) == 33  # 3.333… -> 3.3
    assert ac5(2, 3) == 67  # 6.666… -> 6.7
    assert ac5(13, 12) == 100  # capped at max
    tp = score_sheet(CSET, "transaction_point", {"so_phien_theo_lich": 12, "so_phien_dung_lich": 11})
    assert tp.points[0] == 183  # 20 × 11/12 = 18.33 -> 18.3


def test_sum_parts_gate_and_per_item() -> None:
    base = {"so_to": 16, "so_to_duoc_kiem_tra": 9, "so_mon_vay_moi": 0, "so_mon_vay_moi_kiem_tra_30_ngay": 0,
            "so_ho_kiem_tra_min_mot_to": 5}
    s = score_sheet(CSET, "association_commune", base)
    assert s.points[3] == 45 + 70  # 8 × 9/16 = 4.5 ; no new loans counts as 100%
    s = score_sheet(CSET, "association_commune", {**base, "so_ho_kiem_tra_min_mot_to": 4})
    assert s.points[3] == 70
    tp = {"so_muc_cong_khai_dat": 6, "so_khieu_nai_co_can_cu": 3, "so_can_bo_to_gd_min": 3, "su_co_an_toan": 1}
    s = score_sheet(CSET, "transaction_point", tp)
    assert (s.points[2], s.points[4], s.points[6]) == (150, 50, 0)  # capped 15; 5+0; 5-6 floored


def test_deduction_per_weak_group() -> None:
    s = score_sheet(CSET, "association_commune", {"so_to": 10, "so_to_tot": 9, "so_to_yeu": 1})
    assert s.points[1] == 160
    assert "trừ 1 Tổ Yếu × 4 điểm → 16/20 điểm" in explain(CSET, s)[1].text
    s = score_sheet(CSET, "association_commune", {"so_to": 10, "so_to_tot": 1, "so_to_yeu": 9})
    assert s.points[1] == 0


def test_manual_entries() -> None:
    manual = {"AC7": ManualEntry(points="4,5", evidence="Biên bản 12/3"), "AC8": {"points": 6}}
    s = score_sheet(CSET, "association_commune", {}, manual)
    assert s.points[6:] == (45, 0) and s.details[7][1] == MANUAL_INVALID
    texts = [e.text for e in explain(CSET, s)]
    assert texts[6] == "Điểm chấm 4,5/5 điểm; minh chứng: Biên bản 12/3; chưa ghi lý do trừ điểm"
    assert texts[7].startswith("Điểm nhập không hợp lệ (6; phải từ 0 đến 5)")
    assert score_sheet(CSET, "association_commune", {}, {"AC7": "0.05"}).points[6] == 0
    assert score_sheet(CSET, "association_commune", {}).details[6] == (0, 4, None)


def test_overrides_force_weak() -> None:
    s = group(no_qua_han=40001)  # 4.0001% overdue: total 70 -> Trung bình, forced to Yếu
    assert (s.total, s.computed_class, s.classification, s.forced_by) == (700, "Trung bình", "Yếu", "OV-YEU")
    s = group(lai_thuc_thu=799, no_qua_han=0)
    assert s.computed_class == "Khá" and s.classification == "Yếu"
    s = group(no_qua_han=40000, lai_thuc_thu=800)  # exactly at the limits: not forced
    assert s.forced_by is None


@pytest.mark.parametrize(("total_change", "label"), [({}, "Tốt"), ({"so_to_vien_co_tiet_kiem": 0, "so_phien_to_giao_dich": 11}, "Tốt"),
                                                     ({"so_phien_to_giao_dich": 0}, "Khá"), ({"so_phien_to_giao_dich": 0, "so_to_vien_co_tiet_kiem": 7, "so_du_tiet_kiem_cuoi_ky": 99}, "Trung bình")])
def test_classification_edges(total_change: dict[str, int], label: str) -> None:
    assert group(**total_change).classification == label


def test_classification_exact_cut_offs() -> None:
    assert group(so_phien_to_giao_dich=11, so_to_vien_co_tiet_kiem=0).total == 900  # exactly 90 -> Tốt
    assert group(so_phien_to_giao_dich=0, so_to_vien_co_tiet_kiem=10).total == 800  # 80 -> Khá


def test_exclusions() -> None:
    s = score_sheet(CSET, "savings_group", FULL, flags={"thang_hoat_dong": 8, "vi_pham": True})
    assert s.excluded == ("EX-THOIGIAN", "EX-VIPHAM") and s.total == 1000
    assert score_sheet(CSET, "savings_group", FULL, flags={"thang_hoat_dong": 9}).excluded == ()


def test_explanations_in_vietnamese() -> None:
    s = group(no_qua_han=3500, so_phien_to_giao_dich=11)
    texts = [e.text for e in explain(CSET, s)]
    assert texts[0] == "Tỷ lệ nợ quá hạn 0,35% ≤ 0,5% → 25/30 điểm"
    assert texts[1] == "Tỷ lệ phiên giao dịch tại xã 91,67% ≥ 90% → 15/20 điểm"
    near = explain(CSET, group(no_qua_han=5001))[0].text
    assert near == "Tỷ lệ nợ quá hạn 0,5001% ≤ 1% → 20/30 điểm"
    assert format_vi(1234567.5) == "1.234.567,5"


def test_fast_engine_matches_decimal_reference() -> None:
    for sheet in random_sheets(CSET, 2000, seed=99):
        s = score_sheet(CSET, sheet["kind"], sheet["inputs"], sheet["manual"], sheet["flags"])
        assert (s.points, s.total, s.classification) == reference_score(CSET, sheet["kind"], sheet["inputs"], sheet["manual"])
        assert all(st in (OK, BANK_POINTS) or p == 0 for p, st, _ in s.details)
        explain(CSET, s)  # renders for every path


def _band_cases() -> list[tuple[str, str, int]]:
    cases = []
    for kind_name, kind in CSET.unit_kinds.items():
        for i, c in enumerate(kind.criteria):
            if c.rule.bands is not None and c.measure is not None and c.measure.ratio is not None:
                cases.append((kind_name, c.id, i))
    return cases


@pytest.mark.parametrize(("kind_name", "crit_id", "index"), _band_cases())
def test_every_shipped_band_edge(kind_name: str, crit_id: str, index: int) -> None:
    """At, just below and just above every threshold, points = first band that holds."""
    from fractions import Fraction

    from scoring.bands import OPS

    c = CSET.unit_kinds[kind_name].criteria[index]
    assert c.measure is not None and c.measure.ratio is not None and c.rule.bands is not None
    deduct = {c.deduct_per_item.input: 0} if c.deduct_per_item else {}
    for band in c.rule.bands:
        t = Fraction(band.value)
        den = t.denominator * 1_000_000
        for num in (t.numerator * 1_000_000 + k for k in (-1, 0, 1)):
            if num < 0:
                continue
            value = Fraction(num, den)
            expected = next(b.points for b in c.rule.bands if OPS[b.op](value, Fraction(b.value)))
            s = score_sheet(CSET, kind_name, {c.measure.ratio.num: num, c.measure.ratio.den: den, **deduct})
            assert s.points[index] == int(expected * 10), (crit_id, value)
