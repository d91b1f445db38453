"""The `thidua` command line: serve, demo, seed-demo, user, token, check, import, audit,
repair.

Every command reads its configuration through `get_settings` (one loader, never
`os.environ` directly). A bad configuration stops any command with one message on stderr and
exit code 2 (`main` catches `ConfigError`).
"""

from __future__ import annotations

import importlib
import sys

import click

from .cli_users import token_group, user_group
from .cli_worker import worker_cmd
from .settings import ConfigError, Settings, load_settings

__all__ = ["cli", "get_settings", "main"]


def get_settings(ctx: click.Context) -> Settings:
    """The settings of this invocation, loaded once. :raises ConfigError:"""
    root = ctx.find_root()
    root.ensure_object(dict)
    if "settings" not in root.obj:
        root.obj["settings"] = load_settings()
    return root.obj["settings"]


def _serve(settings: Settings) -> None:
    import uvicorn

    from .app import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,  # the app's JSON logging
        access_log=False,  # the app writes its own access log
        server_header=False,
        proxy_headers=False,  # X-Forwarded-*: only from THIDUA_TRUSTED_PROXIES (server.proxies)
        # Phones reuse connections; uvicorn's 5 s default closes idle ones while a client is
        # about to reuse them (ECONNRESET / "socket hang up" under load).
        timeout_keep_alive=75,
        timeout_graceful_shutdown=10,
    )


class ThiduaGroup(click.Group):
    """A group whose commands from other modules load on first use (`import`)."""

    lazy: dict[str, tuple[str, str]] = {
        "import": ("server.cli_import", "import_cmd"),
        "audit": ("server.cli_audit", "audit_cmd"),
        "export": ("server.cli_export", "export_cmd"),
        "repair": ("server.cli_repair", "repair_cmd"),
        "certificates": ("server.awards.cli", "certificates_group"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module_name, attr = self.lazy[cmd_name]
        module = importlib.import_module(module_name)
        command: click.Command = getattr(module, attr)
        return command


@click.group(cls=ThiduaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="thidua")
def cli() -> None:
    """thidua: offline-first emulation scoring for VBSP branches."""


@cli.command()
@click.option("--host", default=None, help="Listen address (default THIDUA_HOST).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Default THIDUA_PORT.")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the server (one process)."""
    import msgspec

    settings = get_settings(ctx)
    changes = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    _serve(msgspec.structs.replace(settings, **changes))  # type: ignore[arg-type]


@cli.command()
@click.option("--seed", default=1, show_default=True, help="Seed of the demo province.")
@click.option("--no-serve", is_flag=True, help="Prepare and print, but do not serve.")
@click.pass_context
def demo(ctx: click.Context, seed: int, no_serve: bool) -> None:
    """Seed a demo province if the store is empty, create the demo accounts, serve."""
    import anyio
    from rich.console import Console
    from rich.table import Table

    from .demo import prepare_demo

    settings = get_settings(ctx)
    summary, rows = anyio.run(lambda: prepare_demo(settings, seed=seed))
    console = Console(width=120)
    if summary is not None:
        console.print(str(summary))
    table = Table("user", "password", "role", "territories", title="Demo accounts")
    for account, territories, created in rows:
        note = "" if created else " (existing; password unchanged)"
        table.add_row(account.name, account.password + note, account.role, ", ".join(territories))
    console.print(table)
    _print_demo_results(settings, console)
    console.print(f"Open http://{settings.host}:{settings.port}/")
    if not no_serve:
        _serve(settings)


def _print_demo_results(settings: Settings, console: object) -> None:
    """Score the demo on the server (the worker, once) and print the province's top groups."""
    import anyio
    from rich.table import Table

    from scoring import format_points

    from .worker.standalone import demo_ranking

    handled, head = anyio.run(lambda: demo_ranking(settings))
    table = Table("hạng", "tổ TK&VV", "xã", "điểm", "xếp loại",
                  title=f"Kết quả chấm điểm của máy chủ ({handled:_} thay đổi vừa xử lý)"
                  .replace("_", "."))  # vi-VN groups thousands with a dot
    for entry in head:
        r = entry.result
        table.add_row(str(entry.rank), r.unit_code, r.commune_code, format_points(r.total),
                      r.classification)
    console.print(table)  # type: ignore[attr-defined]


@cli.command("seed-demo")
@click.option("--seed", default=1, show_default=True, help="Same seed, same province.")
@click.option(
    "--scale",
    type=click.Choice(["province", "national"]),
    default="province",
    show_default=True,
    help="national: ~170,000 groups over 34 provinces.",
)
@click.pass_context
def seed_demo_cmd(ctx: click.Context, seed: int, scale: str) -> None:
    """Seed the demo data into the store (idempotent)."""
    import anyio

    from sync.backends import load_store

    from .seed import seed_demo

    settings = get_settings(ctx)

    async def run() -> object:
        store = load_store(settings)
        await store.initialize()
        try:
            return await seed_demo(store, seed=seed, scale=scale)
        finally:
            await store.close()

    click.echo(str(anyio.run(run)))


@cli.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Report the configuration and environment; exit 1 if something required is missing."""
    from rich.console import Console

    from .checks import render_report, run_checks

    settings = get_settings(ctx)
    ok = render_report(settings, run_checks(settings), Console(width=120))
    ctx.exit(0 if ok else 1)


cli.add_command(user_group)
cli.add_command(token_group)
cli.add_command(worker_cmd)


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="thidua")
    except ConfigError as exc:
        click.echo(f"thidua: configuration error: {exc}", err=True)
        sys.exit(2)
