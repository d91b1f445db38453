"""Reviewer exclusion flags (NĐ 152/2025/NĐ-CP Art. 4(4)): hold a unit or person out of
rewards while a discipline, investigation, inspection or complaint is pending.

A flag is a `scoring.exclusion.AwardExclusion` document `exclusion:<subject>` in `config`,
set or cleared by a reviewer with a reason; every change is appended to the document's
`history` and written to the audit log (`exclusion.set` / `exclusion.clear`). The pure rule
is in the criteria set (exclusion `EX-LOAITRU` on flag `loai_tru_xet_khen`, which
`scoring.adapt.unit_flags` sets for an active flag). Minimal on purpose: award proposals
(wt/i15) read `active_exclusions` and pass each unit's flag to `unit_flags`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from scoring.exclusion import AwardExclusion
from scoring.ids import CONFIG_DB
from sync.errors import NotFound
from sync.store import DocumentStore

from .audit import Audit, AuditEvent

__all__ = ["active_exclusions", "set_exclusion"]


async def set_exclusion(store: DocumentStore, audit: Audit | None, *, subject: str, active: bool,
                        reason: str, by: str, now: datetime | None = None) -> AwardExclusion:
    """Set (`active`) or clear the flag of `subject` (`<kind>:<code>` or `person:<id>`).

    :raises ValueError: empty reason. :raises sync.errors.Conflict: changed meanwhile.
    """
    if not reason.strip():
        raise ValueError("cần ghi lý do khi đặt hoặc bỏ cờ tạm dừng xét khen thưởng")
    doc_id = f"exclusion:{subject}"
    try:
        old_doc = await store.get(CONFIG_DB, doc_id)
        old = AwardExclusion.from_doc(old_doc)
    except NotFound:
        old_doc, old = {}, AwardExclusion(subject=subject, active=False, reason=reason)
    new = old.change(by=by, at=now or datetime.now(UTC), active=active, reason=reason)
    body = new.to_doc() | ({"_rev": old_doc["_rev"]} if "_rev" in old_doc else {})
    written = await store.put(CONFIG_DB, body)
    if audit is not None:
        audit.record(AuditEvent(action="exclusion.set" if active else "exclusion.clear", outcome="ok",
                                user=by, db=CONFIG_DB, doc_id=doc_id, rev=written.rev,
                                target=subject[:64], reason=reason))
    return new


async def active_exclusions(store: DocumentStore) -> dict[str, AwardExclusion]:
    """Every active flag, by subject."""
    try:
        page = await store.all_docs(CONFIG_DB, startkey="exclusion:", endkey="exclusion:\ufff0",
                                    include_docs=True)
    except NotFound:
        return {}
    flags = (AwardExclusion.from_doc(row["doc"]) for row in page["rows"] if row.get("doc"))
    return {f.subject: f for f in flags if f.active}
