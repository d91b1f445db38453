"""Result rows from an engine score: what the worker stores for one scored sheet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scoring import CriteriaSet, SheetScore, explain
from scoring.ranking import rank_key
from scoring.sheet import ScoreSheet

from .documents import result_doc_id
from .packed import PackedCriterion, pack_criteria

__all__ = ["build_result", "breakdown_row", "rank_key_text"]

_HEX_PER_FIELD = 5  # scoring.ranking packs 20 bits per field


def rank_key_text(score: SheetScore) -> str:
    """`rank_key` as fixed-width hex, so that SQL string order is rank order within a kind."""
    width = _HEX_PER_FIELD * (len(score.points) + 1)
    return f"{rank_key(score):0{width}x}"


def breakdown_row(result_id: str, criteria: list[PackedCriterion]) -> dict[str, Any]:
    """The `result_breakdown` row (column dict) of a result's criteria."""
    return {"result_id": result_id, "packed_criteria": pack_criteria(criteria)}


def build_result(
    sheet: ScoreSheet,
    *,
    sheet_rev: str,
    scopes: dict[str, str],
    cset: CriteriaSet,
    score: SheetScore,
    scored_at: datetime,
    needs_review: bool = False,
) -> tuple[dict[str, Any], list[PackedCriterion]]:
    """The `result_sheet` row (a column dict: `SheetResult(**row)` builds the model; the
    worker inserts it as is) and the criteria, explained, of `score` of `sheet`."""
    rid = result_doc_id(sheet.doc_id())
    criteria = [PackedCriterion(e.id, e.label_vi, e.points, e.max_points, e.source, e.text)
                for e in explain(cset, score)]
    row = {
        "id": rid, "campaign": sheet.campaign, "period": sheet.period, "unit": sheet.unit_id,
        "unit_kind": sheet.unit_kind, "unit_code": sheet.unit_code,
        "commune_code": sheet.commune_code, "office_code": scopes.get("pgd", ""),
        "province_code": scopes.get("province", ""), "db": sheet.db,
        "sheet_id": sheet.doc_id(), "sheet_rev": sheet_rev, "sheet_status": sheet.status,
        "criteria_version": cset.version, "total": score.total,
        "max_total": sum(c.max_points for c in criteria),
        "classification": score.classification, "computed_class": score.computed_class,
        "forced_by": score.forced_by, "excluded": ",".join(score.excluded),
        "rank_key": rank_key_text(score), "needs_review": needs_review, "scored_at": scored_at,
    }
    return row, criteria
