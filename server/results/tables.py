"""The results tables (same SQL database as the accounts and the embedded store).

* `result_sheet`: one row per scored sheet (campaign, unit, period): total, class, the
  criteria set version, the sheet revision scored, when, and the unit's ranking scopes.
  `rank_key` (fixed-width hex of `scoring.ranking.rank_key`) orders a scope's ranking in SQL:
  the worker replacing one sheet's row is the incremental update of every ranking the unit
  is in (its commune, office, province), durable and shared by every server process.
* `result_criterion`: the points of each criterion of that sheet, with the explanation.

Points are integer tenths (as in `scoring`): 87.5 points is 875.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Field, SQLModel

from sync.backends.sql_schema import create_tables

__all__ = ["CriterionResult", "SheetResult", "install_result_tables", "result_tables"]


class SheetResult(SQLModel, table=True):
    """The official score of one sheet; `id` is the `result:` document id."""

    __tablename__ = "result_sheet"

    id: str = Field(primary_key=True, max_length=512)
    campaign: str = Field(index=True, max_length=64)
    period: str = Field(index=True, max_length=32)
    unit: str = Field(index=True, max_length=128)  # `<kind>:<code>`
    unit_kind: str = Field(index=True, max_length=32)
    unit_code: str = Field(max_length=64)
    commune_code: str = Field(index=True, max_length=16)
    office_code: str = Field(index=True, max_length=16)
    province_code: str = Field(index=True, max_length=16)
    db: str = Field(max_length=128)
    sheet_id: str = Field(max_length=512)
    sheet_rev: str = Field(max_length=128)
    sheet_status: str = Field(max_length=16)
    criteria_version: str = Field(index=True, max_length=64)
    total: int  # tenths
    max_total: int  # tenths
    classification: str = Field(max_length=64)
    computed_class: str = Field(max_length=64)
    forced_by: str | None = Field(default=None, max_length=128)
    excluded: str = ""  # comma-separated exclusion rule ids (not ranked when set)
    rank_key: str = Field(index=True, max_length=512)
    needs_review: bool = False
    scored_at: datetime = Field(index=True)


class CriterionResult(SQLModel, table=True):
    """The points one criterion got on one sheet, in the criteria set's order."""

    __tablename__ = "result_criterion"

    result_id: str = Field(primary_key=True, max_length=512)
    criterion_id: str = Field(primary_key=True, max_length=64)
    position: int
    label_vi: str
    points: int  # tenths
    max_points: int  # tenths
    source: str = Field(max_length=32)  # formula | manual | bank_export_points
    explanation: str


def result_tables() -> list[Any]:
    return [SheetResult.__table__, CriterionResult.__table__]  # type: ignore[attr-defined]


def install_result_tables(engine: Engine) -> None:
    """Create the results tables if missing (idempotent)."""
    create_tables(engine, SQLModel.metadata, result_tables())
