"""Unit tests of sync.closing: tombstones that leave one chosen revision the only open leaf."""

from __future__ import annotations

import re

import pytest

from sync import revtree as rt
from sync.closing import close_other_leaves, closing_rev, open_leaves, tombstones

HEX = re.compile(r"^[1-9][0-9]*-[0-9a-f]{32}$")


def build(*paths: str, deleted: tuple[str, ...] = ()) -> rt.RevTree:
    """Merge paths written oldest first ("1-a 2-b 3-c")."""
    tree = rt.empty_tree()
    for path in paths:
        revs = path.split()[::-1]
        tree, _, _ = rt.merge_path(tree, revs, deleted=revs[0] in deleted, revs_limit=1000)
    return tree


def merged(tree: rt.RevTree, docs: list[dict[str, object]]) -> rt.RevTree:
    for doc in docs:
        path = rt.path_from_revisions(doc["_rev"], doc["_revisions"])  # type: ignore[arg-type]
        tree, _, _ = rt.merge_path(tree, path, deleted=bool(doc["_deleted"]), revs_limit=1000)
    return tree


def test_a_losing_leaf_kept_becomes_the_only_open_leaf_and_the_winner() -> None:
    tree = build("1-a 2-b 3-c 4-d", "1-a 2-e", "1-a 2-b 3-f")
    assert rt.winning_rev(tree) == "4-d"
    docs = close_other_leaves("sheet:1", tree, "2-e")
    assert [d["_revisions"]["ids"][1] for d in docs] == ["d", "f"]  # type: ignore[index]
    assert all(d["_id"] == "sheet:1" and d["_deleted"] is True for d in docs)
    assert all(HEX.match(str(d["_rev"])) for d in docs)
    after = merged(tree, docs)
    assert rt.winning_rev(after) == "2-e" and rt.conflicts(after) == []
    assert sorted(rt.deleted_conflicts(after)) == sorted(str(d["_rev"]) for d in docs)
    assert close_other_leaves("sheet:1", after, "2-e") == []  # idempotent


def test_keep_may_be_a_revision_not_yet_in_the_tree() -> None:
    tree = build("1-a 2-b 3-c", "1-a 2-e")
    keep = "3-" + "1" * 32  # a new child of 2-e written in the same batch
    docs = close_other_leaves("x", tree, keep)
    assert len(docs) == 2
    after = merged(merged(tree, [{"_rev": keep, "_revisions": {"start": 3, "ids": ["1" * 32, "e"]},
                                   "_deleted": False}]), docs)
    assert rt.winning_rev(after) == keep and open_leaves(after) == [keep]


def test_deleted_leaves_are_left_alone_and_revisions_are_deterministic() -> None:
    tree = build("1-a 2-b", "1-a 2-c 3-d", deleted=("3-d",))
    first = close_other_leaves("x", tree, "2-z")
    assert [d["_rev"] for d in first] == [closing_rev("2-b", "2-z")]
    assert first == close_other_leaves("x", build("1-a 2-c 3-d", "1-a 2-b", deleted=("3-d",)),
                                       "2-z")
    assert closing_rev("2-b", "2-z") != closing_rev("2-b", "2-y")  # names the kept revision
    assert closing_rev("2-b", "2-z").startswith("3-")


def test_tombstones_from_a_list_of_leaves_skip_keep_and_duplicates() -> None:
    docs = tombstones("x", ["5-a", "3-b", "5-a", "4-k"], "4-k")
    assert [d["_rev"].split("-")[0] for d in docs] == ["6", "4"]  # type: ignore[union-attr]
    with pytest.raises(rt.InvalidRev):
        closing_rev("nope", "1-a")
