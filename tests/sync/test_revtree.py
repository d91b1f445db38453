"""Unit tests of sync.revtree on hand-made revision trees."""

from __future__ import annotations

import re

import pytest

from sync import revtree as rt
from sync.revtree import InvalidRev, MergeOutcome

NEW_LEAF, NEW_BRANCH, INTERNAL = (
    MergeOutcome.NEW_LEAF,
    MergeOutcome.NEW_BRANCH,
    MergeOutcome.INTERNAL_NODE,
)


def build(*paths: str, deleted: tuple[str, ...] = (), limit: int = 1000) -> rt.RevTree:
    """Merge paths written oldest first ("1-a 2-b 3-c"); leaves listed in `deleted` are
    merged as deletions."""
    tree = rt.empty_tree()
    for path in paths:
        revs = path.split()[::-1]
        tree, _, _ = rt.merge_path(tree, revs, deleted=revs[0] in deleted, revs_limit=limit)
    return tree


# --- winner, conflicts -----------------------------------------------------------------


def test_single_branch_winner_is_the_leaf() -> None:
    tree = build("1-a 2-b 3-c")
    assert rt.winning_rev(tree) == "3-c"
    assert not rt.winner_deleted(tree)
    assert rt.conflicts(tree) == [] and rt.deleted_conflicts(tree) == []
    assert [leaf.rev for leaf in rt.leaves(tree)] == ["3-c"]


def test_deeper_branch_wins() -> None:
    tree = build("1-a 2-z", "1-a 2-b 3-c")
    assert rt.winning_rev(tree) == "3-c"
    assert rt.conflicts(tree) == ["2-z"]


def test_hash_breaks_ties_at_equal_depth() -> None:
    tree = build("1-a 2-b", "1-a 2-c", "1-a 2-a")
    assert rt.winning_rev(tree) == "2-c"
    assert sorted(rt.conflicts(tree)) == ["2-a", "2-b"]


def test_non_deleted_beats_deeper_deleted() -> None:
    tree = build("1-a 2-b", "1-a 2-c 3-d 4-e", deleted=("4-e",))
    assert rt.winning_rev(tree) == "2-b"
    assert not rt.winner_deleted(tree)
    assert rt.conflicts(tree) == []
    assert rt.deleted_conflicts(tree) == ["4-e"]


def test_conflicts_follow_pouchdb_order_position_descending() -> None:
    tree = build("1-a 2-b 3-c 4-d", "1-a 2-b 3-e", "1-a 2-f", "1-a 2-b 3-g", deleted=("3-g",))
    assert rt.winning_rev(tree) == "4-d"
    assert rt.conflicts(tree) == ["3-e", "2-f"]
    assert rt.deleted_conflicts(tree) == ["3-g"]
    assert [(x.rev, x.deleted) for x in rt.leaves(tree)] == [
        ("4-d", False),
        ("3-e", False),
        ("3-g", True),
        ("2-f", False),
    ]
    assert rt.leaves(tree)[0] == rt.Leaf(rev="4-d", pos=4, hash="d", deleted=False)


def test_all_leaves_deleted_means_document_deleted() -> None:
    tree = build("1-a 2-b 3-c", "1-a 2-b 3-d", "1-a 2-e", deleted=("3-c", "3-d", "2-e"))
    assert rt.winner_deleted(tree)
    assert rt.winning_rev(tree) == "3-d"  # deepest deleted leaf, then highest hash
    assert rt.conflicts(tree) == []
    assert rt.deleted_conflicts(tree) == ["3-c", "2-e"]


def test_deleting_the_winner_promotes_the_next_leaf() -> None:
    tree = build("1-a 2-b", "1-a 2-c")
    assert rt.winning_rev(tree) == "2-c"
    tree, outcome, _ = rt.extend(tree, "2-c", "3-x", deleted=True, revs_limit=1000)
    assert outcome is NEW_LEAF
    assert rt.winning_rev(tree) == "2-b"
    assert rt.conflicts(tree) == [] and rt.deleted_conflicts(tree) == ["3-x"]


