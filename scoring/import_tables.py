"""Reading bank-export tables (.xlsx with openpyxl read-only, or .csv) and their cells.

Cell readers raise `CellError(code, message)` with a machine code and a Vietnamese reason;
`scoring.imports` turns them into row-level errors.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "Cell", "CellError", "ImportFileError", "Table", "blank", "group_code", "money",
    "office_code", "open_table", "points", "text",
]

Cell = object


class ImportFileError(Exception):
    """The file as a whole cannot be read (format, encoding, missing columns)."""


class Table(NamedTuple):
    rows: Iterator[tuple[int, tuple[Cell, ...]]]
    total: int | None


def open_table(path: Path) -> Table:
    """Rows (1-based number, cells) of the first sheet of an .xlsx, or of a .csv file."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx(path)
    if suffix in (".csv", ".txt"):
        return _csv(path)
    raise ImportFileError(f"{path.name}: chỉ nhận tệp .xlsx hoặc .csv (không nhận {suffix or '?'})")


def _xlsx(path: Path) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ImportFileError(f"{path.name}: không đọc được tệp Excel ({exc})") from exc
    sheet = book.worksheets[0]
    total = sheet.max_row  # as declared by the file: only an estimate for progress
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()  # a wrong declared size must not cut rows off

    def rows() -> Iterator[tuple[int, tuple[Cell, ...]]]:
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, tuple(values)
        finally:
            book.close()

    return Table(rows(), total)


def _csv(path: Path) -> Table:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ImportFileError(f"{path.name}: không đọc được tệp ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{path.name}: tệp CSV phải mã hóa UTF-8") from exc
    sample = text[:4096]
    delimiter = max(",;\t", key=sample.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = ((n, tuple(cells)) for n, cells in enumerate(reader, start=1))
    return Table(rows, text.count("\n") + (not text.endswith("\n")))


class CellError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


_GROUPED = re.compile(r"^-?\d{1,3}([.,])\d{3}(\1\d{3})*$")


def blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def code(value: Cell, digits: int, label: str) -> str:
    """A numeric code; Excel may have dropped leading zeros, so pad to `digits`."""
    raw = text(value)
    if not raw:
        raise CellError("missing_code", f"Thiếu {label}")
    if not raw.isdigit() or len(raw) > digits:
        raise CellError("bad_code", f"{label} '{raw}' phải gồm {digits} chữ số")
    return raw.zfill(digits)


def group_code(value: Cell) -> str:
    return code(value, 7, "Mã Tổ")


def office_code(value: Cell) -> str:
    return code(value, 6, "Mã PGD")


def decimal(value: Cell) -> Decimal:
    if isinstance(value, bool):
        raise CellError("not_a_number", f"Giá trị '{value}' không phải là số")
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        raw = text(value).replace(" ", "").replace("\u00a0", "")
        if _GROUPED.match(raw):  # 1.500.000 or 1,500,000: thousands separators
            raw = raw.replace(".", "").replace(",", "")
        elif raw.count(",") == 1 and "." not in raw:  # 27,5: decimal comma
            raw = raw.replace(",", ".")
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise CellError("not_a_number", f"Giá trị '{text(value)}' không phải là số") from None
    if not number.is_finite():
        raise CellError("not_a_number", f"Giá trị '{text(value)}' không phải là số")
    if number < 0:
        raise CellError("negative", f"Số âm ({text(value)}) không hợp lệ")
    return number


def money(value: Cell, unit: int = 1) -> int:
    """Whole VND from an amount in ``unit`` VND (1; 1,000,000 for "triệu đồng"); empty is 0."""
    if blank(value):
        return 0
    number = decimal(value) * unit
    if number != number.to_integral_value():
        shown = "số nguyên đồng" if unit == 1 else f"tròn đến đồng (đơn vị {unit:,} đồng)".replace(",", ".")
        raise CellError("not_integer", f"Số tiền '{text(value)}' phải là {shown}")
    return int(number)


def points(value: Cell) -> int | Decimal:
    if blank(value):
        raise CellError("missing_value", "Thiếu điểm")
    number = decimal(value).normalize()
    return int(number) if number == number.to_integral_value() else number
