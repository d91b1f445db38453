"""Closing the other leaves of a document: make one revision the only open leaf.

A document with several open (non-deleted) leaves reads as its winner, with the others as
`_conflicts`. To make a chosen revision `keep` the winner everywhere, every other open leaf
gets a deleted child (a tombstone), written with `new_edits=false` in the same batch as
`keep` (a lock on a losing branch, a merged revision of the conflict reconciler).

The tombstones' revisions are deterministic: `closing_rev(leaf, keep)` is
`<pos+1>-md5(canonical JSON ["close", leaf, keep])`, so the same tree and the same `keep`
give the same revision ids on any server or worker; two servers closing the same leaf for the
same kept revision write the same tombstone, and replication merges them into one.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import msgspec

from . import revtree

__all__ = ["close_other_leaves", "closing_rev", "open_leaves", "tombstones"]

_canonical = msgspec.json.Encoder(order="sorted")


def closing_rev(leaf: str, keep: str) -> str:
    """The deterministic revision of the tombstone that closes `leaf` in favour of `keep`.

    :raises revtree.InvalidRev: `leaf` is not a revision id.
    """
    pos, _ = revtree.parse_rev(leaf)
    digest = hashlib.md5(_canonical.encode(["close", leaf, keep]), usedforsecurity=False)
    return f"{pos + 1}-{digest.hexdigest()}"


def open_leaves(tree: revtree.RevTree) -> list[str]:
    """The non-deleted leaves of `tree`, in `revtree.leaves` order."""
    return [leaf.rev for leaf in revtree.leaves(tree) if not leaf.deleted]


def tombstones(doc_id: str, leaves: Iterable[str], keep: str) -> list[dict[str, Any]]:
    """One replicated tombstone document (`_id`, `_rev`, `_deleted`, `_revisions`) per rev of
    `leaves` other than `keep`, in the given order (duplicates once), for
    `bulk_docs(..., new_edits=False)`."""
    out = []
    for leaf in dict.fromkeys(leaves):
        if leaf == keep:
            continue
        rev = closing_rev(leaf, keep)
        pos, digest = revtree.parse_rev(rev)
        out.append({"_id": doc_id, "_rev": rev, "_deleted": True,
                    "_revisions": {"start": pos, "ids": [digest, revtree.parse_rev(leaf)[1]]}})
    return out


def close_other_leaves(doc_id: str, tree: revtree.RevTree, keep: str) -> list[dict[str, Any]]:
    """The tombstones that leave `keep` the only open leaf of `tree` (so the winner, unless
    `keep` is itself deleted): one per other non-deleted leaf, deterministic (see module doc).

    `keep` need not be in `tree` yet (a revision written in the same batch). Deleted leaves
    are already closed and get nothing. Merging the result into `tree` (`merge_path` with
    `deleted=True`) is idempotent: a second call on the merged tree returns `[]`.
    """
    return tombstones(doc_id, open_leaves(tree), keep)
