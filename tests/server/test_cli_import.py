"""`thidua import`: a generated CDTOTKVV workbook into the seeded SQLite store."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from scoring.demo import DemoProvince, generate_province
from scoring.demo_sheets import generate_sheets
from scoring.ids import sheet_doc_id, unit_id
from scoring.imports import CDTOTKVV_COLUMNS, HSTD_COLUMNS
from scoring.sheet import ScoreSheet
from server.cli_import import import_cmd
from server.seed import seed_demo
from server.settings import Settings
from sync.backends import load_store


def _run(settings: Settings, coro_factory):  # type: ignore[no-untyped-def]
    async def main():  # type: ignore[no-untyped-def]
        store = load_store(settings)
        await store.initialize()
        try:
            return await coro_factory(store)
        finally:
            await store.close()

    return asyncio.run(main())


@pytest.fixture(scope="module")
def demo() -> DemoProvince:
    return generate_province(1)


@pytest.fixture
def seeded(settings: Settings) -> Settings:
    _run(settings, lambda store: seed_demo(store, seed=1))
    return settings


def _sheet(settings: Settings, code: str, commune: str) -> ScoreSheet | None:
    doc_id = sheet_doc_id("2026", unit_id("savings_group", code), "2026")

    async def get(store):  # type: ignore[no-untyped-def]
        page = await store.all_docs(f"c-{commune}", keys=[doc_id], include_docs=True)
        doc = page["rows"][0].get("doc")
        return ScoreSheet.from_doc(doc) if doc else None

    return _run(settings, get)


def _workbook(path: Path, demo: DemoProvince, picks: list[tuple[int, dict[str, object]]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for _ in range(10):
        sheet.append(["BẢNG CHẤM ĐIỂM TỔ TK&VV"])
    for stt, (index, over) in enumerate(picks, start=1):
        g = demo.groups[index]
        values: dict[str, object] = dict(
            stt=stt, ma_dv=g.office_code, ma_xa=g.commune_code, ma_to=g.code, du_no=900_000_000,
            so_du_tk=80_000_000, diem_gdtx=20, diem_nqh=25, diem_thu_no=15, diem_thu_lai=20,
            diem_tv_tiengui=5, diem_ds_tg=7.5, tong_diem=92.5, xep_loai="Tốt")
        values.update(over)
        sheet.append([values.get(c) for c in CDTOTKVV_COLUMNS])
    book.save(path)
    return path


def test_import_writes_good_rows_and_reports_bad_ones(
        seeded: Settings, demo: DemoProvince, tmp_path: Path) -> None:
    sheets = {s.unit_code: s for s in generate_sheets(demo) if s.unit_kind == "savings_group"}
    unscored = next(i for i, g in enumerate(demo.groups) if g.code not in sheets)
    submitted = next(i for i, g in enumerate(demo.groups)
                     if g.code in sheets and sheets[g.code].status == "submitted")
    locked = next(i for i, g in enumerate(demo.groups)
                  if g.code in sheets and sheets[g.code].status == "locked")
    path = _workbook(tmp_path / "cd.xlsx", demo, [
        (unscored, {}), (submitted, {}), (locked, {}), (0, {"du_no": "nhiều"}),
        (1, {"ma_to": "7654321"}),
    ])
    result = CliRunner().invoke(import_cmd, [str(path), "--kind", "cdtotkvv"],
                                obj={"settings": seeded})
    assert result.exit_code == 1, result.output
    assert "Đã nhập 2 phiếu của các Tổ hợp lệ; 3 lỗi không được nhập" in result.output
    for code in ("locked", "not_a_number", "unknown_group"):
        assert code in result.output

    group = demo.groups[unscored]
    created = _sheet(seeded, group.code, group.commune_code)
    assert created is not None and created.status == "draft"
    assert created.inputs["diem_ds_tg"] == Decimal("7.5") and created.scorer == "import:cdtotkvv"

    group = demo.groups[submitted]
    updated = _sheet(seeded, group.code, group.commune_code)
    assert updated is not None and updated.status == "submitted"
    assert updated.inputs["du_no"] == 900_000_000  # the import wins on its inputs
    assert updated.inputs["lai_phai_thu"] == sheets[group.code].inputs["lai_phai_thu"]  # kept
    assert updated.manual == sheets[group.code].manual

    group = demo.groups[locked]
    assert _sheet(seeded, group.code, group.commune_code) == sheets[group.code]


def test_dry_run_writes_nothing(seeded: Settings, demo: DemoProvince, tmp_path: Path) -> None:
    sheets = {s.unit_code for s in generate_sheets(demo)}
    unscored = next(i for i, g in enumerate(demo.groups) if g.code not in sheets)
    path = _workbook(tmp_path / "cd.xlsx", demo, [(unscored, {})])
    result = CliRunner().invoke(import_cmd, [str(path), "--kind", "cdtotkvv", "--dry-run"],
                                obj={"settings": seeded})
    assert result.exit_code == 0, result.output
    assert "Sẽ nhập 1 phiếu, không có lỗi." in result.output and "chạy thử" in result.output
    group = demo.groups[unscored]
    assert _sheet(seeded, group.code, group.commune_code) is None


def test_hstd_import_and_stops(seeded: Settings, demo: DemoProvince, tmp_path: Path) -> None:
    g = demo.groups[0]
    path = tmp_path / "hstd.csv"
    values = {c: "0" for c in HSTD_COLUMNS} | {
        "ma_pgd": g.office_code, "ma_xa": g.commune_code, "ma_to": g.code, "so_khe_uoc": "K1",
        "ma_kh": "M1", "du_no_trong_han": "12.000.000"}
    path.write_text(",".join(HSTD_COLUMNS) + "\n" + ",".join(values[c] for c in HSTD_COLUMNS)
                    + "\n", encoding="utf-8")
    result = CliRunner().invoke(import_cmd, [str(path), "--kind", "hstd"],
                                obj={"settings": seeded})
    assert result.exit_code == 0, result.output
    sheet = _sheet(seeded, g.code, g.commune_code)
    assert sheet is not None and sheet.inputs["du_no"] == 12_000_000

    wrong = CliRunner().invoke(import_cmd, [str(path), "--kind", "hstd", "--campaign", "2019"],
                               obj={"settings": seeded})
    assert wrong.exit_code == 2 and "Không có đợt thi đua '2019'" in wrong.output


def test_import_into_an_empty_store_stops(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a\n", encoding="utf-8")
    result = CliRunner().invoke(import_cmd, [str(path), "--kind", "hstd"],
                                obj={"settings": settings})
    assert result.exit_code == 2 and "thidua seed-demo" in result.output


def test_import_reports_exact_duplicates_month_and_unit(
        seeded: Settings, demo: DemoProvince, tmp_path: Path) -> None:
    """A BC0437-like file: title with the date and "triệu đồng", one row repeated exactly."""
    path = _workbook(tmp_path / "bc0437_20260930.xlsx", demo, [
        (3, {"du_no": 900, "so_du_tk": 80, "xep_loai": 0}), (4, {"du_no": 900, "so_du_tk": 80, "xep_loai": 0})])
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet is not None
    sheet["A2"] = "Đơn vị: triệu đồng"
    sheet.append([99, *[c.value for c in sheet[11]][1:]])  # row 13 repeats row 11 but its stt
    book.save(path)
    result = CliRunner().invoke(import_cmd, [str(path), "--kind", "cdtotkvv"], obj={"settings": seeded})
    assert result.exit_code == 0, result.output
    assert "Số liệu tháng: 09/2026 (theo tên tệp); đơn vị tiền: triệu đồng" in result.output
    assert "Dòng trùng lặp hoàn toàn (chỉ nhập một lần): 13 = 11" in result.output
    g = demo.groups[3]
    sheet_doc = _sheet(seeded, g.code, g.commune_code)
    assert sheet_doc is not None and sheet_doc.inputs["du_no"] == 900_000_000
    assert (sheet_doc.bank_month, sheet_doc.bank_class) == ("2026-09", "0")
