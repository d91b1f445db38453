"""Pure scoring engine: criteria set -> compiled closures -> ``SheetScore``.

Exact arithmetic only: measures are int pairs (n, d) with d > 0, thresholds are exact
rationals p/q and a band test is ``n*q <op> p*d``; points are integer tenths. Fractions
appear only for non-integer inputs. A missing or invalid input scores its criterion 0
with a status code; explanations are rendered on demand by ``scoring.explain``. Bank-export
points (``code_export``, see ``scoring.bankpoints``) replace a criterion's formula when present.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import msgspec

from scoring.bands import OPS
from scoring.bankpoints import BANK_POINTS, SOURCE_BANK, bank_result, criterion_source, with_bank
from scoring.criteria import CriteriaSet
from scoring.criteria_schema import Criterion, Measure, Part, Rule, UnitKind
from scoring.numbers import parse_exact, round_half_up, to_tenths

__all__ = [
    "CLASS_BANK",
    "CLASS_BANK_EMPTY",
    "CLASS_BANK_UNKNOWN",
    "CLASS_POINTS",
    "DEN_ZERO_SKIP",
    "GATE_FAILED",
    "INVALID",
    "MANUAL_INVALID",
    "MANUAL_MISSING",
    "MEAN_OF_MONTHS",
    "MISSING",
    "OK",
    "CompiledSet",
    "ManualEntry",
    "SheetScore",
    "bank_class",
    "compile_set",
    "score_sheet",
]

OK, MISSING, INVALID, DEN_ZERO_SKIP, MANUAL_MISSING, MANUAL_INVALID, GATE_FAILED = range(7)
MEAN_OF_MONTHS = 11  # after the bank statuses 7..10: detail = ((month, points), ...)
CLASS_BANK, CLASS_POINTS = "bank_export", "points"
CLASS_BANK_EMPTY, CLASS_BANK_UNKNOWN = "points_bank_empty", "points_bank_unknown"

Inputs = Mapping[str, Any]
Result = tuple[int, int, Any]  # (points in tenths, status, detail)


class ManualEntry(msgspec.Struct, frozen=True, kw_only=True):
    """Points a scorer entered for a manual criterion, with evidence and deduction reason."""

    points: int | str | Any
    evidence: str = ""
    deduction_reason: str = ""


class SheetScore(msgspec.Struct, frozen=True, gc=False):
    """Score of one sheet: per-criterion points (tenths, criteria order), total, class.

    ``details`` holds (points, status, detail) per criterion for explanations; ``excluded`` the ids
    of the exclusion rules that apply (scored but not ranked for awards); ``sources`` where each
    criterion's points come from: "bank_export_points", "formula" or "manual".
    ``class_source``: "bank_export" (the bank's own class, ``class_export``), "points", or
    "points_bank_empty" / "points_bank_unknown" (the export's class was 0/blank or not a
    class, so it was recomputed from the points). ``months``: the months (YYYY-MM) whose bank
    figures fed the score, when known.
    """

    kind: str
    points: tuple[int, ...]
    total: int
    classification: str
    computed_class: str
    forced_by: str | None
    excluded: tuple[str, ...]
    details: tuple[tuple[int, int, Any], ...]
    sources: tuple[str, ...] = ()
    class_source: str = CLASS_POINTS
    months: tuple[str, ...] = ()


class _Bad(Exception):
    def __init__(self, status: int, name: str) -> None:
        self.status, self.name = status, name


def _reader(name: str, signed: bool) -> Callable[[Inputs], int | Fraction]:
    def read(inputs: Inputs) -> int | Fraction:
        v = inputs.get(name)
        if type(v) is int:
            if v >= 0 or signed:
                return v
            raise _Bad(INVALID, name)
        if v is None:
            raise _Bad(MISSING, name)
        f = parse_exact(v)
        if f is None or (f < 0 and not signed):
            raise _Bad(INVALID, name)
        return f.numerator if f.denominator == 1 else f

    return read


def _pair(a: int | Fraction, b: int | Fraction) -> tuple[int, int]:
    if type(a) is int and type(b) is int:
        return (a, b) if b > 0 else (-a, -b)
    f = Fraction(a) / Fraction(b)
    return f.numerator, f.denominator


def _compile_measure(m: Measure, kind: UnitKind) -> Callable[[Inputs], tuple[int, int, bool]]:
    def sig(name: str) -> bool:
        return kind.inputs[name].signed

    if m.value is not None:
        read = _reader(m.value, sig(m.value))

        def value(inputs: Inputs) -> tuple[int, int, bool]:
            v = read(inputs)
            return (v, 1, False) if type(v) is int else (*_pair(v, 1), False)

        return value
    r = m.ratio or m.difference_ratio
    assert r is not None
    den = _reader(r.den, sig(r.den))
    zero = None if r.if_den_zero == "skip" else parse_exact(r.if_den_zero)
    zero_pair = (zero.numerator, zero.denominator, True) if zero is not None else None
    if m.ratio is not None:
        num = _reader(m.ratio.num, sig(m.ratio.num))
    else:
        assert m.difference_ratio is not None
        plus = _reader(m.difference_ratio.plus, sig(m.difference_ratio.plus))
        minus = _reader(m.difference_ratio.minus, sig(m.difference_ratio.minus))

        def num(inputs: Inputs) -> int | Fraction:
            return plus(inputs) - minus(inputs)

    den_name = r.den

    def ratio(inputs: Inputs) -> tuple[int, int, bool]:
        a = num(inputs)
        b = den(inputs)
        if b == 0:
            if zero_pair is None:
                raise _Bad(DEN_ZERO_SKIP, den_name)
            return zero_pair
        if type(a) is int and type(b) is int and b > 0:
            return a, b, False
        return (*_pair(a, b), False)

    return ratio


def _rational(value: Any) -> tuple[int, int]:
    f = Fraction(value)
    return f.numerator, f.denominator


def _compile_rule(rule: Rule, max_t: int) -> Callable[[int, int], tuple[int, int]]:
    """(n, d) -> (points, band index or -1)."""
    if rule.bands is not None:
        table = [(OPS[b.op], *_rational(b.value), to_tenths(b.points), i) for i, b in enumerate(rule.bands)]

        def bands(n: int, d: int) -> tuple[int, int]:
            for cmp, p, q, pts, i in table:
                if cmp(n * q, p * d):
                    return pts, i
            return 0, -1

        return bands
    assert rule.linear is not None
    fp, fq = _rational(rule.linear.full_at)

    def linear(n: int, d: int) -> tuple[int, int]:
        if n <= 0:
            return 0, -1
        a, b = n * fq, d * fp
        return (max_t, -1) if a >= b else (round_half_up(max_t * a, b), -1)

    return linear


def _manual_points(entry: Any) -> Any:
    if entry is None or isinstance(entry, int | str | float | Fraction | Decimal):
        return entry
    if isinstance(entry, Mapping):
        return entry.get("points")
    return getattr(entry, "points", None)


def _compile_part(c: Part | Criterion, kind: UnitKind) -> Callable[[Inputs, Mapping[str, Any]], Result]:
    max_t = to_tenths(c.max_points)
    rule = c.rule
    gate = None
    if c.require is not None:
        g_read = _reader(c.require.input, kind.inputs[c.require.input].signed)
        g_cmp, (gp, gq) = OPS[c.require.op], _rational(c.require.value)

        def gate_fn(inputs: Inputs) -> bool:
            v = Fraction(g_read(inputs))
            return bool(g_cmp(v.numerator * gq, gp * v.denominator))

        gate = gate_fn
    if rule.manual is not None:
        cid = c.id

        def manual(inputs: Inputs, entries: Mapping[str, Any]) -> Result:
            entry = entries.get(cid)
            raw = _manual_points(entry)
            if raw is None:
                return 0, MANUAL_MISSING, None
            f = parse_exact(raw)
            if f is None or (f * 10).denominator != 1 or not 0 <= f * 10 <= max_t:
                return 0, MANUAL_INVALID, str(raw)
            return int(f * 10), OK, entry

        return manual
    if rule.sum is not None:
        parts = [_compile_part(p, kind) for p in rule.sum]

        def total(inputs: Inputs, entries: Mapping[str, Any]) -> Result:
            results = tuple(part(inputs, entries) for part in parts)
            return sum(r[0] for r in results), OK, results

        return total
    if rule.per_item is not None:
        pi = rule.per_item
        count = _reader(pi.input, kind.inputs[pi.input].signed)
        per, base = to_tenths(pi.points), to_tenths(pi.base)

        def per_item(inputs: Inputs, entries: Mapping[str, Any]) -> Result:
            try:
                k = count(inputs)
            except _Bad as bad:
                return 0, bad.status, bad.name
            if type(k) is not int:
                return 0, INVALID, pi.input
            return min(max_t, max(0, base + k * per)), OK, k

        return per_item
    assert c.measure is not None
    measure = _compile_measure(c.measure, kind)
    score = _compile_rule(rule, max_t)
    deduct = c.deduct_per_item if isinstance(c, Criterion) else None
    d_read = _reader(deduct.input, kind.inputs[deduct.input].signed) if deduct else None
    d_per = to_tenths(deduct.points) if deduct else 0

    def measured(inputs: Inputs, entries: Mapping[str, Any]) -> Result:
        try:
            if gate is not None and not gate(inputs):
                return 0, GATE_FAILED, None
            n, d, dz = measure(inputs)
            k = d_read(inputs) if d_read is not None else 0
        except _Bad as bad:
            return 0, bad.status, bad.name
        pts, idx = score(n, d)
        if k:
            pts = max(0, pts - int(k * d_per))
        return pts, OK, (n, d, idx, dz, k)

    return measured


def _no_bank(raw: Any, inputs: Inputs) -> Result:
    raise AssertionError("no code_export")


def _fast_ratio(c: Part | Criterion, kind: UnitKind, rule: Rule, max_t: int) -> Callable[[Inputs], Result | None] | None:
    """Hot path for the common case: a plain ratio of two non-negative int inputs with a
    positive denominator, scored by bands or linear. Returns None to fall back."""
    m = c.measure
    if m is None or m.ratio is None or kind.inputs[m.ratio.num].signed or kind.inputs[m.ratio.den].signed:
        return None
    num, den = m.ratio.num, m.ratio.den
    code = c.code_export if isinstance(c, Criterion) else None
    bank = bank_result(c) if isinstance(c, Criterion) and code is not None else _no_bank
    if rule.bands is not None:
        table = [(OPS[b.op], *_rational(b.value), to_tenths(b.points), i) for i, b in enumerate(rule.bands)]

        def bands(inputs: Inputs) -> Result | None:
            if code is not None:
                raw = inputs.get(code)
                if raw is not None:
                    return bank(raw, inputs)
            a = inputs.get(num)
            b = inputs.get(den)
            if type(a) is not int or type(b) is not int or a < 0 or b <= 0:
                return None
            for cmp, p, q, pts, i in table:
                if cmp(a * q, p * b):
                    return pts, OK, (a, b, i, False, 0)
            return 0, OK, (a, b, -1, False, 0)

        return bands
    return None


def bank_class(raw: Any, labels: Mapping[str, str]) -> tuple[str | None, str]:
    """(class, class source) for the bank's exported class ``raw``; ``labels`` maps the
    lower-cased NFC label or alias to the scale's label. 0 or blank: recompute."""
    if raw is None:
        return None, CLASS_POINTS
    if isinstance(raw, str):
        key = unicodedata.normalize("NFC", raw).strip().lower()
        label = labels.get(key)
        if label is not None:
            return label, CLASS_BANK
        return None, CLASS_BANK_EMPTY if not key or parse_exact(key) == 0 else CLASS_BANK_UNKNOWN
    if parse_exact(raw) == 0 and not isinstance(raw, bool):
        return None, CLASS_BANK_EMPTY
    return None, CLASS_BANK_UNKNOWN


class _Kind:
    __slots__ = ("base_sources", "class_cache", "class_input", "class_labels", "criteria", "exclusions",
                 "name", "overrides", "scale")

    def __init__(self, cset: CriteriaSet, name: str) -> None:
        kind = cset.unit_kinds[name]
        self.name = name
        self.criteria = [
            ((_fast_ratio(c, kind, c.rule, to_tenths(c.max_points))
              if c.require is None and c.deduct_per_item is None else None) or with_bank(c),
             _compile_part(c, kind))
            for c in kind.criteria
        ]
        self.base_sources = tuple(criterion_source(c, OK) for c in kind.criteria)
        index = {c.id: i for i, c in enumerate(kind.criteria)}
        scale = cset.classification_scales[kind.scale]
        self.scale = [(to_tenths(b.min), b.label_vi) for b in scale.bands]
        self.overrides = [
            (o.id, o.force_class, [(index[w.criterion], OPS[w.op], *_rational(w.value)) for w in o.when_any])
            for o in kind.overrides if o.enabled
        ]
        ce = kind.class_export
        self.class_input = ce.input if ce is not None else None
        self.class_labels = {unicodedata.normalize("NFC", b.label_vi).lower(): b.label_vi for b in scale.bands}
        self.class_cache: dict[str, tuple[str | None, str]] = {}
        if ce is not None:
            for alias, label in ce.aliases.items():
                self.class_labels[unicodedata.normalize("NFC", alias).strip().lower()] = label
        self.exclusions = [(e.id, e.flag, OPS[e.op], *_rational(e.value)) for e in cset.exclusions]

    def score(self, inputs: Inputs, manual: Mapping[str, Any], flags: Mapping[str, Any],
              months: tuple[str, ...] = ()) -> SheetScore:
        results = []
        bank = False
        for fast, slow in self.criteria:
            r = fast(inputs) if fast is not None else None
            if r is None:
                r = slow(inputs, manual)
            elif r[1] >= BANK_POINTS:
                bank = True
            results.append(r)
        points = tuple([r[0] for r in results])
        sources = self.base_sources
        if bank:
            sources = tuple([SOURCE_BANK if r[1] >= BANK_POINTS else b for r, b in zip(results, sources, strict=True)])
        total = sum(points)
        computed = self.classify(total)
        label, forced, class_source = computed, None, CLASS_POINTS
        if self.class_input is not None:
            raw = inputs.get(self.class_input)
            if raw is None:
                bank_label = None
            elif type(raw) is str and (hit := self.class_cache.get(raw)) is not None:
                bank_label, class_source = hit
            else:
                bank_label, class_source = bank_class(raw, self.class_labels)
                if type(raw) is str and len(self.class_cache) < 256:  # few distinct values
                    self.class_cache[raw] = (bank_label, class_source)
            if bank_label is not None:
                label = bank_label
        for oid, force, conds in self.overrides if class_source != CLASS_BANK else ():
            for i, cmp, p, q in conds:
                r = results[i]
                if r[1] == OK and cmp(r[2][0] * q, p * r[2][1]):
                    label, forced = force, oid
                    break
            if forced:
                break
        excluded: tuple[str, ...] = ()
        if flags:
            hits = []
            for eid, flag, cmp, p, q in self.exclusions:
                v = flags.get(flag)
                if type(v) is int or type(v) is bool:
                    if cmp(v * q, p):
                        hits.append(eid)
                    continue
                if v is None:  # flag not given: the rule does not apply
                    continue
                f = parse_exact(v)
                if f is not None and cmp(f.numerator * q, p * f.denominator):
                    hits.append(eid)
            excluded = tuple(hits)
        return SheetScore(self.name, points, total, label, computed, forced, excluded, tuple(results), sources,
                          class_source, months)

    def classify(self, total: int) -> str:
        for lo, label in self.scale:
            if total >= lo:
                return label
        return self.scale[-1][1]

    def mean(self, monthly: Mapping[str, Inputs], manual: Mapping[str, Any], flags: Mapping[str, Any]) -> SheetScore:
        """The mean of the monthly scores: each criterion's points averaged over the months
        (rounded half up to tenths), the total their sum, the class from that total."""
        months = tuple(sorted(monthly))
        scores = [self.score(monthly[m], manual, flags, (m,)) for m in months]
        n = len(scores)
        per = [tuple((m, s.points[i]) for m, s in zip(months, scores, strict=True)) for i in range(len(self.criteria))]
        points = tuple(round_half_up(sum(p for _, p in row), n) for row in per)
        total = sum(points)
        label = self.classify(total)
        sources = tuple(src.pop() if len(src := {s.sources[i] for s in scores}) == 1 else "mixed"
                        for i in range(len(points)))
        details = tuple((p, MEAN_OF_MONTHS, row) for p, row in zip(points, per, strict=True))
        return SheetScore(self.name, points, total, label, label, None, scores[0].excluded, details, sources,
                          CLASS_POINTS, months)


class CompiledSet:
    """A criteria set compiled to closures, one scorer per unit kind."""

    def __init__(self, cset: CriteriaSet) -> None:
        self.cset = cset
        self.kinds = {name: _Kind(cset, name) for name in cset.unit_kinds}

    def score(
        self,
        kind: str,
        inputs: Inputs,
        manual: Mapping[str, Any] | None = None,
        flags: Mapping[str, Any] | None = None,
        month: str | None = None,
    ) -> SheetScore:
        """Score one sheet (``month``: when its bank figures are from); raise KeyError only
        for an unknown unit kind."""
        return self.kinds[kind].score(inputs, manual or {}, flags or {}, (month,) if month else ())

    def score_months(
        self,
        kind: str,
        monthly: Mapping[str, Inputs],
        manual: Mapping[str, Any] | None = None,
        flags: Mapping[str, Any] | None = None,
    ) -> SheetScore:
        """Score a period fed by the mean of months: ``monthly`` maps YYYY-MM to the complete
        inputs of that month (one month scores as that month). ValueError if empty."""
        if not monthly:
            raise ValueError("no month to score")
        if len(monthly) == 1:
            ((month, inputs),) = monthly.items()
            return self.score(kind, inputs, manual, flags, month)
        return self.kinds[kind].mean(monthly, manual or {}, flags or {})


_CACHE: dict[int, CompiledSet] = {}


def compile_set(cset: CriteriaSet) -> CompiledSet:
    """Compile (and cache for the life of ``cset``) a criteria set."""
    hit = _CACHE.get(id(cset))
    if hit is None or hit.cset is not cset:
        hit = _CACHE[id(cset)] = CompiledSet(cset)
    return hit


def score_sheet(
    cset: CriteriaSet,
    unit_kind: str,
    inputs: Inputs,
    manual: Mapping[str, Any] | None = None,
    flags: Mapping[str, Any] | None = None,
    month: str | None = None,
) -> SheetScore:
    """Points per criterion -> total -> classification for one sheet. Never raises for bad
    or missing inputs (those criteria score 0, see ``details``); KeyError for unknown kind."""
    return compile_set(cset).score(unit_kind, inputs, manual, flags, month)
