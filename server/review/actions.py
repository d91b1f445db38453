"""Batch actions of reviewers: lock a whole commune or office, close a campaign.

A batch lock reads every sheet of the campaign in the scope, sorts them into ready, already
locked and refused (with the reason: `policy.lock_refusal`), and writes the ready ones as
`locked` through the caller's gatekept store: one write per commune database, judged by the
same policy inside the store's transaction and audited sheet by sheet with it; one more
audit entry (`lock.batch`) names the whole batch with its counts. Results of sheets whose
score was current stay current (a status change does not change points).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import anyio.to_thread
import msgspec
from sqlalchemy import Engine, func, select, update

from scoring.ids import CONFIG_DB, commune_db
from server.accounts import Account
from server.audit import Audit, AuditEvent
from server.results.tables import SheetResult
from server.territory import Directory
from sync.errors import NotFound
from sync.store import DocumentStore

from .policy import BRANCH_ROLES, lock_refusal, may_batch_lock

__all__ = ["ActionRefused", "CloseOutcome", "LockOutcome", "Refusal", "close_campaign",
           "lock_scope"]

_T = SheetResult.__table__  # type: ignore[attr-defined]


class ActionRefused(Exception):
    """The whole action is refused; `status` is the HTTP status to answer."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.status = status


class Refusal(msgspec.Struct, frozen=True):
    id: str
    status: str
    reason: str


class LockOutcome(msgspec.Struct, frozen=True, kw_only=True):
    batch: str
    scope: str
    code: str
    campaign: str
    locked: list[str]
    already: list[str]
    refused: list[Refusal]


class CloseOutcome(msgspec.Struct, frozen=True, kw_only=True):
    campaign: str
    closed_at: datetime
    closed_by: str
    criteria_version: str
    results: int
    locked: int


def _communes(directory: Directory, scope: str, code: str) -> list[str]:
    if scope == "commune":
        if code not in directory.communes:
            raise ActionRefused(f"commune {code!r} is not in the directory", 404)
        return [code]
    communes = directory.offices.get(code)
    if not communes:
        raise ActionRefused(f"transaction office {code!r} is not in the directory", 404)
    return sorted(communes)


def _current(engine: Engine, sheet_ids: list[str]) -> dict[str, str]:
    """sheet id -> the sheet revision its result was scored on."""
    out: dict[str, str] = {}
    with engine.connect() as conn:
        for start in range(0, len(sheet_ids), 500):
            chunk = sheet_ids[start:start + 500]
            query = select(_T.c.sheet_id, _T.c.sheet_rev).where(_T.c.sheet_id.in_(chunk))
            out.update({r[0]: r[1] for r in conn.execute(query)})
    return out


def _keep_current(engine: Engine, moves: list[tuple[str, str, str]]) -> None:
    """(sheet id, old rev, new rev): results scored on the old rev now name the new one."""
    with engine.begin() as conn:
        for sheet_id, old, new in moves:
            conn.execute(update(_T).where(_T.c.sheet_id == sheet_id, _T.c.sheet_rev == old)
                         .values(sheet_rev=new, sheet_status="locked"))


