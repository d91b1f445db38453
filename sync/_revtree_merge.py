"""Revision-tree merge and stemming: a faithful port of PouchDB 9 `pouchdb-merge`.

PouchDB's algorithm (itself a port of CouchDB's `couch_key_tree`) is reproduced step by
step, including its quirks (a path merged into two roots, roots duplicated by stemming,
`internal_node` for a disconnected path), because replication peers must agree on the
tree shape, the winner and the conflict order. `tests/sync/test_revtree_oracle.py`
checks it against the real `pouchdb-merge` package.

Representation (shared with `sync.revtree`): a node is a mutable list
`[hash, deleted, children]`, a root is `(pos, node)`, a tree is a list of roots sorted
by `pos`. Every function here is iterative, so 1000-revision chains never hit Python's
recursion limit. `merge` never mutates its arguments.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

Node = list[Any]  # [hash: str, deleted: bool, children: list[Node]]
Root = tuple[int, Node]

NEW_LEAF = "new_leaf"
NEW_BRANCH = "new_branch"
INTERNAL_NODE = "internal_node"


def copy_roots(roots: list[Root]) -> list[Root]:
    """Deep copy of a tree (iterative; preserves sharing-free layout)."""
    out: list[Root] = []
    for pos, node in roots:
        top: Node = [node[0], node[1], []]
        out.append((pos, top))
        stack = [(node, top)]
        while stack:
            src, dst = stack.pop()
            kids = dst[2]
            for child in src[2]:
                new: Node = [child[0], child[1], []]
                kids.append(new)
                if child[2]:
                    stack.append((child, new))
    return out


def _insert_sorted(children: list[Node], node: Node) -> None:
    """`insertSorted` with `compareTree`: first index whose hash is not < node's hash."""
    idx = bisect_left([c[0] for c in children], node[0])
    children.insert(idx, node)


def _merge_tree(tree1: Node, tree2: Node) -> str | None:
    """`mergeTree`: merge tree2 into tree1 (same root rev); mutates tree1."""
    queue = [(tree1, tree2)]
    conflicts: str | None = None
    while queue:
        a, b = queue.pop()
        kids_a: list[Node] = a[2]
        kids_b: list[Node] = b[2]
        i = 0
        while i < len(kids_b):
            child = kids_b[i]
            i += 1
            if not kids_a:
                conflicts = NEW_LEAF
                kids_a.append(child)
                continue
            merged = False
            for own in kids_a:
                if own[0] == child[0]:
                    queue.append((own, child))
                    merged = True
            if not merged:
                conflicts = NEW_BRANCH
                _insert_sorted(kids_a, child)
    return conflicts


def _find_candidate(t1: Node, diff: int, target: str) -> Node | None:
    """First node (in PouchDB's DFS pop order) `diff` levels below t1 with hash `target`."""
    stack: list[tuple[Node, int]] = [(t1, diff)]
    while stack:
        node, d = stack.pop()
        if d == 0:
            if node[0] == target:
                return node
            continue
        for child in node[2]:
            stack.append((child, d - 1))
    return None


def do_merge(roots: list[Root], path: Root, dont_expand: bool) -> tuple[list[Root], str]:
    """`doMerge`: merge one root-ward path (as a single-branch tree) into the roots."""
    if not roots:
        return [path], NEW_LEAF
    ppos, pnode = path
    restree: list[Root] = []
    conflicts: str | None = None
    merged = False
    for branch in roots:
        bpos, bnode = branch
        if bpos == ppos and bnode[0] == pnode[0]:
            res = _merge_tree(bnode, pnode)
            restree.append(branch)
            conflicts = conflicts or res
            merged = True
        elif not dont_expand:
            t1, t2 = (branch, path) if bpos < ppos else (path, branch)
            found = _find_candidate(t1[1], t2[0] - t1[0], t2[1][0])
            if found is None:
                restree.append(branch)
            else:
                res = _merge_tree(found, t2[1])
                restree.append(t1)
                conflicts = conflicts or res
                merged = True
        else:
            restree.append(branch)
    if not merged:
        restree.append(path)
    restree.sort(key=_root_pos)
    return restree, conflicts or INTERNAL_NODE


def _root_pos(root: Root) -> int:
    return root[0]


def root_to_leaf(roots: list[Root]) -> list[tuple[int, list[Node]]]:
    """`rootToLeaf`: every root-to-leaf path as (start pos, nodes oldest first)."""
    leaf_paths: list[tuple[int, list[Node]]] = []
    stack: list[tuple[int, Node, Any]] = [(pos, node, None) for pos, node in roots]
    while stack:
        pos, node, parent_hist = stack.pop()
        hist = (node, parent_hist)  # cons list: (node, older...)
        kids = node[2]
        if not kids:
            nodes: list[Node] = []
            cell: Any = hist
            while cell is not None:
                nodes.append(cell[0])
                cell = cell[1]
            nodes.reverse()
            leaf_paths.append((pos + 1 - len(nodes), nodes))
        for child in kids:
            stack.append((pos + 1, child, hist))
    leaf_paths.reverse()
    return leaf_paths


def _path_to_tree(nodes: list[Node], num_stemmed: int) -> Node:
    """`pathToTree`: fresh single-branch tree from nodes[num_stemmed:]."""
    root: Node | None = None
    leaf: Node | None = None
    for node in nodes[num_stemmed:]:
        current: Node = [node[0], node[1], []]
        if leaf is None:
            root = current
        else:
            leaf[2].append(current)
        leaf = current
    assert root is not None
    return root


def stem(roots: list[Root], depth: int) -> tuple[list[Root], list[str]]:
    """`stem`: keep the newest `depth` revs of every root-to-leaf path; rebuilds the tree."""
    stemmed: dict[str, None] = {}
    result: list[Root] | None = None
    for start, nodes in root_to_leaf(roots):
        num_stemmed = len(nodes) - depth
        if num_stemmed > 0:
            new_root: Root = (start + num_stemmed, _path_to_tree(nodes, num_stemmed))
            for s in range(num_stemmed):
                stemmed[f"{start + s}-{nodes[s][0]}"] = None
        else:
            new_root = (start, _path_to_tree(nodes, 0))
        result = [new_root] if result is None else do_merge(result, new_root, True)[0]
    out = result or []
    if stemmed:
        for pos, node in out:
            stack = [(pos, node)]
            while stack:
                p, n = stack.pop()
                stemmed.pop(f"{p}-{n[0]}", None)
                stack.extend((p + 1, c) for c in n[2])
    return out, list(stemmed)


def merge(roots: list[Root], path: Root, depth: int) -> tuple[list[Root], str, list[str]]:
    """`merge`: doMerge then stem. Returns (new tree, outcome, stemmed revs)."""
    merged, conflicts = do_merge(copy_roots(roots), path, False)
    tree, stemmed = stem(merged, depth)
    return tree, conflicts, stemmed
