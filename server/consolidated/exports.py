"""`reports.tables.Report`s of the consolidated tables and rankings (one table per unit kind),
rendered by `reports/` as XLSX, CSV or PDF (`render`)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Literal

import msgspec
from sqlalchemy import Engine

from reports.tables import Cell, Column, Report, Table
from server.territory import Directory

from .labels import KIND_LABELS, LEVEL_LABELS, STATUS_LABELS, class_labels
from .query import Filters, Level, count_rows, summary, unit_rows
from .ranks import rank_rows, scoped

__all__ = ["FORMATS", "Format", "counted", "ranking_report", "render", "summary_report",
           "units_report"]

Format = Literal["xlsx", "csv", "pdf"]
FORMATS: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}
_PLACE = (Column("Xã, phường", width=22), Column("Phòng giao dịch", width=24))
RANK_COLUMNS = (Column("Hạng", "rank", 7), Column("Mã đơn vị", width=12),
                Column("Tên đơn vị", width=40), *_PLACE, Column("Tổng điểm", "points", 10),
                Column("Xếp loại", width=12), Column("Hạng năm trước", "rank", 10),
                Column("Điểm năm trước", "points", 10))
UNIT_COLUMNS = (Column("Mã đơn vị", width=12), Column("Tên đơn vị", width=40), *_PLACE,
                Column("Tổng điểm", "points", 10), Column("Điểm tối đa", "points", 10),
                Column("Xếp loại", width=12), Column("Trạng thái", width=11),
                Column("Ngày chấm", width=11), Column("Bộ tiêu chí", width=12))


def _kinds(directory: Directory, f: Filters) -> list[str]:
    if f.unit_kind is not None:
        return [f.unit_kind]
    info = directory.campaigns.get(f.campaign)
    order = list(KIND_LABELS)
    kinds = info.unit_kinds if info and info.unit_kinds else frozenset(order[:4])
    return sorted(kinds, key=lambda k: order.index(k) if k in order else len(order))


def _name(directory: Directory, prefix: str, code: str) -> str:
    return directory.names.get(f"{prefix}:{code}", code)


def _campaign(directory: Directory, f: Filters) -> str:
    info = directory.campaigns.get(f.campaign)
    return (info.name if info and info.name else f"Đợt thi đua {f.campaign}") + (
        f", kỳ {f.period}" if f.period else "")


def scope_label(directory: Directory, f: Filters) -> str:
    for value, prefix, label in ((f.commune, "commune", ""), (f.office, "office", ""),
                                 (f.province, "province", "")):
        if value:
            return label + _name(directory, prefix, value)
    return "Toàn quốc" if f.communes is None else "Địa bàn được giao"


def ranking_report(engine: Engine, directory: Directory, f: Filters, scope_type: str,
                   scope_id: str | None, day: date) -> Report:
    """One ranking table per unit kind; rows are produced while the renderer writes."""
    tables = []
    for kind in _kinds(directory, f):
        fk = msgspec.structs.replace(f, unit_kind=kind)
        size = count_rows(engine, directory, scoped(fk, scope_type, scope_id))

        def rows(fk: Filters = fk) -> Iterator[Sequence[Cell]]:
            for r in rank_rows(engine, directory, fk, scope_type, scope_id):
                u = r.row
                yield (r.rank, u.unit.split(":", 1)[1], u.name,
                       _name(directory, "commune", u.commune_code),
                       _name(directory, "office", u.office_code), u.total, u.classification,
                       r.previous_rank, r.previous_total)

        tables.append(Table(KIND_LABELS.get(kind, kind), RANK_COLUMNS, rows(), size=size))
    scope = scope_label(directory, scoped(f, scope_type, scope_id))
    return Report("Xếp hạng", _campaign(directory, f), scope, day, tuple(tables))


def units_report(engine: Engine, directory: Directory, f: Filters, sort: str,
                 day: date) -> Report:
    """The consolidated unit table, one table per unit kind."""
    tables = []
    for kind in _kinds(directory, f):
        fk = msgspec.structs.replace(f, unit_kind=kind)

        def rows(fk: Filters = fk) -> Iterator[Sequence[Cell]]:
            for u in unit_rows(engine, directory, fk, sort):
                yield (u.unit.split(":", 1)[1], u.name,
                       _name(directory, "commune", u.commune_code),
                       _name(directory, "office", u.office_code), u.total, u.max_total,
                       u.classification, STATUS_LABELS.get(u.status, u.status),
                       f"{u.scored_at:%d/%m/%Y}", u.criteria_version)

        tables.append(Table(KIND_LABELS.get(kind, kind), UNIT_COLUMNS, rows(),
                            size=count_rows(engine, directory, fk)))
    return Report("Kết quả chấm điểm", _campaign(directory, f), scope_label(directory, f), day,
                  tuple(tables))


def summary_report(engine: Engine, directory: Directory, level: Level, f: Filters,
                   day: date) -> Report:
    """Counts, average and class distribution per place of `level`, one table per kind."""
    classes = class_labels(directory.campaigns[f.campaign].criteria_version)
    found = summary(engine, directory, level, f).rows
    columns = (Column("Mã", width=10), Column(LEVEL_LABELS[level], width=30),
               Column("Số đơn vị", "int", 10), Column("Đã chấm", "int", 10),
               Column("Đã chốt", "int", 10), Column("Điểm bình quân", "points", 12),
               *(Column(c, "int", 10) for c in classes))
    tables = []
    for kind in _kinds(directory, f):
        rows: list[Sequence[Cell]] = [(r.code, r.name, r.units, r.scored, r.locked, r.average,
                 *(r.classes.get(c, 0) for c in classes))
                for r in found if r.unit_kind == kind]
        tables.append(Table(KIND_LABELS.get(kind, kind), columns, rows))
    return Report(f"Tổng hợp theo {LEVEL_LABELS[level].lower()}", _campaign(directory, f),
                  scope_label(directory, f), day, tuple(tables))


def counted(report: Report, progress: Callable[[int], None], every: int = 1000) -> Report:
    """`report` whose rows call `progress(n)` as the renderer reads them."""

    def rows(table: Table) -> Iterator[Sequence[Cell]]:
        n = 0
        for n, row in enumerate(table.rows, start=1):
            yield row
            if n % every == 0:
                progress(every)
        progress(n % every)

    tables = tuple(msgspec.structs.replace(t, rows=rows(t), size=t.count()) for t in report.tables)
    return msgspec.structs.replace(report, tables=tables)


def render(report: Report, fmt: Format) -> bytes:
    """The file's bytes."""
    if fmt == "xlsx":
        from reports.xlsx import write_xlsx

        out = io.BytesIO()
        write_xlsx(report, out)
        return out.getvalue()
    if fmt == "csv":
        from reports.csvfile import csv_chunks

        return b"".join(csv_chunks(report))
    from reports.pdffile import report_pdf

    return report_pdf(report)
