"""Docs are enforced: every setting and every CLI command is mentioned in README.md or docs/,
and README.md and docs/architecture.md name only paths, modules, make targets, THIDUA_
variables and routes that exist."""

from __future__ import annotations

import functools
import importlib
import re
import subprocess
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


# -- the README and the architecture name only what exists --------------------------------

AUDITED = ("README.md", "docs/architecture.md")
TRACKED = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
#: Paths the docs name that are made at run time or by a build, not committed.
GENERATED = {"var/screenshots/", "var/thidua.sqlite3", "./var", "pwa/dist/"}


def code_spans(doc: str) -> list[str]:
    """Every word of every `code span` of `doc`, trailing punctuation dropped."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    words = (w.strip().rstrip(":;.") for span in re.findall(r"`([^`\n]+)`", text)
             for w in re.split(r"[\s,()+\[\]|]+", span))
    return sorted({w for w in words if w})


def _exists(path: str) -> bool:
    """A path from the root, or (in a section about one folder) the end of a tracked path."""
    if path in GENERATED or list(ROOT.glob(path.rstrip("/"))):
        return True
    pattern = re.compile(r"(^|/)" + re.escape(path.rstrip("/")).replace(r"\*", r"[^/]*")
                         + (r"/" if path.endswith("/") else r"($|/)"))
    return any(pattern.search(f) for f in TRACKED)


def _resolves(dotted: str) -> bool:
    """`scoring.ranking.rank_key`: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            if not hasattr(obj, name):
                return False
            obj = getattr(obj, name)
        return True
    return False


@pytest.mark.parametrize("doc", AUDITED)
def test_named_paths_exist(doc: str) -> None:
    paths = [w for w in code_spans(doc) if "<" not in w and not w.startswith(("/", "_", "http"))
             and (re.fullmatch(r"(?:[\w.*-]+/)+[\w.*-]*", w)
                  or re.fullmatch(r"[\w-]+\.(?:py|js|mjs|html|css|sh|conf|toml|yaml)", w))]
    assert paths, "no path found: the extraction is broken"
    missing = [p for p in paths if not _exists(p)]
    assert not missing, f"{doc} names files or folders that do not exist: {missing}"


@pytest.mark.parametrize("doc", AUDITED)
def test_named_modules_exist(doc: str) -> None:
    dotted = [w for w in code_spans(doc)
              if re.fullmatch(r"(?:scoring|server|sync|reports)(?:\.\w+)+", w)
              and not re.search(r"\.m?js$", w)]
    missing = [d for d in dotted if not _resolves(d)]
    assert not missing, f"{doc} names modules or attributes that do not exist: {missing}"


@pytest.mark.parametrize("doc", AUDITED)
def test_named_make_targets_exist(doc: str) -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", makefile, re.M))
    named = set(re.findall(r"`make ([\w-]+)", (ROOT / doc).read_text(encoding="utf-8")))
    assert not named - targets, f"{doc} names make targets that do not exist: {named - targets}"


@functools.cache
def _code_names() -> frozenset[str]:
    """THIDUA_ names the code reads: the settings, and the variables tests and benches read."""
    found = {s.name for s in SETTINGS}
    for path in TRACKED:
        if path.endswith(".py") and not path.startswith("docs/"):
            found.update(re.findall(r"THIDUA_[A-Z0-9_]+", (ROOT / path).read_text(encoding="utf-8")))
    return frozenset(found)


@pytest.mark.parametrize("doc", AUDITED)
def test_named_settings_exist(doc: str) -> None:
    named = set(re.findall(r"THIDUA_[A-Z0-9_]+", (ROOT / doc).read_text(encoding="utf-8")))
    unknown = named - _code_names()
    assert not unknown, f"{doc} names THIDUA_ variables nothing reads: {unknown}"


def _route_matches(doc_path: str, routes: list[list[str]]) -> bool:
    """A documented path (`{...}` any segment) is a route of the app or the prefix of one."""
    segments = doc_path.strip("/").split("/")
    for route in routes:
        if len(route) >= len(segments) and all(
            r.startswith("{") or d.startswith("{") or r == d
            for r, d in zip(route, segments, strict=False)
        ):
            return True
    return False


