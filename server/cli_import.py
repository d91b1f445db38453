"""`thidua import FILE --kind cdtotkvv|hstd`: bank exports into the campaign's score sheets.

The whole file is parsed first (with a progress bar); good rows are then written in one
`bulk_docs` batch per commune database, bad rows are listed with row, column and reason.
Exit codes: 0 all rows imported, 1 some rows failed (the good ones are imported), 2 nothing
imported (unreadable file, no directory, unknown campaign).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import click
import msgspec
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from scoring.campaign import Campaign
from scoring.ids import CONFIG_DB, sheet_doc_id, unit_id
from scoring.imports import (
    GroupRef,
    ImportFileError,
    ImportKind,
    ImportReport,
    RowError,
    apply_row,
    open_table,
    parse_table,
)
from scoring.sheet import ScoreSheet
from scoring.units import SavingsGroup
from sync.errors import NotFound
from sync.store import DocumentStore

__all__ = ["ImportOutcome", "NothingImported", "import_cmd", "import_file"]


class ImportOutcome(msgspec.Struct, kw_only=True):
    report: ImportReport
    created: int = 0
    updated: int = 0
    write_errors: list[RowError] = []

    @property
    def errors(self) -> list[RowError]:
        return sorted([*self.report.errors, *self.write_errors], key=lambda e: (e.row, e.column))


class NothingImported(Exception):
    """Nothing can be imported; the message says why."""


async def _groups(store: DocumentStore) -> dict[str, GroupRef]:
    try:
        page = await store.all_docs(
            CONFIG_DB,
            startkey="unit:savings_group:",
            endkey="unit:savings_group:\ufff0",
            include_docs=True,
        )
    except NotFound:
        raise NothingImported(
            "Chưa có danh mục (cơ sở dữ liệu config): chạy `thidua seed-demo` trước"
        ) from None
    groups = [SavingsGroup.from_doc(row["doc"]) for row in page["rows"] if row.get("doc")]
    if not groups:
        raise NothingImported("Danh mục chưa có Tổ TK&VV nào")
    return {g.code: GroupRef(g.code, g.office_code, g.commune_code) for g in groups}


async def _campaign(store: DocumentStore, campaign: str, period: str | None) -> str:
    try:
        found = Campaign.from_doc(await store.get(CONFIG_DB, f"campaign:{campaign}"))
    except NotFound:
        raise NothingImported(f"Không có đợt thi đua {campaign!r} trong danh mục") from None
    periods = [p.id for p in found.periods]
    if period is None and len(periods) == 1:
        return periods[0]
    if period not in periods:
        raise NothingImported(
            f"Kỳ {period!r} không thuộc đợt thi đua {campaign} ({', '.join(periods)})"
        )
    return period


async def import_file(
    store: DocumentStore,
    path: Path,
    kind: ImportKind,
    *,
    campaign: str,
    period: str | None = None,
    dry_run: bool = False,
    start_row: int = 11,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Parse `path`, then write the good rows (one batch per commune database).

    :raises ImportFileError: unreadable file. :raises NothingImported: no directory or campaign.
    """
    groups = await _groups(store)
    period_id = await _campaign(store, campaign, period)
    table = open_table(path)
    task = progress.add_task("Đọc tệp", total=table.total) if progress else None

    def advance(row: int) -> None:
        if progress is not None and task is not None:
            grown = table.total is not None and row > table.total
            progress.update(task, completed=row, total=row if grown else table.total)

    report = await anyio.to_thread.run_sync(
        lambda: parse_table(table, kind, groups, start_row=start_row, progress=advance,
                            file_name=path.name)
    )
    outcome = ImportOutcome(report=report)
    by_db: dict[str, list[Any]] = defaultdict(list)
    for row in report.rows:
        by_db[f"c-{row.commune_code}"].append(row)
    now = datetime.now(UTC).replace(microsecond=0)
    for db, rows in by_db.items():
        ids = [
            sheet_doc_id(campaign, unit_id("savings_group", r.unit_code), period_id) for r in rows
        ]
        page = await store.all_docs(db, keys=ids, include_docs=True)
        docs = {r["id"]: r["doc"] for r in page["rows"] if r.get("doc")}
        batch, sources = [], []
        for doc_id, row in zip(ids, rows, strict=True):
            old = docs.get(doc_id)
            result = apply_row(
                row,
                ScoreSheet.from_doc(old) if old else None,
                campaign=campaign,
                period=period_id,
                source=f"import:{kind}",
                now=now,
            )
            if isinstance(result, RowError):
                outcome.write_errors.append(result)
                continue
            batch.append({**result.to_doc(), **({"_rev": old["_rev"]} if old else {})})
            sources.append((row, old is None))
        if dry_run or not batch:
            outcome.created += sum(new for _, new in sources)
            outcome.updated += sum(not new for _, new in sources)
            continue
        for written, (row, new) in zip(await store.bulk_docs(db, batch), sources, strict=True):
            if written.error:
                outcome.write_errors.append(
                    RowError(
                        row.rows[0],
                        "ma_to",
                        written.error,
                        f"Không ghi được phiếu của Tổ {row.unit_code}: {written.reason}",
                    )
                )
            elif new:
                outcome.created += 1
            else:
                outcome.updated += 1
    return outcome


