"""Reading and closing conflict records (blocking SQL; async callers use a thread)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from .tables import ConflictRecord

__all__ = ["ConflictView", "close_record", "get_record", "list_records", "reopen_record"]


class ConflictView(msgspec.Struct, kw_only=True):
    """A conflict record as the API shows it: the ancestor's value and every competing one."""

    id: str
    db: str
    doc_id: str
    campaign: str
    period: str
    unit: str
    commune_code: str
    kind: str
    field: str
    ancestor: dict[str, Any]  # {"present": bool, "value": ...}
    values: list[dict[str, Any]]  # {value, present, rev, scorer, device_id, updated_at}
    chosen_rev: str
    merged_rev: str
    status: str
    created_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: Any = None
    reason: str | None = None
    resolved_rev: str | None = None


def view(row: ConflictRecord) -> ConflictView:
    return ConflictView(
        id=row.id, db=row.db, doc_id=row.doc_id, campaign=row.campaign, period=row.period,
        unit=row.unit, commune_code=row.commune_code, kind=row.kind, field=row.field,
        ancestor=msgspec.json.decode(row.ancestor), values=msgspec.json.decode(row.values),
        chosen_rev=row.chosen_rev, merged_rev=row.merged_rev, status=row.status,
        created_at=row.created_at, resolved_at=row.resolved_at, resolved_by=row.resolved_by,
        resolution=msgspec.json.decode(row.resolution) if row.resolution else None,
        reason=row.reason, resolved_rev=row.resolved_rev,
    )


def list_records(
    engine: Engine, *, dbs: Collection[str] | None, status: str | None = "open",
    campaign: str | None = None, commune: str | None = None, kind: str | None = None,
    doc_id: str | None = None, limit: int = 100, offset: int = 0,
) -> list[ConflictView]:
    """Records in the databases `dbs` (None: all), filtered, oldest first."""
    query = select(ConflictRecord)
    if dbs is not None:
        query = query.where(col(ConflictRecord.db).in_(list(dbs)))
    for column, value in ((ConflictRecord.status, status), (ConflictRecord.campaign, campaign),
                          (ConflictRecord.commune_code, commune), (ConflictRecord.kind, kind),
                          (ConflictRecord.doc_id, doc_id)):
        if value is not None:
            query = query.where(column == value)
    query = query.order_by(col(ConflictRecord.created_at), col(ConflictRecord.id))
    with Session(engine) as session:
        return [view(r) for r in session.exec(query.offset(offset).limit(limit))]


def get_record(engine: Engine, record_id: str) -> ConflictView | None:
    with Session(engine) as session:
        row = session.get(ConflictRecord, record_id)
        return view(row) if row is not None else None


def close_record(
    engine: Engine, record_id: str, *, user: str, reason: str, resolution: Any, rev: str | None
) -> ConflictView:
    """Mark a record resolved. :raises LookupError: no such record."""
    with Session(engine) as session:
        row = session.get(ConflictRecord, record_id)
        if row is None:
            raise LookupError(record_id)
        row.status, row.resolved_at, row.resolved_by = "resolved", datetime.now(UTC), user
        row.reason, row.resolved_rev = reason, rev
        row.resolution = msgspec.json.encode(resolution).decode()
        session.add(row)
        session.commit()
        session.refresh(row)
        return view(row)


def reopen_record(engine: Engine, record_id: str) -> None:
    """Undo `close_record` (the resolution's write was refused)."""
    with Session(engine) as session:
        row = session.get(ConflictRecord, record_id)
        if row is not None:
            row.status, row.resolved_at, row.resolved_by = "open", None, None
            row.reason = row.resolution = row.resolved_rev = None
            session.add(row)
            session.commit()
