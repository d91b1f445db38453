"""`Scoreboard.load` (the bulk build) against a full recompute and against the same sheets
given one by one to `update`: units given twice, sheets lacking a scope type, one scope
type only, excluded units, ties; and the garbage collector's state after a load."""

from __future__ import annotations

import gc
import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.criteria import load_shipped
from scoring.incremental import Scoreboard, SheetInput
from scoring.ranking import ScoredUnit, rankings

sys.path.insert(0, str(Path(__file__).parent))
from sheetgen import random_sheet  # noqa: E402

CSET = load_shipped()
TYPES = ("commune", "pgd", "province")


def _sheets(seed: int, count: int, units: int, full_scopes: bool) -> list[SheetInput]:
    """``count`` sheets of at most ``units`` distinct units (so some are given twice), drawn
    from few distinct inputs (so totals and points tie); scopes sometimes lack a type."""
    rng = random.Random(seed)
    pool = [random_sheet(CSET, kind, rng) for kind in ("savings_group", "transaction_point") for _ in range(4)]
    out = []
    for _ in range(count):
        s = rng.choice(pool)
        commune = rng.randint(1, 5)
        scopes = {"commune": f"X{commune}", "pgd": f"P{commune % 2}", "province": "T"}
        if not full_scopes and rng.random() < 0.3:
            del scopes[rng.choice(TYPES)]
        out.append(SheetInput(unit=f"U{rng.randrange(units)}", kind=s["kind"], scopes=scopes,
                              inputs=s["inputs"], manual=s["manual"], flags=s["flags"]))
    return out


def _assert_board_is(board: Scoreboard, sheets: list[SheetInput], types: tuple[str, ...]) -> None:
    last = {s.unit: s for s in sheets}  # a unit given twice: its last sheet counts
    assert {u.unit for u in board.scored_units()} == set(last)
    expected = rankings(CSET, board.scored_units(), types)
    assert expected == rankings(CSET, [  # the board's scores are those of the last sheets
        ScoredUnit(s.unit, s.kind, s.scopes, Scoreboard(CSET)._score(s), s.flags) for s in last.values()], types)
    for (kind, st_, sid), want in expected.items():
        assert board.ranking(kind, st_, sid) == want
        assert board.scope_size(kind, st_, sid) == len(want.entries)
        for e in want.entries:
            assert board.rank(e.unit, st_) == e.rank
        for x in want.excluded:
            assert board.rank(x.unit, st_) is None
    assert board.scope_size("savings_group", "commune", "nowhere") == 0


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, 120), st.integers(1, 80), st.booleans(),
       st.sampled_from([TYPES, ("commune",), ("province", "commune")]))
def test_load_equals_full_recompute_and_one_by_one_updates(
    seed: int, count: int, units: int, full_scopes: bool, types: tuple[str, ...]
) -> None:
    sheets = _sheets(seed, count, units, full_scopes)
    loaded = Scoreboard(CSET, types)
    loaded.load(sheets)
    _assert_board_is(loaded, sheets, types)
    one_by_one = Scoreboard(CSET, types)
    for s in sheets:
        one_by_one.update(s)
    _assert_board_is(one_by_one, sheets, types)
    rng = random.Random(seed)
    for s in rng.sample(sheets, min(10, len(sheets))):  # updates after a load move ranks alike
        moved = SheetInput(unit=s.unit, kind=s.kind, scopes=s.scopes, inputs={**s.inputs, "no_qua_han": 0},
                           manual=s.manual, flags=s.flags)
        assert loaded.update(moved).moves == one_by_one.update(moved).moves
        sheets.append(moved)
    _assert_board_is(loaded, sheets, types)


def test_a_second_load_replaces_the_first() -> None:
    board = Scoreboard(CSET)
    board.load(_sheets(1, 60, 40, False))
    again = _sheets(2, 30, 200, True)
    board.load(again)
    _assert_board_is(board, again, TYPES)


@pytest.mark.parametrize("enabled", [True, False])
def test_load_keeps_the_collector_state_and_freezes_the_board(enabled: bool) -> None:
    """After a load the board's objects are out of the collector's walks (frozen), and the
    collector is on again exactly when it was before."""
    board = Scoreboard(CSET)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        board.load(_sheets(3, 50, 50, True))
        assert gc.isenabled() is enabled
        frozen = gc.get_freeze_count()
        details = next(board.scored_units()).score.details
        assert gc.is_tracked(details) and frozen > 0
        assert all(o is not details for o in gc.get_objects())  # not in any generation
    finally:
        gc.unfreeze()
        (gc.enable if was else gc.disable)()
