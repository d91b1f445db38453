"""Import of VBSP bank exports (XLSX or CSV) into savings_group sheet inputs.

Two kinds: `cdtotkvv`, the monthly automatic group-score export (20 positional columns, data
from row 11; BC0437 "Thông tin Tổ TK&VV" exports read the same way), and `hstd`, a
loan-level extract (one row per loan, named header columns) that is summed per group.
Parsing is pure and complete before anything is written: every bad row gets a `RowError`
(row, column, machine code, Vietnamese reason) and is left out; in `hstd` a group with any
bad loan row is left out whole, so no group is ever half-imported.

Exact duplicate rows (every cell equal but the running number `stt`; about 3% of BC0437
rows) are imported once and listed in `ImportReport.duplicates`. Amounts are read in the
unit the title states ("Đơn vị: triệu đồng" -> millions of VND). The report carries its
month (`scoring.import_meta.period_of`). Direct loans outside any group (group 0000000,
association 99) are counted in `direct_rows`, never imported as a group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Literal, TypeVar

import msgspec

from .ids import DIRECT_ASSOCIATION_CODE, DIRECT_GROUP_CODE, InputValue
from .import_meta import amount_unit as stated_unit
from .import_meta import month_of_cell, period_of
from .import_tables import (
    Cell,
    CellError,
    ImportFileError,
    Table,
    blank,
    group_code,
    money,
    office_code,
    open_table,
    points,
    text,
)
from .sheet import MonthFigures, ScoreSheet
from .units import SavingsGroup

__all__ = [
    "CDTOTKVV_COLUMNS", "CV597_FROM", "HSTD_COLUMNS", "DuplicateRow", "GroupRef", "ImportFileError", "ImportKind",
    "ImportReport", "ImportedRow", "RowError", "apply_row", "directory", "open_table", "parse_cdtotkvv",
    "parse_file", "parse_hstd", "parse_table",
]

ImportKind = Literal["cdtotkvv", "hstd"]
Progress = Callable[[int], None]
T = TypeVar("T")
Rows = Iterable[tuple[int, tuple[Cell, ...]]]

CDTOTKVV_COLUMNS = (
    "stt", "ma_dv", "ten_dv", "ma_xa", "ten_xa", "ma_to", "ten_to_truong", "dvut", "loai_to",
    "du_no", "so_du_tk", "diem_gdtx", "diem_nqh", "diem_thu_no", "diem_thu_lai",
    "diem_tv_tiengui", "diem_ds_tg", "tong_diem", "xep_loai", "tinh_trang",
)
#: VBSP maximum points of the six automatic criteria (vbsp-notes.md §1.1).
CDTOTKVV_MAX = {"diem_nqh": 30, "diem_gdtx": 20, "diem_thu_lai": 20, "diem_thu_no": 15,
                "diem_ds_tg": 10, "diem_tv_tiengui": 5}
HSTD_REQUIRED = ("ma_pgd", "ma_xa", "ma_to", "so_khe_uoc", "ma_kh", "du_no_trong_han",
                 "du_no_qua_han", "du_no_khoanh", "lai_phai_thu", "lai_thuc_thu", "goc_den_han",
                 "goc_thu_dung_han")
HSTD_OPTIONAL = ("ten_pgd", "ten_xa", "ten_to_truong", "dvut", "ma_chuong_trinh",
                 "ten_chuong_trinh", "ten_kh", "so_du_tiet_kiem_dau_ky", "so_du_tiet_kiem_cuoi_ky",
                 "ngay_giai_ngan", "goc_ky_han_chua_tra", "dieu_chinh_ky_han", "ngay_bc")
HSTD_COLUMNS = HSTD_REQUIRED + HSTD_OPTIONAL
_HSTD_MONEY = ("du_no_trong_han", "du_no_qua_han", "du_no_khoanh", "lai_phai_thu",
               "lai_thuc_thu", "goc_den_han", "goc_thu_dung_han", "so_du_tiet_kiem_dau_ky",
               "so_du_tiet_kiem_cuoi_ky", "goc_ky_han_chua_tra")
DIRECT_LENDING = DIRECT_GROUP_CODE  # ma_to of loans made directly, not through a group
#: CV 597/NHCS-TDNN: loans disbursed from this month on have each unpaid instalment fall due on its own.
CV597_FROM = "2026-03"


class RowError(msgspec.Struct, frozen=True):
    row: int
    column: str
    code: str
    message: str


class DuplicateRow(msgspec.Struct, frozen=True):
    """Row `row` repeats row `same_as` exactly (but `stt`): imported once."""

    row: int
    same_as: int


class ImportedRow(msgspec.Struct, kw_only=True):
    """One group's inputs from the export; `rows` are the source rows it came from."""

    rows: tuple[int, ...]
    unit_code: str
    commune_code: str
    office_code: str
    inputs: dict[str, InputValue]
    notes: dict[str, str] = {}
    unit_kind: str = "savings_group"
    bank_class: str | None = None  # the export's class column as written ("0" in BC0437)
    month: str | None = None  # YYYY-MM the figures are from (row's report date, else the file's)


