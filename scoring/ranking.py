"""Rankings per scope (commune, transaction office, province) and unit kind.

Order: total points descending, then each criterion's points in the criteria-set order
(descending). Units equal on all of these share a rank (standard competition ranking:
1, 2, 2, 4) and are listed by unit code. Excluded units (exclusion rules) are not ranked;
they are listed apart with the reasons.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from scoring.criteria import CriteriaSet
from scoring.engine import SheetScore

__all__ = [
    "ExcludedEntry",
    "RankedEntry",
    "Ranking",
    "ScoredUnit",
    "exclusion_reasons",
    "rank_key",
    "rank_scope",
    "rankings",
]

_SHIFT = 20  # bits per key field: points up to 104,857.5 per criterion/total


class ScoredUnit(msgspec.Struct, frozen=True):
    """A unit with its scopes ({"commune": …, "pgd": …, "province": …}), score and flags."""

    unit: str
    kind: str
    scopes: Mapping[str, str]
    score: SheetScore
    flags: Mapping[str, Any] = {}


class RankedEntry(msgspec.Struct, frozen=True):
    unit: str
    rank: int
    total: int  # tenths
    classification: str


class ExcludedEntry(msgspec.Struct, frozen=True):
    unit: str
    total: int
    classification: str
    reasons: tuple[str, ...]


class Ranking(msgspec.Struct, frozen=True):
    kind: str
    scope_type: str
    scope_id: str
    entries: tuple[RankedEntry, ...]
    excluded: tuple[ExcludedEntry, ...]


def rank_key(score: SheetScore) -> int:
    """One integer ordering scores: larger is better; equal keys tie."""
    key = score.total
    for p in score.points:
        key = (key << _SHIFT) | p
    return key


def exclusion_reasons(cset: CriteriaSet, score: SheetScore) -> tuple[str, ...]:
    texts = {e.id: e.reason_vi for e in cset.exclusions}
    return tuple(texts.get(e, e) for e in score.excluded)


def rank_scope(
    cset: CriteriaSet, kind: str, scope_type: str, scope_id: str, units: Iterable[ScoredUnit]
) -> Ranking:
    """Rank ``units`` (already restricted to one kind and scope)."""
    ranked: list[tuple[int, str, SheetScore]] = []
    excluded: list[ExcludedEntry] = []
    for u in units:
        if u.score.excluded:
            reasons = exclusion_reasons(cset, u.score)
            excluded.append(ExcludedEntry(u.unit, u.score.total, u.score.classification, reasons))
        else:
            ranked.append((-rank_key(u.score), u.unit, u.score))
    ranked.sort()
    entries = []
    rank, previous = 0, None
    for position, (key, unit, score) in enumerate(ranked, start=1):
        if key != previous:
            rank, previous = position, key
        entries.append(RankedEntry(unit, rank, score.total, score.classification))
    excluded.sort(key=lambda e: e.unit)
    return Ranking(kind, scope_type, scope_id, tuple(entries), tuple(excluded))


def rankings(
    cset: CriteriaSet, units: Iterable[ScoredUnit], scope_types: Iterable[str] | None = None
) -> dict[tuple[str, str, str], Ranking]:
    """Every ranking, keyed by (kind, scope_type, scope_id)."""
    types = tuple(scope_types or cset.ranking_scopes)
    groups: dict[tuple[str, str, str], list[ScoredUnit]] = defaultdict(list)
    for u in units:
        for st in types:
            sid = u.scopes.get(st)
            if sid is not None:
                groups[(u.kind, st, sid)].append(u)
    return {key: rank_scope(cset, *key, members) for key, members in sorted(groups.items())}