def test_recreation_on_top_of_a_deleted_leaf() -> None:
    tree = build("1-a 2-b", deleted=("2-b",))
    assert rt.winner_deleted(tree)
    rev = rt.new_rev("2-b", {"v": 1}, deleted=False)
    tree, outcome, _ = rt.extend(tree, "2-b", rev, deleted=False, revs_limit=1000)
    assert outcome is NEW_LEAF
    assert rt.winning_rev(tree) == rev and rev.startswith("3-")
    assert not rt.winner_deleted(tree)
    assert rt.deleted_conflicts(tree) == []
    assert rt.revisions_of(tree, rev)["ids"][1:] == ["b", "a"]


def test_empty_tree() -> None:
    tree = rt.empty_tree()
    assert rt.leaves(tree) == [] and rt.conflicts(tree) == [] and rt.all_revs(tree) == []
    assert rt.max_pos(tree) == 0 and rt.rev_count(tree) == 0
    with pytest.raises(rt.MissingRev):
        rt.winning_rev(tree)


# --- merge outcomes --------------------------------------------------------------------


def test_merge_outcomes() -> None:
    tree, outcome, stemmed = rt.merge_path(
        rt.empty_tree(), ["2-b", "1-a"], deleted=False, revs_limit=10
    )
    assert (outcome, stemmed) == (NEW_LEAF, [])
    tree, outcome, _ = rt.merge_path(tree, ["4-d", "3-c", "2-b"], deleted=False, revs_limit=10)
    assert outcome is NEW_LEAF
    tree, outcome, _ = rt.merge_path(tree, ["3-x", "2-b"], deleted=False, revs_limit=10)
    assert outcome is NEW_BRANCH
    again, outcome, _ = rt.merge_path(tree, ["3-c", "2-b", "1-a"], deleted=False, revs_limit=10)
    assert outcome is INTERNAL and again == tree
    # A path that connects to nothing: a new root, reported as PouchDB does.
    tree, outcome, _ = rt.merge_path(tree, ["9-z"], deleted=False, revs_limit=10)
    assert outcome is INTERNAL
    assert rt.winning_rev(tree) == "9-z" and rt.is_leaf(tree, "4-d")


def test_extend_outcome_tells_a_valid_edit() -> None:
    tree = build("1-a 2-b", "1-a 2-c")
    assert rt.extend(tree, "2-b", "3-d", deleted=False, revs_limit=9)[1] is NEW_LEAF
    assert rt.extend(tree, "1-a", "2-d", deleted=False, revs_limit=9)[1] is NEW_BRANCH
    assert rt.extend(tree, "5-q", "6-d", deleted=False, revs_limit=9)[1] is INTERNAL
    assert rt.extend(rt.empty_tree(), None, "1-a", deleted=False, revs_limit=9)[1] is NEW_LEAF
    with pytest.raises(InvalidRev, match="not consecutive"):
        rt.extend(tree, "2-b", "4-d", deleted=False, revs_limit=9)


def test_merge_does_not_mutate_its_input() -> None:
    tree = build("1-a 2-b 3-c")
    before = rt.tree_to_json(tree)
    rt.merge_path(tree, ["3-x", "2-b"], deleted=True, revs_limit=2)
    rt.extend(tree, "3-c", "4-d", deleted=False, revs_limit=1)
    assert rt.tree_to_json(tree) == before