class ImportReport(msgspec.Struct, kw_only=True):
    kind: ImportKind
    rows: list[ImportedRow]
    errors: list[RowError]
    data_rows: int = 0
    skipped_rows: int = 0
    duplicates: list[DuplicateRow] = []
    direct_rows: int = 0
    period: str | None = None  # YYYY-MM
    period_source: str | None = None  # "report_date" | "title" | "file_name"
    amount_unit: int = 1  # VND per money unit of the file

    @property
    def ok(self) -> bool:
        return not self.errors


class GroupRef(msgspec.Struct, frozen=True):
    code: str
    office_code: str
    commune_code: str


def directory(groups: Iterable[SavingsGroup]) -> dict[str, GroupRef]:
    return {g.code: GroupRef(g.code, g.office_code, g.commune_code) for g in groups}


class _Collector:
    """Errors per row; a row is good only when none of its cells failed."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.pending = False  # the current row has an error already

    def read(self, row: int, column: str, value: Cell, parse: Callable[[Cell], T]) -> T | None:
        try:
            return parse(value)
        except CellError as bad:
            self.add(row, column, bad.code, bad.message)
            return None

    def add(self, row: int, column: str, code: str, message: str) -> None:
        self.errors.append(RowError(row, column, code, message))
        self.pending = True

    def end_row(self) -> bool:
        """True when the row that ends had an error."""
        failed, self.pending = self.pending, False
        return failed

    def check_group(self, row: int, code: str | None, office: str | None,
                    groups: Mapping[str, GroupRef], office_column: str) -> GroupRef | None:
        """The directory entry of `code`; reports unknown groups and a wrong PGD."""
        ref = groups.get(code) if code else None
        if code and ref is None:
            self.add(row, "ma_to", "unknown_group", f"Mã Tổ {code} không có trong danh mục Tổ")
        elif ref and office and office != ref.office_code:
            self.add(row, office_column, "wrong_office",
                     f"Tổ {code} thuộc PGD {ref.office_code}, không phải PGD {office}")
        return ref

    def report(self, kind: ImportKind, good: list[ImportedRow], data: int,
               skipped: int, meta: _Meta) -> ImportReport:
        found = period_of(meta.dates, meta.title, meta.file_name)
        for row in good:
            row.month = row.month or found.month
        return ImportReport(kind=kind, rows=sorted(good, key=lambda r: r.rows[0]),
                            errors=sorted(self.errors, key=lambda e: (e.row, e.column)),
                            data_rows=data, skipped_rows=skipped, duplicates=meta.duplicates,
                            direct_rows=meta.direct, period=found.month,
                            period_source=found.source, amount_unit=meta.unit or 1)


class _Meta:
    """Title lines, report dates, money unit, exact duplicates and direct loans of one file."""

    def __init__(self, file_name: str, unit: int | None) -> None:
        self.file_name, self.unit = file_name, unit
        self.title: list[str] = []
        self.dates: list[Cell] = []
        self.duplicates: list[DuplicateRow] = []
        self.direct = 0
        self._seen: dict[tuple[str, ...], int] = {}

    def title_row(self, cells: tuple[Cell, ...]) -> None:
        line = " ".join(text(v) for v in cells if not blank(v))
        if line:
            self.title.append(line)

    def money_unit(self) -> int:
        """The unit stated in the title lines (fixed at the first data row) or given."""
        if self.unit is None:
            self.unit = stated_unit(self.title)
        return self.unit

    def duplicate(self, number: int, cells: tuple[Cell, ...]) -> bool:
        """True when the row repeats an earlier one exactly (cells compared as text)."""
        key = tuple(text(v) for v in cells)
        while key and not key[-1]:
            key = key[:-1]
        first = self._seen.setdefault(key, number)
        if first != number:
            self.duplicates.append(DuplicateRow(number, first))
            return True
        return False


def _drop_duplicates(found: dict[str, list[ImportedRow]], c: _Collector) -> list[ImportedRow]:
    """A group listed twice is ambiguous: none of its rows is imported."""
    good: list[ImportedRow] = []
    for code, items in found.items():
        if len(items) == 1:
            good.append(items[0])
            continue
        first = items[0].rows[0]
        for item in items[1:]:
            c.add(item.rows[0], "ma_to", "duplicate",
                  f"Tổ {code} xuất hiện nhiều lần (dòng {first} và dòng {item.rows[0]}); "
                  "không nhập Tổ này")
    return good


# -- CDTOTKVV ---------------------------------------------------------------------------


def _direct(code: str | None, association: Cell) -> bool:
    return code == DIRECT_LENDING or text(association) == DIRECT_ASSOCIATION_CODE


def parse_cdtotkvv(rows: Rows, groups: Mapping[str, GroupRef], *, start_row: int = 11,
                   progress: Progress | None = None, file_name: str = "",
                   amount_unit: int | None = None) -> ImportReport:
    """The group-score export: columns in `CDTOTKVV_COLUMNS` order, data from `start_row`.
    `amount_unit` (VND per unit) overrides the unit stated in the title lines."""
    c, found = _Collector(), dict[str, list[ImportedRow]]()
    meta = _Meta(file_name, amount_unit)
    data = skipped = 0
    width = len(CDTOTKVV_COLUMNS)
    for number, cells in rows:
        if progress:
            progress(number)
        if number < start_row:
            meta.title_row(cells)
            continue
        if all(blank(v) for v in cells):
            continue
        col = dict(zip(CDTOTKVV_COLUMNS, (*cells, *(None,) * (width - len(cells))), strict=False))
        if blank(col["ma_to"]) and not text(col["stt"]).isdigit():
            skipped += 1  # a title or total line ("Tổng cộng")
            continue
        data += 1
        if meta.duplicate(number, cells[1:]):
            continue
        unit = meta.money_unit()
        code = c.read(number, "ma_to", col["ma_to"], group_code)
        if _direct(code, col["dvut"]):
            skipped += 1
            meta.direct += 1
            c.end_row()
            continue
        office = c.read(number, "ma_dv", col["ma_dv"], office_code)
        inputs: dict[str, InputValue] = {}
        for name, key in (("du_no", "du_no"), ("so_du_tk", "so_du_tiet_kiem_cuoi_ky")):
            amount = c.read(number, name, col[name], partial(money, unit=unit))
            if amount is not None:
                inputs[key] = amount
        for name in (*CDTOTKVV_MAX, "tong_diem"):
            value = c.read(number, name, col[name], points)
            top = CDTOTKVV_MAX.get(name, 100)
            if value is not None and value > top:
                c.add(number, name, "out_of_range", f"Điểm {value} vượt mức tối đa {top}")
            elif value is not None:
                inputs[name] = value
        if not c.pending:
            total = sum(Decimal(inputs[n]) for n in CDTOTKVV_MAX)
            if total != inputs["tong_diem"]:
                c.add(number, "tong_diem", "total_mismatch",
                      f"Tổng điểm {inputs['tong_diem']} khác tổng 6 tiêu chí ({total})")
        ref = c.check_group(number, code, office, groups, "ma_dv")
        if c.end_row() or ref is None:
            continue
        notes = {k: text(col[k]) for k in ("xep_loai", "tinh_trang", "loai_to", "dvut")
                 if not blank(col[k])}
        month = None
        if len(cells) > width and not blank(cells[width]):
            notes["ngay_bc"] = text(cells[width])  # whole-branch version: report date
            meta.dates.append(cells[width])
            month = month_of_cell(cells[width])
        found.setdefault(ref.code, []).append(ImportedRow(
            rows=(number,), unit_code=ref.code, commune_code=ref.commune_code,
            office_code=ref.office_code, inputs=inputs, notes=notes,
            bank_class=notes.get("xep_loai"), month=month))
    return c.report("cdtotkvv", _drop_duplicates(found, c), data, skipped, meta)


# -- HSTD -------------------------------------------------------------------------------


def _header(rows: Iterator[tuple[int, tuple[Cell, ...]]], meta: _Meta) -> dict[str, int]:
    for number, cells in rows:
        meta.title_row(cells)
        names = [text(v).lower().replace(" ", "_") for v in cells]
        if "ma_to" in names and "so_khe_uoc" in names:
            missing = [n for n in HSTD_REQUIRED if n not in names]
            if missing:
                raise ImportFileError(f"Dòng tiêu đề {number}: thiếu cột {', '.join(missing)}")
            return {n: names.index(n) for n in HSTD_COLUMNS if n in names}
        if number >= 15:
            break
    raise ImportFileError("Không tìm thấy dòng tiêu đề (cần các cột ma_to, so_khe_uoc, ...)")


class _Group(msgspec.Struct):
    ref: GroupRef
    rows: list[int] = []
    failed: list[int] = []
    sums: dict[str, int] = {}
    savings: dict[str, tuple[int, int]] = {}  # member -> (start, end) balance, counted once

    def add_loan(self, member: str, amounts: dict[str, int], own_instalments: bool) -> None:
        """Sum one loan; with `own_instalments` (CV 597: loan from 01/3/2026, not
        rescheduled) its unpaid instalments due (`goc_ky_han_chua_tra`) fall due on their own."""
        sums = self.sums
        if own_instalments:
            amounts = {**amounts, "goc_den_han": amounts["goc_den_han"] + amounts.get("goc_ky_han_chua_tra", 0)}
        for name, value in (
            ("du_no", amounts["du_no_trong_han"] + amounts["du_no_qua_han"]
             + amounts["du_no_khoanh"]),
            ("no_qua_han", amounts["du_no_qua_han"]),
            *((n, amounts[n]) for n in ("lai_phai_thu", "lai_thuc_thu", "goc_den_han",
                                        "goc_thu_dung_han")),
        ):
            sums[name] = sums.get(name, 0) + value
        start, end = self.savings.get(member, (0, 0))
        self.savings[member] = (max(start, amounts.get("so_du_tiet_kiem_dau_ky", 0)),
                                max(end, amounts.get("so_du_tiet_kiem_cuoi_ky", 0)))

    def imported(self, with_savings: bool) -> ImportedRow:
        inputs: dict[str, InputValue] = dict(self.sums)
        inputs["so_to_vien"] = len(self.savings)
        if with_savings:
            balances = self.savings.values()
            inputs["so_to_vien_co_tiet_kiem"] = sum(end > 0 for _, end in balances)
            inputs["so_du_tiet_kiem_dau_ky"] = sum(start for start, _ in balances)
            inputs["so_du_tiet_kiem_cuoi_ky"] = sum(end for _, end in balances)
        return ImportedRow(rows=tuple(self.rows), unit_code=self.ref.code, inputs=inputs,
                           commune_code=self.ref.commune_code, office_code=self.ref.office_code)


def _own_instalments(col: Mapping[str, Cell]) -> bool:
    """CV 597/NHCS-TDNN applies: disbursed from 01/3/2026 and not rescheduled."""
    disbursed = month_of_cell(col.get("ngay_giai_ngan"))
    rescheduled = text(col.get("dieu_chinh_ky_han")).lower() in ("1", "x", "có", "co", "true")
    return disbursed is not None and disbursed >= CV597_FROM and not rescheduled


def parse_hstd(rows: Rows, groups: Mapping[str, GroupRef], *,
               progress: Progress | None = None, file_name: str = "",
               amount_unit: int | None = None) -> ImportReport:
    """The loan extract: one row per loan (`so_khe_uoc`), summed into savings_group inputs.

    du_no = in-term + overdue + frozen; no_qua_han = overdue; members are distinct `ma_kh`;
    a member's savings balance is counted once (the largest of their rows). For loans from
    01/3/2026 (`ngay_giai_ngan`) not rescheduled (`dieu_chinh_ky_han`), the principal of
    unpaid instalments due (`goc_ky_han_chua_tra`) is added to goc_den_han (CV 597).
    """
    stream = iter(rows)
    meta = _Meta(file_name, amount_unit)
    index = _header(stream, meta)
    unit = meta.money_unit()
    c, per_group, loans = _Collector(), dict[str, _Group](), dict[str, int]()
    data = skipped = 0
    for number, cells in stream:
        if progress:
            progress(number)
        if all(blank(v) for v in cells):
            continue
        col = {n: cells[i] if i < len(cells) else None for n, i in index.items()}
        data += 1
        if meta.duplicate(number, cells):
            continue
        if not blank(col.get("ngay_bc")):
            meta.dates.append(col["ngay_bc"])
        code = c.read(number, "ma_to", col["ma_to"], group_code)
        if _direct(code, col.get("dvut")):
            skipped += 1
            meta.direct += 1
            c.end_row()
            continue
        office = c.read(number, "ma_pgd", col["ma_pgd"], office_code)
        loan, member = text(col["so_khe_uoc"]), text(col["ma_kh"])
        if not loan:
            c.add(number, "so_khe_uoc", "missing_code", "Thiếu số khế ước")
        elif loan in loans:
            c.add(number, "so_khe_uoc", "duplicate", f"Khế ước {loan} trùng với dòng {loans[loan]}")
        else:
            loans[loan] = number
        if not member:
            c.add(number, "ma_kh", "missing_code", "Thiếu mã khách hàng")
        amounts = {n: c.read(number, n, col[n], partial(money, unit=unit)) for n in _HSTD_MONEY if n in col}
        ref = c.check_group(number, code, office, groups, "ma_pgd")
        failed = c.end_row()
        if ref is None:  # no code or an unknown group: reported above
            continue
        group = per_group.setdefault(ref.code, _Group(ref))
        group.rows.append(number)
        if failed:
            group.failed.append(number)
        else:
            group.add_loan(member, {k: v or 0 for k, v in amounts.items()}, _own_instalments(col))
    good = []
    for group in per_group.values():
        if group.failed:
            c.add(group.rows[0], "ma_to", "group_incomplete",
                  f"Tổ {group.ref.code} không được nhập vì có dòng lỗi "
                  f"({', '.join(map(str, group.failed))})")
        else:
            good.append(group.imported("so_du_tiet_kiem_cuoi_ky" in index))
    return c.report("hstd", good, data, skipped, meta)


def parse_table(table: Table, kind: ImportKind, groups: Mapping[str, GroupRef], *,
                start_row: int = 11, progress: Progress | None = None, file_name: str = "",
                amount_unit: int | None = None) -> ImportReport:
    """Parse an opened table as `kind`. :raises ImportFileError:"""
    if kind == "cdtotkvv":
        return parse_cdtotkvv(table.rows, groups, start_row=start_row, progress=progress,
                              file_name=file_name, amount_unit=amount_unit)
    if kind == "hstd":
        return parse_hstd(table.rows, groups, progress=progress, file_name=file_name,
                          amount_unit=amount_unit)
    raise ImportFileError(f"loại tệp {kind!r} không hỗ trợ (cdtotkvv, hstd)")


def parse_file(path: Path, kind: ImportKind, groups: Mapping[str, GroupRef], *,
               start_row: int = 11, progress: Progress | None = None,
               amount_unit: int | None = None) -> ImportReport:
    """Open `path` (.xlsx or .csv) and parse it as `kind`. :raises ImportFileError:"""
    return parse_table(open_table(path), kind, groups, start_row=start_row, progress=progress,
                       file_name=path.name, amount_unit=amount_unit)


def apply_row(row: ImportedRow, existing: ScoreSheet | None, *, campaign: str, period: str,
              source: str, now: datetime) -> ScoreSheet | RowError:
    """The sheet after importing `row`: imported inputs replace those in `existing`, manual
    points and status are kept; a new sheet is a draft. A locked sheet is refused.

    With a month (`row.month`) the figures are also kept per month (`monthly`) and replace
    `inputs`, `bank_month` and `bank_class` unless the sheet already holds a later month."""
    if existing is not None and existing.status == "locked":
        return RowError(row.rows[0], "ma_to", "locked",
                        f"Phiếu chấm của Tổ {row.unit_code} đã chốt; không ghi đè")
    if existing is None:
        existing = ScoreSheet(campaign=campaign, period=period, unit_kind="savings_group",
                              unit_code=row.unit_code, commune_code=row.commune_code,
                              scorer=source, device_id="import", created_at=now)
    month = row.month
    monthly = existing.monthly
    if month is not None:
        monthly = {**monthly, month: MonthFigures(inputs=dict(row.inputs), bank_class=row.bank_class)}
    if month is not None and existing.bank_month is not None and month < existing.bank_month:
        return msgspec.structs.replace(existing, monthly=monthly, updated_at=now)
    return msgspec.structs.replace(existing, inputs={**existing.inputs, **row.inputs},
                                   bank_month=month, bank_class=row.bank_class,
                                   monthly=monthly, updated_at=now)
