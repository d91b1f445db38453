"""Differential property test: sync.revtree against PouchDB's own `pouchdb-merge`.

Hypothesis draws the generator's seed and mix; a seeded `random.Random` then builds a
whole batch of revision histories, and one Node process (`tests/js/merge_oracle.js`)
replays the batch through `pouchdb-merge`. Every merge step is compared: outcome,
stemmed revs, the exact tree (roots, branch order, deleted flags), leaves, winner and
conflicts.

Two kinds of histories:
* realistic: a true history where each revision has one parent and a fixed deleted flag;
  several writers branch, delete, re-create on deleted leaves, start new roots, and
  deliver `_revisions` paths truncated at random (as senders with a low revs_limit do);
* adversarial: arbitrary paths over a tiny hash alphabet, to reach PouchDB's odd corners.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sync import revtree as rt

ROOT = Path(__file__).resolve().parents[2]
ORACLE = ROOT / "tests" / "js" / "merge_oracle.js"
NODE = shutil.which("node")

Op = tuple[int, list[str], bool, int]  # (pos of oldest, hashes oldest..newest, deleted, limit)

pytestmark = pytest.mark.skipif(
    NODE is None or not (ROOT / "node_modules" / "pouchdb-merge").is_dir(),
    reason="differential test needs `node` and node_modules/pouchdb-merge (run `npm ci`)",
)


def _limit(rng: random.Random) -> int:
    return rng.randint(1, 10) if rng.random() < 0.8 else rng.choice([50, 1000])


def _realistic_case(rng: random.Random) -> list[Op]:
    """Merges of truncated ancestry paths taken from one consistent true history."""
    hist: dict[str, tuple[str | None, bool]] = {}  # rev -> (parent rev, deleted)
    children: dict[str, int] = {}
    limit = _limit(rng)
    vary_limit = rng.random() < 0.1
    alphabet = rng.choice(["0123456789abcdef", "abc", "ab"])

    def edit(parent: str | None) -> str:
        pos = 1 if parent is None else int(parent.split("-", 1)[0]) + 1
        while True:
            rev = f"{pos}-{''.join(rng.choices(alphabet, k=rng.randint(1, 4)))}"
            if rev not in hist:
                break
        hist[rev] = (parent, rng.random() < 0.2)
        children[rev] = 0
        if parent is not None:
            children[parent] += 1
        return rev

    def deliver(rev: str) -> Op:
        chain = [rev]
        while (parent := hist[chain[-1]][0]) is not None:
            chain.append(parent)
        keep = len(chain) if rng.random() < 0.5 else rng.randint(1, len(chain))
        chain = chain[:keep][::-1]
        pos = int(chain[0].split("-", 1)[0])
        op_limit = _limit(rng) if vary_limit else limit
        return (pos, [r.split("-", 1)[1] for r in chain], hist[rev][1], op_limit)

    ops: list[Op] = []
    latest = edit(None)
    for _ in range(rng.randint(1, 14)):
        for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
            revs = list(hist)
            leaves = [r for r in revs if children[r] == 0]
            roll = rng.random()
            parent = None if roll < 0.08 else rng.choice(leaves) if roll < 0.8 else rng.choice(revs)
            latest = edit(parent)
        target = latest if rng.random() < 0.6 else rng.choice(list(hist))
        ops.append(deliver(target))
    return ops


def _adversarial_case(rng: random.Random) -> list[Op]:
    """Arbitrary paths: the same rev may come with different parents or deleted flags."""
    limit = _limit(rng)
    ops: list[Op] = []
    for _ in range(rng.randint(1, 10)):
        top = rng.randint(1, 6)
        length = rng.randint(1, top)
        hashes = [rng.choice("abc") for _ in range(length)]
        ops.append((top - length + 1, hashes, rng.random() < 0.3, limit))
    return ops


def _generate(seed: int, count: int, adversarial_share: float) -> list[list[Op]]:
    rng = random.Random(seed)
    return [
        _adversarial_case(rng) if rng.random() < adversarial_share else _realistic_case(rng)
        for _ in range(count)
    ]


def _run_oracle(cases: list[list[Op]]) -> list[list[list[Any]]]:
    assert NODE is not None
    proc = subprocess.run(
        [NODE, str(ORACLE)],
        input=json.dumps({"cases": cases}).encode(),
        capture_output=True,
        cwd=ROOT,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    result: list[list[list[Any]]] = json.loads(proc.stdout)
    return result


def _unique(items: list[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


def _ours(tree: rt.RevTree, op: Op) -> tuple[rt.RevTree, list[Any]]:
    pos, hashes, deleted, limit = op
    path = [f"{pos + i}-{h}" for i, h in enumerate(hashes)][::-1]
    tree, outcome, stemmed = rt.merge_path(tree, path, deleted=deleted, revs_limit=limit)
    step = [
        outcome.value,
        stemmed,
        msgspec.json.decode(rt.tree_to_json(tree)),
        rt.winning_rev(tree),
        rt.conflicts(tree),
        [[leaf.rev, leaf.deleted] for leaf in rt.leaves(tree)],
    ]
    return tree, step


def _check_batch(seed: int, cases: list[list[Op]]) -> None:
    expected = _run_oracle(cases)
    assert len(expected) == len(cases)
    for index, (ops, pouch_steps) in enumerate(zip(cases, expected, strict=True)):
        tree = rt.empty_tree()
        named: dict[str, None] = {}
        for step_no, (op, pouch) in enumerate(zip(ops, pouch_steps, strict=True)):
            tree, ours = _ours(tree, op)
            named.update((f"{op[0] + i}-{h}", None) for i, h in enumerate(op[1]))
            _check_lookups(tree, list(named), pouch.pop())
            # PouchDB lists a leaf twice when stemming left it in two roots; we list it once.
            pouch = [*pouch[:4], _unique(pouch[4]), _unique([tuple(x) for x in pouch[5]])]
            ours[5] = [tuple(x) for x in ours[5]]
            if ours != pouch:
                fields = ["outcome", "stemmed", "tree", "winner", "conflicts", "leaves"]
                diff = {f: (o, p) for f, o, p in zip(fields, ours, pouch, strict=True) if o != p}
                pytest.fail(
                    f"seed {seed} case {index} step {step_no} differs from pouchdb-merge "
                    f"(ours, pouch): {diff}\nops: {json.dumps(ops[: step_no + 1])}"
                )
            assert rt.tree_from_json(rt.tree_to_json(tree)) == tree


def _check_lookups(tree: rt.RevTree, named: list[str], known: list[list[str]]) -> None:
    """`all_revs`/`contains` agree with PouchDB's `revExists`, `latest_leaves` includes its
    `latest` (the per-rev lookups are sampled: the oldest and the 3 newest names)."""
    present = set(rt.all_revs(tree))
    assert [r for r in named if r in present] == [rev for rev, _ in known]
    sample = {*named[:1], *named[-3:]}
    assert {r for r in sample if rt.contains(tree, r)} == sample & present
    for rev, latest in known:
        if rev not in sample:
            continue
        found = rt.latest_leaves(tree, rev)
        assert latest in found and all(rt.is_leaf(tree, leaf) for leaf in found), (rev, found)
        assert rt.revisions_of(tree, rev)["start"] == rt.parse_rev(rev)[0]


_SETTINGS = settings(
    max_examples=1,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), adversarial_share=st.sampled_from([0.1, 0.25, 0.4]))
def test_matches_pouchdb_merge(seed: int, adversarial_share: float) -> None:
    _check_batch(seed, _generate(seed, 2_500, adversarial_share))


@pytest.mark.torture
@_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), adversarial_share=st.sampled_from([0.1, 0.25, 0.4]))
def test_matches_pouchdb_merge_torture(seed: int, adversarial_share: float) -> None:
    _check_batch(seed, _generate(seed, 12_000, adversarial_share))
