"""Docs are enforced: every setting and every CLI command is mentioned in README.md or docs/."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from server.cli import ThiduaGroup, cli
from server.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent


def documentation() -> str:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
    return "\n".join(f.read_text(encoding="utf-8") for f in files if f.is_file())


def command_paths(group: click.Group, prefix: str = "thidua") -> list[str]:
    """`thidua serve`, `thidua user add`, ... (lazy commands are named without importing)."""
    ctx = click.Context(group)
    paths = []
    for name in group.list_commands(ctx):
        path = f"{prefix} {name}"
        lazy = isinstance(group, ThiduaGroup) and name in group.lazy
        command = None if lazy else group.get_command(ctx, name)
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, path))
        else:
            paths.append(path)
    return paths


def test_commands_are_listed() -> None:
    paths = command_paths(cli)
    for expected in (
        "thidua serve",
        "thidua demo",
        "thidua seed-demo",
        "thidua user add",
        "thidua user list",
        "thidua check",
        "thidua import",
        "thidua token create",
    ):
        assert expected in paths


@pytest.mark.parametrize("setting", [s.name for s in SETTINGS])
def test_setting_is_documented(setting: str) -> None:
    assert setting in documentation(), f"{setting} is not mentioned in README.md or docs/*.md"


@pytest.mark.parametrize("command", command_paths(cli))
def test_command_is_documented(command: str) -> None:
    assert command in documentation(), f"`{command}` is not mentioned in README.md or docs/*.md"
