"""Bank-export import: generated XLSX and CSV files, good and bad rows, the error report."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from scoring.demo import DemoProvince, generate_province
from scoring.imports import (
    CDTOTKVV_COLUMNS,
    HSTD_COLUMNS,
    GroupRef,
    ImportFileError,
    RowError,
    directory,
    parse_file,
)
from scoring.sheet import ScoreSheet


@pytest.fixture(scope="module")
def demo() -> DemoProvince:
    return generate_province(seed=3)


@pytest.fixture(scope="module")
def groups(demo: DemoProvince) -> dict[str, GroupRef]:
    return directory(demo.groups)


def score_row(demo: DemoProvince, index: int, **over: object) -> list[object]:
    """One CDTOTKVV data row for the demo's `index`-th group (codes as Excel numbers)."""
    g = demo.groups[index]
    values: dict[str, object] = dict(
        stt=index + 1, ma_dv=int(g.office_code), ten_dv="PGD", ma_xa=int(g.commune_code),
        ten_xa="Xã", ma_to=int(g.code), ten_to_truong=g.leader_name, dvut=g.association,
        loai_to="Tổ", du_no=float(demo.group_inputs[g.code]["du_no"]), so_du_tk=150_000_000,
        diem_gdtx=20, diem_nqh=30, diem_thu_no=15, diem_thu_lai=20, diem_tv_tiengui=5,
        diem_ds_tg=10, tong_diem=100, xep_loai="Tốt", tinh_trang="A")
    values.update(over)
    return [values[c] for c in CDTOTKVV_COLUMNS]


def write_xlsx(path: Path, rows: list[list[object]], title_rows: int = 10) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["NGÂN HÀNG CHÍNH SÁCH XÃ HỘI"])
    sheet.append(["BẢNG CHẤM ĐIỂM TỔ TK&VV"])
    for _ in range(title_rows - 3):
        sheet.append([])
    sheet.append(list(CDTOTKVV_COLUMNS))  # header on row `title_rows`
    for row in rows:
        sheet.append(row)
    sheet.append([None, None, "Tổng cộng"])
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[object]], delimiter: str = ";") -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return path


def test_cdtotkvv_xlsx_good_rows(tmp_path: Path, demo: DemoProvince,
                                 groups: dict[str, GroupRef]) -> None:
    rows = [score_row(demo, i) for i in range(5)]
    rows[1] = score_row(demo, 1, diem_nqh="27,5", diem_ds_tg=7.5, tong_diem=95)
    seen: list[int] = []
    report = parse_file(write_xlsx(tmp_path / "cd.xlsx", rows), "cdtotkvv", groups,
                        progress=seen.append)
    assert report.errors == [] and report.ok
    assert [r.rows for r in report.rows] == [(11,), (12,), (13,), (14,), (15,)]
    assert report.data_rows == 5 and report.skipped_rows == 1  # the "Tổng cộng" line
    first = report.rows[0]
    g = demo.groups[0]
    assert (first.unit_code, first.office_code, first.commune_code) == (
        g.code, g.office_code, g.commune_code)
    assert first.inputs["du_no"] == demo.group_inputs[g.code]["du_no"]
    assert isinstance(first.inputs["du_no"], int)
    assert first.inputs["so_du_tiet_kiem_cuoi_ky"] == 150_000_000
    assert first.inputs["diem_nqh"] == 30 and first.notes["xep_loai"] == "Tốt"
    assert report.rows[1].inputs["diem_nqh"] == Decimal("27.5")
    assert report.rows[1].inputs["diem_ds_tg"] == Decimal("7.5")
    assert seen[-1] == 16


