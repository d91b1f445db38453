"""Unit tests of sync.revrepair: malformed revision ids renamed, deterministically."""

from __future__ import annotations

from sync import revtree as rt
from sync.revrepair import repair_tree, repaired_hash

GOOD = "1-" + "a" * 32


def build(*paths: list[str], deleted: tuple[str, ...] = ()) -> rt.RevTree:
    tree = rt.empty_tree()
    for path in paths:
        tree, _, _ = rt.merge_path(tree, path, deleted=path[0] in deleted, revs_limit=1000)
    return tree


def test_malformed_ids_are_renamed_and_the_shape_kept() -> None:
    tree = build(["2-a-b", GOOD], ["2-" + "c" * 32, GOOD], ["3-xyz", "2-" + "d" * 32, GOOD],
                 deleted=("3-xyz",))
    fixed = repair_tree(tree)
    assert fixed is not None
    assert fixed.renamed == {"2-a-b": f"2-{repaired_hash('a-b')}", "3-xyz": f"3-{repaired_hash('xyz')}"}
    assert all(rt.is_replication_rev(rev) for rev in rt.all_revs(fixed.tree))
    assert rt.rev_count(fixed.tree) == rt.rev_count(tree)
    leaves = {leaf.rev: leaf.deleted for leaf in rt.leaves(fixed.tree)}
    assert leaves[fixed.renamed["3-xyz"]] is True and leaves[fixed.renamed["2-a-b"]] is False
    assert rt.revisions_of(fixed.tree, fixed.renamed["3-xyz"])["ids"][1:] == ["d" * 32, "a" * 32]
    assert repair_tree(tree) == fixed  # deterministic
    assert repair_tree(fixed.tree) is None  # nothing left to repair


def test_a_well_formed_tree_needs_no_repair_and_a_deep_one_is_fine() -> None:
    assert repair_tree(build(["2-" + "b" * 32, GOOD])) is None
    deep = [f"{n}-{'e' * 32}" for n in range(999, 1, -1)] + ["1-bad"]
    fixed = repair_tree(build(deep))
    assert fixed is not None and fixed.renamed == {"1-bad": f"1-{repaired_hash('bad')}"}
