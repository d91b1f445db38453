"""Vietnamese explanation of each criterion's points, rendered from a ``SheetScore``.

Example: "Tỷ lệ nợ quá hạn 0,35% ≤ 0,5% → 25/30 điểm". Numbers use the Vietnamese
format (comma decimal); a measure is shown with enough decimals not to look equal to the
threshold it was compared with.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from functools import lru_cache
from math import gcd
from typing import Any

import msgspec

from scoring.bands import OP_SYMBOL
from scoring.bankpoints import (
    BANK_NOT_NUMBER,
    BANK_NOT_TENTHS,
    BANK_OUT_OF_RANGE,
    BANK_POINTS,
    criterion_source,
)
from scoring.criteria import CriteriaSet
from scoring.criteria_schema import Criterion, Measure, Part
from scoring.engine import (
    CLASS_BANK,
    CLASS_BANK_EMPTY,
    CLASS_BANK_UNKNOWN,
    CLASS_POINTS,
    DEN_ZERO_SKIP,
    GATE_FAILED,
    INVALID,
    MANUAL_INVALID,
    MANUAL_MISSING,
    MEAN_OF_MONTHS,
    MISSING,
    SheetScore,
)
from scoring.numbers import format_points, format_ratio, format_vi, parse_exact, to_tenths

__all__ = ["CriterionExplanation", "explain", "explain_class", "format_measure", "month_vi"]


class CriterionExplanation(msgspec.Struct, frozen=True):
    id: str
    label_vi: str
    points: int  # tenths
    max_points: int  # tenths
    text: str
    source: str = "formula"  # "bank_export_points" | "formula" | "manual" | "mixed" (mean of months)
    tags: tuple[str, ...] = ()  # provenance tags of the criterion (S, R, Q, M, A)
    assumption: bool = False  # its points are an assumption (tag A): the UI says so


def format_measure(value: Fraction, measure: Measure, others: Iterable[Fraction] = ()) -> str:
    """Percent for ratios, plain number for values; more decimals while it would look equal
    to one of ``others`` (the rule's thresholds) without being equal."""
    percent = _is_percent(measure)
    scale = 100 if percent else 1
    near = [(o.numerator * scale, o.denominator) for o in others]
    return _measure_text(value.numerator * scale, value.denominator, near, percent)


def _is_percent(measure: Measure) -> bool:
    return (measure.display or ("number" if measure.value is not None else "percent")) == "percent"


def _measure_text(num: int, den: int, near: Iterable[tuple[int, int]], percent: bool) -> str:
    """`format_measure` on an integer pair (already scaled) and scaled thresholds."""
    others = [(n, d) for n, d in near if n * den != num * d]  # equal ones need no decimals
    for decimals in range(2, 9):
        text = format_ratio(num, den, decimals)
        if all(text != format_ratio(n, d, decimals) for n, d in others):
            break
    return text + ("%" if percent else "")


class _Banded(msgspec.Struct, frozen=True):
    """What `_measured` needs of one criterion, worked out once per criterion."""

    label: str
    percent: bool
    scale: int
    edges: tuple[tuple[int, int], ...]  # the bands' thresholds, scaled, as integer pairs
    thresholds: tuple[str, ...]  # each band's threshold as shown
    base: tuple[int, ...]  # each band's points, tenths
    shown: tuple[frozenset[str], ...]  # the thresholds' texts with 2, 3, ... 8 decimals
    reduced: frozenset[tuple[int, int]]  # `edges` in lowest terms (an equality test by gcd)

    def text(self, num: int, den: int) -> str:
        """`_measure_text` of a measure against these thresholds."""
        if den > 0:
            g = gcd(num, den)
            equal = (num // g, den // g) in self.reduced
        else:
            equal = any(n * den == num * d for n, d in self.edges)
        if equal:  # equal to one: the full rule
            return _measure_text(num, den, self.edges, self.percent)
        for texts, decimals in zip(self.shown, range(2, 9), strict=True):
            text = _format_once(num, den, decimals)
            if text not in texts:
                break
        return text + ("%" if self.percent else "")


#: `format_ratio` without its cache: a sheet's measures rarely repeat, and filling the cache
#: with them would push out the thresholds and points that do.
_format_once = format_ratio.__wrapped__

_BANDED: dict[int, tuple[Part | Criterion, _Banded]] = {}  # id(criterion) -> (it, facts)


def _banded(c: Part | Criterion) -> _Banded:
    found = _BANDED.get(id(c))
    if found is not None and found[0] is c:
        return found[1]
    m = c.measure
    assert m is not None
    percent = _is_percent(m)
    scale = 100 if percent else 1
    bands = c.rule.bands or ()
    edges = tuple((f.numerator * scale, f.denominator) for f in (_fraction(b.value) for b in bands))
    facts = _Banded(m.label_vi or c.label_vi, percent, scale, edges,
                    tuple(_measure_text(n, d, (), percent) for n, d in edges),
                    tuple(to_tenths(b.points) for b in bands),
                    tuple(frozenset(format_ratio(n, d, k) for n, d in edges) for k in range(2, 9)),
                    frozenset((n // gcd(n, d), d // gcd(n, d)) for n, d in edges))
    _BANDED[id(c)] = (c, facts)
    return facts


@lru_cache(maxsize=4096)  # band edges and thresholds repeat on every sheet
def _fraction(value: Any) -> Fraction:
    return Fraction(value)


def _out_of(points: int, max_t: int) -> str:
    return f"{format_points(points)}/{format_points(max_t)} điểm"


_BANK_FAILED = {
    BANK_NOT_NUMBER: "không phải là số; phải từ 0 đến",
    BANK_OUT_OF_RANGE: "ngoài khoảng 0 đến",
    BANK_NOT_TENTHS: "không là bội số của 0,1; phải từ 0 đến",
}


def _bank(points: int, detail: Any, max_t: int) -> str:
    text = f"Điểm hệ thống NHCSXH (CDTOTKVV): {_out_of(points, max_t)}"
    return text + ("; có cả số liệu gốc nhưng điểm hệ thống được ưu tiên, không tính theo công thức" if detail[2] else "")


def _failure(status: int, detail: Any, c: Part | Criterion, max_t: int) -> str | None:
    if status == MISSING:
        return f"Thiếu số liệu: {detail} → {_out_of(0, max_t)}"
    if status == INVALID:
        return f"Số liệu không hợp lệ: {detail} → {_out_of(0, max_t)}"
    if status == DEN_ZERO_SKIP:
        return f"{detail} bằng 0, không chấm được → {_out_of(0, max_t)}"
    if status == MANUAL_MISSING:
        return f"Chưa chấm → {_out_of(0, max_t)}"
    if status == MANUAL_INVALID:
        return f"Điểm nhập không hợp lệ ({detail}; phải từ 0 đến {format_points(max_t)}) → {_out_of(0, max_t)}"
    if status in _BANK_FAILED:
        code, raw, _ = detail
        value = parse_exact(raw)
        shown = f" = {format_vi(value, 8)}" if value is not None else ""
        return f"Điểm hệ thống NHCSXH ({code}){shown} {_BANK_FAILED[status]} {format_points(max_t)} → {_out_of(0, max_t)}"
    if status == GATE_FAILED and c.require is not None:
        r = c.require
        return f"Không đạt điều kiện {r.input} {OP_SYMBOL[r.op]} {format_vi(Fraction(r.value))} → {_out_of(0, max_t)}"
    return None


def _measured(c: Part | Criterion, points: int, detail: Any, max_t: int) -> str:
    n, d, idx, den_zero, k = detail
    if d < 0:
        n, d = -n, -d
    facts = _banded(c)
    prefix = "Mẫu số bằng 0, coi như " if den_zero else ""
    if c.rule.bands is not None and idx >= 0:
        band = c.rule.bands[idx]
        shown = facts.text(n * facts.scale, d)
        text = f"{facts.label} {prefix}{shown} {OP_SYMBOL[band.op]} {facts.thresholds[idx]}"
        base = facts.base[idx]
    else:
        value = Fraction(n, d)
        m = c.measure
        assert m is not None
        full = Fraction(c.rule.linear.full_at) if c.rule.linear else Fraction(1)
        share = min(Fraction(1), max(Fraction(0), value / full))
        text = (f"{facts.label} {prefix}{format_measure(value, m)}: {format_points(max_t)} × "
                f"{format_vi(share * 100)}%")
        base = points
    if k and isinstance(c, Criterion) and c.deduct_per_item is not None:
        ded = c.deduct_per_item
        text += f"; trừ {format_vi(Fraction(k))} {ded.label_vi or ded.input} × {format_vi(Fraction(ded.points))} điểm"
    elif base != points:
        text += f" ({format_points(base)} điểm)"
    return f"{text} → {_out_of(points, max_t)}"


def _one(c: Part | Criterion, points: int, status: int, detail: Any) -> str:
    max_t = to_tenths(c.max_points)
    failed = _failure(status, detail, c, max_t)
    if failed is not None:
        return failed
    if status == BANK_POINTS:
        return _bank(points, detail, max_t)
    if status == MEAN_OF_MONTHS:
        parts = ", ".join(f"{month_vi(m)}: {format_points(p)}" for m, p in detail)
        return f"Trung bình {len(detail)} tháng ({parts}) → {_out_of(points, max_t)}"
    rule = c.rule
    if rule.manual is not None:
        entry = detail
        evidence = getattr(entry, "evidence", None) or (entry.get("evidence") if isinstance(entry, dict) else "")
        reason = getattr(entry, "deduction_reason", None) or (entry.get("deduction_reason") if isinstance(entry, dict) else "")
        text = f"Điểm chấm {_out_of(points, max_t)}"
        if evidence:
            text += f"; minh chứng: {evidence}"
        if points < max_t:
            text += f"; lý do trừ điểm: {reason}" if reason else "; chưa ghi lý do trừ điểm"
        return text
    if rule.sum is not None:
        texts = [f"{p.label_vi}: {_one(p, r[0], r[1], r[2])}" for p, r in zip(rule.sum, detail, strict=True)]
        return "; ".join(texts) + f" → tổng {_out_of(points, max_t)}"
    if rule.per_item is not None:
        pi = rule.per_item
        sign = "+ " if pi.points >= 0 else "− "
        base = f"{format_vi(Fraction(pi.base))} {sign}" if pi.base else ("" if pi.points >= 0 else sign)
        return (f"{base}{detail} mục × {format_vi(abs(Fraction(pi.points)))} điểm "
                f"({pi.input}) → {_out_of(points, max_t)}")
    return _measured(c, points, detail, max_t)


_TEXTS: dict[int, tuple[Criterion, dict[Any, str]]] = {}  # id(criterion) -> (it, texts)
_TEXTS_PER_CRITERION = 4096


def _text(c: Criterion, pts: int, status: int, detail: Any) -> str:
    """`_one`, remembered per criterion for details that repeat (counts, statuses, the bank's
    points: about half of a demo province's criteria); unhashable details (manual entries)
    are rendered each time. The text is a function of these arguments only."""
    found = _TEXTS.get(id(c))
    if found is None or found[0] is not c:
        found = _TEXTS[id(c)] = (c, {})
    texts = found[1]
    try:
        key = (pts, status, detail)
        text = texts.get(key)
    except TypeError:
        return _one(c, pts, status, detail)
    if text is None:
        if len(texts) >= _TEXTS_PER_CRITERION:
            texts.clear()
        text = texts[key] = _one(c, pts, status, detail)
    return text


#: id(criteria list of a unit kind) -> (it, per criterion: (it, id, label, max tenths, tags, assumption))
_KINDS: dict[int, tuple[Any, tuple[tuple[Criterion, str, str, int, tuple[str, ...], bool], ...]]] = {}


def _statics(criteria: Any) -> tuple[tuple[Criterion, str, str, int, tuple[str, ...], bool], ...]:
    """What `explain` takes from each criterion of a unit kind, worked out once."""
    found = _KINDS.get(id(criteria))
    if found is None or found[0] is not criteria:
        found = _KINDS[id(criteria)] = (criteria, tuple(
            (c, c.id, c.label_vi, to_tenths(c.max_points), c.provenance.tags,
             "A" in c.provenance.tags) for c in criteria))
    return found[1]


def explain(cset: CriteriaSet, score: SheetScore) -> tuple[CriterionExplanation, ...]:
    """One Vietnamese sentence per criterion of ``score``'s unit kind."""
    statics = _statics(cset.unit_kinds[score.kind].criteria)
    sources = score.sources
    out = []
    for i, ((c, cid, label, max_t, tags, assumed), (pts, status, detail)) in enumerate(
            zip(statics, score.details, strict=True)):
        source = sources[i] if sources else criterion_source(c, status)
        out.append(CriterionExplanation(cid, label, pts, max_t, _text(c, pts, status, detail),
                                        source, tags, assumed))
    return tuple(out)


def month_vi(month: str) -> str:
    """"2026-09" -> "09/2026"."""
    return f"{month[5:]}/{month[:4]}"


_CLASS_TEXT = {
    CLASS_BANK: "Xếp loại theo hệ thống NHCSXH",
    CLASS_BANK_EMPTY: "Cột xếp loại của tệp NHCSXH để trống hoặc bằng 0, xếp loại tính lại từ tổng điểm",
    CLASS_BANK_UNKNOWN: "Cột xếp loại của tệp NHCSXH không phải một loại đã biết, xếp loại tính lại từ tổng điểm",
    CLASS_POINTS: "Xếp loại theo tổng điểm",
}


def explain_class(cset: CriteriaSet, score: SheetScore) -> str:
    """Where the class comes from and which months' bank figures fed the score, e.g.
    "Xếp loại theo tổng điểm 92,5 ≥ 85: Tốt; số liệu tháng 09/2026"."""
    text = _CLASS_TEXT.get(score.class_source, _CLASS_TEXT[CLASS_POINTS])
    if score.class_source == CLASS_BANK:
        text += f": {score.classification}"
    else:
        bands = cset.classification_scales[cset.unit_kinds[score.kind].scale].bands
        band = next((b for b in bands if score.total >= to_tenths(b.min)), bands[-1])
        text += f" {format_points(score.total)} ≥ {format_points(to_tenths(band.min))}: {score.computed_class}"
        if score.forced_by is not None:
            text += f"; quy tắc {score.forced_by} buộc xếp loại {score.classification}"
    if len(score.months) == 1:
        text += f"; số liệu tháng {month_vi(score.months[0])}"
    elif score.months:
        text += f"; trung bình các tháng {', '.join(month_vi(m) for m in score.months)}"
    return text
