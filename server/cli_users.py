"""`thidua user ...` and `thidua token ...`: account and device-token management."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from .roles import ROLES
from .settings import Settings

if TYPE_CHECKING:
    from rich.table import Table

    from .accounts import Accounts

__all__ = ["token_group", "user_group"]


@contextmanager
def open_accounts(settings: Settings) -> Iterator[Accounts]:
    """The account store, initialised; account errors become click errors (exit 1)."""
    from .accounts import AccountError, Accounts

    accounts = Accounts.from_settings(settings)
    try:
        accounts.initialize()
        yield accounts
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        accounts.close()


def _read_password() -> str:
    """The first line of stdin, without its line ending."""
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise click.ClickException("no password on stdin (pipe it in with --password-stdin)")
    return password


def _table(*columns: str) -> Table:
    from rich.table import Table

    return Table(*columns)


def _print(table: Table) -> None:
    from rich.console import Console

    Console(width=120).print(table)


def _settings(ctx: click.Context) -> Settings:
    from .cli import get_settings

    return get_settings(ctx)


@click.group("user")
def user_group() -> None:
    """Manage accounts."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@click.option(
    "--territory",
    "territories",
    multiple=True,
    metavar="CODE",
    help="Commune, office or province code; repeat for several.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the password from the first line of stdin.",
)
@click.pass_context
def user_add(
    ctx: click.Context,
    username: str,
    roles: tuple[str, ...],
    territories: tuple[str, ...],
    password_stdin: bool,
) -> None:
    """Create an account."""
    password = _read_password()
    with open_accounts(_settings(ctx)) as accounts:
        account = accounts.add(username, password, roles, territories)
    click.echo(f"created {account.name} ({', '.join(account.roles)})")


@user_group.command("list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    """List accounts."""
    with open_accounts(_settings(ctx)) as accounts:
        rows = accounts.list()
    table = _table("name", "roles", "territories", "status", "updated")
    for account in rows:
        table.add_row(
            account.name,
            ", ".join(account.roles),
            ", ".join(account.territories),
            "disabled" if account.disabled else "active",
            f"{account.updated_at:%Y-%m-%d %H:%M}" if account.updated_at else "",
        )
    _print(table)


@user_group.command("passwd")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the new password from the first line of stdin.",
)
@click.pass_context
def user_passwd(ctx: click.Context, username: str, password_stdin: bool) -> None:
    """Change a password (ends the account's sessions)."""
    password = _read_password()
    with open_accounts(_settings(ctx)) as accounts:
        accounts.set_password(username, password)
    click.echo(f"password changed for {username}")


@user_group.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Re-enable instead.")
@click.pass_context
def user_disable(ctx: click.Context, username: str, enable: bool) -> None:
    """Disable an account: sign-ins, sessions and its device tokens stop working."""
    with open_accounts(_settings(ctx)) as accounts:
        accounts.disable(username, disabled=not enable)
    click.echo(f"{username} {'enabled' if enable else 'disabled'}")


@click.group("token")
def token_group() -> None:
    """Manage long-lived device tokens (Authorization: Bearer ...)."""


@token_group.command("create")
@click.argument("username")
@click.option("--device", required=True, help="A name for the phone or tablet.")
@click.pass_context
def token_create(ctx: click.Context, username: str, device: str) -> None:
    """Create a token; it is printed once and only its hash is kept."""
    with open_accounts(_settings(ctx)) as accounts:
        token, secret = accounts.create_token(username, device)
    click.echo(f"id {token.id} for {token.account} on {token.device}", err=True)
    click.echo(secret)


@token_group.command("list")
@click.option("--user", "username", default=None)
@click.pass_context
def token_list(ctx: click.Context, username: str | None) -> None:
    """List device tokens."""
    with open_accounts(_settings(ctx)) as accounts:
        tokens = accounts.list_tokens(username)
    table = _table("id", "user", "device", "created", "last used", "revoked")
    for t in tokens:
        table.add_row(
            t.id,
            t.account,
            t.device,
            f"{t.created_at:%Y-%m-%d %H:%M}",
            f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "",
            f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "",
        )
    _print(table)


@token_group.command("revoke")
@click.argument("token_id")
@click.pass_context
def token_revoke(ctx: click.Context, token_id: str) -> None:
    """Revoke a token by id."""
    with open_accounts(_settings(ctx)) as accounts:
        token = accounts.revoke_token(token_id)
    click.echo(f"revoked {token.id} ({token.account} on {token.device})")
