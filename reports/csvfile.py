"""CSV rendering of a `Report`: UTF-8 with BOM (Excel opens Vietnamese right), one header row.

Several tables go into one file with a first column "Loại đơn vị" naming each row's table;
points are written the Vietnamese way (85,5) and quoted where needed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

from .tables import Report, cell_text

__all__ = ["csv_chunks", "write_csv"]

BOM = "\ufeff"


class _Buffer:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def csv_chunks(report: Report, rows_per_chunk: int = 2000) -> Iterator[bytes]:
    """The CSV file as UTF-8 byte chunks (for streaming responses), BOM first."""
    buf = _Buffer()
    writer = csv.writer(buf, lineterminator="\r\n")
    several = len(report.tables) > 1
    columns = report.tables[0].columns if report.tables else ()
    writer.writerow((["Loại đơn vị"] if several else []) + [c.header for c in columns])
    yield (BOM + buf.take()).encode("utf-8")
    for table in report.tables:
        kinds = [c.kind for c in table.columns]
        lead = [table.name] if several else []
        for n, row in enumerate(table.rows, start=1):
            writer.writerow(lead + [cell_text(v, k) for v, k in zip(row, kinds, strict=False)])
            if n % rows_per_chunk == 0:
                yield buf.take().encode("utf-8")
        if buf.parts:
            yield buf.take().encode("utf-8")


def write_csv(report: Report, out: IO[bytes]) -> None:
    """Write `report` as CSV to a binary stream."""
    for chunk in csv_chunks(report):
        out.write(chunk)
