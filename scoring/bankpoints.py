"""Bank-export points: a criterion with ``code_export`` (e.g. ``diem_nqh``) whose key is in a
sheet's inputs takes VBSP's own points from the CDTOTKVV export instead of its formula, even
when the raw inputs are present too (VBSP's automatic scoring is authoritative). A value that
is not a number, outside 0..max_points or not a multiple of 0.1 scores 0 with its reason;
the formula is then not used either. The formula is the fallback when the key is absent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from scoring.criteria import measure_inputs
from scoring.criteria_schema import Criterion
from scoring.numbers import parse_exact, to_tenths

__all__ = [
    "BANK_NOT_NUMBER",
    "BANK_NOT_TENTHS",
    "BANK_OUT_OF_RANGE",
    "BANK_POINTS",
    "BANK_STATUSES",
    "SOURCE_BANK",
    "SOURCE_FORMULA",
    "SOURCE_MANUAL",
    "bank_points",
    "bank_result",
    "criterion_source",
    "with_bank",
]

# Result statuses after the engine's OK..GATE_FAILED (0..6).
BANK_POINTS, BANK_NOT_NUMBER, BANK_OUT_OF_RANGE, BANK_NOT_TENTHS = range(7, 11)
BANK_STATUSES = frozenset((BANK_POINTS, BANK_NOT_NUMBER, BANK_OUT_OF_RANGE, BANK_NOT_TENTHS))
SOURCE_BANK, SOURCE_FORMULA, SOURCE_MANUAL = "bank_export_points", "formula", "manual"

Inputs = Mapping[str, Any]
Result = tuple[int, int, Any]


def bank_points(raw: Any, max_t: int) -> tuple[int, int]:
    """(points in tenths, status) for a bank-export points value: BANK_POINTS when it is a
    number in 0..max and a multiple of 0.1, else 0 and the BANK_* reason."""
    if type(raw) is int:
        return (raw * 10, BANK_POINTS) if 0 <= raw * 10 <= max_t else (0, BANK_OUT_OF_RANGE)
    f = parse_exact(raw)
    if f is None:
        return 0, BANK_NOT_NUMBER
    if not 0 <= f * 10 <= max_t:
        return 0, BANK_OUT_OF_RANGE
    if (f * 10).denominator != 1:
        return 0, BANK_NOT_TENTHS
    return int(f * 10), BANK_POINTS


def bank_result(c: Criterion) -> Callable[[Any, Inputs], Result]:
    """(raw value, inputs) -> the criterion's result from bank-export points. Detail: (export
    code, raw value, whether the formula's own inputs were all present too)."""
    code, max_t = c.code_export, to_tenths(c.max_points)
    raw_names = tuple(n for _, n in measure_inputs(c.measure)) if c.measure is not None else ()

    def result(raw: Any, inputs: Inputs) -> Result:
        if type(raw) is int and 0 <= raw * 10 <= max_t:
            pts, status = raw * 10, BANK_POINTS
        else:
            pts, status = bank_points(raw, max_t)
        for name in raw_names:
            if inputs.get(name) is None:
                return pts, status, (code, raw, False)
        return pts, status, (code, raw, True)

    return result


def with_bank(c: Criterion) -> Callable[[Inputs], Result | None] | None:
    """A fast path that only takes bank-export points, for criteria without another one: None
    (fall back to the formula) when ``code_export`` is absent from the inputs."""
    code = c.code_export
    if code is None:
        return None
    result = bank_result(c)

    def bank(inputs: Inputs) -> Result | None:
        raw = inputs.get(code)
        return None if raw is None else result(raw, inputs)

    return bank


def criterion_source(c: Criterion, status: int) -> str:
    """Where a criterion's points come from, given its result status."""
    if status in BANK_STATUSES:
        return SOURCE_BANK
    return SOURCE_MANUAL if c.rule.manual is not None else SOURCE_FORMULA
