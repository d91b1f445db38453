"""Repairing revision trees that hold ids other than `N-<32 lowercase hex>`.

Such ids (`1-xyz`, `1-a-b`) came from clients before the gatekeeper refused them; one stored
in a database makes every PouchDB 9 pull of it fail ("Invalid rev format"). `repair_tree`
renames each malformed revision hash to `md5("thidua-repair:" + hash)`: deterministic (the
same tree is repaired the same way on every run and server), 32 lowercase hex, same shape,
same bodies, same deleted flags. The winner may change (hashes order conflicting leaves), so
a repair reports the winner before and after.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from . import revtree

__all__ = ["TreeRepair", "repair_tree", "repaired_hash"]


class TreeRepair(NamedTuple):
    tree: revtree.RevTree
    renamed: dict[str, str]  # old rev -> new rev, by position then old hash


def repaired_hash(digest: str) -> str:
    """The 32-hex hash that replaces the malformed revision hash `digest`."""
    return hashlib.md5(f"thidua-repair:{digest}".encode(), usedforsecurity=False).hexdigest()


def repair_tree(tree: revtree.RevTree) -> TreeRepair | None:
    """The repaired tree and the renamed revisions; None when every id is well formed."""
    bad = sorted({revtree.parse_rev(rev) for rev in revtree.all_revs(tree)
                  if not revtree.is_replication_rev(rev)})
    if not bad:
        return None
    rename = {(pos, digest): repaired_hash(digest) for pos, digest in bad}
    renamed = {f"{pos}-{digest}": f"{pos}-{new}" for (pos, digest), new in rename.items()}
    return TreeRepair(revtree.rename_hashes(tree, rename), renamed)
