"""`thidua certificates …`: proposals, adjustments, decisions, council report (the page's
build job, with a progress bar), printing (with a progress bar), reprints, calibration
sheets, field boxes and the register."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import anyio
import click
import msgspec
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from reports.certificates import DoesNotFit, Field, calibration_pdf

from .context import AwardContext, engine_for, open_context
from .errors import AwardError
from .report_jobs import JobView, ReportParams

__all__ = ["certificates_group"]

T = TypeVar("T")
console = Console(width=120)


def _context(ctx: click.Context, campaign: str | None) -> AwardContext:
    from server.cli import get_settings
    from sync.backends import load_store

    settings = get_settings(ctx)

    async def run() -> AwardContext:
        store = load_store(settings)
        await store.initialize()
        try:
            return await open_context(engine_for(settings), store, campaign)
        finally:
            await store.close()

    return anyio.run(run)


def _run(work: Callable[[], T]) -> T:
    try:
        return work()
    except (AwardError, DoesNotFit) as exc:
        raise click.ClickException(str(exc)) from exc


def _async(work: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(work)


@click.group("certificates")
@click.option("--campaign", default=None, help="Campaign id (default: the latest).")
@click.pass_context
def certificates_group(ctx: click.Context, campaign: str | None) -> None:
    """Award proposals, decisions, council report and certificates (Giấy khen, Bằng khen)."""
    ctx.ensure_object(dict)
    ctx.obj["campaign"] = campaign


def _ctx(ctx: click.Context) -> AwardContext:
    return _run(lambda: _context(ctx, ctx.obj.get("campaign")))


@certificates_group.command("proposals")
@click.pass_context
def proposals_cmd(ctx: click.Context) -> None:
    """The proposal list from locked results, and who is left out and why."""

    c = _ctx(ctx)
    found = c.proposals()
    table = Table("award", "unit", "name", "points", "class", "rank", "note",
                  title=f"Đề nghị khen thưởng {c.campaign}")
    for p in found.proposals:
        table.add_row(p.award, p.unit, c.names.unit(p.unit), f"{p.total / 10:.1f}",
                      p.classification, str(p.rank or ""), p.adjusted or "")
    console.print(table)
    console.print(f"{len(found.proposals)} đề nghị; {len(found.not_proposed)} không đề nghị; "
                  f"{len(found.results)} kết quả")


@certificates_group.command("adjust")
@click.option("--award", required=True)
@click.option("--unit", required=True, help="<kind>:<code>")
@click.option("--add/--remove", "add", required=True)
@click.option("--reason", required=True)
@click.pass_context
def adjust_cmd(ctx: click.Context, award: str, unit: str, add: bool, reason: str) -> None:
    """Add a unit to, or remove it from, an award's proposals (with a reason; audited)."""
    from server.audit import current_actor

    from .proposals import adjust

    c = _ctx(ctx)
    _run(lambda: adjust(c.engine, c.cset, campaign=c.campaign, period=c.period, award=award,
                        unit=unit, action="add" if add else "remove", reason=reason,
                        user=current_actor().user))
    click.echo("đã ghi điều chỉnh")


@certificates_group.command("decide")
@click.option("--award", required=True,
              help="Award id (e.g. GK-XA); recipients: its proposals and people proposed for it.")
