"""The public rankings pages (`/public/rankings`): locked results of collectives only.

Pure: the server builds these Structs from locked results (no personal names: groups,
associations, transaction points and hamlets are shown by their collective names) and
`render_index` / `render_scope` turn them into one self-contained HTML page each (inline
CSS and SVG, no script, nothing from another host), readable on a basic phone.
"""

from __future__ import annotations

import msgspec

from .html import environment

__all__ = [
    "Breakdown",
    "IndexPage",
    "KindBlock",
    "PublicUnit",
    "ScopeLink",
    "ScopePage",
    "render_index",
    "render_scope",
]


class Breakdown(msgspec.Struct, frozen=True):
    """One criterion of a unit's result: label, points and maximum (tenths)."""

    label: str
    points: int
    max_points: int


class PublicUnit(msgspec.Struct, frozen=True):
    code: str
    name: str
    rank: int | None  # None: excluded from the ranking (reason in `note`)
    total: int  # tenths
    classification: str
    day: str  # the result's date, dd/mm/yyyy
    criteria: str  # criteria set version
    breakdown: tuple[Breakdown, ...] = ()
    commune: str = ""
    note: str = ""


class KindBlock(msgspec.Struct, frozen=True):
    """The locked units of one kind in a scope, ranked, with the class distribution."""

    kind: str
    label: str
    units: tuple[PublicUnit, ...]
    classes: tuple[tuple[str, int], ...]
    total_units: int  # units of this kind in the scope, locked or not


class ScopeLink(msgspec.Struct, frozen=True):
    """A commune or office on the index: link, name, locked/total counts, distribution."""

    href: str
    name: str
    parent: str
    locked: int
    total: int
    classes: tuple[tuple[str, int], ...] = ()


class IndexPage(msgspec.Struct, frozen=True):
    campaign: str
    province: str
    updated: str
    offices: tuple[ScopeLink, ...]
    communes: tuple[ScopeLink, ...]
    blocks: tuple[KindBlock, ...]  # province-wide distribution per kind (units omitted)


class ScopePage(msgspec.Struct, frozen=True):
    campaign: str
    scope_type: str  # "Xã" / "Phòng giao dịch"
    name: str
    parent: str
    updated: str
    blocks: tuple[KindBlock, ...]
    back: str = "/public/rankings"


def render_index(page: IndexPage) -> str:
    return environment().get_template("public_index.html").render(page=page)


def render_scope(page: ScopePage) -> str:
    return environment().get_template("public_scope.html").render(page=page)
