"""The review workflow policy: every (role, before, after) move, unlock reasons, closing."""

from __future__ import annotations

import pytest

from server.review.policy import STATES, judge, lock_refusal, may_batch_lock

SCORER, OFFICE, BRANCH, ADMIN, VIEWER = (
    ("scorer",), ("office_reviewer",), ("branch_reviewer",), ("admin",), ("viewer",))
ALLOWED = {
    # (roles, before) -> states it may write
    (SCORER, None): {"draft", "submitted"},
    (SCORER, "draft"): {"draft", "submitted"},
    (SCORER, "submitted"): {"draft", "submitted"},
    (SCORER, "reviewed"): set(),
    (SCORER, "locked"): set(),
    (OFFICE, None): {"draft", "submitted", "reviewed"},
    (OFFICE, "draft"): {"draft", "submitted", "reviewed"},
    (OFFICE, "submitted"): set(STATES),
    (OFFICE, "reviewed"): set(STATES),
    (OFFICE, "locked"): set(),
    (BRANCH, "locked"): {"draft", "submitted", "reviewed"},
    (ADMIN, "locked"): {"draft", "submitted", "reviewed"},
    (BRANCH, "submitted"): set(STATES),
    (VIEWER, "draft"): set(),
}


@pytest.mark.parametrize(("key", "allowed"), list(ALLOWED.items()))
def test_each_move_is_allowed_exactly_as_the_table_says(key: tuple, allowed: set[str]) -> None:
    roles, before = key
    for after in STATES:
        refusal = judge(roles, before, after, unlock_reason="lý do")
        assert (refusal is None) == (after in allowed), (roles, before, after, refusal)


def test_unlocking_needs_a_reason_and_locked_sheets_are_never_edited_in_place() -> None:
    assert "unlock_reason" in (judge(BRANCH, "locked", "submitted") or "")
    assert "unlock_reason" in (judge(BRANCH, "locked", "draft", unlock_reason="   ") or "")
    assert judge(BRANCH, "locked", "draft", unlock_reason="Nhập sai dư nợ") is None
    assert "unlock first" in (judge(ADMIN, "locked", "locked") or "")


def test_deleting_follows_the_state() -> None:
    assert judge(SCORER, "draft", None, deleting=True) is None
    assert "reviewers only" in (judge(SCORER, "reviewed", None, deleting=True) or "")
    assert "is locked" in (judge(ADMIN, "locked", None, deleting=True) or "")


def test_a_closed_campaign_takes_nothing_and_bad_states_are_named() -> None:
    assert "campaign closed" in (judge(ADMIN, "draft", "draft", closed=True) or "")
    assert "status must be one of" in (judge(SCORER, "draft", "approved") or "")
    assert "may not write" in (judge(VIEWER, "draft", "draft") or "")


def test_batch_lock_readiness_and_who_locks_what() -> None:
    assert lock_refusal("draft") and lock_refusal(None)
    assert "conflicts" in (lock_refusal("submitted", conflicts=2) or "")
    assert "not scored" in (lock_refusal("reviewed", scored=False) or "")
    assert lock_refusal("submitted") is None and lock_refusal("locked") is None
    assert may_batch_lock(OFFICE, "commune") is None
    assert "only the branch" in (may_batch_lock(OFFICE, "office") or "")
    assert may_batch_lock(BRANCH, "office") is None
    assert may_batch_lock(SCORER, "commune")