@click.option("--number", default="", help="Số of the decision ('' keeps it a draft).")
@click.option("--symbol", default="QĐ-NHCS", show_default=True)
@click.option("--date", "signed_on", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--kind", type=click.Choice(["giay_khen", "bang_khen"]), default="giay_khen")
@click.option("--signer-title", default="GIÁM ĐỐC", show_default=True)
@click.option("--signer-name", required=True)
@click.option("--unit", "units", multiple=True, help="Only these units (default: all proposed).")
@click.pass_context
def decide_cmd(ctx: click.Context, award: str, number: str, symbol: str, signed_on: object,
               kind: str, signer_title: str, signer_name: str, units: tuple[str, ...]) -> None:
    """Record an award decision for the proposals of one award."""
    from server.audit import current_actor

    from .decisions import create_decision

    c = _ctx(ctx)
    day = signed_on.date() if signed_on is not None else date.today()  # type: ignore[attr-defined]
    data = msgspec.structs.replace(c.decision_defaults(award, number=number, signed_on=day,
                                                       kind=kind),
                                   symbol=symbol, signer_title=signer_title.replace("\\n", "\n"),
                                   signer_name=signer_name)
    chosen = c.recipients(award, units)
    did = _run(lambda: create_decision(c.engine, c.cset, data, chosen, current_actor().user))
    click.echo(f"quyết định {did}: {len(chosen)} người/đơn vị")


@certificates_group.command("number")
@click.argument("decision", type=int)
@click.argument("number")
@click.pass_context
def number_cmd(ctx: click.Context, decision: int, number: str) -> None:
    """Give a draft decision its number."""
    from .decisions import set_number

    c = _ctx(ctx)
    _run(lambda: set_number(c.engine, decision, number))
    click.echo("đã ghi số quyết định")


@certificates_group.command("decisions")
@click.pass_context
def decisions_cmd(ctx: click.Context) -> None:
    """List the decisions of the campaign."""
    from .decisions import list_decisions

    c = _ctx(ctx)
    table = Table("id", "số", "ngày", "award", "kind", "signer")
    for d in list_decisions(c.engine, c.campaign):
        table.add_row(str(d.id), f"{d.number or '(chưa có số)'}/{d.symbol}",
                      f"{d.signed_on:%d/%m/%Y}", d.award, d.kind, d.signer_name)
    console.print(table)


def _print(c: AwardContext, decision: int, mode: str, out: Path, recipients: tuple[int, ...]) -> None:
    from server.audit import current_actor

    from .decisions import get_decision
    from .printing import print_decision

    view = _run(lambda: get_decision(c.engine, decision))
    total = len(recipients) or len(view.recipients)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task(f"In {view.reference}", total=total)
        outcome = _run(lambda: print_decision(
            c.engine, c.cset, decision, mode=mode, user=current_actor().user,  # type: ignore[arg-type]
            recipient_ids=recipients or None,
            progress=lambda done: bar.update(task, completed=done)))
    out.write_bytes(outcome.pdf)
    again = sum(r for _, _, r in outcome.numbers)
    first, last = outcome.numbers[0][1], outcome.numbers[-1][1]
    click.echo(f"{out}: {len(outcome.numbers)} trang, số sổ vàng {first}–{last}"
               + (f", {again} bản in lại" if again else ""))


@certificates_group.command("print")
@click.argument("decision", type=int)
@click.option("--mode", type=click.Choice(["blank", "full"]), default="blank", show_default=True,
              help="blank: on the official blank; full: a labelled full-page preview.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--recipient", "recipients", type=int, multiple=True, help="Only these recipients.")
@click.pass_context
def print_cmd(ctx: click.Context, decision: int, mode: str, output: Path,
              recipients: tuple[int, ...]) -> None:
    """Print a whole decision (or some recipients) into one PDF; numbers assigned once."""
    _print(_ctx(ctx), decision, mode, output, recipients)


@certificates_group.command("reprint")
@click.argument("decision", type=int)
@click.argument("recipient", type=int)
@click.option("--mode", type=click.Choice(["blank", "full"]), default="blank", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_context
def reprint_cmd(ctx: click.Context, decision: int, recipient: int, mode: str, output: Path) -> None:
    """Reprint one certificate: same register number, "bản in lại" in the register."""
    _print(_ctx(ctx), decision, mode, output, (recipient,))


@certificates_group.command("calibrate")
@click.option("--kind", type=click.Choice(["giay_khen", "bang_khen"]), default="giay_khen")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_context
def calibrate_cmd(ctx: click.Context, kind: str, output: Path) -> None:
    """A calibration sheet: mm grid and the issuer's field boxes, to hold against a blank."""
    from .printing import layout_for

    c = _ctx(ctx)
    output.write_bytes(calibration_pdf(layout_for(c.engine, c.issuer, kind), c.issuer))
    click.echo(str(output))


@certificates_group.command("layout")
@click.option("--kind", type=click.Choice(["giay_khen", "bang_khen"]), default="giay_khen")
@click.option("--field", "name", required=True)
@click.option("--x", type=float, required=True)
@click.option("--y", type=float, required=True)
@click.option("--w", type=float, required=True)
@click.option("--h", type=float, required=True)
@click.option("--size", type=float, default=14, show_default=True, help="Points.")
@click.option("--lines", type=int, default=1, show_default=True)
@click.option("--align", type=click.Choice(["left", "center", "right"]), default="center")
@click.option("--bold/--no-bold", default=False)
@click.option("--italic/--no-italic", default=False)
@click.pass_context
def layout_cmd(ctx: click.Context, kind: str, name: str, **box: object) -> None:
    """Save one field box (mm from the top-left corner) for this branch's blanks."""
    from .printing import save_field

    c = _ctx(ctx)
    _run(lambda: save_field(c.engine, c.issuer, kind, name, msgspec.convert(box, Field)))
    click.echo("đã lưu ô " + name)


@certificates_group.command("register")
@click.pass_context
def register_cmd(ctx: click.Context) -> None:
    """The register: every printing, reprints marked "bản in lại"."""
    from .printing import register_lines

    c = _ctx(ctx)
    table = Table("số", "tên", "quyết định", "in lúc", "chế độ", "ghi chú")
    for line in register_lines(c.engine, c.issuer):
        table.add_row(str(line.number), line.name, line.decision,
                      f"{line.printed_at:%d/%m/%Y %H:%M}", line.mode, line.note)
    console.print(table)


@certificates_group.command("report")
@click.option("--number", required=True, help="Số of the report.")
@click.option("--signer-name", required=True)
@click.option("--signer-title", default="GIÁM ĐỐC", show_default=True)
@click.option("--date", "signed_on", default="", help="Date signed, YYYY-MM-DD (default: today).")
@click.option("--previous", default="", help="Previous campaign id to compare with.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="PDF file; the XLSX is written beside it.")
@click.pass_context
def report_cmd(ctx: click.Context, number: str, signer_name: str, signer_title: str,
               signed_on: str, previous: str, output: Path) -> None:
    """The council report (báo cáo tổng hợp) as PDF and XLSX, built by the job of the page
    /branch/bao-cao (the build running for the campaign is joined)."""
    from server.audit import current_actor

    from .report_jobs import report_params

    params = _run(lambda: report_params({
        "number": number, "signer_name": signer_name, "signer_title": signer_title,
        "signed_on": signed_on, "previous": previous}))
    if not output.parent.is_dir():
        raise click.ClickException(f"Không có thư mục {output.parent} để ghi báo cáo")
    _report(_ctx(ctx), params, current_actor().user, output)


def _report(c: AwardContext, params: ReportParams, user: str, output: Path) -> None:
    from reports.council_xlsx import council_xlsx

    from .report_build import content, follow_job
    from .report_jobs import get_job, start_or_join, view

    job_id, joined = start_or_join(c.engine, c.campaign, params, user)
    if joined and (running := get_job(c.engine, job_id)) is not None:
        shown = view(running)
        click.echo(f"Đang có lần dựng số {job_id} (báo cáo số {shown.number}, do "
                   f"{shown.requested_by} yêu cầu): lệnh này chờ lần dựng đó.")
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                  console=console) as bar:
        task = bar.add_task("Đang chờ dựng", total=100)

        def show(state: JobView) -> None:
            bar.update(task, description=state.step, completed=state.progress)

        final = follow_job(c, job_id, params, show, build=not joined)
    row = get_job(c.engine, final.id)
    if final.status != "done" or row is None or not row.pdf:
        raise click.ClickException(final.error or f"Lần dựng báo cáo số {final.id} không xong.")
    output.write_bytes(row.pdf)
    xlsx = output.with_suffix(".xlsx")
    built = msgspec.json.decode(row.params, type=ReportParams)
    xlsx.write_bytes(_run(lambda: council_xlsx(content(c, built))))
    seconds = f"{final.seconds:.1f}".replace(".", ",")
    click.echo(f"Đã dựng báo cáo số {final.number} (lần dựng số {final.id}): {final.pages} "
               f"trang, {seconds} giây.\nPDF:  {output} (SHA-256 {final.sha256})\n"
               f"XLSX: {xlsx}")
