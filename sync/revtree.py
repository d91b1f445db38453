"""Pure revision-tree core of the CouchDB/PouchDB replication protocol.

A document's history is a forest of revisions (`RevTree`). Writes merge a root-ward path
of revisions into it (`merge_path`, `extend`), exactly as PouchDB 9's `pouchdb-merge`
does (port in `sync._revtree_merge`), then stem it to `revs_limit`. Queries give the
leaves, the winner (non-deleted first, then position, then hash), `_conflicts`,
`_deleted_conflicts`, `_revisions` and `_revs_info`. Trees are immutable for callers and
stored as one compact JSON value (`tree_to_json` / `tree_from_json`).

No I/O, no clock: everything here is a function of its arguments.

PouchDB quirks kept on purpose (they are what PouchDB peers compute):

* a path that connects to nothing in a non-empty tree is added as a new root and the
  outcome is `INTERNAL_NODE`, not `NEW_BRANCH`;
* stemming may leave the same revision in two roots (two overlapping truncated paths);
  the query functions below report each revision and leaf once.
"""

from __future__ import annotations

import enum
from collections.abc import Container, Iterator, Sequence
from typing import Any

import msgspec

from sync import _revtree_merge as _m
from sync._revtree_revs import (
    InvalidRev,
    is_replication_hash,
    is_replication_rev,
    new_rev,
    parse_path,
    parse_rev,
    path_from_revisions,
)

__all__ = [
    "InvalidRev",
    "Leaf",
    "MergeOutcome",
    "MissingRev",
    "RevTree",
    "all_revs",
    "conflicts",
    "contains",
    "deleted_conflicts",
    "empty_tree",
    "extend",
    "is_leaf",
    "is_replication_hash",
    "is_replication_rev",
    "latest_leaves",
    "leaves",
    "max_pos",
    "merge_path",
    "new_rev",
    "parse_rev",
    "path_from_revisions",
    "rename_hashes",
    "rev_count",
    "revisions_of",
    "revs_info",
    "tree_from_json",
    "tree_to_json",
    "winner_deleted",
    "winning_rev",
]

_Node = _m.Node
_FlatRoot = list[int | str]
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(list[_FlatRoot])


class MissingRev(LookupError):
    """The revision is not in the tree (never known, or removed by stemming)."""


class MergeOutcome(enum.Enum):
    NEW_LEAF = "new_leaf"  # the path extended an existing leaf (or the tree was empty)
    NEW_BRANCH = "new_branch"  # the path added a branch below an existing node
    INTERNAL_NODE = "internal_node"  # nothing new was connected (see module notes)


class Leaf(msgspec.Struct, frozen=True):
    rev: str
    pos: int
    hash: str
    deleted: bool


class RevTree:
    """Opaque, immutable-by-convention revision forest. Compare trees with `==`."""

    __slots__ = ("_leaves", "_roots")

    def __init__(self, roots: list[_m.Root]) -> None:
        self._roots = roots
        self._leaves: list[Leaf] | None = None  # cache: trees are never mutated

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RevTree) and tree_to_json(self) == tree_to_json(other)

    def __hash__(self) -> int:
        return hash(tree_to_json(self))

    def __repr__(self) -> str:
        return f"RevTree({tree_to_json(self).decode()})"


def empty_tree() -> RevTree:
    return RevTree([])


# --- storage ---------------------------------------------------------------------------


def tree_to_json(tree: RevTree) -> bytes:
    """Compact JSON: a list of roots, each `[pos, hash, deleted, n_children, ...]` with the
    nodes in pre-order (children in tree order). Flat, so deep histories stay cheap."""
    out: list[_FlatRoot] = []
    for pos, node in tree._roots:
        flat: _FlatRoot = [pos]
        stack = [node]
        while stack:
            n = stack.pop()
            kids = n[2]
            flat += (n[0], 1 if n[1] else 0, len(kids))
            stack.extend(reversed(kids))
        out.append(flat)
    return _encoder.encode(out)


def tree_from_json(data: bytes | str) -> RevTree:
    """Inverse of `tree_to_json`; raises `ValueError` on malformed data."""
    try:
        flat_roots = _decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise ValueError(f"corrupt revision tree: {exc}") from None
    roots: list[_m.Root] = []
    for flat in flat_roots:
        if len(flat) < 4 or (len(flat) - 1) % 3 or not isinstance(flat[0], int) or flat[0] < 1:
            raise ValueError("corrupt revision tree: bad root record")
        nodes: list[tuple[_Node, int]] = []
        for i in range(1, len(flat), 3):
            h, d, n = flat[i], flat[i + 1], flat[i + 2]
            if not isinstance(h, str) or d not in (0, 1) or not isinstance(n, int) or n < 0:
                raise ValueError("corrupt revision tree: bad node record")
            nodes.append(([h, d == 1, []], n))
        root = nodes[0][0]
        stack: list[list[Any]] = [[root, nodes[0][1]]] if nodes[0][1] else []
        for node, n in nodes[1:]:  # stack: [node, children still expected]
            if not stack:
                raise ValueError("corrupt revision tree: too many nodes")
            top = stack[-1]
            top[0][2].append(node)
            top[1] -= 1
            if top[1] == 0:
                stack.pop()
            if n:
                stack.append([node, n])
        if stack:
            raise ValueError("corrupt revision tree: missing nodes")
        roots.append((flat[0], root))
    return RevTree(roots)


