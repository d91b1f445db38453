"""`thidua audit`: read the audit log (a table, or CSV on stdout)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from .audit import AuditEvent

__all__ = ["audit_cmd"]


def _moment(_: click.Context, __: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command("audit")
@click.option("--user", default=None, help="Only events by this user.")
@click.option("--db", default=None, help="Only events on this database.")
@click.option("--action", default=None, help="sign_in, write, lock, account.* ...")
@click.option("--since", default=None, callback=_moment, help="From this ISO 8601 time (UTC).")
@click.option(
    "--limit", type=click.IntRange(1), default=None, help="At most N events (table: 100)."
)
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout (all matches, oldest first).")
@click.pass_context
def audit_cmd(
    ctx: click.Context,
    user: str | None,
    db: str | None,
    action: str | None,
    since: datetime | None,
    limit: int | None,
    as_csv: bool,
) -> None:
    """Show the audit log: sign-ins, document writes, locks, account changes."""
    from .accounts import Accounts
    from .audit import Audit, AuditFilter
    from .cli import get_settings

    accounts = Accounts.from_settings(get_settings(ctx))
    try:
        accounts.initialize()
        audit = Audit(accounts.engine)
        if as_csv:  # every match unless --limit
            filters = AuditFilter(user=user, db=db, action=action, since=since, limit=limit)
            for line in audit.export_csv(filters):
                click.echo(line, nl=False)
            return
        filters = AuditFilter(user=user, db=db, action=action, since=since, limit=limit or 100)
        _print_table(audit.query(filters))
    finally:
        accounts.close()


def _print_table(events: list[AuditEvent]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("time (UTC)", "action", "outcome", "user", "where", "detail")
    for event in reversed(events):  # oldest first, like a log
        where = "/".join(p for p in (event.db, event.doc_id) if p) or event.target or ""
        if event.rev:
            where += f" @{event.rev}"
        detail = "; ".join(p for p in (event.reason, event.detail, event.client) if p)
        table.add_row(
            f"{event.at:%Y-%m-%d %H:%M:%S}",
            event.action,
            event.outcome,
            event.user or "",
            where,
            detail,
        )
    Console(width=160).print(table)
