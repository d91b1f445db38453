"""Rankings per scope and unit kind, with year-over-year against the previous campaign.

Order and ties are `scoring.ranking`'s (total, then each criterion in the criteria set's
order; equal keys share a rank: 1, 2, 2, 4), read from `result_sheet.rank_key` in SQL.
Scope types: `commune`, `pgd`, `province`, and `national` (every unit of the kind).
Excluded units (exclusion rules) are listed after the ranked ones without a rank.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import msgspec
from sqlalchemy import Engine

from server.results.read import SCOPE_COLUMNS
from server.territory import Directory

from .query import Filters, UnitRow, unit_rows

__all__ = ["SCOPE_TYPES", "RankRow", "number", "previous_campaign", "rank_rows", "scoped"]

SCOPE_TYPES = (*SCOPE_COLUMNS, "national")


class RankRow(msgspec.Struct, frozen=True, kw_only=True):
    """A unit's place; `rank` None when excluded; `previous_*` from the previous campaign."""

    rank: int | None
    row: UnitRow
    previous_rank: int | None = None
    previous_total: int | None = None


def number(rows: Iterable[UnitRow]) -> Iterator[tuple[int | None, UnitRow]]:
    """Standard competition ranks of rows sorted by rank key (excluded rows get None and
    are yielded at the end, by unit)."""
    rank, previous, position = 0, None, 0
    excluded = []
    for row in rows:
        if row.excluded:
            excluded.append(row)
            continue
        position += 1
        if row.rank_key != previous:
            rank, previous = position, row.rank_key
        yield rank, row
    for row in sorted(excluded, key=lambda r: r.unit):
        yield None, row


def previous_campaign(directory: Directory, campaign: str) -> str | None:
    """The campaign of the year before `campaign`'s, if the directory has one."""
    info = directory.campaigns.get(campaign)
    if info is None or not info.year:
        return None
    before = [cid for cid, c in directory.campaigns.items() if c.year == info.year - 1]
    return min(before) if before else None


def scoped(f: Filters, scope_type: str, scope_id: str | None) -> Filters:
    if scope_type not in SCOPE_TYPES:
        raise ValueError(f"unknown scope {scope_type!r} (known: {', '.join(SCOPE_TYPES)})")
    if scope_type != "national" and not scope_id:
        raise ValueError(f"scope {scope_type!r} needs a scope id")
    field = {"commune": "commune", "pgd": "office", "province": "province"}.get(scope_type)
    return msgspec.structs.replace(f, **{field: scope_id}) if field else f


def _previous(engine: Engine, directory: Directory, f: Filters, scope_type: str,
              scope_id: str | None) -> dict[str, tuple[int | None, int]]:
    prev = previous_campaign(directory, f.campaign)
    if prev is None:
        return {}
    periods = directory.campaigns[prev].periods
    pf = scoped(msgspec.structs.replace(f, campaign=prev, period=max(periods, default=None)),
                scope_type, scope_id)
    return {row.unit: (rank, row.total) for rank, row in number(unit_rows(engine, directory, pf))}


def rank_rows(engine: Engine, directory: Directory, f: Filters, scope_type: str,
              scope_id: str | None = None, *, offset: int = 0,
              limit: int | None = None) -> Iterator[RankRow]:
    """The ranking of kind `f.unit_kind` in one scope (`f`'s other filters apply too).

    :raises ValueError: unknown scope type, or a scope without its id, or no unit kind.
    """
    if f.unit_kind is None:
        raise ValueError("a ranking is per unit kind: give unit_kind")
    within = scoped(f, scope_type, scope_id)
    before = _previous(engine, directory, f, scope_type, scope_id)
    for i, (rank, row) in enumerate(number(unit_rows(engine, directory, within))):
        if i < offset:
            continue
        if limit is not None and i >= offset + limit:
            break
        prev_rank, prev_total = before.get(row.unit, (None, None))
        yield RankRow(rank=rank, row=row, previous_rank=prev_rank, previous_total=prev_total)
