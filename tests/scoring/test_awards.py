"""Award proposals: classes, flags, quotas (floor), ties at the cutoff, exclusions, order."""

from __future__ import annotations

import random
from pathlib import Path

import msgspec
import pytest

from scoring.awards import propose_awards
from scoring.criteria import CriteriaError, load_shipped, loads_criteria
from scoring.engine import SheetScore
from scoring.ranking import ScoredUnit

CSET = load_shipped()
ROOT = Path(__file__).resolve().parents[2]


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


# -- NĐ 152/2025/NĐ-CP Art. 4 ------------------------------------------------------------


def tie_units(**flags_by_unit: dict[str, object]) -> list[ScoredUnit]:
    """A (990), B, C, D tied at 950, then 6 more: 10 ranked, GK-XA quota 2."""
    units = [su("A", 990)] + [su(u, 950, flags=flags_by_unit.get(u)) for u in ("B", "C", "D")]
    return units + [su(f"E{i}", 900 - i) for i in range(6)]


def test_tie_at_the_quota_line_prefers_a_woman() -> None:
    r = propose_awards(CSET, tie_units(C={"nu": True}))
    assert ids(r, "GK-XA") == ["A", "C"]
    won = next(p for p in r.proposals if p.unit == "C")
    assert won.tie_rule == "Điều 4 khoản 6 Nghị định 152/2025/NĐ-CP"
    passed = {n.unit: n.reason_vi for n in r.not_proposed if n.award == "GK-XA"}
    assert set(passed) == {"B", "D"} and "đã ưu tiên nữ (Điều 4 khoản 6" in passed["B"]
    assert "Hội đồng" not in passed["B"]


def test_tie_prefers_a_collective_of_at_least_70_percent_women() -> None:
    r = propose_awards(CSET, tie_units(B={"ty_le_nu": "0.69"}, D={"ty_le_nu": "0.7"}))
    assert ids(r, "GK-XA") == ["A", "D"]
    r = propose_awards(CSET, tie_units(B={"ty_le_nu": "0.69"}))
    assert ids(r, "GK-XA") == ["A"]  # nobody preferred: the council decides among B, C, D
    assert sorted(n.unit for n in r.not_proposed if n.award == "GK-XA") == ["B", "C", "D"]


def test_too_many_preferred_go_to_the_council_alone() -> None:
    r = propose_awards(CSET, tie_units(B={"nu": 1}, D={"ty_le_nu": 1}))
    assert ids(r, "GK-XA") == ["A"]
    reasons = {n.unit: n.reason_vi for n in r.not_proposed if n.award == "GK-XA"}
    assert "Hội đồng thi đua xem xét" in reasons["B"] and "Hội đồng thi đua xem xét" in reasons["D"]
    assert "Hội đồng" not in reasons["C"]


def test_tie_rule_can_be_switched_off() -> None:
    principles = msgspec.structs.replace(CSET.award_principles, tie_prefers_women=None)
    off = msgspec.structs.replace(CSET, award_principles=principles)
    r = propose_awards(off, tie_units(C={"nu": True}))
    assert ids(r, "GK-XA") == ["A"]


def test_thematic_reward_is_no_basis_for_a_higher_merit_award() -> None:
    units = [su(f"H{i:02d}", 990 - i, "Xuất sắc", kind="hamlet_head", commune=f"X{i:02d}",
                flags={"khen_chuyen_de": 1, "xuat_sac_nam_truoc": i == 3}) for i in range(10)]
    r = propose_awards(CSET, units)
    assert ids(r, "BK-TINH") == ["H03"]
    reason = next(n.reason_vi for n in r.not_proposed if n.unit == "H00" and n.award == "BK-TINH")
    assert reason.startswith("Khen thưởng theo chuyên đề không là căn cứ") and "Điều 4 khoản 3" in reason
    assert all(p.thematic for p in r.proposals)  # the 2026 movement is thematic (1308 kind)


def test_loader_refuses_a_thematic_basis_for_a_higher_merit_award() -> None:
    text = (ROOT / "scoring" / "criteria" / "vbsp-2026.yaml").read_text(encoding="utf-8")
    bad = text.replace("requires_any_flag: [xuat_sac_nam_truoc, thanh_tich_dot_xuat]",
                       "requires_any_flag: [xuat_sac_nam_truoc, khen_chuyen_de]")
    with pytest.raises(CriteriaError, match="thematic reward 'khen_chuyen_de' cannot be the basis"):
        loads_criteria(bad)


def test_pending_case_and_reviewer_flag_exclude_with_the_article() -> None:
    from test_engine import FULL

    from scoring.engine import score_sheet

    for flag in ("dang_thanh_tra", "dang_ky_luat", "dang_dieu_tra", "dang_khieu_nai", "loai_tru_xet_khen"):
        s = score_sheet(CSET, "savings_group", FULL, flags={flag: True})
        assert len(s.excluded) == 1, flag
        unit = ScoredUnit("G", "savings_group", {"commune": "X1", "pgd": "P1", "province": "T"}, s)
        r = propose_awards(CSET, [unit])
        assert r.not_proposed[0].reason_vi.endswith("(Điều 4 khoản 4 Nghị định 152/2025/NĐ-CP)")


def test_bang_khen_flag_is_carried_from_the_previous_year_and_needs_the_class() -> None:
    from scoring.awards import award_basis, carried_flags

    previous = {"association_commune:A": "Xuất sắc", "association_commune:B": "Tốt"}
    flags = carried_flags(CSET, [previous])
    assert flags == {"association_commune:A": {"xuat_sac_nam_truoc": True}}
    assert carried_flags(CSET, []) == {}  # no earlier campaign: no flag
    bk = next(a for a in CSET.awards if a.id == "BK-TINH")
    assert award_basis(bk, flags["association_commune:A"]) == ("xuat_sac_nam_truoc",)
    # 10 communes -> one Bằng khen; only the unit with the carried flag gets it
    units = [su(f"association_commune:{c}", 990 - i, "Xuất sắc", "association_commune", f"X{i}",
                flags=flags.get(f"association_commune:{c}")) for i, c in enumerate("BACDEFGHIJ")]
    assert ids(propose_awards(CSET, units), "BK-TINH") == ["association_commune:A"]
    two_years = loads_criteria((ROOT / "scoring/criteria/vbsp-2026.yaml").read_text().replace(
        '{classes: ["Xuất sắc"], years: 1}', '{classes: ["Xuất sắc"], years: 2}'))
    assert carried_flags(two_years, [previous]) == {}
    assert carried_flags(two_years, [previous, {"association_commune:A": "Xuất sắc"}]) == flags
    with pytest.raises(CriteriaError, match="requires_any_flag"):
        loads_criteria((ROOT / "scoring/criteria/vbsp-2026.yaml").read_text().replace(
            "xuat_sac_nam_truoc: {classes", "khac: {classes"))
