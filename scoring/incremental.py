"""Incremental scoreboard: current scores and rankings, updated one sheet at a time.

Each ranking scope (kind, scope type, scope id) keeps a sorted list of negated rank keys
(``ranking.rank_key``); a unit's rank is one plus the number of strictly better keys, found
by bisection. ``update`` rescores one sheet and moves its key in the lists of its own scopes
only: O(log n) search plus one list insert/delete per scope.
"""

from __future__ import annotations

import gc
from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import msgspec

from scoring.criteria import CriteriaSet
from scoring.engine import SheetScore, compile_set
from scoring.ranking import Ranking, ScoredUnit, rank_key, rank_scope

__all__ = ["RankMove", "Scoreboard", "SheetInput", "Update"]

ScopeKey = tuple[str, str, str]


class SheetInput(msgspec.Struct, frozen=True, kw_only=True):
    """What the engine needs of one sheet, independent of the document model."""

    unit: str
    kind: str
    scopes: Mapping[str, str]
    inputs: Mapping[str, Any]
    manual: Mapping[str, Any] = {}
    flags: Mapping[str, Any] = {}
    month: str | None = None  # YYYY-MM of the bank figures in ``inputs``
    monthly: Mapping[str, Mapping[str, Any]] = {}  # several months: scored as their mean


class RankMove(msgspec.Struct, frozen=True):
    """The unit's rank in one scope before and after (None: not ranked, e.g. excluded).
    Units of that scope ranked between the two positions shift by one place."""

    scope_type: str
    scope_id: str
    old_rank: int | None
    new_rank: int | None


class Update(msgspec.Struct, frozen=True):
    unit: str
    old: SheetScore | None
    new: SheetScore
    changed: bool
    moves: tuple[RankMove, ...]


class Scoreboard:
    """Scores and rankings of one criteria set, kept current as sheets change."""

    def __init__(self, cset: CriteriaSet, scope_types: Iterable[str] | None = None) -> None:
        self.cset = cset
        self._compiled = compile_set(cset)
        self._types = tuple(scope_types or cset.ranking_scopes)
        self._sheets: dict[str, SheetInput] = {}
        self._scores: dict[str, SheetScore] = {}
        self._keys: dict[ScopeKey, list[int]] = defaultdict(list)
        self._members: dict[ScopeKey, set[str]] = defaultdict(set)

    def _scopes(self, sheet: SheetInput) -> list[ScopeKey]:
        return [(sheet.kind, st, sheet.scopes[st]) for st in self._types if st in sheet.scopes]

    def _score(self, sheet: SheetInput) -> SheetScore:
        if sheet.monthly:
            return self._compiled.score_months(sheet.kind, sheet.monthly, sheet.manual, sheet.flags)
        return self._compiled.score(sheet.kind, sheet.inputs, sheet.manual, sheet.flags, sheet.month)

    def load(self, sheets: Iterable[SheetInput]) -> None:
        """Score every sheet and build all rankings from scratch.

        The cyclic garbage collector is paused meanwhile (the build allocates only acyclic
        objects, and collections over a growing heap would dominate the time); one full
        collection at the end ages the new objects so later ``update`` calls do not pay for
        the bulk allocation."""
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._load(sheets)
        finally:
            if was_enabled:
                gc.enable()
                gc.collect()

    def _load(self, sheets: Iterable[SheetInput]) -> None:
        self._sheets.clear()
        self._scores.clear()
        self._keys.clear()
        self._members.clear()
        for sheet in sheets:
            score = self._score(sheet)
            self._sheets[sheet.unit] = sheet
            self._scores[sheet.unit] = score
            key = None if score.excluded else -rank_key(score)
            for scope in self._scopes(sheet):
                self._members[scope].add(sheet.unit)
                if key is not None:
                    self._keys[scope].append(key)
        for keys in self._keys.values():
            keys.sort()

    def _rank_in(self, scope: ScopeKey, score: SheetScore) -> int | None:
        if score.excluded:
            return None
        return bisect_left(self._keys[scope], -rank_key(score)) + 1

    def update(self, sheet: SheetInput) -> Update:
        """Rescore one sheet (new or changed) and move it in its scopes' rankings."""
        old_sheet = self._sheets.get(sheet.unit)
        old = self._scores.get(sheet.unit)
        new = self._score(sheet)
        old_scopes = self._scopes(old_sheet) if old_sheet else []
        new_scopes = self._scopes(sheet)
        before = {s: self._rank_in(s, old) for s in old_scopes} if old else {}
        if old is not None and not old.excluded:
            k = -rank_key(old)
            for scope in old_scopes:
                keys = self._keys[scope]
                del keys[bisect_left(keys, k)]
        for scope in old_scopes:
            self._members[scope].discard(sheet.unit)
        k = -rank_key(new)
        for scope in new_scopes:
            self._members[scope].add(sheet.unit)
            if not new.excluded:
                insort(self._keys[scope], k)
        self._sheets[sheet.unit] = sheet
        self._scores[sheet.unit] = new
        moves = []
        for scope in dict.fromkeys(old_scopes + new_scopes):
            after = self._rank_in(scope, new) if scope in new_scopes else None
            moves.append(RankMove(scope[1], scope[2], before.get(scope), after))
        changed = old is None or old.points != new.points or old.classification != new.classification \
            or old.excluded != new.excluded or old_scopes != new_scopes
        return Update(sheet.unit, old, new, changed, tuple(moves))

    def score(self, unit: str) -> SheetScore:
        """Current score of ``unit``; KeyError if never loaded."""
        return self._scores[unit]

    def rank(self, unit: str, scope_type: str) -> int | None:
        """Rank of ``unit`` in its ``scope_type`` scope; None if excluded or not in one."""
        sheet = self._sheets[unit]
        if scope_type not in sheet.scopes:
            return None
        return self._rank_in((sheet.kind, scope_type, sheet.scopes[scope_type]), self._scores[unit])

    def scope_size(self, kind: str, scope_type: str, scope_id: str) -> int:
        """Number of ranked (non-excluded) units in one scope."""
        return len(self._keys.get((kind, scope_type, scope_id), ()))

    def scored_units(self) -> Iterator[ScoredUnit]:
        for unit, sheet in self._sheets.items():
            yield ScoredUnit(unit, sheet.kind, sheet.scopes, self._scores[unit], sheet.flags)

    def ranking(self, kind: str, scope_type: str, scope_id: str) -> Ranking:
        """The full ranking list of one scope (built on demand)."""
        members = self._members.get((kind, scope_type, scope_id), set())
        units = (
            ScoredUnit(u, kind, self._sheets[u].scopes, self._scores[u], self._sheets[u].flags)
            for u in members
        )
        return rank_scope(self.cset, kind, scope_type, scope_id, units)
