"""Who may do what: the one place for authorization decisions.

For now a signed-in user may read and write every database, and only admins create or
delete databases. The gatekeeper (territories x roles) will refine `can_read`/`can_write`
here and nowhere else; the auth middleware and the `_all_dbs` filter both call them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec

from .accounts import Account

__all__ = ["Decision", "can_admin_dbs", "can_read", "can_write", "decide", "visible_dbs"]

#: `/db` endpoints that only read, even when called with POST.
READ_ENDPOINTS = frozenset({"_changes", "_revs_diff", "_bulk_get", "_all_docs", "_missing_revs"})
#: Paths under `/db/` open to anonymous callers (the welcome and the session endpoints).
PUBLIC_PATHS = frozenset({"", "_session"})
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Decision(msgspec.Struct, frozen=True):
    """The outcome for one request: allowed, or refused with a status and reason."""

    allowed: bool
    status: int = 200
    reason: str = ""


ALLOW = Decision(True)


def can_read(user: Account, db: str) -> bool:
    """May `user` read database `db` (documents, changes, info)?"""
    return not user.disabled


def can_write(user: Account, db: str) -> bool:
    """May `user` write documents (and `_local` checkpoints) in `db`?"""
    return not user.disabled


def can_admin_dbs(user: Account) -> bool:
    """May `user` create and delete databases?"""
    return user.is_admin


def visible_dbs(user: Account | None, names: Iterable[str]) -> list[str]:
    """The databases of `names` that `user` may see (for `_all_dbs`)."""
    if user is None:
        return []
    return [name for name in names if can_read(user, name)]


def decide(user: Account | None, method: str, db_path: str) -> Decision:
    """Decide a request on `/db/<db_path>` (`db_path` without the `/db/` prefix).

    Anonymous callers get 401 except on `PUBLIC_PATHS`; signed-in callers get 403 where
    `can_read`/`can_write`/`can_admin_dbs` say no.
    """
    parts = db_path.strip("/").split("/")
    head = parts[0]
    if head in PUBLIC_PATHS and len(parts) == 1:
        return ALLOW
    if user is None:
        return Decision(False, 401, "You are not signed in.")
    if head.startswith("_"):  # server-level endpoints: _all_dbs, _uuids, _up, ...
        return ALLOW
    if len(parts) == 1 and method in ("PUT", "DELETE"):
        if can_admin_dbs(user):
            return ALLOW
        return Decision(False, 403, "Only admins create or delete databases.")
    needed: Literal["read", "write"] = "read"
    if method not in _READ_METHODS and not (len(parts) >= 2 and parts[1] in READ_ENDPOINTS):
        needed = "write"
    allowed = can_read(user, head) if needed == "read" else can_write(user, head)
    if allowed:
        return ALLOW
    return Decision(False, 403, f"You may not {needed} the database {head!r}.")
