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
from collections.abc import Callable, Iterable, Iterator, Mapping
from operator import itemgetter
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
        """Score every sheet and build all rankings from scratch (a unit given twice: the
        last sheet counts).

        The cyclic garbage collector is paused meanwhile (the build allocates only acyclic
        objects, and collections over a growing heap would dominate the time), then every
        object alive is frozen (``gc.freeze``): later collections, and so ``update`` calls,
        skip the board instead of walking its millions of tuples (one full collection of a
        national board costs about as much as ranking it). The board's objects are acyclic,
        so reference counting still frees them when they are replaced."""
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._load(sheets)
        finally:
            gc.freeze()
            if was_enabled:
                gc.enable()

    def _load(self, sheets: Iterable[SheetInput]) -> None:
        self._sheets, self._scores = {}, {}
        for sheet in sheets:
            self._sheets[sheet.unit] = sheet
            self._scores[sheet.unit] = self._score(sheet)
        self._members, self._keys = defaultdict(set), defaultdict(list)
        odd = _index(self._types, self._sheets.values(), self._scores.values(), self._members, self._keys)
        for sheet in odd:  # sheets without some scope type: one by one
            score = self._scores[sheet.unit]
            for scope in self._scopes(sheet):
                self._members[scope].add(sheet.unit)
                if not score.excluded:
                    self._keys[scope].append(-rank_key(score))
        for keys in self._keys.values():
            keys.sort()  # runs already sorted per commune: merged, not sorted again

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


def _index(
    types: tuple[str, ...], sheets: Iterable[SheetInput], scores: Iterable[SheetScore],
    members: dict[ScopeKey, set[str]], keys: dict[ScopeKey, list[int]],
) -> list[SheetInput]:
    """Fill ``members`` and (unsorted) ``keys`` of every scope from parallel ``sheets`` and
    ``scores``; return the sheets lacking one of ``types``, left to the caller.

    Units are grouped once by (kind, every scope id): a commune's units share their
    office and province, so the groups are about as many as communes, and each scope's
    lists are joined from whole groups. Rank keys are computed once per distinct
    (total, points), which are few: points come from bands."""
    get = _ids_getter(types)
    groups: dict[tuple[str, tuple[str, ...]], tuple[list[str], list[int]]] = {}
    memo: dict[tuple[int, tuple[int, ...]], int] = {}
    odd = []
    for sheet, score in zip(sheets, scores, strict=True):
        try:
            group = (sheet.kind, get(sheet.scopes))
        except KeyError:
            odd.append(sheet)
            continue
        found = groups.get(group)
        if found is None:
            found = groups[group] = ([], [])
        found[0].append(sheet.unit)
        if not score.excluded:
            tp = (score.total, score.points)
            key = memo.get(tp)
            if key is None:
                key = memo[tp] = -rank_key(score)
            found[1].append(key)
    for (kind, ids), (units, ranked) in groups.items():
        ranked.sort()
        for st, sid in zip(types, ids, strict=True):
            members[(kind, st, sid)].update(units)
            keys[(kind, st, sid)] += ranked
    return odd


def _ids_getter(types: tuple[str, ...]) -> Callable[[Mapping[str, str]], tuple[str, ...]]:
    """A sheet's scope ids in ``types`` order (KeyError if one is missing), at C speed."""
    if len(types) == 1:
        only = types[0]
        return lambda scopes: (scopes[only],)
    return itemgetter(*types) if types else lambda scopes: ()