async def lock_scope(
    gated: DocumentStore, engine: Engine, audit: Audit | None, user: Account,
    directory: Directory, scope: Literal["commune", "office"], code: str, campaign: str,
) -> LockOutcome:
    """Lock every ready sheet of `campaign` in a commune or an office (see the module doc).

    :raises ActionRefused: not allowed, unknown place or campaign, closed campaign.
    """
    if (why := may_batch_lock(user.roles, scope)) is not None:
        raise ActionRefused(why)
    info = directory.campaigns.get(campaign)
    if info is None:
        raise ActionRefused(f"campaign {campaign!r} is not in the directory", 404)
    if info.closed:
        raise ActionRefused(f"campaign {campaign!r} is closed: no more changes", 409)
    batch, now = uuid.uuid4().hex[:12], datetime.now(UTC)
    locked: list[str] = []
    already: list[str] = []
    refused: list[Refusal] = []
    for commune in _communes(directory, scope, code):
        db = commune_db(commune)
        prefix = f"sheet:{campaign}:"
        listing = await gated.all_docs(db, startkey=prefix, endkey=prefix + "\ufff0",
                                       include_docs=True, conflicts=True)
        docs = [row["doc"] for row in listing["rows"] if row.get("doc")]
        scored = await anyio.to_thread.run_sync(_current, engine, [d["_id"] for d in docs])
        ready: list[dict[str, Any]] = []
        for doc in docs:
            status = str(doc.get("status", "draft"))
            if status == "locked":
                already.append(doc["_id"])
                continue
            why = lock_refusal(status, conflicts=len(doc.get("_conflicts") or ()),
                               scored=scored.get(doc["_id"]) == doc["_rev"])
            if why is not None:
                refused.append(Refusal(doc["_id"], status, why))
                continue
            body = {k: v for k, v in doc.items() if k != "_conflicts"}
            ready.append({**body, "status": "locked", "updated_at": now.isoformat()})
        if not ready:
            continue
        moves = []
        for doc, result in zip(ready, await gated.bulk_docs(db, ready), strict=True):
            if result.error:
                refused.append(Refusal(doc["_id"], "submitted", result.reason or result.error))
            else:
                locked.append(doc["_id"])
                moves.append((doc["_id"], doc["_rev"], str(result.rev)))
        await anyio.to_thread.run_sync(_keep_current, engine, moves)
    outcome = LockOutcome(batch=batch, scope=scope, code=code, campaign=campaign,
                          locked=locked, already=already, refused=refused)
    if audit is not None:
        detail = {"batch": batch, "campaign": campaign, "locked": len(locked),
                  "already": len(already), "refused": len(refused)}
        audit.record(AuditEvent(action="lock.batch", outcome="ok", user=user.name,
                                target=f"{scope}:{code}", detail=json.dumps(detail), at=now))
    return outcome


async def close_campaign(
    store: DocumentStore, engine: Engine, audit: Audit | None, user: Account, campaign: str,
) -> CloseOutcome:
    """Close `campaign`: its document in `config` gets `closed_at`/`closed_by`; from then on
    the gatekeeper refuses every change of its sheets, so its results stay as they are,
    each with the criteria set version it was scored with.

    :raises ActionRefused: not the branch, unknown or already closed campaign.
    """
    if not set(user.roles) & BRANCH_ROLES:
        raise ActionRefused("Chỉ Chi nhánh được kết thúc đợt thi đua (only the branch closes "
                            "a campaign)")
    doc_id = f"campaign:{campaign}"
    try:
        doc = await store.get(CONFIG_DB, doc_id)
    except NotFound:
        raise ActionRefused(f"campaign {campaign!r} is not in the directory", 404) from None
    if doc.get("closed_at"):
        raise ActionRefused(f"campaign {campaign!r} was closed at {doc['closed_at']}", 409)
    now = datetime.now(UTC)
    await store.put(CONFIG_DB, {**doc, "closed_at": now.isoformat(), "closed_by": user.name})

    def count() -> tuple[int, int]:
        with engine.connect() as conn:
            rows = conn.execute(select(_T.c.sheet_status, func.count()).where(
                _T.c.campaign == campaign).group_by(_T.c.sheet_status)).all()
        return sum(n for _, n in rows), sum(n for s, n in rows if s == "locked")

    results, locked = await anyio.to_thread.run_sync(count)
    if audit is not None:
        audit.record(AuditEvent(action="campaign.close", outcome="ok", user=user.name,
                                target=doc_id, at=now, detail=json.dumps(
                                    {"results": results, "locked": locked,
                                     "criteria_version": doc.get("criteria_version")})))
    return CloseOutcome(campaign=campaign, closed_at=now, closed_by=user.name,
                        criteria_version=str(doc.get("criteria_version", "")), results=results,
                        locked=locked)
