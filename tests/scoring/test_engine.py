"""Engine: every band edge, rounding, division by zero, missing/invalid inputs, manual
entries, overrides, exclusions, Vietnamese explanations; fast engine == Decimal oracle."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from scoring.bankpoints import BANK_POINTS
from scoring.criteria import load_shipped, loads_criteria
from scoring.engine import (
    GATE_FAILED,
    INVALID,
    MANUAL_INVALID,
    MISSING,
    OK,
    ManualEntry,
    compile_set,
    score_sheet,
)
from scoring.explain import explain, explain_class
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
    """AC4 per HD 727/HD-NHCS: new loans, inactive loans, groups, older loans per group."""
    base = {"so_to": 16, "so_to_duoc_kiem_tra": 9, "so_to_dat_kiem_tra_mon_vay_cu": 8, "so_mon_vay_moi": 0,
            "so_mon_vay_moi_kiem_tra_30_ngay": 0, "so_mon_vay_khong_gd_3_thang": 4,
            "so_mon_vay_khong_gd_3_thang_kiem_tra": 4}
    s = score_sheet(CSET, "association_commune", base)
    assert s.details[3][2][0][0] == 40 and s.points[3] == 40 + 30 + 23 + 20  # no new loans = 100%; 4 x 9/16 = 2.25 -> 2.3
    s = score_sheet(CSET, "association_commune", {**base, "so_mon_vay_khong_gd_3_thang_kiem_tra": 3})
    assert s.points[3] == 40 + 23 + 23 + 20  # 3 x 3/4 = 2.25 -> 2.3
    assert "so_ho_kiem_tra_min_mot_to" not in CSET.unit_kinds["association_commune"].inputs  # the ≥ 5 households rule is gone
    tp = {"so_muc_cong_khai_dat": 6, "so_khieu_nai_co_can_cu": 3, "so_can_bo_to_gd_min": 3, "su_co_an_toan": 1}
    s = score_sheet(CSET, "transaction_point", tp)
    assert (s.points[2], s.points[4], s.points[6]) == (150, 50, 0)  # capped 15; 5+0; 5-6 floored


def test_gate_on_a_part() -> None:
    text = (Path(__file__).parents[2] / "scoring" / "criteria" / "vbsp-2026.yaml").read_text(encoding="utf-8")
    anchor = "ratio: {num: so_to_dat_kiem_tra_mon_vay_cu, den: so_to, if_den_zero: skip}}\n              rule: {linear: {}}\n"
    assert anchor in text
    gated = loads_criteria(text.replace(anchor, anchor + '              require: {input: so_to, op: ">=", value: 20}\n'))
    s = score_sheet(gated, "association_commune", {"so_to": 16, "so_to_dat_kiem_tra_mon_vay_cu": 16})
    assert s.details[3][2][3][1] == GATE_FAILED
    assert "Không đạt điều kiện so_to ≥ 20 → 0/4 điểm" in explain(gated, s)[3].text


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


def _with_overrides_on() -> Any:
    kind = CSET.unit_kinds["savings_group"]
    on = tuple(msgspec.structs.replace(o, enabled=True) for o in kind.overrides)
    kinds = {**CSET.unit_kinds, "savings_group": msgspec.structs.replace(kind, overrides=on)}
    return msgspec.structs.replace(CSET, unit_kinds=kinds)


def test_overdue_or_interest_rule_is_optional_and_off() -> None:
    """BC0437 classifies on points alone: OV-YEU is in the data but disabled."""
    assert [o.enabled for o in CSET.unit_kinds["savings_group"].overrides] == [False]
    s = group(no_qua_han=40001)  # 4.0001% overdue: total 70 -> Khá, not forced
    assert (s.total, s.classification, s.forced_by) == (700, "Khá", None)
    on = _with_overrides_on()
    s = score_sheet(on, "savings_group", {**FULL, "no_qua_han": 40001})
    assert (s.total, s.computed_class, s.classification, s.forced_by) == (700, "Khá", "Yếu", "OV-YEU")
    assert reference_score(on, "savings_group", {**FULL, "no_qua_han": 40001})[2] == "Yếu"
    s = score_sheet(on, "savings_group", {**FULL, "lai_thuc_thu": 799})
    assert s.computed_class == "Khá" and s.classification == "Yếu"  # 80 points, forced
    s = score_sheet(on, "savings_group", {**FULL, "no_qua_han": 40000, "lai_thuc_thu": 800})  # at the limits
    assert s.forced_by is None


@pytest.mark.parametrize(("changes", "total", "label"), [
    ({}, 1000, "Tốt"),
    ({"so_phien_to_giao_dich": 9, "so_to_vien_co_tiet_kiem": 0}, 850, "Tốt"),  # exactly 85
    ({"so_phien_to_giao_dich": 9, "so_to_vien_co_tiet_kiem": 5, "goc_thu_dung_han": 950}, 840, "Khá"),
    ({"no_qua_han": 40001}, 700, "Khá"),  # exactly 70
    ({"no_qua_han": 40001, "so_to_vien_co_tiet_kiem": 8}, 690, "Trung bình"),
    ({"no_qua_han": 40001, "so_phien_to_giao_dich": 0}, 500, "Trung bình"),  # exactly 50
    ({"no_qua_han": 40001, "so_phien_to_giao_dich": 0, "so_to_vien_co_tiet_kiem": 8}, 490, "Yếu"),
])
def test_bc0437_class_bands(changes: dict[str, int], total: int, label: str) -> None:
    """Tốt ≥ 85, Khá 70-<85, Trung bình 50-<70, Yếu < 50 (BC0437's own formula)."""
    s = group(**changes)
    assert (s.total, s.classification, s.class_source) == (total, label, "points")


@pytest.mark.parametrize(("raw", "label", "source"), [
    ("Khá", "Khá", "bank_export"), (" tốt ", "Tốt", "bank_export"), ("Yếu kém", "Yếu", "bank_export"),
    ("TB", "Trung bình", "bank_export"), (0, "Tốt", "points_bank_empty"), ("0", "Tốt", "points_bank_empty"),
    ("", "Tốt", "points_bank_empty"), ("Xuất sắc", "Tốt", "points_bank_unknown"), (None, "Tốt", "points"),
])
def test_bank_class_used_where_present(raw: Any, label: str, source: str) -> None:
    """The bank's own class wins; 0/blank (BC0437's lost formula) is recomputed from points."""
    inputs = {**FULL, "xep_loai": raw} if raw is not None else FULL
    s = score_sheet(CSET, "savings_group", inputs)
    assert (s.total, s.classification, s.computed_class, s.class_source) == (1000, label, "Tốt", source)
    assert reference_score(CSET, "savings_group", inputs)[2] == label
    text = explain_class(CSET, s)
    assert text.startswith("Xếp loại theo hệ thống NHCSXH: " if source == "bank_export" else "Xếp loại ") or source.startswith("points_bank")
    if source == "points_bank_empty":
        assert text == "Cột xếp loại của tệp NHCSXH để trống hoặc bằng 0, xếp loại tính lại từ tổng điểm 100 ≥ 85: Tốt"


def test_month_of_the_figures_is_in_the_score_and_its_explanation() -> None:
    s = score_sheet(CSET, "savings_group", FULL, month="2026-09")
    assert s.months == ("2026-09",)
    assert explain_class(CSET, s) == "Xếp loại theo tổng điểm 100 ≥ 85: Tốt; số liệu tháng 09/2026"


def test_mean_of_months() -> None:
    engine = compile_set(CSET)
    monthly = {"2026-08": {**FULL, "no_qua_han": 4000}, "2026-07": FULL, "2026-09": {**FULL, "no_qua_han": 40001}}
    s = engine.score_months("savings_group", monthly)
    # SG1: 30, 25, 0 -> 55/3 = 18.33 -> 18.3 ; others full
    assert s.points[0] == 183 and s.total == 183 + 700 and s.classification == "Tốt"
    assert s.months == ("2026-07", "2026-08", "2026-09")
    assert explain(CSET, s)[0].text == "Trung bình 3 tháng (07/2026: 30, 08/2026: 25, 09/2026: 0) → 18,3/30 điểm"
    assert explain_class(CSET, s).endswith("; trung bình các tháng 07/2026, 08/2026, 09/2026")
    one = engine.score_months("savings_group", {"2026-07": FULL})
    assert one.months == ("2026-07",) and one.total == 1000
    with pytest.raises(ValueError):
        engine.score_months("savings_group", {})


def test_exclusions() -> None:
    s = score_sheet(CSET, "savings_group", FULL, flags={"thang_hoat_dong": 8, "vi_pham": True})
    assert s.excluded == ("EX-THOIGIAN", "EX-VIPHAM") and s.total == 1000
    assert score_sheet(CSET, "savings_group", FULL, flags={"thang_hoat_dong": 9}).excluded == ()
    none = {"thang_hoat_dong": None, "vi_pham": None, "dang_thanh_tra": None}  # None: not given
    assert score_sheet(CSET, "savings_group", FULL, flags=none).excluded == ()
    text = {"thang_hoat_dong": "8,5", "vi_pham": "1", "dang_thanh_tra": "abc"}  # numbers as text
    assert score_sheet(CSET, "savings_group", FULL, flags=text).excluded == ("EX-THOIGIAN", "EX-VIPHAM")


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
