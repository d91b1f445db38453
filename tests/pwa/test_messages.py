"""The PWA's message catalogues: vi and en have the same keys, every key the sources use
exists (literal `t('key')` calls and the dynamic `kind.`/`status.`/`unit.`/`input.` ones),
and every text is NFC."""

from __future__ import annotations

import json
import re
import unicodedata

from scoring.ids import UNIT_KINDS
from tests.replication.servers import ROOT

SRC = ROOT / "pwa" / "src"
CRITERIA = ROOT / "pwa" / "criteria"


def catalogue(lang: str) -> dict[str, str]:
    return json.loads((SRC / "messages" / f"{lang}.json").read_text(encoding="utf-8"))


def test_both_catalogues_have_the_same_keys_in_nfc() -> None:
    vi, en = catalogue("vi"), catalogue("en")
    assert sorted(set(vi) ^ set(en)) == []
    for text in [*vi.values(), *en.values()]:
        assert unicodedata.is_normalized("NFC", text), text
        assert text.strip()


def test_every_key_the_sources_use_exists() -> None:
    vi = catalogue("vi")
    used = set()
    for path in SRC.rglob("*.js"):
        used |= set(re.findall(r"\bt\('([\w.]+)'", path.read_text(encoding="utf-8")))
    literal = {k for k in used if not k.endswith('.')}  # `t('kind.' + kind)`: below
    assert literal and sorted(literal - set(vi)) == []
    dynamic = {f"kind.{k}" for k in UNIT_KINDS}
    dynamic |= {f"status.{s}" for s in ("none", "draft", "submitted", "reviewed", "locked")}
    dynamic |= {"unit.money", "unit.count"}
    for path in CRITERIA.glob("*.json"):
        for kind in json.loads(path.read_text(encoding="utf-8"))["unit_kinds"].values():
            dynamic |= {f"input.{n}" for n, spec in kind["inputs"].items() if not spec["desc"]}
    assert sorted(dynamic - set(vi)) == []
