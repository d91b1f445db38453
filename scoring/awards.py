"""Award proposals: eligible classes, required flags, exclusions and quotas, deterministic.

Award rules are applied in file order (highest level first); a unit gets at most one
award. Inside each quota scope the eligible units are taken in rank order. Quotas round
down: ``max_share`` of the ranked (non-excluded) units of the kind in the scope, or ``max``
per ``per`` distinct sub-scopes. When units tied on rank straddle the quota, none of them
is proposed and they are listed for the council to decide, so a tie is never broken by an
arbitrary order.

The principles of NĐ 152/2025/NĐ-CP Art. 4 in ``award_principles`` apply, each citing its
article: (3) a thematic reward (``thematic_flags``) is no basis for a ``higher_merit``
award; (4) pending discipline, investigation, inspection or complaint: the exclusion rules
with an ``article`` (the unit is listed with it); (6) on a tie at the quota line, a woman
or a collective with at least ``collective_min_share`` women goes first, when those
preferred fit the places left (otherwise the preferred ones go to the council).

`carried_flags` derives the flags an award's ``carried_flags`` rule sets from the locked
results of earlier campaigns (e.g. ``xuat_sac_nam_truoc``: Xuất sắc the year before, a basis
of the Bằng khen); `award_basis` names which required flags a unit holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction

import msgspec

from scoring.criteria import CriteriaSet
from scoring.criteria_schema import Award, TieRule
from scoring.numbers import parse_exact
from scoring.ranking import RankedEntry, ScoredUnit, rank_scope

__all__ = ["AwardProposal", "AwardResult", "NotProposed", "QuotaUse", "award_basis",
           "carried_flags", "propose_awards"]


class AwardProposal(msgspec.Struct, frozen=True):
    """``thematic``: the reward comes from a thematic movement (so it is no basis for a
    higher merit award later, NĐ 152/2025 Art. 4(3)); ``tie_rule``: the article applied when
    a tie at the quota line was resolved in this unit's favour."""

    award: str
    level_vi: str
    unit: str
    kind: str
    scope_type: str
    scope_id: str
    rank: int
    total: int  # tenths
    classification: str
    thematic: bool = False
    tie_rule: str | None = None


class NotProposed(msgspec.Struct, frozen=True):
    unit: str
    kind: str
    award: str | None
    reason_vi: str


class QuotaUse(msgspec.Struct, frozen=True):
    award: str
    kind: str
    scope_type: str
    scope_id: str
    ranked: int
    quota: int
    used: int


class AwardResult(msgspec.Struct, frozen=True):
    proposals: tuple[AwardProposal, ...]
    not_proposed: tuple[NotProposed, ...]
    quotas: tuple[QuotaUse, ...]


def _quota(award: Award, ranked: int, members: list[ScoredUnit]) -> int:
    q = award.quota
    if q.max_share is not None:
        return int(Fraction(q.max_share) * ranked)
    assert q.per_scopes is not None
    subs = {u.scopes.get(q.per_scopes.scope) for u in members} - {None}
    return len(subs) // q.per_scopes.per * q.per_scopes.max


def _set(unit: ScoredUnit, name: str) -> bool:
    return (parse_exact(unit.flags.get(name)) or 0) != 0


def _flagged(unit: ScoredUnit, names: tuple[str, ...], thematic: frozenset[str] = frozenset()) -> bool:
    return not names or any(_set(unit, n) for n in names if n not in thematic)


def _preferred(unit: ScoredUnit, rule: TieRule) -> bool:
    """A woman, or a collective with at least ``collective_min_share`` women (where known)."""
    if _set(unit, rule.female_flag):
        return True
    share = parse_exact(unit.flags.get(rule.women_share_flag))
    return share is not None and share >= Fraction(rule.collective_min_share)


def _cut_tie(tie: list[RankedEntry], left: int, units: dict[str, ScoredUnit],
             rule: TieRule | None) -> tuple[list[RankedEntry], list[RankedEntry], list[RankedEntry]]:
    """(proposed, for the council, passed over) of a tie straddling the quota with ``left``
    places: the preferred (Art. 4(6)) win if they fit, else they alone go to the council."""
    first = [e for e in tie if rule is not None and _preferred(units[e.unit], rule)]
    others = [e for e in tie if e not in first]
    if not first:
        return [], tie, []
    if len(first) <= left:
        return first, (others if left > len(first) else []), ([] if left > len(first) else others)
    return [], first, others


def _exclusion_text(cset: CriteriaSet, unit: ScoredUnit) -> str:
    by_id = {e.id: e for e in cset.exclusions}
    parts = []
    for eid in unit.score.excluded:
        e = by_id.get(eid)
        parts.append(eid if e is None else e.reason_vi + (f" ({e.article})" if e.article else ""))
    return "; ".join(parts)