@pytest.mark.parametrize("doc", AUDITED)
def test_named_routes_exist(doc: str, tmp_path: Path) -> None:
    from server.app import create_app
    from server.settings import Settings

    app = create_app(Settings(data_dir=tmp_path))
    routes = [route.path.strip("/").split("/") for route in app.routes]
    text = (ROOT / doc).read_text(encoding="utf-8")
    named = set(re.findall(r"(?<![\w.])(/(?:api|branch|public|healthz|schema)(?:/[\w{}.-]+| id\})*)",
                           text))
    assert named, "no route found: the extraction is broken"
    missing = sorted(p for p in named if not _route_matches(p.replace(" id}", "}"), routes))
    assert not missing, f"{doc} names routes the app does not serve: {missing}"


def _subcommand(group: click.Group, words: list[str]) -> tuple[click.Command, click.Group, int]:
    """The command `words` names under `group` (lazy ones imported), its group, and how many
    words name it; the rest are arguments."""
    ctx = click.Context(group)
    command: click.Command = group
    parent, used = group, 0
    for word in words:
        found = command.get_command(ctx, word) if isinstance(command, click.Group) else None
        if found is None:
            break
        parent, command, used = command, found, used + 1  # type: ignore[assignment]
    return command, parent, used


def _command_spans(text: str) -> list[tuple[click.Group, str]]:
    """(group, span) of every `thidua …` code span, and of each `sub …` span that follows one
    in the same line after " / " (a sibling command of that group, as the README's table
    writes them)."""
    found: list[tuple[click.Group, str]] = []
    for line in text.splitlines():
        group: click.Group | None = None
        for match in re.finditer(r"(/ )?`([^`]+)`", line):
            span = match.group(2)
            if span.startswith("thidua "):
                _, parent, used = _subcommand(cli, span.split()[1:])
                found.append((cli, span.removeprefix("thidua ")))
                group = parent if used else None
            elif match.group(1) and group is not None:
                found.append((group, span))
            else:
                group = None
    return found


@pytest.mark.parametrize("doc", AUDITED)
def test_named_commands_and_options_exist(doc: str) -> None:
    spans = _command_spans((ROOT / doc).read_text(encoding="utf-8"))
    assert spans, "no command found: the extraction is broken"
    wrong = []
    for group, span in spans:
        command, _, used = _subcommand(group, span.split())
        named = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", span))
        known = {"--help", "-h"} | {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        if not used or named - known:
            wrong.append(f"{span} ({'no such command' if not used else sorted(named - known)})")
    assert not wrong, f"{doc} names commands or options that do not exist: {wrong}"


@functools.cache
def _source_words() -> frozenset[str]:
    """Every identifier-like word of the tracked source (not the docs)."""
    words: set[str] = set()
    for path in TRACKED:
        file = ROOT / path
        if not path.endswith(".md") and file.is_file() and file.stat().st_size < 2_000_000:
            try:
                words.update(re.findall(r"\w+", file.read_text(encoding="utf-8")))
            except UnicodeDecodeError:
                continue
    return frozenset(words)


@pytest.mark.parametrize("doc", AUDITED)
def test_named_identifiers_exist(doc: str) -> None:
    """`Follower.forget`, `change_signal`, `RAW_VALUES`: every code name of the docs is in the
    code (not `thidua …` spans: checked above; not CouchDB's own `_names`; not file names)."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    names = {w.strip(".;") for span in re.findall(r"`([^`\n]+)`", text)
             if not span.startswith("thidua ")
             for w in re.split(r"[^\w.*/]+", span)}  # paths stay whole: checked above
    names = {n for n in names if re.fullmatch(r"[A-Za-z]\w*(?:\.[A-Za-z]\w*)*", n)
             and ("_" in n or "." in n or re.search(r"[a-z][A-Z]", n))
             and not re.search(r"\.(?:py|m?js|json|html|css|conf|toml|ya?ml|sh|j2|md)$", n)}
    assert names, "no name found: the extraction is broken"
    words = _source_words()
    missing = sorted(n for n in names if any(part not in words for part in n.split(".")))
    assert not missing, f"{doc} names identifiers the code does not have: {missing}"