# --- writes ----------------------------------------------------------------------------


def merge_path(
    tree: RevTree, path: Sequence[str], *, deleted: bool, revs_limit: int
) -> tuple[RevTree, MergeOutcome, list[str]]:
    """Merge a root-ward path (newest first; `path[0]` is the new leaf, `deleted` its flag)
    and stem to `revs_limit`. Returns (new tree, outcome, revs removed by stemming).
    The input tree is not mutated. Raises `InvalidRev` for a malformed path."""
    if not isinstance(revs_limit, int) or revs_limit < 1:
        raise ValueError(f"revs_limit must be a positive integer, got {revs_limit!r}")
    parsed = parse_path(path)
    node: _Node = [parsed[0][1], bool(deleted), []]
    for _, h in parsed[1:]:
        node = [h, False, [node]]
    if not tree._roots and len(parsed) <= revs_limit:
        # Fast path (a new document): the path alone is the tree; nothing to merge or stem.
        return RevTree([(parsed[-1][0], node)]), MergeOutcome.NEW_LEAF, []
    roots, outcome, stemmed = _m.merge(tree._roots, (parsed[-1][0], node), revs_limit)
    return RevTree(roots), MergeOutcome(outcome), stemmed


def extend(
    tree: RevTree, parent_rev: str | None, new_rev: str, *, deleted: bool, revs_limit: int
) -> tuple[RevTree, MergeOutcome, list[str]]:
    """Interactive edit: merge `[new_rev, parent_rev]` as PouchDB's `bulkDocs` does.

    The outcome is `NEW_LEAF` when `parent_rev` is a leaf (or the tree is empty and
    `parent_rev` is None); PouchDB's `updateDoc` answers 409 for any other outcome (for
    a re-creation it first sets `parent_rev` to the deleted winner). Nothing is checked
    here beyond the rev syntax: callers decide with `is_leaf` / the outcome.
    """
    path = [new_rev] if parent_rev is None else [new_rev, parent_rev]
    return merge_path(tree, path, deleted=deleted, revs_limit=revs_limit)


def rename_hashes(tree: RevTree, rename: dict[tuple[int, str], str]) -> RevTree:
    """`tree` with the hash of each revision `(pos, hash)` in `rename` replaced by the given
    one (same shape, same deleted flags); the input tree is not mutated."""
    roots: list[_m.Root] = []
    for pos, node in tree._roots:
        top: _Node = [rename.get((pos, node[0]), node[0]), node[1], []]
        stack = [(pos, node, top)]
        while stack:  # iterative: histories may be revs_limit deep
            p, old, new = stack.pop()
            for child in old[2]:
                kid: _Node = [rename.get((p + 1, child[0]), child[0]), child[1], []]
                new[2].append(kid)
                stack.append((p + 1, child, kid))
        roots.append((pos, top))
    return RevTree(roots)


# --- queries ---------------------------------------------------------------------------


def _walk(tree: RevTree) -> Iterator[tuple[int, _Node]]:
    """Every node occurrence in PouchDB's `traverseRevTree` order."""
    stack = list(tree._roots)
    while stack:
        pos, node = stack.pop()
        yield pos, node
        stack.extend((pos + 1, child) for child in node[2])


def _pouch_leaves(tree: RevTree) -> list[Leaf]:
    if tree._leaves is not None:
        return tree._leaves
    found = []
    stack = list(tree._roots)
    while stack:  # _walk, inlined: this runs on every write
        pos, node = stack.pop()
        kids = node[2]
        if kids:
            stack.extend([(pos + 1, child) for child in kids])
        else:
            found.append(Leaf(f"{pos}-{node[0]}", pos, node[0], node[1]))
    if len(found) > 1:  # most documents have one leaf
        found.sort(key=lambda leaf: leaf.pos)  # stable, then reversed: PouchDB collectLeaves
        found.reverse()
        found = list(dict.fromkeys(found))  # Leaf is frozen: duplicates collapse
    tree._leaves = found
    return tree._leaves


def leaves(tree: RevTree) -> list[Leaf]:
    """Leaves in PouchDB `collectLeaves` order (position descending), each once (a rev
    is listed twice only if inconsistent input gave it two different deleted flags)."""
    return list(_pouch_leaves(tree))