def test_merge_rejects_bad_paths_and_limits() -> None:
    tree = rt.empty_tree()
    with pytest.raises(InvalidRev, match="not consecutive"):
        rt.merge_path(tree, ["3-c", "1-a"], deleted=False, revs_limit=5)
    with pytest.raises(InvalidRev, match="non-empty list"):
        rt.merge_path(tree, [], deleted=False, revs_limit=5)
    with pytest.raises(InvalidRev, match="non-empty list"):
        rt.merge_path(tree, "1-a", deleted=False, revs_limit=5)
    with pytest.raises(InvalidRev, match="'2-'"):
        rt.merge_path(tree, ["2-", "1-a"], deleted=False, revs_limit=5)
    with pytest.raises(ValueError, match="revs_limit"):
        rt.merge_path(tree, ["1-a"], deleted=False, revs_limit=0)


# --- stemming --------------------------------------------------------------------------


def test_stemming_keeps_the_newest_revs_of_a_branch() -> None:
    tree = build("1-a 2-b 3-c")
    tree, outcome, stemmed = rt.merge_path(tree, ["5-e", "4-d", "3-c"], deleted=False, revs_limit=3)
    assert outcome is NEW_LEAF
    assert stemmed == ["1-a", "2-b"]
    assert rt.all_revs(tree) == ["3-c", "4-d", "5-e"]
    assert not rt.contains(tree, "1-a") and rt.contains(tree, "3-c")
    assert rt.revisions_of(tree, "5-e") == {"start": 5, "ids": ["e", "d", "c"]}
    assert rt.tree_to_json(tree) == b'[[3,"c",0,1,"d",0,1,"e",0,0]]'


def test_stemming_can_split_a_tree_and_keep_shared_revs() -> None:
    tree = build("1-a 2-b 3-c", "1-a 2-b 3-d 4-e", limit=3)
    # PouchDB stems each root-to-leaf path separately: 2-b survives in both pieces.
    assert rt.tree_to_json(tree) == b'[[1,"a",0,1,"b",0,1,"c",0,0],[2,"b",0,1,"d",0,1,"e",0,0]]'
    assert rt.all_revs(tree) == ["1-a", "2-b", "3-c", "3-d", "4-e"]
    assert rt.rev_count(tree) == 5
    assert rt.winning_rev(tree) == "4-e" and rt.conflicts(tree) == ["3-c"]
    assert sorted(rt.latest_leaves(tree, "2-b")) == ["3-c", "4-e"]
    assert rt.revisions_of(tree, "3-c") == {"start": 3, "ids": ["c", "b", "a"]}


def test_stemmed_revs_only_lists_revs_gone_from_every_branch() -> None:
    tree = build("1-a 2-b 3-c", "1-a 2-b 3-d 4-e")
    _, _, stemmed = rt.merge_path(tree, ["4-e", "3-d", "2-b"], deleted=False, revs_limit=2)
    assert stemmed == ["1-a"]  # 2-b is still needed by the 3-c branch
    _, _, stemmed = rt.merge_path(tree, ["4-e", "3-d", "2-b"], deleted=False, revs_limit=1)
    assert stemmed == ["1-a", "2-b", "3-d"]
    tree, _, stemmed = rt.merge_path(tree, ["5-f", "4-e"], deleted=False, revs_limit=3)
    assert stemmed == []  # 1-a and 2-b still lead to 3-c
    assert rt.tree_to_json(tree) == b'[[1,"a",0,1,"b",0,1,"c",0,0],[3,"d",0,1,"e",0,1,"f",0,0]]'


def test_revs_limit_one_keeps_only_leaves() -> None:
    tree = build("1-a 2-b 3-c", "1-a 2-d", limit=1)
    assert rt.all_revs(tree) == ["2-d", "3-c"]
    assert rt.revisions_of(tree, "3-c") == {"start": 3, "ids": ["c"]}


# --- lookups ---------------------------------------------------------------------------