def test_cdtotkvv_bad_rows_are_reported_and_left_out(
        tmp_path: Path, demo: DemoProvince, groups: dict[str, GroupRef]) -> None:
    rows = [
        score_row(demo, 0),                                     # 11 good
        score_row(demo, 1, ma_to=None),                         # 12 missing code
        score_row(demo, 2, du_no="abc"),                        # 13 not a number
        score_row(demo, 3, diem_gdtx=-5, tong_diem=75),         # 14 negative
        score_row(demo, 4, ma_to=9_999_999),                    # 15 unknown group
        score_row(demo, 5),                                     # 16 same group as 17
        score_row(demo, 5, so_du_tk=1),                         # 17 (not an exact copy)
        score_row(demo, 6, diem_nqh=31, tong_diem=101),         # 18 above max (and total)
        score_row(demo, 7, tong_diem=90),                       # 19 total mismatch
        score_row(demo, 8, ma_dv=1),                            # 20 wrong PGD
        score_row(demo, 9, du_no=1.5),                          # 21 fraction of a dong
        score_row(demo, 10, ma_to="0000000"),                   # 22 direct lending: skipped
        score_row(demo, 11),                                    # 23 good
    ]
    report = parse_file(write_xlsx(tmp_path / "bad.xlsx", rows), "cdtotkvv", groups)
    assert [r.unit_code for r in report.rows] == [demo.groups[0].code, demo.groups[11].code]
    found = {(e.row, e.column, e.code) for e in report.errors}
    assert found == {
        (12, "ma_to", "missing_code"), (13, "du_no", "not_a_number"),
        (14, "diem_gdtx", "negative"), (15, "ma_to", "unknown_group"),
        (17, "ma_to", "duplicate"), (18, "diem_nqh", "out_of_range"),
        (18, "tong_diem", "out_of_range"), (19, "tong_diem", "total_mismatch"),
        (20, "ma_dv", "wrong_office"), (21, "du_no", "not_integer"),
    }
    messages = {e.code: e.message for e in report.errors}
    assert messages["missing_code"] == "Thiếu Mã Tổ"
    assert messages["not_a_number"] == "Giá trị 'abc' không phải là số"
    assert messages["unknown_group"] == "Mã Tổ 9999999 không có trong danh mục Tổ"
    assert "dòng 16 và dòng 17" in messages["duplicate"]
    assert messages["total_mismatch"] == "Tổng điểm 90 khác tổng 6 tiêu chí (100)"
    assert f"thuộc PGD {demo.groups[8].office_code}, không phải PGD 000001" in messages[
        "wrong_office"]
    assert report.skipped_rows == 2 and not report.ok


def test_cdtotkvv_csv_with_vietnamese_number_format(
        tmp_path: Path, demo: DemoProvince, groups: dict[str, GroupRef]) -> None:
    rows: list[list[object]] = [["Bảng chấm điểm"]] + [[] for _ in range(9)]
    good = score_row(demo, 0, du_no="1.234.567.000", ma_dv=demo.groups[0].office_code)
    rows += [good, score_row(demo, 1, so_du_tk="-3")]
    report = parse_file(write_csv(tmp_path / "cd.csv", rows), "cdtotkvv", groups)
    assert [r.inputs["du_no"] for r in report.rows] == [1_234_567_000]
    assert [(e.row, e.column, e.code) for e in report.errors] == [(12, "so_du_tk", "negative")]


def loan(g_code: str, office: str, contract: str, member: str, **money: int) -> dict[str, object]:
    row: dict[str, object] = {c: 0 for c in HSTD_COLUMNS}
    row.update(ma_pgd=office, ma_xa="x", ma_to=g_code, so_khe_uoc=contract, ma_kh=member,
               ten_kh="Nguyễn Văn A", ma_chuong_trinh="HN", ten_chuong_trinh="Hộ nghèo")
    row.update(money)
    return row


def write_hstd(path: Path, loans: list[dict[str, object]], columns=HSTD_COLUMNS,
               title: str = "SAO KÊ HỒ SƠ TÍN DỤNG") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([title])
    sheet.append(list(columns))
    for item in loans:
        sheet.append([item.get(c) for c in columns])
    book.save(path)
    return path


