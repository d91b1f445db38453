"""Three-way merge of a conflicted score sheet: every open leaf against their common ancestor.

The unit of merging is a *field*: each entry of `inputs` (`inputs.<name>`), each entry of
`manual` (`manual.<criterion>`, the whole entry: points, evidence, deduction reason) and each
other top-level field (`status`, `notes`, ...). Bookkeeping fields (`updated_at`, `scorer`,
`device_id`, `created_at`) are not merged: the merged sheet takes them from the *latest* leaf.

For each field: the leaves that changed it from the ancestor's value (adding and removing
count as changes) decide. No change: the ancestor's value. One distinct new value (one leaf
or several agreeing): that value. Several distinct new values: a *clash*; the merged sheet
takes the value of the latest of the leaves that changed it, and the clash keeps the
ancestor's value and every competing value with who (`scorer`), when (`updated_at`) and from
which device (`device_id`) and revision.

"Latest" is the documented deterministic order of leaves: later `updated_at` first (ISO 8601,
compared as instants; missing is oldest), then the revision that CouchDB would pick as winner
(higher generation, then higher hash). So the result never depends on the order the leaves
arrive in; without an ancestor (stemmed away) every differing value is a change.

Pure: a function of the revisions' bodies, no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

__all__ = [
    "BOOKKEEPING",
    "Clash",
    "Competing",
    "Leaf",
    "Merged",
    "common_ancestor",
    "field_values",
    "latest_first",
    "merge_sheet",
]

#: Fields the merged sheet takes from the latest leaf instead of merging them.
BOOKKEEPING = frozenset({"updated_at", "scorer", "device_id", "created_at"})
_KEYED = ("inputs", "manual")  # merged entry by entry


class Leaf(msgspec.Struct, frozen=True):
    """One open revision of the sheet: its id and body (the `_` fields are ignored)."""

    rev: str
    body: Mapping[str, Any]


class Competing(msgspec.Struct, frozen=True):
    """One value competing for a field; `present` False: the leaf removed the field."""

    value: Any
    present: bool
    rev: str
    scorer: str
    device_id: str
    updated_at: str


class Clash(msgspec.Struct, frozen=True):
    """A field changed to different values: the ancestor's value, the chosen rev, all values."""

    field: str
    ancestor: Any
    ancestor_present: bool
    chosen_rev: str
    values: tuple[Competing, ...]


class Merged(msgspec.Struct, frozen=True):
    """The merge: `base_rev` (the latest leaf, which the merged revision extends), the merged
    body (user fields only), the clashes, and the leaves merged."""

    base_rev: str
    body: dict[str, Any]
    clashes: tuple[Clash, ...]
    leaves: tuple[str, ...]


_ABSENT: Any = object()


def _instant(value: Any) -> float:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return float("-inf")
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    return float("-inf")


def _rev_order(rev: str) -> tuple[int, str]:
    pos, _, digest = rev.partition("-")
    return (int(pos) if pos.isdigit() else 0, digest)


def _order(leaf: Leaf) -> tuple[float, tuple[int, str]]:
    return (_instant(leaf.body.get("updated_at")), _rev_order(leaf.rev))


def latest_first(leaves: Iterable[Leaf]) -> list[Leaf]:
    """The leaves in the merge's deterministic order, latest first (duplicates once)."""
    unique = {leaf.rev: leaf for leaf in leaves}
    return sorted(unique.values(), key=_order, reverse=True)


def field_values(body: Mapping[str, Any] | None) -> dict[str, Any]:
    """`{field name: value}` over which a sheet is merged (see the module doc)."""
    out: dict[str, Any] = {}
    for key, value in (body or {}).items():
        if key.startswith("_") or key in BOOKKEEPING:
            continue
        if key in _KEYED and isinstance(value, Mapping):
            out.update({f"{key}.{name}": entry for name, entry in value.items()})
        else:
            out[key] = value
    return out


def _body(values: Mapping[str, Any], latest: Mapping[str, Any]) -> dict[str, Any]:
    """A sheet body from merged field values and the latest leaf's bookkeeping fields."""
    body: dict[str, Any] = {k: v for k, v in latest.items() if k in BOOKKEEPING}
    for key in _KEYED:
        if isinstance(latest.get(key), Mapping) or any(f.startswith(key + ".") for f in values):
            body[key] = {}
    for name, value in values.items():
        head, dot, rest = name.partition(".")
        if dot and head in _KEYED and isinstance(body.get(head), dict):
            body[head][rest] = value
        else:
            body[name] = value
    return body


def _who(leaf: Leaf, value: Any) -> Competing:
    body = leaf.body
    return Competing(
        value=None if value is _ABSENT else value, present=value is not _ABSENT, rev=leaf.rev,
        scorer=str(body.get("scorer") or ""), device_id=str(body.get("device_id") or ""),
        updated_at=str(body.get("updated_at") or ""),
    )


def merge_sheet(ancestor: Mapping[str, Any] | None, leaves: Sequence[Leaf]) -> Merged:
    """Merge the open `leaves` of a sheet against `ancestor` (None: unknown); see module doc.

    :raises ValueError: no leaves.
    """
    ordered = latest_first(leaves)
    if not ordered:
        raise ValueError("nothing to merge: no open leaf")
    base = field_values(ancestor)
    per_leaf = [(leaf, field_values(leaf.body)) for leaf in ordered]
    names = sorted(set(base).union(*(values for _, values in per_leaf)))
    merged: dict[str, Any] = {}
    clashes: list[Clash] = []
    for name in names:
        old = base.get(name, _ABSENT)
        changes = [(leaf, values.get(name, _ABSENT)) for leaf, values in per_leaf
                   if values.get(name, _ABSENT) != old]
        if not changes:
            chosen = old
        else:
            chosen = changes[0][1]  # the latest leaf that changed it
            distinct: list[Any] = []
            for _, value in changes:
                if value not in distinct:
                    distinct.append(value)
            if len(distinct) > 1:
                clashes.append(Clash(
                    field=name, ancestor=None if old is _ABSENT else old,
                    ancestor_present=old is not _ABSENT, chosen_rev=changes[0][0].rev,
                    values=tuple(_who(leaf, value) for leaf, value in changes),
                ))
        if chosen is not _ABSENT:
            merged[name] = chosen
    return Merged(
        base_rev=ordered[0].rev, body=_body(merged, ordered[0].body), clashes=tuple(clashes),
        leaves=tuple(leaf.rev for leaf in ordered),
    )


def common_ancestor(paths: Iterable[Sequence[str]]) -> str | None:
    """The latest revision on every path (each path: leaf first, then its ancestors, as
    `_revisions` gives them); None when the paths share none (stemmed or unrelated)."""
    shared: set[str] | None = None
    first: Sequence[str] = ()
    for path in paths:
        if shared is None:
            shared, first = set(path), path
        else:
            shared &= set(path)
    if not shared:
        return None
    return next(rev for rev in first if rev in shared)