def test_latest_leaves_contains_is_leaf() -> None:
    tree = build("1-a 2-b 3-c", "1-a 2-b 3-d", "1-a 2-e")
    assert sorted(rt.latest_leaves(tree, "2-b")) == ["3-c", "3-d"]
    assert sorted(rt.latest_leaves(tree, "1-a")) == ["2-e", "3-c", "3-d"]
    assert rt.latest_leaves(tree, "3-c") == ["3-c"]
    assert rt.latest_leaves(tree, "7-zz") == []
    assert rt.contains(tree, "1-a") and rt.contains(tree, "3-d")
    assert not rt.contains(tree, "3-e") and not rt.contains(tree, "2-c")
    assert rt.is_leaf(tree, "2-e") and not rt.is_leaf(tree, "2-b")
    assert not rt.is_leaf(tree, "9-x")
    assert rt.max_pos(tree) == 3


def test_revisions_and_revs_info() -> None:
    tree = build("1-a 2-b 3-c", "1-a 2-b 3-d", deleted=("3-d",))
    assert rt.revisions_of(tree, "2-b") == {"start": 2, "ids": ["b", "a"]}
    info = rt.revs_info(tree, "3-d", available={"3-d", "1-a"})
    assert info == [
        {"rev": "3-d", "status": "deleted"},
        {"rev": "2-b", "status": "missing"},
        {"rev": "1-a", "status": "available"},
    ]
    with pytest.raises(rt.MissingRev):
        rt.revisions_of(tree, "4-x")
    with pytest.raises(rt.MissingRev):
        rt.revs_info(tree, "4-x", available=set())


# --- rev ids ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    ["abc", "0-x", "1-", "-1-a", "01-a", "1.5-a", "x-1", "", "-", "1-a b", "1-é", "١-a", "+1-a"],
)
def test_parse_rev_rejects_malformed_revs(bad: str) -> None:
    with pytest.raises(InvalidRev) as err:
        rt.parse_rev(bad)
    assert repr(bad) in str(err.value)


def test_parse_rev_accepts_valid_revs() -> None:
    assert rt.parse_rev("1-a") == (1, "a")
    assert rt.parse_rev("12-abc-def") == (12, "abc-def")
    assert rt.parse_rev("3-" + "f" * 32) == (3, "f" * 32)
    with pytest.raises(InvalidRev, match="string"):
        rt.parse_rev(5)  # type: ignore[arg-type]


def test_path_from_revisions() -> None:
    assert rt.path_from_revisions("3-c", None) == ["3-c"]
    assert rt.path_from_revisions("3-c", {"start": 3, "ids": ["c", "b"]}) == ["3-c", "2-b"]
    assert rt.path_from_revisions("3-c", {"start": 3, "ids": ["c", "b", "a"]}) == [
        "3-c",
        "2-b",
        "1-a",
    ]


@pytest.mark.parametrize(
    ("revisions", "message"),
    [
        ({"start": 2, "ids": ["c", "b"]}, "start 2 does not match"),
        ({"start": 3, "ids": ["x", "b"]}, r"ids\[0\] 'x' does not match"),
        ({"start": 3, "ids": []}, "non-empty list"),
        ({"start": 3, "ids": "cba"}, "non-empty list"),
        ({"start": 3}, "non-empty list"),
        ({"ids": ["c"]}, "start must be an integer"),
        ({"start": "3", "ids": ["c"]}, "start must be an integer"),
        ({"start": True, "ids": ["c"]}, "start must be an integer"),
        ({"start": 3, "ids": ["c", ""]}, r"ids\[1\].*non-empty string"),
        ({"start": 3, "ids": ["c", 7]}, r"ids\[1\].*non-empty string"),
        ({"start": 3, "ids": ["c", "b", "a", "z"]}, "positions below 1"),
        (["c", "b"], "must be an object"),
    ],
)
def test_path_from_revisions_rejects_bad_revisions(revisions: object, message: str) -> None:
    with pytest.raises(InvalidRev, match=message):
        rt.path_from_revisions("3-c", revisions)


def test_path_from_revisions_rejects_a_bad_rev() -> None:
    with pytest.raises(InvalidRev, match="'abc'"):
        rt.path_from_revisions("abc", {"start": 1, "ids": ["abc"]})


