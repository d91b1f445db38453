"""Rankings: competition ranking, tie-breaks, exclusions; incremental == full recompute."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from scoring.criteria import load_shipped
from scoring.engine import SheetScore
from scoring.incremental import Scoreboard, SheetInput
from scoring.ranking import ScoredUnit, rank_scope, rankings

sys.path.insert(0, str(Path(__file__).parent))
from sheetgen import random_sheet  # noqa: E402

CSET = load_shipped()


def unit(code: str, points: tuple[int, ...], excluded: tuple[str, ...] = (), commune: str = "X1") -> ScoredUnit:
    score = SheetScore("savings_group", points, sum(points), "Tốt", "Tốt", None, excluded, ())
    return ScoredUnit(code, "savings_group", {"commune": commune, "pgd": "P1", "province": "T"}, score)


def test_standard_competition_ranking_and_tie_breaks() -> None:
    units = [
        unit("G5", (300, 200, 200, 150, 100, 50)),  # 100
        unit("G2", (250, 200, 200, 150, 100, 50)),  # 95, SG1 25
        unit("G9", (250, 200, 200, 150, 100, 50)),  # 95, identical -> tie
        unit("G1", (300, 150, 200, 150, 100, 50)),  # 95, SG1 30 beats 25: breaks the tie
        unit("G3", (200, 200, 200, 150, 100, 50)),  # 90
    ]
    r = rank_scope(CSET, "savings_group", "commune", "X1", units)
    assert [(e.unit, e.rank) for e in r.entries] == [("G5", 1), ("G1", 2), ("G2", 3), ("G9", 3), ("G3", 5)]


def test_plain_ties_share_rank_one_two_two_four() -> None:
    units = [unit("C", (300,)), unit("B", (200,)), unit("A", (200,)), unit("D", (100,))]
    r = rank_scope(CSET, "savings_group", "commune", "X1", units)
    assert [(e.unit, e.rank) for e in r.entries] == [("C", 1), ("A", 2), ("B", 2), ("D", 4)]


def test_excluded_units_are_listed_with_reason_not_ranked() -> None:
    units = [unit("A", (300,)), unit("B", (400,), excluded=("EX-THOIGIAN",)), unit("C", (100,))]
    r = rank_scope(CSET, "savings_group", "commune", "X1", units)
    assert [(e.unit, e.rank) for e in r.entries] == [("A", 1), ("C", 2)]
    assert [(e.unit, e.reasons) for e in r.excluded] == [("B", ("Hoạt động dưới 9 tháng trong năm",))]


def test_rankings_per_scope() -> None:
    units = [unit("A", (300,), commune="X1"), unit("B", (200,), commune="X2"), unit("C", (250,), commune="X2")]
    all_r = rankings(CSET, units)
    assert set(all_r) == {("savings_group", "commune", "X1"), ("savings_group", "commune", "X2"),
                          ("savings_group", "pgd", "P1"), ("savings_group", "province", "T")}
    assert [e.unit for e in all_r[("savings_group", "commune", "X2")].entries] == ["C", "B"]
    assert [e.rank for e in all_r[("savings_group", "province", "T")].entries] == [1, 2, 3]


def _sheet(rng: random.Random, i: int) -> SheetInput:
    kind = rng.choice(["savings_group", "transaction_point"])
    s = random_sheet(CSET, kind, rng)
    scopes = {"commune": f"X{rng.randint(1, 6)}", "pgd": f"P{rng.randint(1, 2)}", "province": "T"}
    return SheetInput(unit=f"U{i:04d}", kind=kind, scopes=scopes, inputs=s["inputs"], manual=s["manual"], flags=s["flags"])


def test_incremental_updates_equal_a_full_recompute() -> None:
    rng = random.Random(5)
    sheets = [_sheet(rng, i) for i in range(400)]
    board = Scoreboard(CSET)
    board.load(sheets)
    for step in range(300):
        i = rng.randrange(len(sheets) + 5)  # also brand-new units
        new = _sheet(rng, i)
        if i < len(sheets):
            sheets[i] = new
        else:
            sheets.append(new)
        upd = board.update(new)
        assert upd.new == board.score(new.unit)
        if step % 50 == 0:
            fresh = Scoreboard(CSET)
            fresh.load(sheets)
            for (kind, st, sid), expected in rankings(CSET, fresh.scored_units()).items():
                got = board.ranking(kind, st, sid)
                assert got == expected
                for e in expected.entries:
                    assert board.rank(e.unit, st) == e.rank
                for e in expected.excluded:
                    assert board.rank(e.unit, st) is None


def test_update_reports_rank_moves() -> None:
    board = Scoreboard(CSET)
    rng = random.Random(1)
    base = random_sheet(CSET, "savings_group", rng)
    mk = lambda code, overdue: SheetInput(  # noqa: E731
        unit=code, kind="savings_group", scopes={"commune": "X", "province": "T"},
        inputs={**base["inputs"], "du_no": 1000, "no_qua_han": overdue})
    board.load([mk("A", 0), mk("B", 10), mk("C", 50)])
    assert [board.rank(u, "commune") for u in "ABC"] == [1, 2, 3]
    upd = board.update(mk("C", 0))
    assert upd.changed and {(m.scope_type, m.old_rank, m.new_rank) for m in upd.moves} == {("commune", 3, 1), ("province", 3, 1)}
    assert [board.rank(u, "commune") for u in "ABC"] == [1, 3, 1]
    assert not board.update(mk("C", 0)).changed
