"""Award proposals: classes, flags, quotas (floor), ties at the cutoff, exclusions, order."""

from __future__ import annotations

import random

from scoring.awards import propose_awards
from scoring.criteria import load_shipped
from scoring.engine import SheetScore
from scoring.ranking import ScoredUnit

CSET = load_shipped()


def su(code: str, total: int, cls: str = "Tốt", kind: str = "savings_group", commune: str = "X1",
       excluded: tuple[str, ...] = (), flags: dict[str, object] | None = None, pgd: str = "P1") -> ScoredUnit:
    score = SheetScore(kind, (total,), total, cls, cls, None, excluded, ())
    return ScoredUnit(code, kind, {"commune": commune, "pgd": pgd, "province": "T"}, score, flags or {})


def ids(result: object, award: str) -> list[str]:
    return [p.unit for p in result.proposals if p.award == award]  # type: ignore[attr-defined]


def test_giay_khen_quota_is_twenty_percent_rounded_down() -> None:
    units = [su(f"G{i:02d}", 1000 - i) for i in range(14)]  # 14 ranked -> quota 2
    r = propose_awards(CSET, units)
    assert ids(r, "GK-XA") == ["G00", "G01"]
    use = next(q for q in r.quotas if q.award == "GK-XA" and q.kind == "savings_group")
    assert (use.ranked, use.quota, use.used) == (14, 2, 2)
    assert ids(propose_awards(CSET, units[:4]), "GK-XA") == []  # 20% of 4 = 0


def test_only_eligible_classes() -> None:
    units = [su("A", 890, "Khá")] + [su(f"B{i}", 850 - i, "Khá") for i in range(9)]
    assert ids(propose_awards(CSET, units), "GK-XA") == []


def test_tie_at_the_cutoff_is_left_to_the_council() -> None:
    units = [su("A", 990), su("B", 950), su("C", 950)] + [su(f"D{i}", 900 - i) for i in range(7)]  # quota 2
    r = propose_awards(CSET, units)
    assert ids(r, "GK-XA") == ["A"]
    tied = [n for n in r.not_proposed if n.award == "GK-XA"]
    assert [n.unit for n in tied] == ["B", "C"] and "Đồng hạng 2" in tied[0].reason_vi


def test_excluded_units_are_not_proposed_but_listed() -> None:
    units = [su("A", 1000, excluded=("EX-VIPHAM",))] + [su(f"B{i}", 900 - i) for i in range(9)]
    r = propose_awards(CSET, units)
    assert ids(r, "GK-XA") == ["B0"]  # 9 ranked (A excluded): floor(1.8) = 1
    assert [n.unit for n in r.not_proposed if n.award is None] == ["A"]
    assert "vi phạm" in r.not_proposed[0].reason_vi


def test_bang_khen_one_per_ten_communes_with_required_flag() -> None:
    units = [su(f"H{i:02d}", 990 - i, "Xuất sắc", kind="hamlet_head", commune=f"X{i:02d}",
                flags={"xuat_sac_nam_truoc": i % 2 == 1}) for i in range(25)]
    r = propose_awards(CSET, units)
    assert ids(r, "BK-TINH") == ["H01", "H03"]  # 25 communes -> 2; only flagged units
    assert not set(ids(r, "BK-TINH")) & set(ids(r, "GK-XA"))  # one award per unit


def test_transaction_points_quota_per_pgd() -> None:
    units = [su(f"T{i}", 960 - i, "Xuất sắc", kind="transaction_point", pgd="P1" if i < 5 else "P2") for i in range(15)]
    r = propose_awards(CSET, units)
    assert ids(r, "GK-PGD") == ["T0", "T5", "T6"]  # P1: 5 -> 1, P2: 10 -> 2


def test_deterministic_whatever_the_input_order() -> None:
    units = [su(f"G{i:02d}", random.Random(i).choice([900, 950, 1000]), commune=f"X{i % 3}") for i in range(60)]
    first = propose_awards(CSET, units)
    shuffled = list(units)
    random.Random(3).shuffle(shuffled)
    assert propose_awards(CSET, shuffled) == first


def test_demo_province_end_to_end() -> None:
    """Demo sheets -> scoreboard -> awards: quotas hold and excluded units are never proposed."""
    from scoring.adapt import sheet_input
    from scoring.demo import generate_province
    from scoring.demo_sheets import generate_sheets
    from scoring.incremental import Scoreboard

    demo = generate_province(3, "province")
    communes = {c.code: c for c in demo.communes}
    units = {u.unit_id: u for u in demo.units()}
    sheets = [sheet_input(s, units[s.unit_id], communes[s.commune_code]) for s in generate_sheets(demo)]
    board = Scoreboard(CSET)
    board.load(sheets)
    result = propose_awards(CSET, board.scored_units())
    assert result.proposals
    assert all(q.used <= q.quota for q in result.quotas)
    excluded = {u.unit for u in board.scored_units() if u.score.excluded}
    assert excluded and not excluded & {p.unit for p in result.proposals}
    assert len({p.unit for p in result.proposals}) == len(result.proposals)
