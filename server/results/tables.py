"""The results tables (same SQL database as the accounts and the embedded store).

* `result_sheet`: one row per scored sheet (campaign, unit, period): total, class, the
  criteria set version, the sheet revision scored, when, and the unit's ranking scopes.
  `rank_key` (fixed-width hex of `scoring.ranking.rank_key`) orders a scope's ranking in SQL:
  the worker replacing one sheet's row is the incremental update of every ranking the unit
  is in (its commune, office, province), durable and shared by every server process.
* `result_breakdown`: one row per result, its criteria packed in one JSON column
  (`packed_criteria`, `packed.py`): no reader asks SQL for a single criterion, and a row per criterion
  (~1.1 million at national scale) was the worker's largest write.

Points are integer tenths (as in `scoring`): 87.5 points is 875. Data folders made before
`result_breakdown` are upgraded by `install_result_tables` (`upgrade.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Field, SQLModel

from sync.backends.sql_schema import create_tables

from .upgrade import upgrade_result_tables

__all__ = ["ResultBreakdown", "SheetResult", "install_result_tables", "result_tables"]


class SheetResult(SQLModel, table=True):
    """The official score of one sheet; `id` is the `result:` document id.

    Indexed for the readers' filters: the unit (rescoring, exports) and the ranking scopes
    and order. Campaign, period, kind, criteria version and time have a few values each:
    an index on them would be read no faster than the table (`upgrade.py` drops the old).
    """

    __tablename__ = "result_sheet"

    id: str = Field(primary_key=True, max_length=512)
    campaign: str = Field(max_length=64)
    period: str = Field(max_length=32)
    unit: str = Field(index=True, max_length=128)  # `<kind>:<code>`
    unit_kind: str = Field(max_length=32)
    unit_code: str = Field(max_length=64)
    commune_code: str = Field(index=True, max_length=16)
    office_code: str = Field(index=True, max_length=16)
    province_code: str = Field(index=True, max_length=16)
    db: str = Field(max_length=128)
    sheet_id: str = Field(max_length=512)
    sheet_rev: str = Field(max_length=128)
    sheet_status: str = Field(max_length=16)
    criteria_version: str = Field(max_length=64)
    total: int  # tenths
    max_total: int  # tenths
    classification: str = Field(max_length=64)
    computed_class: str = Field(max_length=64)
    forced_by: str | None = Field(default=None, max_length=128)
    excluded: str = ""  # comma-separated exclusion rule ids (not ranked when set)
    rank_key: str = Field(index=True, max_length=512)
    needs_review: bool = False
    scored_at: datetime


class ResultBreakdown(SQLModel, table=True):
    """The criteria of one result, in the criteria set's order (`pack_criteria`)."""

    __tablename__ = "result_breakdown"

    result_id: str = Field(primary_key=True, max_length=512)
    packed_criteria: str  # `packed.pack_criteria`


def result_tables() -> list[Any]:
    return [SheetResult.__table__, ResultBreakdown.__table__]  # type: ignore[attr-defined]


def install_result_tables(engine: Engine) -> None:
    """Create the results tables if missing and upgrade older ones (idempotent)."""
    create_tables(engine, SQLModel.metadata, result_tables(), then=upgrade_result_tables)
