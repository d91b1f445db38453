"""Pure helpers of the CouchDB backend: argument checks, and answers computed from a
document's leaves (`open_revs=all&revs=true`) where a server cannot be trusted with them.

pouchdb-server (PouchDB 7 inside) crashes on `latest` with an unknown rev, reports
body-less ancestors as missing in `_revs_diff`, and has no `deleted_conflicts`; these
helpers compute the CouchDB answer from the leaves instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .. import revtree
from ..errors import BadRequest
from ..store import Seq

__all__ = [
    "best_leaf",
    "check_rev",
    "check_since",
    "deleted_losers",
    "known_revs",
    "latest_leaves",
    "missing_revs",
    "strip_revisions",
]

#: CouchDB seqs: `N` or `N-opaque`; pouchdb-server sends plain ints.
_SEQ = re.compile(r"^[0-9]+(-\S+)?$")

Leaf = dict[str, Any]


def check_rev(rev: Any) -> str:
    """:raises BadRequest: `rev` is not `N-hash`."""
    try:
        revtree.parse_rev(rev)
    except revtree.InvalidRev as exc:
        raise BadRequest(f"Invalid rev format: {exc}") from None
    return str(rev)


def check_since(since: Seq) -> str:
    """`since` as a query value: `now`, a non-negative int or an opaque CouchDB seq string.

    :raises BadRequest: anything else (checked here, as pouchdb-server crashes on it).
    """
    if since == "now":
        return "now"
    if isinstance(since, int) and not isinstance(since, bool) and since >= 0:
        return str(since)
    if isinstance(since, str) and _SEQ.match(since):
        return since
    raise BadRequest(f"Invalid since: {since!r}; expected a sequence or 'now'.")


def _path(leaf: Leaf) -> list[str]:
    """A leaf's revision path, newest first (`N-hash` strings)."""
    revisions = leaf.get("_revisions")
    if not revisions:
        return [leaf["_rev"]]
    start = revisions["start"]
    return [f"{start - i}-{h}" for i, h in enumerate(revisions["ids"])]


def known_revs(leaves: Sequence[Leaf]) -> set[str]:
    """Every rev in the (stemmed) tree: leaves and their ancestors."""
    return {rev for leaf in leaves for rev in _path(leaf)}


def latest_leaves(leaves: Sequence[Leaf], rev: str) -> list[Leaf]:
    """The leaves at or descending from `rev` (empty when `rev` is unknown)."""
    return [leaf for leaf in leaves if rev in _path(leaf)]


def best_leaf(leaves: Sequence[Leaf]) -> str:
    """The rev CouchDB would pick among `leaves`: live before deleted, then the highest rev."""
    best = max(leaves, key=lambda leaf: (not leaf.get("_deleted"),
                                         revtree.parse_rev(leaf["_rev"])))
    return str(best["_rev"])


def strip_revisions(doc: Leaf) -> Leaf:
    return {k: v for k, v in doc.items() if k != "_revisions"}


def missing_revs(leaves: Sequence[Leaf], asked: Sequence[str]) -> dict[str, list[str]] | None:
    """One `_revs_diff` entry: `{"missing", "possible_ancestors"?}`, or None if all known.

    Possible ancestors are the leaves older than the newest missing rev, as CouchDB answers.
    """
    known = known_revs(leaves)
    missing = [rev for rev in dict.fromkeys(asked) if rev not in known]
    if not missing:
        return None
    top = max(revtree.parse_rev(rev)[0] for rev in missing)
    ancestors = sorted(leaf["_rev"] for leaf in leaves
                       if revtree.parse_rev(leaf["_rev"])[0] < top)
    entry: dict[str, list[str]] = {"missing": missing}
    if ancestors:
        entry["possible_ancestors"] = ancestors
    return entry


def deleted_losers(leaves: Sequence[Leaf], winner: str) -> list[str]:
    """Deleted leaves other than the winner, newest first (`_deleted_conflicts`)."""
    revs = [leaf["_rev"] for leaf in leaves if leaf.get("_deleted") and leaf["_rev"] != winner]
    return sorted(revs, key=revtree.parse_rev, reverse=True)
