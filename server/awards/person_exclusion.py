"""Hold a proposed person out of rewards, or clear it, from `/branch/ca-nhan` (NĐ 152/2025
Art. 4(4): no reward while a discipline, investigation, inspection or complaint is pending).

The flag is the `exclusion:person:<id>` document of `server.exclusions` (history kept,
audited `exclusion.set` / `exclusion.clear` with the reviewer and the reason); proposals,
decisions and the council report leave an active one out (`AwardContext.proposed_people`).
This module only checks the page's input, in plain Vietnamese.
"""

from __future__ import annotations

import unicodedata

from scoring.exclusion import AwardExclusion
from server.audit import Audit
from server.exclusions import set_exclusion
from sync.errors import Conflict
from sync.store import DocumentStore

from .errors import AwardError

__all__ = ["MAX_REASON", "MIN_REASON", "subject_of", "set_person_exclusion"]

MIN_REASON = 5
MAX_REASON = 500


def subject_of(person_id: int) -> str:
    return f"person:{person_id}"


def _reason(text: str) -> str:
    reason = " ".join(unicodedata.normalize("NFC", text).split())
    if len(reason) < MIN_REASON:
        raise AwardError(f"Cần ghi lý do (ít nhất {MIN_REASON} ký tự), ví dụ số văn bản thanh "
                         "tra, kiểm tra hoặc đơn khiếu nại đang xem xét")
    if len(reason) > MAX_REASON:
        raise AwardError(f"Lý do dài {len(reason)} ký tự, tối đa {MAX_REASON} ký tự")
    return reason


async def set_person_exclusion(store: DocumentStore, audit: Audit | None, *, person_id: int,
                               action: str, reason: str, by: str,
                               current: dict[str, AwardExclusion]) -> AwardExclusion:
    """Set (``action="set"``) or clear (``"clear"``) the flag of person ``person_id``;
    ``current`` is every active flag by subject.

    :raises AwardError: an unknown action, a missing or too long reason, setting a flag that
        is already set, clearing one that is not, or a change made meanwhile."""
    if action not in ("set", "clear"):
        raise AwardError("Chọn thao tác: tạm dừng xét khen thưởng hoặc bỏ tạm dừng")
    subject = subject_of(person_id)
    active = action == "set"
    if active and subject in current:
        raise AwardError("Cá nhân này đang bị tạm dừng xét khen thưởng (lý do: "
                         f"{current[subject].reason}); bỏ tạm dừng trước nếu cần ghi lý do mới")
    if not active and subject not in current:
        raise AwardError("Cá nhân này không bị tạm dừng xét khen thưởng, không có gì để bỏ")
    why = _reason(reason)
    try:
        return await set_exclusion(store, audit, subject=subject, active=active, reason=why,
                                   by=by)
    except Conflict:
        raise AwardError("Cờ tạm dừng vừa được người khác thay đổi; tải lại trang rồi làm "
                         "lại") from None