def carried_flags(cset: CriteriaSet, history: Sequence[Mapping[str, str]]) -> dict[str, dict[str, bool]]:
    """unit -> the flags it earns from earlier campaigns. ``history``: the locked classes by
    unit of the previous campaign first, then the one before, ...; a unit earns a flag when its
    class is one of the rule's ``classes`` in each of the last ``years`` campaigns."""
    found: dict[str, dict[str, bool]] = defaultdict(dict)
    for award in cset.awards:
        for flag, rule in award.carried_flags.items():
            if len(history) < rule.years:
                continue
            first, *rest = history[:rule.years]
            for unit, label in first.items():
                if label in rule.classes and all(h.get(unit) in rule.classes for h in rest):
                    found[unit][flag] = True
    return dict(found)


def award_basis(award: Award, flags: Mapping[str, object]) -> tuple[str, ...]:
    """The flags of ``award.requires_any_flag`` that ``flags`` sets (its basis, shown to the
    branch); empty when the award needs none or the unit has none."""
    return tuple(n for n in award.requires_any_flag if (parse_exact(flags.get(n)) or 0) != 0)


def propose_awards(cset: CriteriaSet, units: Iterable[ScoredUnit]) -> AwardResult:
    """Proposals for every award rule of ``cset`` over ``units``."""
    all_units = sorted(units, key=lambda u: (u.kind, u.unit))
    proposals: list[AwardProposal] = []
    left_out: list[NotProposed] = []
    quotas: list[QuotaUse] = []
    awarded: set[tuple[str, str]] = set()
    award_kinds = {k for a in cset.awards for k in a.unit_kinds}
    principles = cset.award_principles
    rule3 = principles.thematic_not_basis if principles.thematic_not_basis and principles.thematic_not_basis.enabled else None
    tie_rule = principles.tie_prefers_women if principles.tie_prefers_women and principles.tie_prefers_women.enabled else None
    thematic_movement = cset.movement is not None and cset.movement.kind == "thematic"
    for u in all_units:
        if u.kind in award_kinds and u.score.excluded:
            left_out.append(NotProposed(u.unit, u.kind, None, f"Không xét khen thưởng: {_exclusion_text(cset, u)}"))
    for award in cset.awards:
        thematic = frozenset(rule3.thematic_flags) if rule3 is not None and award.higher_merit else frozenset()
        st = award.quota.scope
        for kind in award.unit_kinds:
            groups: dict[str, list[ScoredUnit]] = defaultdict(list)
            for u in all_units:
                if u.kind == kind and st in u.scopes:
                    groups[u.scopes[st]].append(u)
            by_unit = {u.unit: u for u in all_units if u.kind == kind}
            for sid in sorted(groups):
                ranking = rank_scope(cset, kind, st, sid, groups[sid])
                quota = _quota(award, len(ranking.entries), groups[sid])
                candidates = []
                for e in ranking.entries:
                    if e.classification not in award.eligible_classes or (kind, e.unit) in awarded:
                        continue
                    unit = by_unit[e.unit]
                    if _flagged(unit, award.requires_any_flag, thematic):
                        candidates.append(e)
                    elif rule3 is not None and any(_set(unit, n) for n in thematic):
                        left_out.append(NotProposed(
                            e.unit, kind, award.id,
                            f"Khen thưởng theo chuyên đề không là căn cứ đề nghị {award.level_vi} ({rule3.article})"))
                chosen: list[RankedEntry] = []
                by_tie: dict[str, str] = {}
                i = 0
                while i < len(candidates):
                    tie = [e for e in candidates[i:] if e.rank == candidates[i].rank]
                    if len(chosen) + len(tie) > quota:
                        left = quota - len(chosen)
                        won, council, passed = _cut_tie(tie, left, by_unit, tie_rule) if left > 0 else ([], [], [])
                        chosen += won
                        if tie_rule is not None:
                            by_tie.update((e.unit, tie_rule.article) for e in won)
                        why = f"; đã ưu tiên nữ ({tie_rule.article})" if tie_rule is not None and (won or passed) else ""
                        at = f"Đồng hạng {tie[0].rank} tại ngưỡng chỉ tiêu {quota} ({award.level_vi})"
                        for e in council:
                            left_out.append(NotProposed(e.unit, kind, award.id, f"{at}; Hội đồng thi đua xem xét{why}"))
                        for e in passed:
                            left_out.append(NotProposed(e.unit, kind, award.id, f"{at}{why}"))
                        break
                    chosen += tie
                    i += len(tie)
                for e in chosen:
                    awarded.add((kind, e.unit))
                    proposals.append(AwardProposal(award.id, award.level_vi, e.unit, kind, st, sid,
                                                   e.rank, e.total, e.classification, thematic_movement,
                                                   by_tie.get(e.unit)))
                quotas.append(QuotaUse(award.id, kind, st, sid, len(ranking.entries), quota, len(chosen)))
    return AwardResult(tuple(proposals), tuple(left_out), tuple(quotas))
