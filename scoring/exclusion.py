"""A reviewer's award exclusion flag (NĐ 152/2025/NĐ-CP Art. 4(4)) and its audited history."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import msgspec

from .document import Document

__all__ = ["AwardExclusion", "ExclusionChange"]


class ExclusionChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """One audited change of an exclusion flag: who, when, set or cleared, and why."""

    by: str
    at: datetime
    active: bool
    reason: str


class AwardExclusion(Document):
    """A reviewer's flag that holds a unit or person out of rewards while a discipline,
    investigation, inspection or complaint is pending (NĐ 152/2025/NĐ-CP Art. 4(4)).
    `subject` is a unit id (`<kind>:<code>`) or `person:<id>`; `history` is append-only."""

    doc_type: ClassVar[str] = "exclusion"
    subject: str
    active: bool
    reason: str
    history: tuple[ExclusionChange, ...] = ()

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError(f"{self.subject}: cần ghi lý do tạm dừng xét khen thưởng")

    def doc_id(self) -> str:
        return f"exclusion:{self.subject}"

    def change(self, *, by: str, at: datetime, active: bool, reason: str) -> AwardExclusion:
        """The flag after a reviewer sets or clears it; the change is added to `history`."""
        entry = ExclusionChange(by=by, at=at, active=active, reason=reason)
        return AwardExclusion(subject=self.subject, active=active, reason=reason,
                              history=(*self.history, entry))