def test_hstd_aggregates_loans_per_group(tmp_path: Path, demo: DemoProvince,
                                         groups: dict[str, GroupRef]) -> None:
    a, b = demo.groups[0], demo.groups[1]
    loans = [
        loan(a.code, a.office_code, "K1", "M1", du_no_trong_han=30_000_000, du_no_qua_han=0,
             du_no_khoanh=0, lai_phai_thu=2_000_000, lai_thuc_thu=2_000_000,
             goc_den_han=5_000_000, goc_thu_dung_han=5_000_000, so_du_tiet_kiem_dau_ky=1_000_000,
             so_du_tiet_kiem_cuoi_ky=1_500_000),
        loan(a.code, a.office_code, "K2", "M1", du_no_trong_han=20_000_000, du_no_qua_han=1_000_000,
             du_no_khoanh=500_000, lai_phai_thu=1_000_000, lai_thuc_thu=900_000,
             goc_den_han=2_000_000, goc_thu_dung_han=1_000_000, so_du_tiet_kiem_dau_ky=1_000_000,
             so_du_tiet_kiem_cuoi_ky=1_500_000),
        loan(a.code, a.office_code, "K3", "M2", du_no_trong_han=10_000_000),
        loan("0000000", a.office_code, "K4", "M9", du_no_trong_han=99),  # direct lending
        loan(b.code, b.office_code, "K5", "M3", du_no_trong_han=40_000_000),
    ]
    report = parse_file(write_hstd(tmp_path / "hstd.xlsx", loans), "hstd", groups)
    assert report.errors == []
    assert report.skipped_rows == 1 and report.data_rows == 5
    first = report.rows[0]
    assert first.unit_code == a.code and first.rows == (3, 4, 5)
    assert first.inputs == {
        "du_no": 61_500_000, "no_qua_han": 1_000_000, "lai_phai_thu": 3_000_000,
        "lai_thuc_thu": 2_900_000, "goc_den_han": 7_000_000, "goc_thu_dung_han": 6_000_000,
        "so_to_vien": 2, "so_to_vien_co_tiet_kiem": 1, "so_du_tiet_kiem_dau_ky": 1_000_000,
        "so_du_tiet_kiem_cuoi_ky": 1_500_000,
    }
    assert report.rows[1].unit_code == b.code and report.rows[1].inputs["du_no"] == 40_000_000


def test_hstd_group_with_a_bad_row_is_left_out_whole(
        tmp_path: Path, demo: DemoProvince, groups: dict[str, GroupRef]) -> None:
    a, b, c = demo.groups[0], demo.groups[1], demo.groups[2]
    loans = [
        loan(a.code, a.office_code, "K1", "M1", du_no_trong_han=30_000_000),
        loan(a.code, a.office_code, "K2", "M2", du_no_qua_han=-1),           # negative
        loan(b.code, b.office_code, "K3", "M3", du_no_trong_han=5_000_000),
        loan(b.code, b.office_code, "K3", "M4", du_no_trong_han=5_000_000),  # duplicate
        loan(c.code, c.office_code, "K5", "M5", du_no_trong_han=7_000_000),  # good
        loan("1234", a.office_code, "K6", "M6"),                              # unknown
        loan(c.code, c.office_code, "K7", "", lai_phai_thu="nhiều"),  # type: ignore[arg-type]
    ]
    path = tmp_path / "hstd.csv"
    write_csv(path, [list(HSTD_COLUMNS)] + [[x[k] for k in HSTD_COLUMNS] for x in loans], ",")
    report = parse_file(path, "hstd", groups)
    assert [r.unit_code for r in report.rows] == []
    found = {(e.row, e.column, e.code) for e in report.errors}
    assert found == {  # the CSV header is row 1, so the loans are rows 2..8
        (3, "du_no_qua_han", "negative"), (2, "ma_to", "group_incomplete"),
        (5, "so_khe_uoc", "duplicate"), (4, "ma_to", "group_incomplete"),
        (7, "ma_to", "unknown_group"), (8, "ma_kh", "missing_code"),
        (8, "lai_phai_thu", "not_a_number"), (6, "ma_to", "group_incomplete"),
    }
    incomplete = [e.message for e in report.errors if e.code == "group_incomplete"]
    assert f"Tổ {a.code} không được nhập vì có dòng lỗi (3)" in incomplete
    assert f"Tổ {c.code} không được nhập vì có dòng lỗi (8)" in incomplete


