"""Which months' bank figures feed a campaign period (VBSP scores groups monthly).

A period's `bank_months` rule (`scoring.campaign.MonthRule`) picks the latest month, a given
month, or the mean of months among those a sheet holds (`ScoreSheet.monthly`, and the
month of its `inputs`, `bank_month`). `sheet_months` returns each chosen month's complete
engine inputs: the sheet's own inputs overlaid with that month's bank figures and class.
"""

from __future__ import annotations

from typing import Any

from scoring.campaign import Period
from scoring.sheet import ScoreSheet

__all__ = ["BANK_CLASS_INPUT", "period_months", "sheet_months"]

#: Engine input carrying the bank's class (the criteria set's `class_export.input`).
BANK_CLASS_INPUT = "xep_loai"


def period_months(period: Period) -> tuple[str, ...]:
    """The months (YYYY-MM) that may feed ``period``: the rule's list, else every month
    from its start to its end."""
    if period.bank_months.months:
        return tuple(sorted(period.bank_months.months))
    year, month = int(period.start[:4]), int(period.start[5:7])
    end = period.end[:7]
    out = []
    while (current := f"{year:04d}-{month:02d}") <= end:
        out.append(current)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(out)


def _inputs(sheet: ScoreSheet, month: str) -> dict[str, Any]:
    if month in sheet.monthly:
        figures = sheet.monthly[month]
        inputs: dict[str, Any] = {**sheet.inputs, **figures.inputs}
        cls = figures.bank_class
    else:  # the month of `inputs` itself
        inputs, cls = dict(sheet.inputs), sheet.bank_class
    if cls is not None:
        inputs[BANK_CLASS_INPUT] = cls
    return inputs


def sheet_months(sheet: ScoreSheet, period: Period) -> dict[str, dict[str, Any]]:
    """{month: engine inputs} chosen by the period's rule; empty when the sheet names no
    month of the period (its inputs are then used as they are)."""
    allowed = set(period_months(period))
    held = {m for m in sheet.monthly if m in allowed}
    if sheet.bank_month in allowed:
        held.add(sheet.bank_month)  # type: ignore[arg-type]
    rule = period.bank_months
    if rule.how == "month":
        chosen = [rule.month] if rule.month in held else []
    elif rule.how == "latest":
        chosen = [max(held)] if held else []
    else:
        chosen = sorted(held)
    return {m: _inputs(sheet, m) for m in chosen if m is not None}
