"""Python engine and the PWA's JS evaluator agree on >= 5,000 generated sheets: points,
totals, classification, statuses, point sources (bank export / formula / manual) and the
Vietnamese explanation texts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sheetgen import random_sheets

from scoring.criteria import CriteriaSet, load_shipped, to_json
from scoring.engine import SheetScore, compile_set
from scoring.explain import explain, explain_class

ROOT = Path(__file__).resolve().parents[2]
PWA_JSON = ROOT / "pwa" / "criteria" / "vbsp-2026.json"


def python_score(cset: CriteriaSet, sheet: dict[str, Any]) -> SheetScore:
    if "monthly" in sheet:
        return compile_set(cset).score_months(sheet["kind"], sheet["monthly"], sheet["manual"], sheet["flags"])
    return compile_set(cset).score(sheet["kind"], sheet["inputs"], sheet["manual"], sheet["flags"], sheet.get("month"))


def js_scores(tmp_path: Path, sheets: list[dict[str, Any]], *, timeout: int) -> list[dict[str, Any]]:
    """What `tests/js/parity.mjs` (the PWA's evaluator in Node) answers for `sheets`."""
    path = tmp_path / "sheets.json"
    path.write_text(json.dumps(sheets))
    proc = subprocess.run(
        ["node", str(ROOT / "tests" / "js" / "parity.mjs"), str(PWA_JSON), str(path)],
        capture_output=True, text=True, timeout=timeout, check=True,
    )
    result: list[dict[str, Any]] = json.loads(proc.stdout)
    return result


def test_committed_json_is_the_loader_rendering() -> None:
    assert PWA_JSON.read_bytes() == to_json(load_shipped()), (
        "pwa/criteria is stale: run `.venv/bin/python -m scoring.criteria`"
    )


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_python_and_js_agree_on_6000_sheets(tmp_path: Path) -> None:
    cset = load_shipped()
    sheets = random_sheets(cset, 6000, seed=20260101)
    js = js_scores(tmp_path, sheets, timeout=120)
    assert len(js) == len(sheets)
    statuses: set[int] = set()
    bank_texts: set[bool] = set()
    classes: set[str] = set()
    for sheet, got in zip(sheets, js, strict=True):
        py = python_score(cset, sheet)
        mine = {
            "points": list(py.points), "total": py.total, "classification": py.classification,
            "computed_class": py.computed_class, "forced_by": py.forced_by,
            "excluded": list(py.excluded), "statuses": [r[1] for r in py.details],
            "sources": list(py.sources), "texts": [e.text for e in explain(cset, py)],
            "class_source": py.class_source, "months": list(py.months),
            "class_text": explain_class(cset, py),
            "assumptions": [e.assumption for e in explain(cset, py)],
        }
        theirs = {k: got[k] for k in mine}
        assert mine == theirs, sheet
        statuses.update(mine["statuses"])
        classes.add(py.class_source)
        bank_texts.update(t.endswith("theo công thức") for t in mine["texts"] if t.startswith("Điểm hệ thống NHCSXH (CDTOTKVV)"))
    assert statuses >= {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11}, statuses  # the generator reached every path
    assert classes == {"bank_export", "points", "points_bank_empty", "points_bank_unknown"}
    assert bank_texts == {True, False}  # bank points with and without the raw inputs


@pytest.mark.torture
@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_python_and_js_agree_on_100000_sheets(tmp_path: Path) -> None:
    cset = load_shipped()
    sheets = random_sheets(cset, 100_000, seed=7)
    for sheet, got in zip(sheets, js_scores(tmp_path, sheets, timeout=600), strict=True):
        py = python_score(cset, sheet)
        assert (list(py.points), py.total, py.classification) == (got["points"], got["total"], got["classification"]), sheet
