"""Load and validate a criteria set (YAML) into a typed ``CriteriaSet``.

Shape errors come from msgspec; cross-field rules (known inputs, points within max, band
coverage, declared totals, known scales and classes) are checked here. Every failure is a
``CriteriaError`` whose message names the file, the line and the criterion id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import msgspec
import yaml

from scoring.bands import BandIssue, check_bands
from scoring.criteria_schema import CriteriaSetFile, Criterion, Measure, Part, Rule, Scale, UnitKind
from scoring.numbers import parse_exact, to_tenths

__all__ = [
    "CRITERIA_DIR",
    "CriteriaError",
    "CriteriaSet",
    "load_criteria",
    "load_shipped",
    "loads_criteria",
    "measure_inputs",
    "measure_signed",
    "to_json",
]

CriteriaSet = CriteriaSetFile
CRITERIA_DIR = Path(__file__).parent / "criteria"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
PathT = tuple[str | int, ...]


class CriteriaError(ValueError):
    """A criteria file that cannot be used. ``str()`` = "file:line: criterion ID: reason"."""

    def __init__(self, file: str, line: int, criterion: str | None, reason: str) -> None:
        self.file, self.line, self.criterion, self.reason = file, line, criterion, reason
        where = f"criterion {criterion}" if criterion else "criteria set"
        super().__init__(f"{file}:{line}: {where}: {reason}")


class _Invalid(Exception):
    def __init__(self, path: PathT, reason: str) -> None:
        super().__init__(reason)
        self.path, self.reason = path, reason


# --------------------------------------------------------------------------- YAML positions


def _child(node: Any, key: str | int) -> tuple[Any, int] | None:
    """The child node at ``key`` and the 1-based line where it is named."""
    if isinstance(node, yaml.MappingNode) and isinstance(key, str):
        for k, v in node.value:
            if k.value == key:
                return v, k.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        item = node.value[key]
        return item, item.start_mark.line + 1
    return None


def _locate(root: Any, path: PathT) -> tuple[int, str | None]:
    """Deepest line reachable along ``path`` and the id of the criterion on the way."""
    node, line, crit = root, (root.start_mark.line + 1 if root is not None else 1), None
    for i, key in enumerate(path):
        found = _child(node, key)
        if found is None:
            break
        node, line = found
        if isinstance(key, int) and i and path[i - 1] == "criteria":
            id_node = _child(node, "id")
            if id_node is not None and isinstance(id_node[0], yaml.ScalarNode):
                crit = str(id_node[0].value)
    return line, crit


_PATH_RE = re.compile(r"at `\$(.*)`")
_STEP_RE = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _msgspec_path(message: str) -> PathT:
    m = _PATH_RE.search(message)
    steps: list[str | int] = []
    if m:
        for name, index in _STEP_RE.findall(m.group(1)):
            steps.append(name if name else int(index))
    unknown = re.search(r"unknown field `([^`]+)`", message)
    if unknown:
        steps.append(unknown.group(1))
    return tuple(steps)


# --------------------------------------------------------------------------- validation


def measure_inputs(measure: Measure) -> Iterator[tuple[str, str]]:
    """(field, input name) pairs a measure reads."""
    if measure.ratio is not None:
        yield "num", measure.ratio.num
        yield "den", measure.ratio.den
    if measure.difference_ratio is not None:
        d = measure.difference_ratio
        yield "plus", d.plus
        yield "minus", d.minus
        yield "den", d.den
    if measure.value is not None:
        yield "value", measure.value


def measure_signed(measure: Measure, inputs: dict[str, Any]) -> bool:
    """True when the measure may be negative (a difference, or a signed input)."""
    return measure.difference_ratio is not None or any(
        inputs[name].signed for _, name in measure_inputs(measure) if name in inputs
    )


def _check_measure(measure: Measure, inputs: dict[str, Any], path: PathT) -> None:
    kinds = [k for k in (measure.ratio, measure.difference_ratio, measure.value) if k is not None]
    if len(kinds) != 1:
        raise _Invalid(path, "a measure needs exactly one of ratio, difference_ratio, value")
    inner = "ratio" if measure.ratio else "difference_ratio" if measure.difference_ratio else None
    for field, name in measure_inputs(measure):
        if name not in inputs:
            where = (*path, inner, field) if inner else (*path, field)
            raise _Invalid(where, f"unknown input {name!r} (declare it under inputs)")
    ratio = measure.ratio or measure.difference_ratio
    if ratio is not None and ratio.if_den_zero != "skip" and parse_exact(ratio.if_den_zero) is None:
        raise _Invalid((*path, inner or "", "if_den_zero"), f"if_den_zero must be 'skip' or a number, not {ratio.if_den_zero!r}")


def _tenths(value: Any, path: PathT) -> int:
    try:
        return to_tenths(value)
    except ValueError as exc:
        raise _Invalid(path, f"points must be multiples of 0.1 ({exc})") from None


def _check_rule(
    rule: Rule, measure: Measure | None, max_t: int, inputs: dict[str, Any], path: PathT, in_sum: bool
) -> None:
    kinds = [n for n in ("bands", "linear", "manual", "sum", "per_item") if getattr(rule, n) is not None]
    if len(kinds) != 1:
        raise _Invalid(path, "a rule needs exactly one of bands, linear, manual, sum, per_item")
    kind = kinds[0]
    if in_sum and kind in ("sum", "manual"):
        raise _Invalid((*path, kind), f"a part of a sum cannot be a {kind} rule")
    needs_measure = kind in ("bands", "linear")
    if needs_measure and measure is None:
        raise _Invalid(path, f"a {kind} rule needs a measure")
    if not needs_measure and measure is not None:
        raise _Invalid(path, f"a {kind} rule takes no measure")
    if rule.bands is not None:
        for i, band in enumerate(rule.bands):
            pts = _tenths(band.points, (*path, "bands", i, "points"))
            if not 0 <= pts <= max_t:
                raise _Invalid((*path, "bands", i, "points"), f"band {i + 1} gives {band.points} points, above max {Fraction(max_t, 10)} (or below 0)")
        assert measure is not None
        lower = None if measure_signed(measure, inputs) else Fraction(0)
        try:
            check_bands([(b.op, Fraction(b.value)) for b in rule.bands], lower)
        except BandIssue as issue:
            where = (*path, "bands") if issue.band is None else (*path, "bands", issue.band)
            raise _Invalid(where, issue.message) from None
    if rule.linear is not None and rule.linear.full_at <= 0:
        raise _Invalid((*path, "linear", "full_at"), "full_at must be > 0")
    if rule.per_item is not None:
        if rule.per_item.input not in inputs:
            raise _Invalid((*path, "per_item", "input"), f"unknown input {rule.per_item.input!r}")
        _tenths(rule.per_item.points, (*path, "per_item", "points"))
        base = _tenths(rule.per_item.base, (*path, "per_item", "base"))
        if not 0 <= base <= max_t:
            raise _Invalid((*path, "per_item", "base"), "base must lie within 0..max_points")
    if rule.sum is not None:
        total = 0
        for i, part in enumerate(rule.sum):
            total += _check_part(part, inputs, (*path, "sum", i))
        if total != max_t:
            raise _Invalid((*path, "sum"), f"parts add up to {Fraction(total, 10)}, not max_points {Fraction(max_t, 10)}")


def _check_part(part: Part | Criterion, inputs: dict[str, Any], path: PathT) -> int:
    max_t = _tenths(part.max_points, (*path, "max_points"))
    if max_t <= 0:
        raise _Invalid((*path, "max_points"), "max_points must be > 0")
    if part.measure is not None:
        _check_measure(part.measure, inputs, (*path, "measure"))
    if part.require is not None and part.require.input not in inputs:
        raise _Invalid((*path, "require", "input"), f"unknown input {part.require.input!r}")
    _check_rule(part.rule, part.measure, max_t, inputs, (*path, "rule"), isinstance(part, Part))
    return max_t


def _check_kind(cset: CriteriaSetFile, name: str, kind: UnitKind) -> None:
    path: PathT = ("unit_kinds", name)
    if kind.scale not in cset.classification_scales:
        raise _Invalid((*path, "scale"), f"unknown scale {kind.scale!r}")
    seen: set[str] = set()
    total = 0
    for i, crit in enumerate(kind.criteria):
        cpath = (*path, "criteria", i)
        if crit.id in seen:
            raise _Invalid((*cpath, "id"), f"duplicate criterion id {crit.id!r}")
        seen.add(crit.id)
        total += _check_part(crit, kind.inputs, cpath)
        if crit.deduct_per_item is not None:
            if crit.deduct_per_item.input not in kind.inputs:
                raise _Invalid((*cpath, "deduct_per_item", "input"), f"unknown input {crit.deduct_per_item.input!r}")
            _tenths(crit.deduct_per_item.points, (*cpath, "deduct_per_item", "points"))
    declared = _tenths(kind.total_max, (*path, "total_max"))
    if declared >= 1 << 20:
        raise _Invalid((*path, "total_max"), "total_max must stay below 104857.6 (ranking keys)")
    if total != declared:
        raise _Invalid((*path, "total_max"), f"criteria add up to {Fraction(total, 10)}, declared total_max is {kind.total_max}")
    labels = {b.label_vi for b in cset.classification_scales[kind.scale].bands}
    by_id = {c.id: (i, c) for i, c in enumerate(kind.criteria)}
    for o, ov in enumerate(kind.overrides):
        opath = (*path, "overrides", o)
        if ov.force_class not in labels:
            raise _Invalid((*opath, "force_class"), f"unknown class {ov.force_class!r} in scale {kind.scale!r}")
        for w, cond in enumerate(ov.when_any):
            if cond.criterion not in by_id or by_id[cond.criterion][1].measure is None:
                raise _Invalid((*opath, "when_any", w, "criterion"), f"override refers to {cond.criterion!r}, not a measured criterion")
    if kind.class_export is not None:
        if kind.class_export.input in kind.inputs:
            raise _Invalid((*path, "class_export", "input"), "the bank's class is a label, not a numeric input")
        for alias, label in kind.class_export.aliases.items():
            if label not in labels:
                raise _Invalid((*path, "class_export", "aliases", alias), f"alias {alias!r} names unknown class {label!r}")


def _check_scales(cset: CriteriaSetFile) -> None:
    for name, scale in cset.classification_scales.items():
        mins = [Fraction(b.min) for b in scale.bands]
        if not mins or any(a <= b for a, b in zip(mins, mins[1:], strict=False)) or mins[-1] != 0:
            raise _Invalid(("classification_scales", name, "bands"), "scale bands need strictly decreasing min ending at 0")
        for i, band in enumerate(scale.bands):
            _tenths(band.min, ("classification_scales", name, "bands", i, "min"))


def _check_awards(cset: CriteriaSetFile) -> None:
    for a, award in enumerate(cset.awards):
        path: PathT = ("awards", a)
        q = award.quota
        for scope, where in ((q.scope, "quota"), (q.per_scopes.scope if q.per_scopes else None, "per_scopes")):
            if scope is not None and scope not in cset.ranking_scopes:
                raise _Invalid((*path, "quota"), f"{where} scope {scope!r} is not a ranking scope")
        if (q.max_share is None) == (q.per_scopes is None):
            raise _Invalid((*path, "quota"), "quota needs exactly one of max_share, per_scopes")
        if q.max_share is not None and not 0 < q.max_share <= 1:
            raise _Invalid((*path, "quota", "max_share"), "max_share must lie in (0, 1]")
        for kind in award.unit_kinds:
            if kind not in cset.unit_kinds:
                raise _Invalid((*path, "unit_kinds"), f"unknown unit kind {kind!r}")
            scale = cset.classification_scales[cset.unit_kinds[kind].scale]
            if not {b.label_vi for b in scale.bands} & set(award.eligible_classes):
                raise _Invalid((*path, "eligible_classes"), f"no eligible class exists in the scale of {kind!r}")
        known = {b.label_vi for s in cset.classification_scales.values() for b in s.bands}
        for label in award.eligible_classes:
            if label not in known:
                raise _Invalid((*path, "eligible_classes"), f"unknown class {label!r}")
        for flag, carried in award.carried_flags.items():
            if flag not in award.requires_any_flag:
                raise _Invalid((*path, "carried_flags", flag), f"{flag!r} is not one of requires_any_flag")
            if carried.years < 1 or not set(carried.classes) <= known:
                raise _Invalid((*path, "carried_flags", flag), "years must be >= 1 and every class known")
        rule = cset.award_principles.thematic_not_basis
        if rule is not None and rule.enabled and award.higher_merit:
            bad = sorted(set(award.requires_any_flag) & set(rule.thematic_flags))
            if bad:
                raise _Invalid((*path, "requires_any_flag"), f"thematic reward {bad[0]!r} cannot be the basis of a higher merit award ({rule.article})")
    tie = cset.award_principles.tie_prefers_women
    if tie is not None and not 0 < tie.collective_min_share <= 1:
        raise _Invalid(("award_principles", "tie_prefers_women", "collective_min_share"), "collective_min_share must lie in (0, 1]")


def _validate(cset: CriteriaSetFile) -> None:
    _check_scales(cset)
    for name, kind in cset.unit_kinds.items():
        _check_kind(cset, name, kind)
    _check_awards(cset)


# --------------------------------------------------------------------------- public API


def _convert(data: Any, typ: type, prefix: PathT) -> Any:
    try:
        return msgspec.convert(data, typ)
    except msgspec.ValidationError as exc:
        path = (*prefix, *_msgspec_path(str(exc)))
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        reason = _PATH_RE.sub("", str(exc)).rstrip(" -")
        raise _Invalid(path, f"{reason} (at {where})" if where else reason) from None


def _decode(data: Any) -> CriteriaSetFile:
    """Convert parsed YAML; mapping entries first one by one so errors name their key."""
    if isinstance(data, dict):
        for field, typ in (("classification_scales", Scale), ("unit_kinds", UnitKind)):
            if isinstance(data.get(field), dict):
                for name, item in data[field].items():
                    _convert(item, typ, (field, str(name)))
    return _convert(data, CriteriaSetFile, ())


def loads_criteria(text: str, file: str = "<string>") -> CriteriaSet:
    """Decode and validate criteria-set YAML text; raise CriteriaError."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise CriteriaError(file, (mark.line + 1) if mark else 1, None, f"YAML syntax: {exc.problem}") from None
    try:
        cset = _decode(yaml.load(text, Loader=_LOADER))
        _validate(cset)
    except _Invalid as exc:
        line, crit = _locate(root, exc.path)
        raise CriteriaError(file, line, crit, exc.reason) from None
    return cset