def _winner(tree: RevTree) -> Leaf:
    all_leaves = _pouch_leaves(tree)
    if not all_leaves:
        raise MissingRev("empty revision tree has no winner")
    return max(all_leaves, key=lambda leaf: (not leaf.deleted, leaf.pos, leaf.hash))


def winning_rev(tree: RevTree) -> str:
    """Winner: non-deleted beats deleted, then higher position, then higher hash."""
    return _winner(tree).rev


def winner_deleted(tree: RevTree) -> bool:
    """True iff every leaf is deleted (the document reads as deleted)."""
    return _winner(tree).deleted


def conflicts(tree: RevTree) -> list[str]:
    """`_conflicts`: non-deleted leaves other than the winner (PouchDB order)."""
    return _losers(tree, deleted=False)


def deleted_conflicts(tree: RevTree) -> list[str]:
    """`_deleted_conflicts`: deleted leaves other than the winner (PouchDB order)."""
    return _losers(tree, deleted=True)


def _losers(tree: RevTree, *, deleted: bool) -> list[str]:
    found = _pouch_leaves(tree)
    if not found:
        return []
    win = winning_rev(tree)
    return list(dict.fromkeys(x.rev for x in found if x.rev != win and x.deleted == deleted))


def contains(tree: RevTree, rev: str) -> bool:
    """Is `rev` anywhere in the tree (leaf or internal)? Stemmed revisions are not."""
    pos, h = parse_rev(rev)
    stack = list(tree._roots)
    while stack:  # _walk, inlined and pruned: nothing below position `pos` can match
        p, n = stack.pop()
        if p == pos:
            if n[0] == h:
                return True
        elif p < pos:
            stack.extend([(p + 1, child) for child in n[2]])
    return False


def is_leaf(tree: RevTree, rev: str) -> bool:
    pos, h = parse_rev(rev)
    return any(p == pos and n[0] == h and not n[2] for p, n in _walk(tree))


def all_revs(tree: RevTree) -> list[str]:
    """Every revision once, sorted by (position, hash)."""
    revs = {(p, n[0]) for p, n in _walk(tree)}
    return [f"{p}-{h}" for p, h in sorted(revs)]


def rev_count(tree: RevTree) -> int:
    return len({(p, n[0]) for p, n in _walk(tree)})


def max_pos(tree: RevTree) -> int:
    """Highest position in the tree (0 for an empty tree)."""
    return max((p for p, _ in _walk(tree)), default=0)


def _ancestry(tree: RevTree, rev: str) -> list[tuple[int, _Node]]:
    """Longest known ancestry of `rev`, newest first, as (pos, node); MissingRev if absent."""
    pos, h = parse_rev(rev)
    best: list[tuple[int, _Node]] = []
    stack: list[tuple[int, _Node, Any]] = [(p, n, None) for p, n in tree._roots]
    while stack:
        p, node, parents = stack.pop()
        cell = ((p, node), parents)
        if p == pos:
            if node[0] == h:
                chain = []
                c: Any = cell
                while c is not None:
                    chain.append(c[0])
                    c = c[1]
                if len(chain) > len(best):
                    best = chain
            continue  # nothing below can match this position
        stack.extend((p + 1, child, cell) for child in node[2])
    if not best:
        raise MissingRev(f"revision {rev!r} is not in the tree")
    return best


def revisions_of(tree: RevTree, rev: str) -> dict[str, Any]:
    """`_revisions` for `rev`: `{"start": pos, "ids": [hash, parent hash, ...]}` down to
    the oldest revision still in the tree. Raises `MissingRev` if `rev` is unknown."""
    chain = _ancestry(tree, rev)
    return {"start": chain[0][0], "ids": [n[0] for _, n in chain]}


def revs_info(tree: RevTree, rev: str, available: Container[str]) -> list[dict[str, str]]:
    """`_revs_info` for `rev`, newest first. `available` holds the revs whose bodies the
    caller still has; status is "missing" without a body, else "deleted" if the tree marks
    the revision deleted, else "available". Raises `MissingRev` if `rev` is unknown."""
    out = []
    for p, n in _ancestry(tree, rev):
        r = f"{p}-{n[0]}"
        status = "missing" if r not in available else "deleted" if n[1] else "available"
        out.append({"rev": r, "status": status})
    return out


def latest_leaves(tree: RevTree, rev: str) -> list[str]:
    """Leaves descending from `rev` (`[rev]` if it is a leaf, `[]` if unknown): the
    revisions `latest=true` answers with."""
    pos, h = parse_rev(rev)
    result: dict[str, None] = {}
    for p, node in _walk(tree):
        if p != pos or node[0] != h:
            continue
        stack = [(p, node)]
        while stack:
            q, n = stack.pop()
            if not n[2]:
                result[f"{q}-{n[0]}"] = None
            stack.extend((q + 1, c) for c in n[2])
    return list(result)