def _print(console: Console, path: Path, outcome: ImportOutcome, dry_run: bool) -> None:
    report = outcome.report
    console.print(
        f"Nhập {report.kind.upper()}: {path.name}" + (" (chạy thử)" if dry_run else ""),
        highlight=False,
    )
    summary = Table()
    summary.add_column("Mục")
    summary.add_column("Số lượng", justify="right")
    period = {"report_date": "ngày báo cáo", "title": "tiêu đề", "file_name": "tên tệp"}
    month = (f"{report.period[5:]}/{report.period[:4]} (theo {period[report.period_source or '']})"
             if report.period else "không xác định")
    console.print(f"Số liệu tháng: {month}; đơn vị tiền: "
                  + ("triệu đồng" if report.amount_unit == 1_000_000 else
                     "nghìn đồng" if report.amount_unit == 1_000 else "đồng"), highlight=False)
    for label, value in (
        ("Dòng dữ liệu", report.data_rows),
        ("Dòng trùng lặp (nhập một lần)", len(report.duplicates)),
        ("Cho vay trực tiếp (không qua Tổ)", report.direct_rows),
        ("Dòng bỏ qua", report.skipped_rows),
        ("Tổ hợp lệ", len(report.rows)),
        ("Phiếu tạo mới", outcome.created),
        ("Phiếu cập nhật", outcome.updated),
        ("Lỗi", len(outcome.errors)),
    ):
        summary.add_row(label, f"{value:,}")
    console.print(summary)
    if report.duplicates:
        console.print("Dòng trùng lặp hoàn toàn (chỉ nhập một lần): " + ", ".join(
            f"{d.row} = {d.same_as}" for d in report.duplicates), highlight=False)
    if outcome.errors:
        errors = Table(title="Dòng lỗi (không được nhập)")
        for name in ("Dòng", "Cột", "Mã lỗi", "Lý do"):
            errors.add_column(name)
        for e in outcome.errors:
            errors.add_row(str(e.row), e.column, e.code, e.message)
        console.print(errors)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(["cdtotkvv", "hstd"]),
    required=True,
    help="cdtotkvv: group-score export; hstd: loan extract.",
)
@click.option("--campaign", default="2026", show_default=True, help="Campaign id.")
@click.option("--period", default=None, help="Period id (default: the campaign's only one).")
@click.option("--start-row", default=11, show_default=True, help="CDTOTKVV first data row.")
@click.option("--dry-run", is_flag=True, help="Parse and report, write nothing.")
@click.pass_context
def import_cmd(
    ctx: click.Context,
    file: Path,
    kind: ImportKind,
    campaign: str,
    period: str | None,
    start_row: int,
    dry_run: bool,
) -> None:
    """Import a bank export (XLSX or CSV) into the campaign's score sheets."""
    from sync.backends import load_store

    from .cli import get_settings

    settings = get_settings(ctx)
    console = Console(width=120)

    async def run() -> ImportOutcome:
        store = load_store(settings)
        await store.initialize()
        try:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=console,
                transient=True,
            ) as progress:
                return await import_file(
                    store,
                    file,
                    kind,
                    campaign=campaign,
                    period=period,
                    dry_run=dry_run,
                    start_row=start_row,
                    progress=progress,
                )
        finally:
            await store.close()

    try:
        outcome = anyio.run(run)
    except (ImportFileError, NothingImported) as exc:
        console.print(f"[red]Không nhập được:[/red] {exc}")
        ctx.exit(2)
    _print(console, file, outcome, dry_run)
    written = outcome.created + outcome.updated
    verb = "Sẽ nhập" if dry_run else "Đã nhập"
    if outcome.errors:
        console.print(
            f"{verb} {written:,} phiếu của các Tổ hợp lệ; "
            f"{len(outcome.errors):,} lỗi không được nhập (xem bảng trên)."
        )
        ctx.exit(1)
    console.print(f"{verb} {written:,} phiếu, không có lỗi.")
