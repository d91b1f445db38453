"""Award proposals from locked results (`scoring.awards`), with reviewers' adjustments.

Only locked results are proposed; unlocked ones are listed apart ("chưa khóa"), as are the
units an exclusion rule keeps out (NĐ 152/2025 Art. 4, in the criteria data) and ties at a
quota. A reviewer may add or remove a unit with a reason: stored in `award_adjustment` and the
audit log in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scoring import CriteriaSet, SheetScore, propose_awards
from scoring.awards import NotProposed, QuotaUse, award_basis
from scoring.ranking import ScoredUnit, exclusion_reasons
from server.audit import account_change
from server.results import ResultView, list_results

from .basis import Basis, load_basis, with_basis
from .errors import AwardError
from .tables import AwardAdjustment

__all__ = ["Proposal", "ProposalList", "adjust", "proposals", "scored_unit"]


class Proposal(msgspec.Struct, frozen=True, kw_only=True):
    award: str
    level_vi: str
    unit: str
    kind: str
    scope_type: str
    scope_id: str
    rank: int | None
    total: int  # tenths
    classification: str
    result_id: str
    adjusted: str | None = None  # the reviewer's reason when added by hand
    basis: str = ""  # the award's required flags the unit holds, and where from ("" = none)


class ProposalList(msgspec.Struct, frozen=True):
    proposals: tuple[Proposal, ...]
    not_proposed: tuple[NotProposed, ...]
    quotas: tuple[QuotaUse, ...]
    results: tuple[ResultView, ...]  # every result of the campaign and period
    basis: Basis = Basis({})  # Bằng khen basis flags by unit (`server.awards.basis`)


def _scopes(r: ResultView) -> dict[str, str]:
    return {"commune": r.commune_code, "pgd": r.office_code, "province": r.province_code}


def scored_unit(r: ResultView, flags: Mapping[str, Any] | None = None) -> ScoredUnit:
    """The scoring view of a stored result (points from its criteria rows) with the unit's
    award flags (tie preference, thematic, pending cases: NĐ 152/2025 Art. 4)."""
    score = SheetScore(kind=r.unit_kind, points=tuple(c.points for c in r.criteria),
                       total=r.total, classification=r.classification,
                       computed_class=r.computed_class, forced_by=r.forced_by,
                       excluded=r.excluded, details=())
    return ScoredUnit(r.unit, r.unit_kind, _scopes(r), score, flags or {})


def _adjustments(engine: Engine, campaign: str, period: str) -> list[AwardAdjustment]:
    with Session(engine) as session:
        query = select(AwardAdjustment).where(
            AwardAdjustment.campaign == campaign, AwardAdjustment.period == period,
        ).order_by(col(AwardAdjustment.id))
        return list(session.exec(query))


def proposals(engine: Engine, cset: CriteriaSet, campaign: str, period: str,
              flags: Mapping[str, Mapping[str, Any]] | None = None,
              earlier: Sequence[tuple[str, str, str]] = ()) -> ProposalList:
    """The proposal list of ``campaign``/``period``: rules first, then adjustments in order;
    ``flags``: unit -> its award flags (`Names.flags`); ``earlier``: (campaign, period, name)
    of the earlier campaigns, latest first, whose locked results carry Bằng khen flags."""
    results = tuple(list_results(engine, campaign=campaign, period=period, with_criteria=True))
    by_unit = {r.unit: r for r in results}
    locked = [r for r in results if r.sheet_status == "locked"]
    basis = load_basis(engine, cset, campaign, earlier)
    known = with_basis(flags, basis, [r.unit for r in locked])
    computed = propose_awards(cset, [scored_unit(r, known.get(r.unit)) for r in locked])
    levels = {a.id: a for a in cset.awards}

    def basis_of(award: str, unit: str) -> str:
        return basis.label(unit, award_basis(levels[award], known.get(unit, {})))

    award_kinds = {k for a in cset.awards for k in a.unit_kinds}
    left_out = list(computed.not_proposed) + [
        NotProposed(r.unit, r.unit_kind, None, "Kết quả chưa khóa: chưa xét khen thưởng")
        for r in results if r.sheet_status != "locked" and r.unit_kind in award_kinds]
    chosen = {(p.award, p.unit): Proposal(
        award=p.award, level_vi=p.level_vi, unit=p.unit, kind=p.kind, scope_type=p.scope_type,
        scope_id=p.scope_id, rank=p.rank, total=p.total, classification=p.classification,
        result_id=by_unit[p.unit].id, basis=basis_of(p.award, p.unit))
        for p in computed.proposals}
    for adj in _adjustments(engine, campaign, period):
        if adj.action == "remove" and chosen.pop((adj.award, adj.unit), None) is not None:
            left_out.append(NotProposed(adj.unit, adj.unit.split(":")[0], adj.award,
                                        f"Bỏ khỏi danh sách khi xét duyệt: {adj.reason}"))
        elif adj.action == "add" and adj.unit in by_unit and adj.award in levels:
            r = by_unit[adj.unit]
            chosen[(adj.award, adj.unit)] = Proposal(
                award=adj.award, level_vi=levels[adj.award].level_vi, unit=r.unit,
                kind=r.unit_kind, scope_type=levels[adj.award].quota.scope,
                scope_id=_scopes(r).get(levels[adj.award].quota.scope, ""), rank=None,
                total=r.total, classification=r.classification, result_id=r.id,
                adjusted=adj.reason, basis=basis_of(adj.award, adj.unit))
    ordered = sorted(chosen.values(), key=lambda p: (p.award, p.scope_id, p.rank or 10**9, p.unit))
    return ProposalList(tuple(ordered), tuple(left_out), computed.quotas, results, basis)


def check_awardable(cset: CriteriaSet, result: ResultView | None, unit: str) -> ResultView:
    """The result of ``unit`` if it may be rewarded. :raises AwardError: why not."""
    if result is None:
        raise AwardError(f"Không có kết quả chấm điểm của đơn vị {unit}")
    if result.sheet_status != "locked":
        raise AwardError(f"Kết quả của đơn vị {unit} chưa khóa: chưa được khen thưởng")
    if result.excluded:
        reasons = "; ".join(exclusion_reasons(cset, scored_unit(result).score))
        raise AwardError(f"Đơn vị {unit} không được xét khen thưởng: {reasons}")
    return result


def adjust(engine: Engine, cset: CriteriaSet, *, campaign: str, period: str, award: str,
           unit: str, action: str, reason: str, user: str) -> None:
    """Record a reviewer's adjustment. :raises AwardError: bad award, unit, action or reason."""
    if action not in ("add", "remove"):
        raise AwardError("Thao tác phải là 'add' (thêm) hoặc 'remove' (bỏ)")
    if not reason.strip():
        raise AwardError("Cần ghi lý do điều chỉnh")
    if award not in {a.id for a in cset.awards}:
        raise AwardError(f"Không có hình thức khen thưởng {award!r}")
    if action == "add":
        found = list_results(engine, campaign=campaign, period=period)
        check_awardable(cset, next((r for r in found if r.unit == unit), None), unit)
    with Session(engine) as session, session.begin():
        session.add(AwardAdjustment(campaign=campaign, period=period, award=award, unit=unit,
                                    action=action, reason=reason.strip(), user=user,
                                    at=datetime.now(UTC)))
        row = account_change(f"award.{action}", unit[:64], f"{award}: {reason.strip()}")
        row.reason = reason.strip()
        session.add(row)
