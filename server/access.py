"""Who may do what: the one place for authorization decisions (role x territory).

Databases and who may use them:

* `config` (campaign, criteria, directory): read by every signed-in user, written by admins.
* `c-<commune>` and `p-<province>`: read by users whose territory covers them; written by
  scorers and reviewers of that territory; viewers read only.
* any other database (tooling, conformance runs): admins only. Admins may use every database.
* `_local/` documents (replication checkpoints) may be written by anyone who may read the
  database: CouchDB needs write access for `_local` only on a replication's target, but a
  read-only puller (a viewer's device) also saves its checkpoint on the source, and refusing
  it would make every pull restart from zero. Checkpoints are not replicated, so this gives
  no way to change what others see.

`reach` is the set of `c-`/`p-` databases a user's territory covers, resolved from the
directory by `server.territory`. `reach=None` means "not resolved here": every `c-`/`p-`
database passes the territory test, and `decide` leaves other databases to the gatekeeper.
The auth middleware decides that way (a coarse gate: signed in, role, database kind); the
gatekeeper store then decides again with the real reach (and answers 404 before 403 for a
database that does not exist, as CouchDB does).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec

from scoring.ids import CONFIG_DB

from .accounts import Account

__all__ = [
    "REVIEWER_ROLES",
    "WRITER_ROLES",
    "Decision",
    "can_admin_dbs",
    "can_read",
    "can_write",
    "db_kind",
    "decide",
    "is_reviewer",
    "visible_dbs",
]

#: `/db` endpoints that only read, even when called with POST (and harmless no-ops).
READ_ENDPOINTS = frozenset(
    {"_changes", "_revs_diff", "_bulk_get", "_all_docs", "_missing_revs", "_ensure_full_commit"}
)
#: Paths under `/db/` open to anonymous callers (the welcome and the session endpoints).
PUBLIC_PATHS = frozenset({"", "_session"})
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Roles that write sheets in their territory's databases.
WRITER_ROLES = frozenset({"admin", "branch_reviewer", "office_reviewer", "scorer"})
#: Roles that lock and unlock sheets (within their territory).
REVIEWER_ROLES = frozenset({"admin", "branch_reviewer", "office_reviewer"})

DbKind = Literal["config", "commune", "province", "other"]


class Decision(msgspec.Struct, frozen=True):
    """The outcome for one request: allowed, or refused with a status and reason."""

    allowed: bool
    status: int = 200
    reason: str = ""


ALLOW = Decision(True)


def db_kind(db: str) -> DbKind:
    if db == CONFIG_DB:
        return "config"
    if db.startswith("c-"):
        return "commune"
    if db.startswith("p-"):
        return "province"
    return "other"


def is_reviewer(user: Account) -> bool:
    return not user.disabled and bool(REVIEWER_ROLES.intersection(user.roles))


def _in_reach(db: str, reach: frozenset[str] | None) -> bool:
    return reach is None or db in reach


def can_read(user: Account, db: str, reach: frozenset[str] | None = None) -> bool:
    """May `user` read database `db` (documents, changes, info, `_local`)?"""
    if user.disabled:
        return False
    if user.is_admin:
        return True
    kind = db_kind(db)
    if kind == "config":
        return True
    return kind != "other" and _in_reach(db, reach)


def can_write(user: Account, db: str, reach: frozenset[str] | None = None) -> bool:
    """May `user` write documents in `db`? (Each document is then checked by the gatekeeper.)"""
    if user.disabled:
        return False
    if user.is_admin:
        return True
    if db_kind(db) not in ("commune", "province"):
        return False
    return bool(WRITER_ROLES.intersection(user.roles)) and _in_reach(db, reach)


def can_admin_dbs(user: Account) -> bool:
    """May `user` create and delete databases?"""
    return user.is_admin and not user.disabled


def visible_dbs(
    user: Account | None, names: Iterable[str], reach: frozenset[str] | None = None
) -> list[str]:
    """The databases of `names` that `user` may read (for `_all_dbs`)."""
    if user is None:
        return []
    return [name for name in names if can_read(user, name, reach)]


def decide(
    user: Account | None, method: str, db_path: str, reach: frozenset[str] | None = None
) -> Decision:
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
    if user.disabled:
        return Decision(False, 403, "This account is disabled.")
    if head.startswith("_"):  # server-level endpoints: _all_dbs, _uuids, _up, ...
        return ALLOW
    if len(parts) == 1 and method in ("PUT", "DELETE"):
        if can_admin_dbs(user):
            return ALLOW
        return Decision(False, 403, "Only admins create or delete databases.")
    if reach is None and db_kind(head) == "other":
        return ALLOW  # the gatekeeper answers: 404 when missing (as CouchDB), else 403
    needed: Literal["read", "write"] = "read"
    is_local = len(parts) >= 2 and parts[1] == "_local"
    if method not in _READ_METHODS and not is_local and not (
        len(parts) >= 2 and parts[1] in READ_ENDPOINTS
    ):
        needed = "write"
    allowed = can_read(user, head, reach) if needed == "read" else can_write(user, head, reach)
    if allowed:
        return ALLOW
    return Decision(False, 403, f"You may not {needed} the database {head!r}.")
