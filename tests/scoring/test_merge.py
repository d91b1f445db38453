"""scoring.merge: the three-way sheet merge, by example and by property (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.merge import BOOKKEEPING, Leaf, common_ancestor, field_values, merge_sheet

BASE: dict[str, Any] = {
    "type": "sheet", "campaign": "2026", "period": "2026", "unit_kind": "savings_group",
    "unit_code": "1000001", "commune_code": "10001", "status": "draft",
    "inputs": {"a": 1, "b": 2}, "manual": {"m1": {"points": "5"}},
    "scorer": "canbo1", "device_id": "phone-0", "updated_at": "2026-11-01T08:00:00Z",
}


def edit(body: dict[str, Any], when: str, who: str, **changes: Any) -> dict[str, Any]:
    out = {**body, "inputs": dict(body["inputs"]), "manual": dict(body["manual"]),
           "updated_at": when, "scorer": who, "device_id": f"phone-{who}"}
    for key, value in changes.items():
        section, _, name = key.partition("__")
        if name:
            if value is None:
                out[section].pop(name, None)
            else:
                out[section][name] = value
        else:
            out[key] = value
    return out


def test_disjoint_edits_merge_without_clash() -> None:
    one = Leaf("2-aaa", edit(BASE, "2026-11-02T08:00:00Z", "an", inputs__a=10))
    two = Leaf("2-bbb", edit(BASE, "2026-11-02T09:00:00Z", "binh", inputs__b=20,
                             manual__m2={"points": "3"}, notes="đã kiểm tra"))
    merged = merge_sheet(BASE, [one, two])
    assert merged.clashes == ()
    assert merged.body["inputs"] == {"a": 10, "b": 20}
    assert merged.body["manual"] == {"m1": {"points": "5"}, "m2": {"points": "3"}}
    assert merged.body["notes"] == "đã kiểm tra"
    assert merged.base_rev == "2-bbb" and merged.body["scorer"] == "binh"  # the latest leaf


def test_same_field_clash_takes_the_later_edit_and_keeps_every_value() -> None:
    early = Leaf("2-fff", edit(BASE, "2026-11-02T08:00:00+07:00", "an", inputs__a=10))
    late = Leaf("2-000", edit(BASE, "2026-11-02T02:00:00Z", "binh", inputs__a=11))
    merged = merge_sheet(BASE, [early, late])
    assert merged.body["inputs"]["a"] == 11  # 02:00Z is after 08:00+07:00 (01:00Z)
    [clash] = merged.clashes
    assert (clash.field, clash.ancestor, clash.chosen_rev) == ("inputs.a", 1, "2-000")
    assert {(v.value, v.scorer, v.device_id, v.rev) for v in clash.values} == {
        (10, "an", "phone-an", "2-fff"), (11, "binh", "phone-binh", "2-000")}


def test_equal_times_fall_back_to_the_winning_revision() -> None:
    when = "2026-11-02T08:00:00Z"
    low = Leaf("2-aaa", edit(BASE, when, "an", status="submitted", inputs__b=None))
    high = Leaf("2-bbb", edit(BASE, when, "binh", status="locked", inputs__b=3))
    merged = merge_sheet(BASE, [low, high])
    assert merged.body["status"] == "locked" and merged.body["inputs"]["b"] == 3
    removed = next(c for c in merged.clashes if c.field == "inputs.b")
    assert any(not v.present for v in removed.values)  # the removal competes too


def test_without_ancestor_every_difference_is_a_clash() -> None:
    one = Leaf("1-aaa", edit(BASE, "2026-11-02T08:00:00Z", "an", inputs__a=10))
    two = Leaf("1-bbb", edit(BASE, "2026-11-02T09:00:00Z", "binh"))
    merged = merge_sheet(None, [one, two])
    assert [c.field for c in merged.clashes] == ["inputs.a"]
    with pytest.raises(ValueError, match="no open leaf"):
        merge_sheet(BASE, [])


def test_common_ancestor() -> None:
    assert common_ancestor([["3-c", "2-b", "1-a"], ["3-x", "2-b", "1-a"]]) == "2-b"
    assert common_ancestor([["3-c", "2-b"], ["2-x", "1-y"]]) is None
    assert common_ancestor([["3-c", "2-b"]]) == "3-c"


# -- properties ---------------------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "c", "d"])
VALUES = st.one_of(st.integers(0, 5), st.sampled_from(["1.5", "2.0"]))
MANUAL = st.builds(lambda p, e: {"points": p, "evidence": e},
                   st.sampled_from(["0", "1", "2.5"]), st.sampled_from(["", "ảnh"]))
OPS = st.lists(st.tuples(st.sampled_from(["inputs", "manual", "status", "notes"]), NAMES,
                         st.booleans(), VALUES, MANUAL), max_size=4)
TIMES = st.sampled_from(["2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z", "2026-11-02T16:00:00+07:00",
                         "", "2026-11-03T08:00:00.5Z"])


def _apply(base: dict[str, Any], ops: list[Any], when: str, who: str) -> dict[str, Any]:
    body = edit(base, when, who)
    for section, name, remove, value, manual in ops:
        if section in ("inputs", "manual"):
            if remove:
                body[section].pop(name, None)
            else:
                body[section][name] = value if section == "inputs" else manual
        elif remove:
            body.pop(section, None)
        else:
            body[section] = f"{section}-{value}"
    return body


@st.composite
def conflicts(draw: st.DrawFn) -> tuple[dict[str, Any] | None, list[Leaf]]:
    ancestor = _apply(BASE, draw(OPS), "2026-11-01T08:00:00Z", "goc")
    count = draw(st.integers(1, 4))
    revs = draw(st.lists(st.sampled_from([f"{g}-{h}" for g in (2, 3, 4) for h in "0af9"]),
                         min_size=count, max_size=count, unique=True))
    leaves = [Leaf(rev, _apply(ancestor, draw(OPS), draw(TIMES), f"u{i}"))
              for i, rev in enumerate(revs)]
    return (None if draw(st.booleans()) and count > 1 else ancestor), leaves


def _property_settings(examples: int):  # type: ignore[no-untyped-def]
    return settings(max_examples=examples, deadline=None)


@pytest.mark.parametrize("examples", [
    pytest.param(200, id="fast"), pytest.param(5000, id="full", marks=pytest.mark.torture)])
def test_merge_properties(examples: int) -> None:
    @_property_settings(examples)
    @given(conflicts(), st.randoms(use_true_random=False))
    def check(case: tuple[dict[str, Any] | None, list[Leaf]], rnd: Any) -> None:
        ancestor, leaves = case
        merged = merge_sheet(ancestor, leaves)
        # commutative over the order the leaves arrive in
        shuffled = list(leaves)
        rnd.shuffle(shuffled)
        assert merge_sheet(ancestor, shuffled) == merged
        # idempotent: merging the merged sheet again (alone or twice) changes nothing
        again = merge_sheet(ancestor, [Leaf("9-m", merged.body), Leaf("9-n", merged.body)])
        assert again.body == merged.body
        assert merge_sheet(merged.body, [Leaf("9-m", merged.body)]).clashes == ()
        # never drops a value any leaf holds: in the merged sheet or in a clash record
        base = field_values(ancestor)
        result = field_values(merged.body)
        clashes = {c.field: c for c in merged.clashes}
        for leaf in leaves:
            for name in set(field_values(leaf.body)) | set(base):
                held = field_values(leaf.body).get(name, "<absent>")
                if held == base.get(name, "<absent>"):
                    continue
                if result.get(name, "<absent>") == held:
                    continue
                assert name in clashes, (name, held)
                assert any((v.value if v.present else "<absent>") == held
                           for v in clashes[name].values)
        # bookkeeping comes from the latest leaf
        latest = next(leaf for leaf in leaves if leaf.rev == merged.base_rev)
        assert {k: merged.body.get(k) for k in BOOKKEEPING} == {
            k: latest.body.get(k) for k in BOOKKEEPING}

    check()
