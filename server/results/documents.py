"""The `result:` document: a read-only copy of an official result in the commune database.

Shape (documented in docs/architecture.md, read by the PWA)::

    {"_id": "result:<campaign>:<unit kind>:<unit code>:<period>", "type": "result",
     "campaign", "period", "unit_kind", "unit_code", "commune_code",
     "sheet_id", "sheet_rev",            # the sheet revision scored
     "criteria_version", "total": "87.5", "max_total": "100.0",
     "classification", "computed_class", "forced_by", "excluded": [rule ids],
     "needs_review": bool, "scored_at": ISO 8601 UTC,
     "criteria": [{"id", "points", "max_points", "source"}]}

Points are decimal strings (one decimal). A result whose `sheet_rev` is not the sheet's
current `_rev` is stale until the worker rescores it. The criteria carry their points only:
a phone shows the total and the class (`pwa/src/screens/form.js`) and has the criteria set's
labels itself; the Vietnamese explanation of each criterion is in SQL (`result_breakdown`),
served by `/api/results/units/{id}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import SQLModel

__all__ = ["Points", "points_text", "result_doc", "result_doc_id"]


class Points(Protocol):
    """A criterion's points as `result_doc` reads them (`packed.PackedCriterion`,
    `read.CriterionView`)."""

    @property
    def id(self) -> str: ...
    @property
    def points(self) -> int: ...
    @property
    def max_points(self) -> int: ...
    @property
    def source(self) -> str: ...


def result_doc_id(sheet_id: str) -> str:
    """`result:<campaign>:<unit>:<period>` for `sheet:<campaign>:<unit>:<period>`."""
    if not sheet_id.startswith("sheet:"):
        raise ValueError(f"not a sheet id: {sheet_id!r}")
    return "result:" + sheet_id.removeprefix("sheet:")


_POINTS: dict[int, str] = {}  # tenths -> text: totals and criterion points repeat


def points_text(tenths: int) -> str:
    """Integer tenths as a decimal string: 875 -> "87.5", 900 -> "90.0"."""
    text = _POINTS.get(tenths) if type(tenths) is int else None
    if text is None:
        whole, tenth = divmod(abs(tenths), 10)
        text = f"{'-' if tenths < 0 else ''}{whole}.{tenth}"
        if type(tenths) is int and len(_POINTS) < 100_000:
            _POINTS[tenths] = text
    return text


def _columns(row: Mapping[str, Any] | SQLModel) -> Mapping[str, Any]:
    # `type(...) is dict` first: the worker passes dicts, and an ABC check costs more
    return row if type(row) is dict or isinstance(row, Mapping) else row.model_dump()


def result_doc(result: Mapping[str, Any] | SQLModel, criteria: Sequence[Points]) -> dict[str, Any]:
    """The document body (without `_rev`) for a `result_sheet` row (a model or a column
    dict) and its criteria in the criteria set's order."""
    row = _columns(result)
    known = _POINTS.get  # the criteria's points mostly repeat: a lookup, then `points_text`
    return {
        "_id": row["id"],
        "type": "result",
        "campaign": row["campaign"],
        "period": row["period"],
        "unit_kind": row["unit_kind"],
        "unit_code": row["unit_code"],
        "commune_code": row["commune_code"],
        "sheet_id": row["sheet_id"],
        "sheet_rev": row["sheet_rev"],
        "criteria_version": row["criteria_version"],
        "total": points_text(row["total"]),
        "max_total": points_text(row["max_total"]),
        "classification": row["classification"],
        "computed_class": row["computed_class"],
        "forced_by": row["forced_by"],
        "excluded": [e for e in row["excluded"].split(",") if e],
        "needs_review": row["needs_review"],
        "scored_at": _iso(row["scored_at"]),
        "criteria": [
            {
                "id": c.id,
                "points": known(c.points) or points_text(c.points),
                "max_points": known(c.max_points) or points_text(c.max_points),
                "source": c.source,
            }
            for c in criteria
        ],
    }


_LAST_ISO: tuple[datetime | None, str] = (None, "")  # a page's results share one time


def _iso(at: datetime) -> str:
    """`at` as ISO 8601 text, the last one remembered (read as one tuple: thread-safe)."""
    global _LAST_ISO
    last = _LAST_ISO
    if last[0] is not at:
        last = _LAST_ISO = (at, at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    return last[1]
