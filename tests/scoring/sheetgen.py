"""Random score sheets for tests: band edges, zeros, missing, invalid and decimal inputs, and
bank-export points (``code_export`` keys: valid, out of range, not tenths, with or without raw inputs)."""

from __future__ import annotations

import random
import unicodedata
from fractions import Fraction
from typing import Any

from scoring.criteria import CriteriaSet, measure_inputs
from scoring.criteria_schema import Criterion, Part


def _thresholds(c: Criterion | Part) -> list[Fraction]:
    out = [Fraction(b.value) for b in c.rule.bands or ()]
    if c.rule.linear is not None:
        out.append(Fraction(c.rule.linear.full_at))
    for part in c.rule.sum or ():
        out += _thresholds(part)
    return out or [Fraction(1, 2)]


def _odd(rng: random.Random) -> Any:
    return rng.choice([None, -5, "abc", "", "7,5", "12.25", "1e3", 0.5, True, " 40 "])


def _bank_value(top: int, rng: random.Random) -> Any:
    return rng.choice([
        rng.randint(0, top), top, 0, rng.randint(0, top * 10) / 10, f"{rng.randint(0, top * 10) / 10}",
        f"{rng.randint(0, top - 1)},5",  # valid
        top + 1, -1, "-0.5", f"{top}.1",  # out of range
        "0.05", f"{rng.randint(0, top - 1)}.25", 2.55,  # not tenths
        "abc", "", True,  # not a number / boolean
    ])


def _bank_points(crits: tuple[Criterion, ...], inputs: dict[str, Any], rng: random.Random) -> None:
    """Give some criteria their bank-export points; sometimes drop their raw inputs too."""
    for c in crits:
        if c.code_export is None or rng.random() < 0.6:
            continue
        inputs[c.code_export] = _bank_value(int(c.max_points), rng)
        if c.measure is not None and rng.random() < 0.5:
            for _, name in measure_inputs(c.measure):
                inputs.pop(name, None)


def random_sheet(cset: CriteriaSet, kind_name: str, rng: random.Random) -> dict[str, Any]:
    """One sheet dict: {kind, inputs, manual, flags}; JSON-serialisable."""
    kind = cset.unit_kinds[kind_name]
    inputs: dict[str, Any] = {}
    for name, spec in kind.inputs.items():
        lo = -50 if spec.signed else 0
        inputs[name] = rng.choice([0, rng.randint(lo, 60), rng.randint(0, 10**12)])
    crits: list[Criterion | Part] = list(kind.criteria)
    crits += [p for c in kind.criteria for p in c.rule.sum or ()]
    for c in crits:
        if c.measure is None or rng.random() < 0.3:
            continue
        names = [n for _, n in measure_inputs(c.measure)]
        t = rng.choice(_thresholds(c))
        den = t.denominator * rng.choice([1, 3, 7, 1000, 123457])
        num = t.numerator * (den // t.denominator) + rng.choice([-1, 0, 0, 1])
        if c.measure.value is not None:
            inputs[names[0]] = max(0, int(t) + rng.choice([-1, 0, 1]))
        elif c.measure.difference_ratio is not None:
            base = rng.randint(0, 10**6)
            inputs[names[0]], inputs[names[1]], inputs[names[2]] = base + num, base, den
        else:
            inputs[names[0]], inputs[names[1]] = max(0, num), den
    for name in list(inputs):
        roll = rng.random()
        if roll < 0.04:
            del inputs[name]
        elif roll < 0.07:
            inputs[name] = _odd(rng)
        elif roll < 0.09:
            inputs[name] = str(inputs[name])
    _bank_points(kind.criteria, inputs, rng)
    manual: dict[str, Any] = {}
    for c in kind.criteria:
        if c.rule.manual is not None and rng.random() < 0.85:
            pts = rng.choice([0, Fraction(c.max_points), rng.randint(0, int(c.max_points) * 10) / 10,
                              "2,5", -1, int(c.max_points) + 1, "0.05"])
            manual[c.id] = {"points": str(pts) if isinstance(pts, Fraction) else pts,
                            "evidence": "biên bản", "deduction_reason": ""}
    if kind.class_export is not None and rng.random() < 0.6:
        inputs[kind.class_export.input] = rng.choice(_CLASSES)
    flags = {"thang_hoat_dong": rng.choice([12, 12, 9, 8]), "vi_pham": rng.random() < 0.05,
             "dang_thanh_tra": rng.random() < 0.03, "loai_tru_xet_khen": rng.random() < 0.02}
    sheet = {"kind": kind_name, "inputs": inputs, "manual": manual, "flags": flags}
    if rng.random() < 0.3:
        sheet["month"] = f"2026-{rng.randint(1, 12):02d}"
    return sheet


#: Exported class values: labels (any case, NFD), aliases, BC0437's 0, blanks, unknown text.
_CLASSES = ("Tốt", "Khá", "Trung bình", "Yếu", "tốt", " KHÁ ", unicodedata.normalize("NFD", "Khá"),
            "Yếu kém", "TB", 0, "0", "", "  ", "Xuất sắc", "abc", 0.0, 1, False)


def monthly_sheet(cset: CriteriaSet, kind_name: str, rng: random.Random) -> dict[str, Any]:
    """A sheet fed by the mean of 1-4 months, each month a random sheet's inputs."""
    months = sorted(rng.sample([f"2026-{m:02d}" for m in range(1, 13)], rng.randint(1, 4)))
    first = random_sheet(cset, kind_name, rng)
    first["monthly"] = {m: random_sheet(cset, kind_name, rng)["inputs"] for m in months}
    first.pop("month", None)
    return first


def random_sheets(cset: CriteriaSet, count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    kinds = list(cset.unit_kinds)
    return [(monthly_sheet if i % 10 == 9 else random_sheet)(cset, kinds[i % len(kinds)], rng)
            for i in range(count)]
