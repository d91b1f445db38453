"""`thidua repair --db NAME [--apply]`: revision ids that PouchDB cannot pull, rewritten.

Lists the documents whose stored revision tree holds ids other than `N-<32 lowercase hex>`
(stored before the gatekeeper refused them; PouchDB 9 fails every pull of such a database
with "Invalid rev format") and, with `--apply`, renames them (`sync.revrepair`) in one
transaction with an audit row per renamed revision (`action=repair`). A dry run by default.
Exit codes: 0 done (or nothing to repair), 1 documents found in a dry run, 2 cannot run (no
such database, a store other than the embedded one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sync.backends.sql_repair import DocRepair

    from .audit import AuditEvent

__all__ = ["repair_cmd"]


def _events(db: str, repairs: list[DocRepair]) -> list[AuditEvent]:
    from .audit import AuditEvent, current_actor

    actor = current_actor().user
    return [AuditEvent(action="repair", outcome="accepted", user=actor, db=db, doc_id=r.doc_id,
                       rev=new, reason="malformed revision id renamed",
                       detail=f"{old} -> {new}; winner {r.winner_before} -> {r.winner_after}")
            for r in repairs for old, new in r.renamed.items()]


@click.command("repair")
@click.option("--db", "db", required=True, help="The database to check, e.g. c-89101.")
@click.option("--apply", is_flag=True, help="Rewrite what is found (default: only list it).")
@click.pass_context
def repair_cmd(ctx: click.Context, db: str, apply: bool) -> None:
    """Find (with --apply: rewrite) revision ids that PouchDB cannot pull."""
    import anyio
    from rich.console import Console
    from rich.table import Table

    from sync.backends import load_store
    from sync.backends.sql import SqlStore
    from sync.errors import NotFound

    from .accounts import Accounts
    from .audit import Audit
    from .audit_hooks import shares_database
    from .cli import get_settings

    settings = get_settings(ctx)
    store = load_store(settings)
    if not isinstance(store, SqlStore):
        click.echo("thidua repair works on the embedded store (THIDUA_DATABASE_URL); a CouchDB "
                   "store keeps its own revision trees.", err=True)
        ctx.exit(2)
    accounts = Accounts.from_settings(settings)
    accounts.initialize()
    audit = Audit(accounts.engine)
    audit.initialize()
    shared = shares_database(store, audit.engine)

    async def run() -> list[DocRepair]:
        await store.initialize()
        try:
            return await store.repair_revisions(
                db, apply=apply,
                journal=(lambda conn, found: audit.write(conn, _events(db, found))) if shared
                else None)
        finally:
            await store.close()

    try:
        found = anyio.run(run)
        if apply and found and not shared:  # the audit log is in another database
            audit.record_many(_events(db, found))
            audit.flush()
    except NotFound:
        click.echo(f"No database {db!r}.", err=True)
        ctx.exit(2)
    finally:
        accounts.close()
    table = Table("document", "revision", "becomes", "winner before", "winner after",
                  title=f"{db}: {len(found)} document(s) with malformed revision ids")
    for r in found:
        for old, new in r.renamed.items():
            table.add_row(r.doc_id, old, new, r.winner_before, r.winner_after)
    Console(width=160).print(table)
    if found and not apply:
        click.echo("Dry run: nothing changed. Run again with --apply to rewrite them.")
        ctx.exit(1)
    if found:
        click.echo(f"Rewritten: {len(found)} document(s); see `thidua audit --action repair`.")
