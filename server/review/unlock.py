"""Unlock one locked sheet (the branch), with the reason, through the caller's gatekept store.

The gatekeeper judges the write by the review policy (only the branch unlocks, a reason is
required, nothing changes in a closed campaign) and audits it as `unlock`, with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import msgspec

from scoring.ids import commune_db
from sync.errors import NotFound
from sync.store import DocumentStore

from .actions import ActionRefused

__all__ = ["UnlockOutcome", "unlock_sheet"]

Target = Literal["reviewed", "submitted", "draft"]


class UnlockOutcome(msgspec.Struct, frozen=True, kw_only=True):
    sheet: str
    rev: str
    status: str
    reason: str


async def unlock_sheet(gated: DocumentStore, commune: str, sheet: str, reason: str,
                       status: Target = "reviewed") -> UnlockOutcome:
    """Unlock `sheet` of `commune`'s database back to `status`, recording `reason`.

    :raises ActionRefused: blank reason (400), unknown sheet (404), not locked (409), or the
        policy's refusal (403).
    """
    reason = " ".join(reason.split())
    if len(reason) < 3:
        raise ActionRefused("Mở chốt phải ghi lý do (a reason of at least 3 characters is "
                            "required to unlock a sheet)", 400)
    db = commune_db(commune)
    try:
        doc = await gated.get(db, sheet)
    except NotFound:
        raise ActionRefused(f"no sheet {sheet!r} in commune {commune!r}", 404) from None
    if doc.get("type") != "sheet":
        raise ActionRefused(f"{sheet!r} is not a score sheet", 404)
    if doc.get("status") != "locked":
        raise ActionRefused(f"the sheet {sheet!r} is not locked (it is {doc.get('status')!r})",
                            409)
    body = {**doc, "status": status, "unlock_reason": reason,
            "updated_at": datetime.now(UTC).isoformat()}
    [result] = await gated.bulk_docs(db, [body])
    if result.error:
        raise ActionRefused(result.reason or result.error, 403)
    return UnlockOutcome(sheet=sheet, rev=str(result.rev), status=status, reason=reason)
