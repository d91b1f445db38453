"""Award proposals: eligible classes, required flags, exclusions and quotas, deterministic.

Award rules are applied in file order (highest level first); a unit gets at most one
award. Inside each quota scope the eligible units are taken in rank order. Quotas round
down: ``max_share`` of the ranked (non-excluded) units of the kind in the scope, or ``max``
per ``per`` distinct sub-scopes. When units tied on rank straddle the quota, none of them
is proposed and they are listed for the council to decide, so a tie is never broken by an
arbitrary order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from fractions import Fraction

import msgspec

from scoring.criteria import CriteriaSet
from scoring.criteria_schema import Award
from scoring.numbers import parse_exact
from scoring.ranking import RankedEntry, ScoredUnit, exclusion_reasons, rank_scope

__all__ = ["AwardProposal", "AwardResult", "NotProposed", "QuotaUse", "propose_awards"]


class AwardProposal(msgspec.Struct, frozen=True):
    award: str
    level_vi: str
    unit: str
    kind: str
    scope_type: str
    scope_id: str
    rank: int
    total: int  # tenths
    classification: str


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


def _flagged(unit: ScoredUnit, names: tuple[str, ...]) -> bool:
    return not names or any((parse_exact(unit.flags.get(n)) or 0) != 0 for n in names)


def propose_awards(cset: CriteriaSet, units: Iterable[ScoredUnit]) -> AwardResult:
    """Proposals for every award rule of ``cset`` over ``units``."""
    all_units = sorted(units, key=lambda u: (u.kind, u.unit))
    proposals: list[AwardProposal] = []
    left_out: list[NotProposed] = []
    quotas: list[QuotaUse] = []
    awarded: set[tuple[str, str]] = set()
    award_kinds = {k for a in cset.awards for k in a.unit_kinds}
    for u in all_units:
        if u.kind in award_kinds and u.score.excluded:
            reasons = "; ".join(exclusion_reasons(cset, u.score))
            left_out.append(NotProposed(u.unit, u.kind, None, f"Không xét khen thưởng: {reasons}"))
    for award in cset.awards:
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
                candidates = [
                    e for e in ranking.entries
                    if e.classification in award.eligible_classes and (kind, e.unit) not in awarded
                    and _flagged(by_unit[e.unit], award.requires_any_flag)
                ]
                chosen: list[RankedEntry] = []
                i = 0
                while i < len(candidates):
                    tie = [e for e in candidates[i:] if e.rank == candidates[i].rank]
                    if len(chosen) + len(tie) > quota:
                        if len(chosen) < quota:
                            for e in tie:
                                left_out.append(NotProposed(
                                    e.unit, kind, award.id,
                                    f"Đồng hạng {e.rank} tại ngưỡng chỉ tiêu {quota} ({award.level_vi}); "
                                    "Hội đồng thi đua xem xét"))
                        break
                    chosen += tie
                    i += len(tie)
                for e in chosen:
                    awarded.add((kind, e.unit))
                    proposals.append(AwardProposal(award.id, award.level_vi, e.unit, kind, st, sid,
                                                   e.rank, e.total, e.classification))
                quotas.append(QuotaUse(award.id, kind, st, sid, len(ranking.entries), quota, len(chosen)))
    return AwardResult(tuple(proposals), tuple(left_out), tuple(quotas))
