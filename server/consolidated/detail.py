"""Drill-down to one unit's result: points per criterion with the explanation, the inputs and
their period, evidence (manual entries' notes and photo attachments), the revision history
(who, when, which device: from the revision bodies and the audit log) and open conflicts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import quote

import anyio.to_thread
import msgspec
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.audit import Audit, AuditEvent, AuditFilter
from server.results.read import ResultView
from server.review.tables import ConflictRecord
from sync.errors import NotFound
from sync.store import DocumentStore

__all__ = ["Evidence", "Revision", "UnitDetail", "unit_detail"]

#: How many revisions of the history are read back (newest first).
HISTORY = 20


class Evidence(msgspec.Struct, frozen=True):
    """A photo or file attached to the sheet (`href` downloads it) or a manual note."""

    name: str
    content_type: str = ""
    href: str = ""
    criterion: str = ""
    note: str = ""


class Revision(msgspec.Struct, frozen=True, kw_only=True):
    rev: str
    status: str = ""
    scorer: str = ""
    device: str = ""
    updated_at: str = ""
    available: bool = True


class ConflictNote(msgspec.Struct, frozen=True, kw_only=True):
    """A conflict record of the review queue (`server.review.tables`) for this sheet."""

    id: str
    kind: str  # clash | deleted | locked
    field: str
    values: Any  # the competing values, who/when/device/revision
    chosen_rev: str
    status: str  # open | resolved
    created_at: datetime
    resolved_by: str | None = None


class UnitDetail(msgspec.Struct, frozen=True, kw_only=True):
    result: ResultView
    name: str
    period_label: str
    inputs: dict[str, Any]
    manual: dict[str, Any]
    evidence: list[Evidence]
    history: list[Revision]
    conflicts: list[Revision]  # open conflicting revisions of the sheet now
    records: list[ConflictNote]  # conflict records (merges, locked conflicts)
    audit: list[AuditEvent]
    stale: bool  # the sheet changed since it was scored (being rescored)


def conflict_notes(engine: Engine | None, db: str, doc_id: str) -> list[ConflictNote]:
    if engine is None:
        return []
    query = select(ConflictRecord).where(ConflictRecord.db == db, ConflictRecord.doc_id == doc_id)
    with Session(engine) as session:
        return [ConflictNote(id=r.id, kind=r.kind, field=r.field, values=json.loads(r.values),
                             chosen_rev=r.chosen_rev, status=r.status, created_at=r.created_at,
                             resolved_by=r.resolved_by)
                for r in session.exec(query.order_by(col(ConflictRecord.created_at)))]


def _revision(rev: str, body: dict[str, Any] | None) -> Revision:
    if body is None:
        return Revision(rev=rev, available=False)
    return Revision(rev=rev, status=str(body.get("status", "")), scorer=str(body.get("scorer", "")),
                    device=str(body.get("device_id", "")),
                    updated_at=str(body.get("updated_at") or body.get("created_at") or ""))


async def _body(store: DocumentStore, db: str, doc_id: str, rev: str) -> dict[str, Any] | None:
    try:
        return await store.get(db, doc_id, rev=rev)
    except NotFound:
        return None


def _evidence(db: str, doc: dict[str, Any]) -> list[Evidence]:
    out = []
    for name, meta in sorted((doc.get("_attachments") or {}).items()):
        href = f"/db/{quote(db)}/{quote(doc['_id'], safe='')}/{quote(name, safe='')}"
        out.append(Evidence(name=name, content_type=str(meta.get("content_type", "")), href=href))
    for criterion, entry in sorted((doc.get("manual") or {}).items()):
        if isinstance(entry, dict) and (entry.get("evidence") or entry.get("deduction_reason")):
            note = "; ".join(str(entry[k]) for k in ("evidence", "deduction_reason") if entry.get(k))
            out.append(Evidence(name=criterion, criterion=criterion, note=note))
    return out


async def unit_detail(store: DocumentStore, audit: Audit | None, result: ResultView,
                      name: str, period_label: str, engine: Engine | None = None) -> UnitDetail:
    """Everything about `result`'s sheet, read from the (ungated) store and the audit log."""
    db, doc_id = f"c-{result.commune_code}", result.sheet_id
    doc = await store.get(db, doc_id, revs_info=True, conflicts=True)
    history = []
    for info in (doc.get("_revs_info") or [])[:HISTORY]:
        rev = info["rev"]
        body = doc if rev == doc["_rev"] else (
            await _body(store, db, doc_id, rev) if info.get("status") == "available" else None)
        history.append(_revision(rev, body))
    conflicts = [_revision(rev, await _body(store, db, doc_id, rev))
                 for rev in doc.get("_conflicts") or []]
    events: list[AuditEvent] = []
    if audit is not None:
        events = await anyio.to_thread.run_sync(
            lambda: audit.query(AuditFilter(db=db, doc_id=doc_id, limit=100)))
    records = await anyio.to_thread.run_sync(conflict_notes, engine, db, doc_id)
    return UnitDetail(
        result=result, name=name, period_label=period_label,
        inputs=dict(doc.get("inputs") or {}), manual=dict(doc.get("manual") or {}),
        evidence=_evidence(db, doc), history=history, conflicts=conflicts, records=records,
        audit=events,
        stale=doc["_rev"] != result.sheet_rev,
    )
