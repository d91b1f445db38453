"""The review policy applied to one sheet write (called by the gatekeeper's validation
callback, under the store's write lock, with the stored winning revision)."""

from __future__ import annotations

from typing import Any

from server.accounts import Account
from server.territory import Directory

from .policy import judge

__all__ = ["workflow"]


def workflow(user: Account, winner: dict[str, Any] | None, doc: dict[str, Any],
             directory: Directory) -> str | None:
    """Why `user` may not write `doc` over the stored sheet `winner` (None: they may)."""
    if user.disabled:
        return "This account is disabled."
    campaign = (winner or doc).get("campaign")
    info = directory.campaigns.get(campaign) if isinstance(campaign, str) else None
    reason = doc.get("unlock_reason")
    refusal = judge(
        user.roles, None if winner is None else str(winner.get("status", "draft")),
        doc.get("status", "draft"), closed=bool(info and info.closed),
        unlock_reason=reason if isinstance(reason, str) else "",
        deleting=bool(doc.get("_deleted")),
    )
    return None if refusal is None else f"{doc.get('_id')}: {refusal}"