def test_file_level_errors(tmp_path: Path, groups: dict[str, GroupRef]) -> None:
    with pytest.raises(ImportFileError, match="chỉ nhận tệp .xlsx hoặc .csv"):
        parse_file(tmp_path / "a.pdf", "hstd", groups)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ImportFileError, match="không đọc được tệp Excel"):
        parse_file(broken, "cdtotkvv", groups)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Tổ".encode("utf-16"))
    with pytest.raises(ImportFileError, match="UTF-8"):
        parse_file(latin, "hstd", groups)
    partial = write_hstd(tmp_path / "cols.xlsx", [], columns=("ma_to", "so_khe_uoc", "ma_kh"))
    with pytest.raises(ImportFileError, match="Dòng tiêu đề 2: thiếu cột ma_pgd, ma_xa"):
        parse_file(partial, "hstd", groups)
    no_header = write_csv(tmp_path / "none.csv", [["a", "b"]] * 20)
    with pytest.raises(ImportFileError, match="Không tìm thấy dòng tiêu đề"):
        parse_file(no_header, "hstd", groups)


def test_xlsx_with_a_wrong_declared_size_is_read_whole(
        tmp_path: Path, demo: DemoProvince, groups: dict[str, GroupRef]) -> None:
    """Some exporters write `<dimension ref="A1"/>`; read-only openpyxl would stop at row 1."""
    import re
    import zipfile

    source = write_xlsx(tmp_path / "src.xlsx", [score_row(demo, i) for i in range(3)])
    target = tmp_path / "dim.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data, count = re.subn(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1"/>', data)
                assert count == 1
            zout.writestr(item, data)
    report = parse_file(target, "cdtotkvv", groups)
    assert report.errors == [] and len(report.rows) == 3


def test_apply_row_merges_creates_and_refuses_locked() -> None:
    from datetime import UTC, datetime

    from scoring.imports import ImportedRow, RowError, apply_row
    from scoring.sheet import ManualEntry, ScoreSheet

    now = datetime(2026, 11, 1, tzinfo=UTC)
    row = ImportedRow(rows=(12,), unit_code="1000001", commune_code="89101",
                      office_code="004602", inputs={"du_no": 5, "diem_nqh": Decimal("27.5")})
    new = apply_row(row, None, campaign="2026", period="2026", source="import:cdtotkvv", now=now)
    assert isinstance(new, ScoreSheet) and new.status == "draft" and new.created_at == now
    assert new.doc_id() == "sheet:2026:savings_group:1000001:2026" and new.inputs == row.inputs

    old = ScoreSheet(campaign="2026", period="2026", unit_kind="savings_group",
                     unit_code="1000001", commune_code="89101", status="submitted",
                     inputs={"du_no": 1, "so_to_vien": 30},
                     manual={"SG-B1": ManualEntry(points=Decimal(4))}, scorer="canbo1")
    merged = apply_row(row, old, campaign="2026", period="2026", source="x", now=now)
    assert isinstance(merged, ScoreSheet)
    assert merged.inputs == {"du_no": 5, "so_to_vien": 30, "diem_nqh": Decimal("27.5")}
    assert (merged.status, merged.manual, merged.scorer) == ("submitted", old.manual, "canbo1")
    assert merged.updated_at == now

    locked = apply_row(row, ScoreSheet(campaign="2026", period="2026", unit_kind="savings_group",
                                       unit_code="1000001", commune_code="89101",
                                       status="locked"),
                       campaign="2026", period="2026", source="x", now=now)
    assert locked == RowError(12, "ma_to", "locked",
                              "Phiếu chấm của Tổ 1000001 đã chốt; không ghi đè")


def bc0437_rows(demo: DemoProvince, count: int) -> list[list[object]]:
    """BC0437-shaped data rows: class column 0 (the lost formula), amounts in millions."""
    rows = []
    for i in range(count):
        g = demo.groups[i]
        pts = (30, 20, 15, 20, 5, 10) if i % 3 else (25, 15, 12, 16, 4, 5)  # 100 or 77
        rows.append(score_row(demo, i, du_no=round(demo.group_inputs[g.code]["du_no"] / 1e6, 3),
                              so_du_tk=12.5, diem_gdtx=pts[1], diem_nqh=pts[0], diem_thu_no=pts[2],
                              diem_thu_lai=pts[3], diem_tv_tiengui=pts[4], diem_ds_tg=pts[5],
                              tong_diem=sum(pts), xep_loai=0))
    return rows


