"""The rows of a write-only openpyxl sheet, serialised in bulk (the national ranking's speed).

openpyxl's write-only writer builds and binds a cell object per value and writes it element
by element (~25 µs a cell: ~1.5 million cells in the national ranking). Here each row is
formatted as SpreadsheetML text, a few thousand rows at a time, parsed by lxml in C and
handed to the same lxml stream openpyxl writes the sheet with: the file is the one openpyxl
would write (inline strings, numbers, the cells' style ids from openpyxl's own style table).

This uses the write-only sheet's writer stream (`_get_writer`, `_writer.xf`), stable in the
pinned openpyxl 3.1; `tests/reports/test_exports.py` reads every export back with openpyxl.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import islice

from lxml import etree
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

__all__ = ["Styled", "write_sheet_data"]

#: How many rows are parsed by lxml at once.
CHUNK = 2000

#: A cell value with the openpyxl cell that carries its style (None: unstyled).
Styled = tuple[object, Cell | None]


@lru_cache(maxsize=4096)  # place names repeat on every row
def _text(value: str) -> str:
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if value != value.strip():
        return f'<t xml:space="preserve">{value}</t>'
    return f"<t>{value}</t>"


class _Row:
    """Formats the rows of one table: column letters, style ids and the tenths columns."""

    def __init__(self, styles: Sequence[Cell | None], tenths: Sequence[bool]) -> None:
        self.cols = [(get_column_letter(i), f' s="{cell.style_id}"' if cell is not None else "", t)
                     for i, (cell, t) in enumerate(zip(styles, tenths, strict=True), start=1)]

    def xml(self, r: int, values: Sequence[object]) -> str:
        out = [f'<row r="{r}">']
        for (letter, style, tenths), value in zip(self.cols, values, strict=False):
            if value is None:
                continue
            if type(value) is int:
                number = "%.16g" % (value / 10) if tenths else str(value)
                out.append(f'<c r="{letter}{r}"{style} t="n"><v>{number}</v></c>')
            elif isinstance(value, float):
                out.append(f'<c r="{letter}{r}"{style} t="n"><v>{value:.16g}</v></c>')
            else:
                out.append(f'<c r="{letter}{r}"{style} t="inlineStr"><is>{_text(str(value))}</is></c>')
        out.append("</row>")
        return "".join(out)


def _styled_row(r: int, cells: Sequence[Styled]) -> str:
    row = _Row([c for _, c in cells], [False] * len(cells))
    return row.xml(r, [v for v, _ in cells])


def write_sheet_data(ws: WriteOnlyWorksheet, top: Sequence[Sequence[Styled]],
                     rows: Iterable[Sequence[object]], styles: Sequence[Cell | None],
                     tenths: Sequence[bool]) -> int:
    """Write the sheet's `<sheetData>`: the styled `top` rows (title, headers), then `rows`
    (ints in a `tenths` column are written divided by ten; each column styled like its
    `styles` cell). Returns the number of `rows`. The sheet takes no `append` after this."""
    ws._get_writer()
    writer = ws._writer
    xf = writer.xf.send(True)
    row = _Row(styles, tenths)
    r, n = 1, 0
    with xf.element("sheetData"):
        for cells in top:
            xf.write(etree.fromstring(_styled_row(r, cells)))
            r += 1
        source = iter(rows)
        while chunk := list(islice(source, CHUNK)):
            text = "".join([row.xml(r + i, values) for i, values in enumerate(chunk)])
            for element in etree.fromstring(f"<d>{text}</d>"):
                xf.write(element)
            r, n = r + len(chunk), n + len(chunk)
    writer.xf.send(None)
    ws._rows = _written()  # `close()` closes it instead of writing rows again
    return n


def _written() -> Iterator[None]:
    yield
