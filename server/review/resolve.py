"""The revision a resolution writes: the sheet's current winner with the chosen value(s).

Pure: from the current open leaves (bodies with `_rev`) and the reviewer's choice, the
`_bulk_docs` batch (interactive, `new_edits=true`): the new revision on the winner and a
deletion of every other open leaf, so the sheet ends with one open leaf.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from scoring.merge import BOOKKEEPING

__all__ = ["ResolveError", "resolution_batch", "set_field"]


class ResolveError(ValueError):
    """The choice does not fit the record (the message says why)."""


def set_field(body: dict[str, Any], field: str, present: bool, value: Any) -> dict[str, Any]:
    """`body` with `field` (`inputs.x`, `manual.y` or a top-level name) set or removed."""
    out = {**body}
    head, dot, rest = field.partition(".")
    if dot and head in ("inputs", "manual"):
        section = dict(out.get(head) or {})
        if present:
            section[rest] = value
        else:
            section.pop(rest, None)
        out[head] = section
    elif field.startswith("_") or field in BOOKKEEPING or not field:
        raise ResolveError(f"the field {field!r} cannot be chosen")
    elif present:
        out[field] = value
    else:
        out.pop(field, None)
    return out


def resolution_batch(
    winner: dict[str, Any], others: Sequence[str], body: dict[str, Any]
) -> list[dict[str, Any]]:
    """The new revision (on `winner`'s rev, with `body`'s user fields and a new `updated_at`)
    and the deletion of each other open leaf `others`."""
    fields = {k: v for k, v in body.items() if not k.startswith("_")}
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    doc = {**fields, "_id": winner["_id"], "_rev": winner["_rev"], "updated_at": now}
    return [doc, *({"_id": winner["_id"], "_rev": rev, "_deleted": True} for rev in others)]