def write_bc0437(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["NGÂN HÀNG CHÍNH SÁCH XÃ HỘI", None, "BC0437"])
    sheet.append(["THÔNG TIN TỔ TK&VV DO PGD QUẢN LÝ"])
    sheet.append(["Đến ngày 30/09/2026"])
    sheet.append(["Đơn vị: triệu đồng"])
    for _ in range(5):
        sheet.append([])
    sheet.append(list(CDTOTKVV_COLUMNS))  # row 10
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_bc0437_fixture_class_zero_duplicates_and_millions(
        tmp_path: Path, demo: DemoProvince, groups: dict[str, GroupRef]) -> None:
    """BC0437: class column 0 -> recomputed from points; ~3% exact duplicates imported once
    and reported; amounts in millions; the period comes from the title."""
    from scoring.criteria import load_shipped
    from scoring.engine import score_sheet
    from scoring.explain import explain_class

    rows = bc0437_rows(demo, 33)
    dup = list(rows[4])
    dup[0] = 99  # same row but the running number
    rows.insert(20, dup)  # 1 of 34 rows: ~3%
    report = parse_file(write_bc0437(tmp_path / "bc0437.xlsx", rows), "cdtotkvv", groups)
    assert report.ok, report.errors
    assert len(report.rows) == 33 and report.data_rows == 34
    assert [(d.row, d.same_as) for d in report.duplicates] == [(31, 15)]
    assert (report.period, report.period_source, report.amount_unit) == ("2026-09", "title", 1_000_000)
    first = report.rows[0]
    for r, g in zip(report.rows, demo.groups, strict=False):
        assert r.inputs["du_no"] == round(demo.group_inputs[g.code]["du_no"] / 1000) * 1000
    assert first.inputs["so_du_tiet_kiem_cuoi_ky"] == 12_500_000
    assert first.bank_class == "0" and first.month == "2026-09"
    cset = load_shipped()
    classes = set()
    for row in report.rows:
        s = score_sheet(cset, "savings_group", {**row.inputs, "xep_loai": row.bank_class}, month=row.month)
        assert s.class_source == "points_bank_empty"
        assert s.classification == ("Tốt" if s.total == 1000 else "Khá")  # 77 -> Khá under BC0437 bands
        classes.add(s.classification)
        assert explain_class(cset, s).endswith("; số liệu tháng 09/2026")
    assert classes == {"Tốt", "Khá"}


def test_amount_unit_can_be_given_and_fractions_of_a_dong_are_refused(
        tmp_path: Path, demo: DemoProvince, groups: dict[str, GroupRef]) -> None:
    rows = [score_row(demo, 0, du_no="1,2345678")]  # 1,234,567.8 VND in millions: not whole
    report = parse_file(write_bc0437(tmp_path / "m.xlsx", rows), "cdtotkvv", groups)
    assert [(e.column, e.code) for e in report.errors] == [("du_no", "not_integer")]
    assert "đơn vị 1.000.000 đồng" in report.errors[0].message
    report = parse_file(write_bc0437(tmp_path / "m.xlsx", [score_row(demo, 0, du_no=5)]), "cdtotkvv",
                        groups, amount_unit=1)
    assert report.rows[0].inputs["du_no"] == 5


def test_period_from_report_date_else_title_else_file_name() -> None:
    from datetime import datetime

    from scoring.import_meta import period_of

    assert period_of([datetime(2026, 8, 31), "30/09/2026"], ["Tháng 07/2026"], "x_2026-06.xlsx") == ("2026-09", "report_date")
    assert period_of([], ["BÁO CÁO", "Tháng 07 năm 2026"], "x_2026-06.xlsx") == ("2026-07", "title")
    assert period_of([], ["Ngày 5 tháng 3 năm 2026"], "x.xlsx") == ("2026-03", "title")
    for name, month in (("cdtotkvv_2026-06.xlsx", "2026-06"), ("BC0437_20260531.xls.xlsx", "2026-05"),
                        ("T04_2026.csv", "2026-04"), ("bc 30.01.2026.csv", "2026-01")):
        assert period_of([], ["BÁO CÁO"], name) == (month, "file_name"), name
    assert period_of([], [], "export.xlsx") == (None, None)


