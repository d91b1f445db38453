"""`review_conflict`: what a reviewer must look at for one sheet.

`kind` is `clash` (one field changed to different values on concurrent leaves: `field`,
the ancestor's value, every competing value with who/when/device/revision, the revision
chosen by the deterministic rule), `deleted` (a leaf deleted the sheet while another edited
it: the edit was kept) or `locked` (a locked sheet in conflict: never merged automatically;
`values` holds each open leaf). Ids are deterministic, so a replayed merge adds nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Field, SQLModel

from sync.backends.sql_schema import create_tables

__all__ = ["ConflictRecord", "install_review_tables", "review_tables"]


class ConflictRecord(SQLModel, table=True):
    __tablename__ = "review_conflict"

    id: str = Field(primary_key=True, max_length=128)
    db: str = Field(index=True, max_length=128)
    doc_id: str = Field(index=True, max_length=512)
    campaign: str = Field(index=True, max_length=64)
    period: str = Field(max_length=32)
    unit: str = Field(max_length=128)
    commune_code: str = Field(index=True, max_length=16)
    kind: str = Field(max_length=16)  # clash | deleted | locked
    field: str = Field(max_length=200)  # `inputs.x`, `manual.y`, `status`, ... ("" for others)
    ancestor: str  # JSON: {"present": bool, "value": ...}
    values: str  # JSON list of competing values (scoring.merge.Competing)
    chosen_rev: str = Field(max_length=128)
    merged_rev: str = Field(max_length=128)
    status: str = Field(default="open", index=True, max_length=16)  # open | resolved
    created_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = Field(default=None, max_length=64)
    resolution: str | None = None  # JSON: the chosen value
    reason: str | None = None
    resolved_rev: str | None = Field(default=None, max_length=128)


def review_tables() -> list[Any]:
    return [ConflictRecord.__table__]  # type: ignore[attr-defined]


def install_review_tables(engine: Engine) -> None:
    create_tables(engine, SQLModel.metadata, review_tables())