def test_new_rev_is_deterministic_and_content_addressed() -> None:
    body = {"a": 1, "b": {"y": [1, 2], "x": "é"}, "_id": "doc", "_rev": "1-x"}
    rev = rt.new_rev("1-abc", body, deleted=False, attachment_digests=["md5-b", "md5-a"])
    assert re.fullmatch(r"2-[0-9a-f]{32}", rev)
    same = {"b": {"x": "é", "y": [1, 2]}, "a": 1, "_id": "other", "_revisions": {}}
    assert rt.new_rev("1-abc", same, deleted=False, attachment_digests=["md5-a", "md5-b"]) == rev
    variants = {
        rt.new_rev("1-abd", body, deleted=False, attachment_digests=["md5-a", "md5-b"]),
        rt.new_rev("1-abc", body, deleted=True, attachment_digests=["md5-a", "md5-b"]),
        rt.new_rev("1-abc", {**body, "a": 2}, deleted=False, attachment_digests=["md5-a", "md5-b"]),
        rt.new_rev("1-abc", body, deleted=False, attachment_digests=["md5-a"]),
        rt.new_rev("1-abc", body, deleted=False),
    }
    assert rev not in variants and len(variants) == 5
    first = rt.new_rev(None, {}, deleted=False)
    assert first.startswith("1-") and first == rt.new_rev(None, {}, deleted=False)
    assert rt.new_rev("41-x", {}, deleted=True).startswith("42-")
    with pytest.raises(InvalidRev):
        rt.new_rev("bad", {}, deleted=False)


# --- storage ---------------------------------------------------------------------------


def test_json_round_trip() -> None:
    tree = build("1-a 2-b 3-c", "1-a 2-b 3-d 4-e", "1-a 2-f", "7-x 8-y", deleted=("2-f", "8-y"))
    data = rt.tree_to_json(tree)
    assert isinstance(data, bytes) and b" " not in data
    back = rt.tree_from_json(data)
    assert back == tree and rt.tree_to_json(back) == data
    assert rt.leaves(back) == rt.leaves(tree)
    assert rt.deleted_conflicts(back) == ["8-y", "2-f"]
    assert rt.tree_from_json(rt.tree_to_json(rt.empty_tree())) == rt.empty_tree()


def test_deep_history_has_no_recursion_limit() -> None:
    path = [f"{i}-{i:x}" for i in range(3000, 0, -1)]
    tree, outcome, _ = rt.merge_path(rt.empty_tree(), path, deleted=False, revs_limit=5000)
    assert outcome is NEW_LEAF
    tree, outcome, _ = rt.extend(tree, "3000-bb8", "3001-y", deleted=False, revs_limit=5000)
    assert outcome is NEW_LEAF
    tree, _, _ = rt.merge_path(tree, ["3001-y", "3000-bb8"], deleted=False, revs_limit=5000)
    parent = "3001-y"
    back = rt.tree_from_json(rt.tree_to_json(tree))
    assert back == tree and rt.rev_count(back) == 3001
    assert len(rt.revisions_of(back, "3000-bb8")["ids"]) == 3000
    stemmed_tree, _, stemmed = rt.extend(back, parent, "3002-z", deleted=False, revs_limit=1000)
    assert len(stemmed) == 2002 and rt.rev_count(stemmed_tree) == 1000


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"{}",
        b'[[0,"a",0,0]]',
        b'[[1,"a",0,1]]',
        b'[[1,"a",0,0,"b",0,0]]',
        b'[[1,"a",2,0]]',
        b'[[1,"a",0,-1]]',
        b"[[1,5,0,0]]",
        b'[[1,"a",0]]',
        b"[[1]]",
    ],
)
def test_tree_from_json_rejects_corrupt_data(data: bytes) -> None:
    with pytest.raises(ValueError, match="corrupt revision tree"):
        rt.tree_from_json(data)