def test_direct_loans_of_association_99_are_counted_not_imported(
        tmp_path: Path, demo: DemoProvince, groups: dict[str, GroupRef]) -> None:
    rows = [score_row(demo, 0), score_row(demo, 1, ma_to="0000000", dvut="99"),
            score_row(demo, 2, dvut=99)]
    report = parse_file(write_xlsx(tmp_path / "d.xlsx", rows), "cdtotkvv", groups)
    assert [r.unit_code for r in report.rows] == [demo.groups[0].code]
    assert report.direct_rows == 2 and report.ok


def test_hstd_exact_duplicates_millions_and_cv597(tmp_path: Path, demo: DemoProvince,
                                                 groups: dict[str, GroupRef]) -> None:
    """Loans from 01/3/2026 not rescheduled: unpaid instalments due count on their own."""
    a = demo.groups[0]
    loans = [
        loan(a.code, a.office_code, "K1", "M1", du_no_trong_han=30, goc_den_han=2, goc_thu_dung_han=2,
             goc_ky_han_chua_tra=1, ngay_giai_ngan="15/03/2026"),  # type: ignore[arg-type]
        loan(a.code, a.office_code, "K2", "M2", du_no_trong_han=20, goc_den_han=1, goc_thu_dung_han=1,
             goc_ky_han_chua_tra=1, ngay_giai_ngan="15/02/2026"),  # type: ignore[arg-type]  # older loan
        loan(a.code, a.office_code, "K3", "M3", du_no_trong_han=10, goc_den_han=1, goc_thu_dung_han=1,
             goc_ky_han_chua_tra=1, ngay_giai_ngan="2026-04-01", dieu_chinh_ky_han="x"),  # type: ignore[arg-type]  # rescheduled
    ]
    loans.append(dict(loans[0]))  # exact duplicate row
    write_hstd(tmp_path / "h.xlsx", loans,
               title="SAO KÊ HỒ SƠ TÍN DỤNG ĐẾN NGÀY 31/10/2026 - ĐVT: triệu đồng")
    report = parse_file(tmp_path / "h.xlsx", "hstd", groups)
    assert report.ok, report.errors
    assert [(d.row, d.same_as) for d in report.duplicates] == [(6, 3)]
    assert (report.period, report.amount_unit) == ("2026-10", 1_000_000)
    inputs = report.rows[0].inputs
    assert inputs["du_no"] == 60_000_000
    assert (inputs["goc_den_han"], inputs["goc_thu_dung_han"]) == (5_000_000, 4_000_000)


def test_apply_row_keeps_each_month_and_the_latest_in_inputs() -> None:
    from datetime import UTC, datetime

    from scoring.imports import ImportedRow, apply_row

    now = datetime(2026, 11, 1, tzinfo=UTC)

    def row(month: str, du_no: int, cls: str | None) -> ImportedRow:
        return ImportedRow(rows=(11,), unit_code="1000001", commune_code="89101", office_code="004602",
                           inputs={"du_no": du_no}, bank_class=cls, month=month)

    sheet = apply_row(row("2026-09", 9, "0"), None, campaign="2026", period="2026", source="x", now=now)
    sheet = apply_row(row("2026-10", 10, "Tốt"), sheet, campaign="2026", period="2026", source="x", now=now)  # type: ignore[arg-type]
    sheet = apply_row(row("2026-08", 8, "Khá"), sheet, campaign="2026", period="2026", source="x", now=now)  # type: ignore[arg-type]
    assert not isinstance(sheet, RowError)
    assert (sheet.inputs, sheet.bank_month, sheet.bank_class) == ({"du_no": 10}, "2026-10", "Tốt")
    assert {m: f.inputs["du_no"] for m, f in sheet.monthly.items()} == {"2026-08": 8, "2026-09": 9, "2026-10": 10}
    assert sheet.monthly["2026-09"].bank_class == "0"
    assert ScoreSheet.from_doc(sheet.to_doc()) == sheet  # round trip
