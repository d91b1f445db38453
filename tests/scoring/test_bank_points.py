"""Bank-export points (CDTOTKVV ``diem_*``) replace the formulas of the six group criteria."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from test_engine import FULL
from test_imports import score_row, write_xlsx

from scoring.bankpoints import (
    BANK_NOT_NUMBER,
    BANK_NOT_TENTHS,
    BANK_OUT_OF_RANGE,
    BANK_POINTS,
    bank_points,
)
from scoring.criteria import load_shipped
from scoring.demo import generate_province
from scoring.engine import MISSING, OK, score_sheet
from scoring.explain import explain
from scoring.imports import CDTOTKVV_MAX, directory, parse_file
from scoring.numbers import to_tenths
from scoring.reference import reference_score

CSET = load_shipped()
CODES = tuple(CDTOTKVV_MAX)  # diem_nqh, diem_gdtx, diem_thu_lai, diem_thu_no, diem_ds_tg, diem_tv_tiengui
BANK_ONLY = {"diem_nqh": 25, "diem_gdtx": 20, "diem_thu_lai": "16", "diem_thu_no": "12,5",
             "diem_ds_tg": Decimal("7.5"), "diem_tv_tiengui": 4.5}


def scored(inputs: dict[str, Any]) -> Any:
    s = score_sheet(CSET, "savings_group", inputs)
    assert (s.points, s.total, s.classification) == reference_score(CSET, "savings_group", inputs)
    return s


def test_every_group_criterion_declares_its_export_code() -> None:
    crits = CSET.unit_kinds["savings_group"].criteria
    assert sorted(c.code_export or "" for c in crits) == sorted(CODES)
    assert {c.code_export: int(c.max_points) for c in crits} == CDTOTKVV_MAX


def test_bank_points_taken_as_they_are() -> None:
    s = scored({**BANK_ONLY, "du_no": 1_000_000})
    assert s.points == (250, 200, 160, 125, 75, 45) and s.total == 855
    assert [st for _, st, _ in s.details] == [BANK_POINTS] * 6
    assert s.sources == ("bank_export_points",) * 6 and s.classification == "Tốt"  # 85.5 ≥ 85
    first = explain(CSET, s)[0]
    assert first.text == "Điểm hệ thống NHCSXH (CDTOTKVV): 25/30 điểm" and first.source == "bank_export_points"
    assert explain(CSET, s)[3].text == "Điểm hệ thống NHCSXH (CDTOTKVV): 12,5/15 điểm"


@pytest.mark.parametrize(("raw", "status", "text"), [
    (31, BANK_OUT_OF_RANGE, "Điểm hệ thống NHCSXH (diem_nqh) = 31 ngoài khoảng 0 đến 30 → 0/30 điểm"),
    ("30,1", BANK_OUT_OF_RANGE, "Điểm hệ thống NHCSXH (diem_nqh) = 30,1 ngoài khoảng 0 đến 30 → 0/30 điểm"),
    (-1, BANK_OUT_OF_RANGE, "Điểm hệ thống NHCSXH (diem_nqh) = -1 ngoài khoảng 0 đến 30 → 0/30 điểm"),
    ("-0.5", BANK_OUT_OF_RANGE, "Điểm hệ thống NHCSXH (diem_nqh) = -0,5 ngoài khoảng 0 đến 30 → 0/30 điểm"),
    ("25.05", BANK_NOT_TENTHS,
     "Điểm hệ thống NHCSXH (diem_nqh) = 25,05 không là bội số của 0,1; phải từ 0 đến 30 → 0/30 điểm"),
    ("abc", BANK_NOT_NUMBER, "Điểm hệ thống NHCSXH (diem_nqh) không phải là số; phải từ 0 đến 30 → 0/30 điểm"),
    ("", BANK_NOT_NUMBER, "Điểm hệ thống NHCSXH (diem_nqh) không phải là số; phải từ 0 đến 30 → 0/30 điểm"),
])
def test_invalid_bank_points_score_zero_with_reason(raw: Any, status: int, text: str) -> None:
    s = scored({**FULL, "diem_nqh": raw})  # the raw inputs would give 30: no fallback
    assert s.details[0][:2] == (0, status) and s.points[0] == 0 and s.total == 700
    assert s.sources[0] == "bank_export_points" and s.sources[1] == "formula"
    assert explain(CSET, s)[0].text == text


def test_edges_of_the_valid_range() -> None:
    assert bank_points(0, 300) == (0, BANK_POINTS)
    assert bank_points(30, 300) == (300, BANK_POINTS)
    assert bank_points("29,9", 300) == (299, BANK_POINTS)
    assert bank_points(True, 300) == (10, BANK_POINTS)  # booleans count as 0/1 like other inputs
    assert bank_points(30.01, 300) == (0, BANK_OUT_OF_RANGE)
    assert bank_points([1], 300) == (0, BANK_NOT_NUMBER)


def test_bank_points_win_over_raw_inputs_and_say_so() -> None:
    s = scored({**FULL, "diem_nqh": 5, "diem_thu_lai": "0"})  # the formulas would give 30 and 20
    assert s.points == (50, 200, 0, 150, 100, 50) and s.total == 550
    assert s.sources == ("bank_export_points", "formula", "bank_export_points", "formula", "formula", "formula")
    texts = explain(CSET, s)
    assert texts[0].text == ("Điểm hệ thống NHCSXH (CDTOTKVV): 5/30 điểm; có cả số liệu gốc nhưng điểm "
                             "hệ thống được ưu tiên, không tính theo công thức")
    assert texts[1].text.startswith("Tỷ lệ phiên giao dịch tại xã") and texts[1].source == "formula"


def test_absent_points_fall_back_to_the_formula() -> None:
    assert scored({**FULL, "diem_nqh": None}).details[0][1] == OK
    bank_only = scored({"diem_gdtx": 20})
    assert bank_only.points == (0, 200, 0, 0, 0, 0)
    assert bank_only.details[0][1] == MISSING and bank_only.sources[0] == "formula"


def test_tong_diem_never_replaces_the_sum_of_criteria() -> None:
    s = scored({**BANK_ONLY, "tong_diem": 100, "xep_loai": "Tốt"})
    assert s.total == sum(s.points) == 855


def test_overrides_need_the_formula_measure() -> None:
    """OV-YEU (optional, switched on here) tests the overdue and interest ratios; bank points
    replace that formula, so the bank's own points (and VBSP's classification) decide."""
    from test_engine import _with_overrides_on

    on = _with_overrides_on()
    assert score_sheet(on, "savings_group", {**FULL, "no_qua_han": 40001}).forced_by == "OV-YEU"
    inputs = {**FULL, "no_qua_han": 40001, "diem_nqh": 0}
    s = score_sheet(on, "savings_group", inputs)
    assert (s.total, s.classification, s.forced_by) == (700, "Khá", None)
    assert reference_score(on, "savings_group", inputs)[2] == "Khá"


def test_cdtotkvv_workbook_end_to_end(tmp_path: Path) -> None:
    """XLSX export -> scoring.imports -> engine: totals equal the export's tong_diem."""
    demo = generate_province(seed=3)
    rows = [
        score_row(demo, 0),
        score_row(demo, 1, diem_nqh="27,5", diem_ds_tg=7.5, tong_diem=95),
        score_row(demo, 2, diem_nqh=25, diem_gdtx=15, diem_thu_lai=16, diem_thu_no=12,
                  diem_ds_tg=5, diem_tv_tiengui=4, tong_diem=77, xep_loai="Khá"),
        score_row(demo, 3, diem_nqh=0, diem_gdtx=5, diem_thu_lai=4, diem_thu_no=0,
                  diem_ds_tg=2, diem_tv_tiengui=0, tong_diem=11, xep_loai="Yếu"),
        score_row(demo, 4, diem_nqh="29.9", diem_gdtx=20, diem_thu_lai=20, diem_thu_no=15,
                  diem_ds_tg="0,1", diem_tv_tiengui=5, tong_diem=90, xep_loai="Tốt"),
    ]
    report = parse_file(write_xlsx(tmp_path / "cdtotkvv.xlsx", rows), "cdtotkvv", directory(demo.groups))
    assert report.ok and len(report.rows) == len(rows)
    for row in report.rows:
        s = scored(dict(row.inputs))
        assert s.total == to_tenths(row.inputs["tong_diem"]), row
        assert s.sources == ("bank_export_points",) * 6
        assert s.classification == row.notes["xep_loai"]
        assert all(not e.text.endswith("theo công thức") for e in explain(CSET, s))  # only du_no is raw