def load_criteria(path: str | Path) -> CriteriaSet:
    """Load one criteria-set file; raise CriteriaError (or OSError if unreadable)."""
    p = Path(path)
    return loads_criteria(p.read_text(encoding="utf-8"), str(p))


def load_shipped(version: str = "vbsp-2026") -> CriteriaSet:
    """A criteria set shipped in ``scoring/criteria/<version>.yaml``."""
    return load_criteria(CRITERIA_DIR / f"{version}.yaml")


def to_json(cset: CriteriaSet) -> bytes:
    """Canonical JSON rendering (decimals as strings) read by the PWA evaluator."""
    return msgspec.json.format(msgspec.json.encode(cset), indent=1) + b"\n"


def main(argv: list[str] | None = None) -> None:
    """``python -m scoring.criteria`` writes pwa/criteria/<version>.json for every shipped set."""
    out_dir = Path(__file__).resolve().parent.parent / "pwa" / "criteria"
    out_dir.mkdir(parents=True, exist_ok=True)
    for src in sorted(CRITERIA_DIR.glob("*.yaml")):
        cset = load_criteria(src)
        target = out_dir / f"{cset.version}.json"
        target.write_bytes(to_json(cset))
        print(f"{src} -> {target}")


if __name__ == "__main__":
    main()
