"""The account roles (a light module: the CLI imports it without the database stack)."""

from __future__ import annotations

__all__ = ["ROLES"]

#: Roles, most powerful first.
ROLES: tuple[str, ...] = ("admin", "branch_reviewer", "office_reviewer", "scorer", "viewer")
