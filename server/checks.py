"""`thidua check`: the configuration (secrets masked) and what the environment provides."""

from __future__ import annotations

import importlib
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import anyio
import msgspec
from rich.console import Console
from rich.table import Table

from .settings import SETTINGS, Settings

__all__ = ["Check", "mask", "render_report", "run_checks", "setting_rows"]

_SECRET_SETTINGS = frozenset({"THIDUA_SECRET_KEY"})
_NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"


class Check(msgspec.Struct, frozen=True):
    name: str
    ok: bool
    detail: str
    required: bool = True


def mask(name: str, value: str) -> str:
    """Hide secrets: the secret key entirely, passwords inside URLs."""
    if not value:
        return ""
    if name in _SECRET_SETTINGS:
        return f"******** ({len(value)} characters)"
    if "://" in value:
        parts = urlsplit(value)
        if parts.password:
            netloc = f"{parts.username}:****@{parts.hostname}"
            netloc += f":{parts.port}" if parts.port else ""
            return urlunsplit(parts._replace(netloc=netloc))
    return value


def setting_rows(settings: Settings) -> list[tuple[str, str]]:
    """(variable, masked effective value) for every entry of `SETTINGS`."""
    rows = []
    for setting in SETTINGS:
        attr = setting.name.removeprefix("THIDUA_").lower()
        attr = "config_file" if attr == "config" else attr
        value = getattr(settings, attr, "")
        if isinstance(value, bool):
            value = "on" if value else "off"
        if isinstance(value, tuple):
            value = ",".join(value)
        if setting.name == "THIDUA_DATABASE_URL" and not value:
            value = f"(default) {settings.store_url}"
        rows.append((setting.name, mask(setting.name, str(value))))
    return rows


async def _store_check(settings: Settings) -> Check:
    from sync.backends import load_store

    try:
        store = load_store(settings)
        try:
            with anyio.fail_after(10):
                await store.initialize()
                reachable = await store.ping()
        finally:
            await store.close()
    except ModuleNotFoundError as exc:
        hint = " (install the `postgres` extra)" if exc.name == "psycopg" else ""
        return Check("document store", False, f"missing Python module {exc.name}{hint}")
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return Check("document store", False, f"{type(exc).__name__}: {exc}")
    state = "answers" if reachable else "does not answer"
    return Check("document store", reachable, f"{type(store).__name__} {state}")


def _command(args: list[str]) -> str | None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _environment_checks() -> list[Check]:
    checks = []
    try:
        weasyprint = importlib.import_module("weasyprint")
        checks.append(Check("WeasyPrint", True, f"version {weasyprint.__version__}"))
    except Exception as exc:  # noqa: BLE001 - missing system libraries raise OSError
        checks.append(Check("WeasyPrint", False, f"cannot load: {exc}"))
    fonts = _command(["fc-list", ":lang=vi", "family"]) if shutil.which("fc-list") else None
    families = sorted({line.split(",")[0] for line in (fonts or "").splitlines() if line})
    checks.append(
        Check(
            "fonts with Vietnamese",
            bool(families),
            ", ".join(families[:4]) + (" ..." if len(families) > 4 else "")
            if families
            else "none found (install fonts-noto-core)",
        )
    )
    chromium = next(
        (p for p in ("chromium", "chromium-browser", "google-chrome") if shutil.which(p)), None
    )
    checks.append(
        Check("chromium", chromium is not None, chromium or "not found (browser tests)", False)
    )
    node = _command(["node", "--version"]) if shutil.which("node") else None
    checks.append(Check("node", node is not None, node or "not found (PouchDB tests)", False))
    checks.append(
        Check(
            "node_modules (pouchdb)",
            (_NODE_MODULES / "pouchdb").is_dir(),
            str(_NODE_MODULES) if (_NODE_MODULES / "pouchdb").is_dir() else "run `make setup`",
            False,
        )
    )
    return checks


async def _worker_check(settings: Settings) -> Check:
    """How far the worker's checkpoints are behind the store (optional check)."""
    from .worker.status import worker_backlog

    try:
        with anyio.fail_after(30):
            detail, ok = await worker_backlog(settings)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return Check("worker", False, f"{type(exc).__name__}: {exc}", False)
    return Check("worker", ok, detail, False)


def run_checks(settings: Settings) -> list[Check]:
    """Every check, the store first. Required ones decide the exit code."""
    return [anyio.run(_store_check, settings), anyio.run(_worker_check, settings),
            *_environment_checks()]


def render_report(settings: Settings, checks: list[Check], console: Console) -> bool:
    """Print both tables; True when every required check passed."""
    config = Table(title="Configuration", title_justify="left")
    config.add_column("setting")
    config.add_column("value")
    for name, value in setting_rows(settings):
        config.add_row(name, value)
    console.print(config)
    env = Table(title="Environment", title_justify="left")
    for column in ("check", "status", "detail"):
        env.add_column(column)
    for check in checks:
        status = "ok" if check.ok else ("FAIL" if check.required else "missing (optional)")
        style = "green" if check.ok else ("red" if check.required else "yellow")
        env.add_row(check.name, f"[{style}]{status}[/]", check.detail)
    console.print(env)
    return all(check.ok for check in checks if check.required)
