"""Read functions over the results tables (blocking SQLAlchemy: async callers use a thread).

`ranking` orders a scope by `rank_key` in SQL and numbers it as `scoring.ranking` does
(standard competition ranking, ties listed by unit; excluded units apart, rank None).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import msgspec
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from .packed import PackedCriterion, unpack_criteria
from .tables import ResultBreakdown, SheetResult

__all__ = [
    "SCOPE_COLUMNS",
    "CriterionView",
    "RankedResult",
    "ResultView",
    "get_result",
    "list_results",
    "ranking",
]

#: Ranking scope type -> the `result_sheet` column holding the scope id.
SCOPE_COLUMNS = {"commune": "commune_code", "pgd": "office_code", "province": "province_code"}


class CriterionView(msgspec.Struct, frozen=True):
    id: str
    label_vi: str
    points: int  # tenths
    max_points: int  # tenths
    source: str
    explanation: str


class ResultView(msgspec.Struct, frozen=True, kw_only=True):
    """One official result; points in tenths; `criteria` filled when asked for."""

    id: str
    campaign: str
    period: str
    unit: str
    unit_kind: str
    unit_code: str
    commune_code: str
    office_code: str
    province_code: str
    sheet_id: str
    sheet_rev: str
    sheet_status: str
    criteria_version: str
    total: int
    max_total: int
    classification: str
    computed_class: str
    forced_by: str | None
    excluded: tuple[str, ...]
    needs_review: bool
    scored_at: datetime
    criteria: tuple[CriterionView, ...] = ()


class RankedResult(msgspec.Struct, frozen=True):
    """A result's place in one ranking; `rank` None when excluded from ranking."""

    rank: int | None
    result: ResultView


def _view(row: SheetResult, criteria: Sequence[PackedCriterion] = ()) -> ResultView:
    return ResultView(
        id=row.id, campaign=row.campaign, period=row.period, unit=row.unit,
        unit_kind=row.unit_kind, unit_code=row.unit_code, commune_code=row.commune_code,
        office_code=row.office_code, province_code=row.province_code, sheet_id=row.sheet_id,
        sheet_rev=row.sheet_rev, sheet_status=row.sheet_status,
        criteria_version=row.criteria_version, total=row.total, max_total=row.max_total,
        classification=row.classification, computed_class=row.computed_class,
        forced_by=row.forced_by, excluded=tuple(e for e in row.excluded.split(",") if e),
        needs_review=row.needs_review, scored_at=row.scored_at,
        criteria=tuple(
            CriterionView(c.id, c.label_vi, c.points, c.max_points, c.source, c.explanation)
            for c in criteria
        ),
    )


def _criteria(session: Session, ids: Collection[str]) -> dict[str, tuple[PackedCriterion, ...]]:
    found: dict[str, tuple[PackedCriterion, ...]] = {}
    id_list = list(ids)
    for start in range(0, len(id_list), 500):
        query = select(ResultBreakdown.result_id, ResultBreakdown.packed_criteria).where(
            col(ResultBreakdown.result_id).in_(id_list[start:start + 500]))
        for result_id, packed in session.exec(query):
            found[result_id] = unpack_criteria(packed)
    return found


def get_result(engine: Engine, result_id: str) -> ResultView | None:
    """One result with its criteria, by `result:` id; None when not scored (yet)."""
    with Session(engine) as session:
        row = session.get(SheetResult, result_id)
        if row is None:
            return None
        return _view(row, _criteria(session, [result_id]).get(result_id, ()))


def list_results(
    engine: Engine,
    *,
    campaign: str,
    period: str | None = None,
    unit_kind: str | None = None,
    communes: Collection[str] | None = None,
    office: str | None = None,
    province: str | None = None,
    needs_review: bool | None = None,
    with_criteria: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[ResultView]:
    """Results of a campaign, filtered, ordered by result id (stable for paging)."""
    query = select(SheetResult).where(SheetResult.campaign == campaign)
    if period is not None:
        query = query.where(SheetResult.period == period)
    if unit_kind is not None:
        query = query.where(SheetResult.unit_kind == unit_kind)
    if communes is not None:
        query = query.where(col(SheetResult.commune_code).in_(list(communes)))
    if office is not None:
        query = query.where(SheetResult.office_code == office)
    if province is not None:
        query = query.where(SheetResult.province_code == province)
    if needs_review is not None:
        query = query.where(SheetResult.needs_review == needs_review)
    query = query.order_by(col(SheetResult.id)).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with Session(engine) as session:
        rows = list(session.exec(query))
        criteria = _criteria(session, [r.id for r in rows]) if with_criteria else {}
        return [_view(row, criteria.get(row.id, ())) for row in rows]


def ranking(
    engine: Engine, *, campaign: str, period: str, unit_kind: str, scope_type: str,
    scope_id: str,
) -> list[RankedResult]:
    """One scope's ranking: ranked results first (best first), then excluded ones.

    :raises ValueError: unknown scope type (known: `SCOPE_COLUMNS`).
    """
    column = SCOPE_COLUMNS.get(scope_type)
    if column is None:
        raise ValueError(f"unknown ranking scope {scope_type!r} (known: {', '.join(SCOPE_COLUMNS)})")
    query = select(SheetResult).where(
        SheetResult.campaign == campaign, SheetResult.period == period,
        SheetResult.unit_kind == unit_kind, getattr(SheetResult, column) == scope_id,
    ).order_by(col(SheetResult.rank_key).desc(), col(SheetResult.unit))
    with Session(engine) as session:
        rows = list(session.exec(query))
    ranked = [r for r in rows if not r.excluded]
    out: list[RankedResult] = []
    rank, previous = 0, None
    for position, row in enumerate(ranked, start=1):
        if row.rank_key != previous:
            rank, previous = position, row.rank_key
        out.append(RankedResult(rank, _view(row)))
    out.extend(RankedResult(None, _view(r)) for r in sorted(rows, key=lambda r: r.unit) if r.excluded)
    return out
