"""The review workflow as one pure rule: may these roles move a sheet from one state to another?

States: ``draft`` -> ``submitted`` -> ``reviewed`` -> ``locked`` (chốt).

* A scorer writes drafts, submits them, and withdraws (submitted -> draft) until a reviewer
  has reviewed the sheet; a reviewed sheet is the reviewers' to change.
* A reviewer (office reviewer, branch reviewer, admin) reviews submitted sheets, sends
  sheets back (reviewed/submitted -> draft or submitted) and locks reviewed or submitted
  sheets; a draft is not ready to lock.
* A locked sheet is changed by nobody; only the branch (branch reviewer, admin) unlocks it,
  and only with a reason (``unlock_reason``), to reviewed, submitted or draft.
* Nothing changes in a closed campaign.

`judge` is called by the gatekeeper for every sheet write, inside the store's write
transaction, against the stored winning revision; the batch lock asks `lock_refusal` for
each sheet of a commune or office. Territory (which communes a reviewer covers) is decided
before, by `server.access`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

__all__ = [
    "BRANCH_ROLES",
    "REVIEW_ROLES",
    "STATES",
    "State",
    "judge",
    "lock_refusal",
    "may_batch_lock",
    "state_of",
]

State = Literal["draft", "submitted", "reviewed", "locked"]
STATES: tuple[State, ...] = ("draft", "submitted", "reviewed", "locked")
#: Roles that review and lock (within their territory).
REVIEW_ROLES = frozenset({"admin", "branch_reviewer", "office_reviewer"})
#: Roles of the branch: lock whole offices, unlock, close campaigns.
BRANCH_ROLES = frozenset({"admin", "branch_reviewer"})
#: Roles that write score sheets at all.
WRITE_ROLES = REVIEW_ROLES | {"scorer"}

_LABEL = {"draft": "nháp", "submitted": "đã gửi", "reviewed": "đã duyệt", "locked": "đã chốt"}


def state_of(status: object) -> State | None:
    """The state of a stored `status` value (None: not a workflow state)."""
    return status if status in STATES else None  # type: ignore[return-value]


def _moves(reviewer: bool, branch: bool) -> dict[str, frozenset[str]]:
    """The allowed `after` states per `before` state ("" = a new sheet) for these powers."""
    if reviewer:
        allowed = {
            "": frozenset({"draft", "submitted", "reviewed"}),
            "draft": frozenset({"draft", "submitted", "reviewed"}),
            "submitted": frozenset({"draft", "submitted", "reviewed", "locked"}),
            "reviewed": frozenset({"draft", "submitted", "reviewed", "locked"}),
            "locked": frozenset({"draft", "submitted", "reviewed"} if branch else ()),
        }
    else:
        allowed = {
            "": frozenset({"draft", "submitted"}),
            "draft": frozenset({"draft", "submitted"}),
            "submitted": frozenset({"draft", "submitted"}),
        }
    return allowed


def judge(
    roles: Iterable[str],
    before: str | None,
    after: str | None,
    *,
    closed: bool = False,
    unlock_reason: str = "",
    deleting: bool = False,
) -> str | None:
    """Why a user with `roles` may not write a sheet whose stored state is `before` (None: a
    new sheet) as `after` (its new `status`; ignored when `deleting`), or None when they may.

    The reason is plain Vietnamese followed by the rule in English, for the client and the
    audit log.
    """
    held = frozenset(roles)
    if closed:
        return "Đợt thi đua đã kết thúc, không sửa được nữa (campaign closed: no more changes)"
    if not held & WRITE_ROLES:
        return "Tài khoản này không được ghi phiếu chấm (role may not write score sheets)"
    reviewer, branch = bool(held & REVIEW_ROLES), bool(held & BRANCH_ROLES)
    start = state_of(before) or ("" if before is None else "draft")
    if deleting:
        if start == "locked":
            return "Phiếu đã chốt, không xoá được (the sheet is locked: it cannot be deleted)"
        if start == "reviewed" and not reviewer:
            return "Phiếu đã duyệt, chỉ cán bộ duyệt được xoá (reviewed: reviewers only)"
        return None
    target = state_of(after)
    if target is None:
        return f"Trạng thái {after!r} không hợp lệ (status must be one of {', '.join(STATES)})"
    if target in _moves(reviewer, branch).get(start, frozenset()):
        if start == "locked" and not unlock_reason.strip():
            return "Mở chốt phải ghi lý do (unlock_reason is required to unlock a sheet)"
        return None
    return _refusal(start, target, reviewer, branch)


def _refusal(start: str, target: str, reviewer: bool, branch: bool) -> str:
    if start == "locked":
        if target == "locked":
            return "Phiếu đã chốt, phải mở chốt trước khi sửa (the sheet is locked: unlock first)"
        return "Phiếu đã chốt, chỉ Chi nhánh được mở chốt (the sheet is locked: only the branch unlocks it)"
    if target == "locked":
        if not reviewer:
            return "Chỉ cán bộ duyệt được chốt (only reviewers lock sheets)"
        return f"Phiếu {_LABEL.get(start, 'mới')} chưa sẵn sàng để chốt (a sheet must be submitted or reviewed before it is locked)"
    if start == "reviewed" or target == "reviewed":
        return "Chỉ cán bộ duyệt được duyệt hoặc sửa phiếu đã duyệt (only reviewers review)"
    return f"Không chuyển được phiếu từ {start or 'mới'} sang {target} (transition not allowed)"


def lock_refusal(status: object, *, conflicts: int = 0, scored: bool = True) -> str | None:
    """Why a stored sheet is not ready for a batch lock (None: ready; already locked sheets
    are ready and left as they are)."""
    state = state_of(status) or "draft"
    if state == "draft":
        return "Phiếu còn nháp, chưa gửi (draft: not submitted)"
    if conflicts:
        return f"Phiếu có {conflicts} xung đột chưa giải quyết (unresolved conflicts)"
    if not scored:
        return "Phiếu chưa được tính điểm (not scored yet)"
    return None


def may_batch_lock(roles: Iterable[str], scope: Literal["commune", "office"]) -> str | None:
    """Why these roles may not lock a whole `scope` at once (None: they may)."""
    held = frozenset(roles)
    if scope == "office" and not held & BRANCH_ROLES:
        return "Chỉ Chi nhánh được chốt cả phòng giao dịch (only the branch locks an office)"
    if not held & REVIEW_ROLES:
        return "Chỉ cán bộ duyệt được chốt (only reviewers lock)"
    return None
