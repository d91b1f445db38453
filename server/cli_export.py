"""`thidua export`: rankings, unit tables and summaries to XLSX, CSV or PDF files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

__all__ = ["export_cmd"]


@click.command("export")
@click.argument("what", type=click.Choice(["rankings", "units", "summary"]))
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "pdf"]), default=None,
              help="Default: from the --out suffix, else xlsx.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write.")
@click.option("--campaign", default=None, help="Campaign id (default: the latest).")
@click.option("--period", default=None, help="Period id (default: the campaign's only one).")
@click.option("--kind", "unit_kind", default=None, help="One unit kind (default: every kind).")
@click.option("--scope", "scope_type", type=click.Choice(["commune", "pgd", "province",
              "national"]), default="national", show_default=True, help="Rankings: the scope.")
@click.option("--scope-id", default=None, help="Rankings: the commune, office or province code.")
@click.option("--level", type=click.Choice(["province", "pgd", "commune", "hamlet"]),
              default="commune", show_default=True, help="Summary: one row per place of it.")
@click.option("--province", default=None)
@click.option("--office", default=None)
@click.option("--commune", default=None)
@click.pass_context
def export_cmd(ctx: click.Context, what: str, fmt: str | None, out: Path, **options: Any) -> None:
    """Export a ranking, the unit table or a summary (one sheet per unit kind), with a
    progress bar; Vietnamese headers, a title row naming the campaign, scope and date."""
    import anyio

    from .cli import get_settings

    fmt = fmt or (out.suffix[1:].lower() if out.suffix[1:].lower() in ("xlsx", "csv", "pdf")
                  else "xlsx")
    try:
        rows = anyio.run(lambda: _export(get_settings(ctx), what, fmt, out, options))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"{out}: {rows:,} rows ({fmt})")


async def _export(settings: Any, what: str, fmt: str, out: Path, options: dict[str, Any]) -> int:
    import anyio.to_thread
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from sync.backends import load_store

    from .accounts import Accounts
    from .consolidated.context import campaign_of, period_of
    from .consolidated.exports import (
        counted,
        ranking_report,
        render,
        summary_report,
        units_report,
    )
    from .consolidated.query import Filters
    from .results.tables import install_result_tables
    from .territory import Territory

    store = load_store(settings)
    accounts = Accounts.from_settings(settings)
    await store.initialize()
    try:
        install_result_tables(accounts.engine)
        directory = await Territory(store).directory()
        try:
            cid = campaign_of(directory, options["campaign"])
            pid = period_of(directory, cid, options["period"])
        except Exception as exc:  # litestar's ClientException: a plain message here
            raise ValueError(getattr(exc, "detail", str(exc))) from None
        f = Filters(campaign=cid, period=pid, unit_kind=options["unit_kind"],
                    province=options["province"], office=options["office"],
                    commune=options["commune"])
        day = datetime.now(UTC).date()
        engine = accounts.engine

        def build() -> tuple[bytes, int]:
            if what == "rankings":
                report = ranking_report(engine, directory, f, options["scope_type"],
                                        options["scope_id"], day)
            elif what == "units":
                report = units_report(engine, directory, f, "rank", day)
            else:
                report = summary_report(engine, directory, options["level"], f, day)
            total = report.rows()
            with Progress("[progress.description]{task.description}", BarColumn(),
                          MofNCompleteColumn(), TimeElapsedColumn(), transient=False) as bar:
                task = bar.add_task(f"{what} → {out.name}", total=total or None)
                data = render(counted(report, lambda n: bar.advance(task, n)), fmt)  # type: ignore[arg-type]
            return data, total

        data, total = await anyio.to_thread.run_sync(build)
        out.write_bytes(data)
        return total
    finally:
        await store.close()
        accounts.close()
