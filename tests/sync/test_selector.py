"""The Mango selector matcher used by `_changes?filter=_selector`."""

from __future__ import annotations

import pytest

from sync.errors import BadRequest
from sync.selector import InvalidSelector, collation_key, compile_selector, matches

DOC = {
    "_id": "sheet:1",
    "type": "sheet",
    "unit": {"code": "PGD-01", "name": "Ba Vi", "staff": 12},
    "score": 87.5,
    "tags": ["urban", "q3"],
    "items": [{"k": "a", "v": 1}, {"k": "b", "v": 5}],
    "note": None,
    "done": False,
    "a.b": "dotted",
}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({}, True),
        ({"type": "sheet"}, True),
        ({"type": "other"}, False),
        ({"type": {"$eq": "sheet"}}, True),
        ({"type": {"$ne": "sheet"}}, False),
        ({"missing": {"$ne": "x"}}, False),
        ({"score": {"$gt": 80}}, True),
        ({"score": {"$gte": 87.5}}, True),
        ({"score": {"$lt": 87.5}}, False),
        ({"score": {"$lte": 87.5}}, True),
        ({"score": {"$gt": "a"}}, False),
        ({"score": {"$lt": "a"}}, True),
        ({"note": {"$lt": False}}, True),
        ({"unit.code": "PGD-01"}, True),
        ({"unit": {"code": "PGD-01", "staff": {"$gte": 10}}}, True),
        ({"unit": {"code": "PGD-01", "staff": {"$gte": 13}}}, False),
        ({"a\\.b": "dotted"}, True),
        ({"items.1.k": "b"}, True),
        ({"items.2.k": {"$exists": False}}, True),
        ({"type": {"$in": ["x", "sheet"]}}, True),
        ({"tags": {"$in": ["q3"]}}, True),
        ({"tags": {"$nin": ["q3"]}}, False),
        ({"type": {"$nin": ["x", "y"]}}, True),
        ({"unit.staff": {"$in": [12.0]}}, True),
        ({"tags": {"$all": ["q3", "urban"]}}, True),
        ({"tags": {"$all": ["q3", "rural"]}}, False),
        ({"tags": {"$size": 2}}, True),
        ({"type": {"$size": 5}}, False),
        ({"items": {"$elemMatch": {"k": "b", "v": {"$gt": 4}}}}, True),
        ({"items": {"$elemMatch": {"k": "a", "v": {"$gt": 4}}}}, False),
        ({"tags": {"$elemMatch": {"$regex": "^q"}}}, True),
        ({"items": {"$allMatch": {"v": {"$gte": 1}}}}, True),
        ({"unit.name": {"$regex": "^Ba"}}, True),
        ({"score": {"$regex": "8"}}, False),
        ({"note": {"$exists": True}}, True),
        ({"nope": {"$exists": True}}, False),
        ({"nope": {"$exists": False}}, True),
        ({"$and": [{"type": "sheet"}, {"done": False}]}, True),
        ({"$or": [{"type": "x"}, {"done": True}]}, False),
        ({"$or": [{"type": "x"}, {"done": False}]}, True),
        ({"$nor": [{"type": "x"}, {"done": True}]}, True),
        ({"$not": {"type": "sheet"}}, False),
        ({"type": {"$not": {"$eq": "x"}}}, True),
        ({"nope": {"$not": {"$eq": "x"}}}, True),
        ({"type": "sheet", "done": True}, False),
        ({"type": {"$gt": "a", "$lt": "t"}}, True),
        ({"note": {"$type": "null"}, "tags": {"$type": "array"}}, True),
        ({"unit.staff": {"$mod": [5, 2]}}, True),
        ({"unit": {"code": "PGD-01", "name": "Ba Vi", "staff": 12}}, True),
    ],
)
def test_matches(selector: dict, expected: bool) -> None:
    assert matches(selector, DOC) is expected


@pytest.mark.parametrize(
    "selector",
    [
        [],
        {"a": {"$bogus": 1}},
        {"$and": {"a": 1}},
        {"a": {"$in": 3}},
        {"a": {"$regex": "("}},
        {"a": {"$size": "2"}},
        {"a": {"$exists": "yes"}},
        {"a": {"$type": "date"}},
        {"a": {"$mod": [0, 1]}},
        {"a..b": 1},
    ],
)
def test_invalid_selectors_are_bad_requests(selector: object) -> None:
    with pytest.raises(InvalidSelector) as info:
        compile_selector(selector)
    assert isinstance(info.value, BadRequest)
    assert info.value.status == 400


def test_collation_order_across_types() -> None:
    values = [{"a": 1}, [1, 2], [1], "b", "a", 2, 1.5, True, False, None]
    assert sorted(values, key=collation_key) == [
        None, False, True, 1.5, 2, "a", "b", [1], [1, 2], {"a": 1},
    ]


def test_compiled_predicate_is_reusable() -> None:
    predicate = compile_selector({"n": {"$gt": 2}})
    assert [predicate({"n": n}) for n in range(5)] == [False, False, False, True, True]
    assert predicate({}) is False
