"""Naive reference evaluator: reads the criteria Structs for every sheet and computes with
Decimal (60 significant digits). It is the benchmark's baseline peer and a test oracle for
the compiled engine; it returns (points in tenths per criterion, total, classification)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from scoring.criteria import CriteriaSet
from scoring.criteria_schema import Criterion, Measure, Part, UnitKind
from scoring.numbers import parse_exact

__all__ = ["reference_score"]

_CTX = Context(prec=60)
_CMP = {
    ">=": Decimal.__ge__, ">": Decimal.__gt__, "<=": Decimal.__le__,
    "<": Decimal.__lt__, "==": Decimal.__eq__,
}


class _Zero(Exception):
    """The criterion scores 0 (missing, invalid or skipped input)."""


def _get(inputs: Mapping[str, Any], kind: UnitKind, name: str) -> Decimal:
    f = parse_exact(inputs.get(name))
    if f is None or (f < 0 and not kind.inputs[name].signed):
        raise _Zero(name)
    return Decimal(f.numerator) / Decimal(f.denominator)


def _measure(m: Measure, inputs: Mapping[str, Any], kind: UnitKind) -> Decimal:
    if m.value is not None:
        return _get(inputs, kind, m.value)
    r = m.ratio or m.difference_ratio
    assert r is not None
    if m.ratio is not None:
        num = _get(inputs, kind, m.ratio.num)
    else:
        assert m.difference_ratio is not None
        num = _get(inputs, kind, m.difference_ratio.plus) - _get(inputs, kind, m.difference_ratio.minus)
    den = _get(inputs, kind, r.den)
    if den == 0:
        if r.if_den_zero == "skip":
            raise _Zero(r.den)
        return Decimal(r.if_den_zero)
    return num / den


def _bank(c: Criterion, raw: Any) -> Decimal:
    """Bank-export points taken as they are when valid (0..max, tenths), else 0."""
    f = parse_exact(raw)
    if f is None:
        return Decimal(0)
    value = Decimal(f.numerator) / Decimal(f.denominator)
    ok = 0 <= value <= Decimal(c.max_points) and value == value.quantize(Decimal("0.1"))
    return value if ok else Decimal(0)


def _has_bank(c: Part | Criterion, inputs: Mapping[str, Any]) -> bool:
    return isinstance(c, Criterion) and c.code_export is not None and inputs.get(c.code_export) is not None


def _points(c: Part | Criterion, inputs: Mapping[str, Any], manual: Mapping[str, Any], kind: UnitKind) -> Decimal:
    rule, top = c.rule, Decimal(c.max_points)
    if isinstance(c, Criterion) and _has_bank(c, inputs):
        assert c.code_export is not None
        return _bank(c, inputs[c.code_export])
    if rule.manual is not None:
        entry = manual.get(c.id)
        raw = entry.get("points") if isinstance(entry, Mapping) else getattr(entry, "points", entry)
        f = parse_exact(raw)
        if f is None:
            return Decimal(0)
        value = Decimal(f.numerator) / Decimal(f.denominator)
        ok = 0 <= value <= top and value == value.quantize(Decimal("0.1"))
        return value if ok else Decimal(0)
    if rule.sum is not None:
        return sum((_safe(p, inputs, manual, kind) for p in rule.sum), Decimal(0))
    if rule.per_item is not None:
        k = _get(inputs, kind, rule.per_item.input)
        if k != k.to_integral_value():
            return Decimal(0)
        return min(top, max(Decimal(0), rule.per_item.base + k * rule.per_item.points))
    if c.require is not None:
        g = _get(inputs, kind, c.require.input)
        if not _CMP[c.require.op](g, c.require.value):
            return Decimal(0)
    assert c.measure is not None
    m = _measure(c.measure, inputs, kind)
    if rule.bands is not None:
        pts = next((b.points for b in rule.bands if _CMP[b.op](m, b.value)), Decimal(0))
    else:
        assert rule.linear is not None
        share = min(Decimal(1), max(Decimal(0), m / rule.linear.full_at))
        pts = (top * share).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if isinstance(c, Criterion) and c.deduct_per_item is not None:
        k = _get(inputs, kind, c.deduct_per_item.input)
        pts = max(Decimal(0), pts - (k * c.deduct_per_item.points).quantize(Decimal("0.1"), rounding="ROUND_DOWN"))
    return pts


def _safe(c: Part | Criterion, inputs: Mapping[str, Any], manual: Mapping[str, Any], kind: UnitKind) -> Decimal:
    try:
        return _points(c, inputs, manual, kind)
    except _Zero:
        return Decimal(0)


def _bank_class(raw: Any, kind: UnitKind, cset: CriteriaSet) -> str | None:
    """The bank's class when ``raw`` names a band of the scale or an alias of one."""
    if not isinstance(raw, str) or kind.class_export is None:
        return None
    key = unicodedata.normalize("NFC", raw).strip().lower()
    for band in cset.classification_scales[kind.scale].bands:
        if unicodedata.normalize("NFC", band.label_vi).lower() == key:
            return band.label_vi
    aliases = {unicodedata.normalize("NFC", a).strip().lower(): v for a, v in kind.class_export.aliases.items()}
    return aliases.get(key)


def reference_score(
    cset: CriteriaSet, kind_name: str, inputs: Mapping[str, Any], manual: Mapping[str, Any] | None = None
) -> tuple[tuple[int, ...], int, str]:
    """Straightforward per-sheet evaluation: (points tenths, total tenths, class)."""
    manual = manual or {}
    kind = cset.unit_kinds[kind_name]
    with localcontext(_CTX):
        pts = [_safe(c, inputs, manual, kind) for c in kind.criteria]
        total = sum(pts, Decimal(0))
        label = next(b.label_vi for b in cset.classification_scales[kind.scale].bands if total >= b.min)
        if kind.class_export is not None:
            bank = _bank_class(inputs.get(kind.class_export.input), kind, cset)
            if bank is not None:
                return tuple(int(p * 10) for p in pts), int(total * 10), bank
        for ov in (o for o in kind.overrides if o.enabled):
            crits = {c.id: c for c in kind.criteria}
            for w in ov.when_any:
                c = crits[w.criterion]
                assert c.measure is not None
                if _has_bank(c, inputs):
                    continue  # bank points replace the formula: no measure to test
                try:
                    m = _measure(c.measure, inputs, kind)
                except _Zero:
                    continue
                if _CMP[w.op](m, w.value):
                    label = ov.force_class
                    break
            else:
                continue
            break
        return tuple(int(p * 10) for p in pts), int(total * 10), label
