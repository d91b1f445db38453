"""Layering: `sync/` never imports `server/`, `scoring/` imports neither (not even for types)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(("package", "forbidden"), [
    ("sync", {"server", "scoring", "reports"}), ("scoring", {"server", "sync", "reports"})])
def test_pure_packages_do_not_import_upper_layers(package: str, forbidden: set[str]) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & forbidden)
        for path in (ROOT / package).rglob("*.py")
        if _imports(path) & forbidden
    }
    assert offenders == {}
