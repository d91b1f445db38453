"""A pure Mango selector matcher, for `_changes?filter=_selector` (no I/O, no index).

`compile_selector(selector)` validates once and returns a predicate on documents;
`matches(selector, doc)` is the one-shot form. Semantics follow CouchDB's `mango_selector`:

* `{"a.b": 1}` and `{"a": {"b": 1}}` both mean field `a.b` equals 1 (implicit `$eq`);
  several keys in one object are an implicit `$and`; `\\.` escapes a dot in a field name;
  a numeric path segment indexes into an array.
* A missing field fails every condition except `{"$exists": false}` and `$not`.
* Comparisons use CouchDB's collation order across types:
  null < false < true < numbers < strings < arrays < objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .errors import BadRequest

__all__ = ["InvalidSelector", "Predicate", "collation_key", "compile_selector", "matches"]

Predicate = Callable[[Any], bool]
_MISSING = object()


class InvalidSelector(BadRequest):
    """The selector is not valid Mango; `reason` says where."""


def collation_key(value: Any) -> tuple[Any, ...]:
    """A sort key giving CouchDB's collation order for JSON values (strings by code point)."""
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, int | float):
        return (2, value)
    if isinstance(value, str):
        return (3, value)
    if isinstance(value, list | tuple):
        return (4, tuple(collation_key(item) for item in value))
    if isinstance(value, Mapping):
        return (5, tuple((k, collation_key(v)) for k, v in value.items()))
    raise InvalidSelector(f"Unsupported value {value!r} in selector.")


def _split_field(field: str) -> tuple[str, ...]:
    parts, current, chars = [], [], iter(field)
    for char in chars:
        if char == "\\":
            current.append(next(chars, "\\"))
        elif char == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    if any(not part for part in parts):
        raise InvalidSelector(f"Invalid field name {field!r} in selector.")
    return tuple(parts)


def _get_field(doc: Any, path: tuple[str, ...]) -> Any:
    value = doc
    for part in path:
        if isinstance(value, Mapping):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def _equal(a: Any, b: Any) -> bool:
    return collation_key(a) == collation_key(b)


def _list_arg(op: str, arg: Any) -> list[Any]:
    if not isinstance(arg, list):
        raise InvalidSelector(f"{op} expects an array, got {arg!r}.")
    return arg


def _compare(op: str, arg: Any) -> Predicate:
    key = collation_key(arg)
    tests: dict[str, Callable[[tuple[Any, ...]], bool]] = {
        "$gt": lambda k: k > key,
        "$gte": lambda k: k >= key,
        "$lt": lambda k: k < key,
        "$lte": lambda k: k <= key,
    }
    test = tests[op]
    return lambda v: test(collation_key(v))


def _regex(arg: Any) -> Predicate:
    if not isinstance(arg, str):
        raise InvalidSelector(f"$regex expects a string, got {arg!r}.")
    try:
        pattern = re.compile(arg)
    except re.error as exc:
        raise InvalidSelector(f"Invalid $regex {arg!r}: {exc}.") from None
    return lambda v: isinstance(v, str) and pattern.search(v) is not None


_TYPES: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, Mapping),
}


def _type(arg: Any) -> Predicate:
    if arg not in _TYPES:
        raise InvalidSelector(f"$type expects one of {', '.join(_TYPES)}, got {arg!r}.")
    return _TYPES[arg]


def _mod(arg: Any) -> Predicate:
    if (
        not isinstance(arg, list)
        or len(arg) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in arg)
        or arg[0] == 0
    ):
        raise InvalidSelector("$mod expects [divisor, remainder] with a non-zero divisor.")
    divisor, remainder = arg
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v % divisor == remainder


def _value_op(op: str, arg: Any) -> Predicate:
    """A predicate on a present field value for one operator."""
    if op == "$eq":
        return lambda v: _equal(v, arg)
    if op == "$ne":
        return lambda v: not _equal(v, arg)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        return _compare(op, arg)
    if op == "$in":
        keys = [collation_key(a) for a in _list_arg(op, arg)]
        return lambda v: (
            any(collation_key(x) in keys for x in v)
            if isinstance(v, list)
            else collation_key(v) in keys
        )
    if op == "$nin":
        inside = _value_op("$in", arg)
        return lambda v: not inside(v)
    if op == "$all":
        wanted = _list_arg(op, arg)
        return lambda v: isinstance(v, list) and all(any(_equal(x, w) for x in v) for w in wanted)
    if op == "$size":
        if not isinstance(arg, int) or isinstance(arg, bool):
            raise InvalidSelector(f"$size expects an integer, got {arg!r}.")
        return lambda v: isinstance(v, list) and len(v) == arg
    if op in ("$elemMatch", "$allMatch"):
        inner = _condition(arg)
        quantifier = any if op == "$elemMatch" else all
        return lambda v: isinstance(v, list) and bool(v) and quantifier(inner(x) for x in v)
    if op == "$regex":
        return _regex(arg)
    if op == "$type":
        return _type(arg)
    if op == "$mod":
        return _mod(arg)
    raise InvalidSelector(f"Unknown operator {op!r} in selector.")


def _combine(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    return lambda v: all(p(v) for p in predicates)


def _condition(cond: Any) -> Predicate:
    """A predicate on a value (possibly `_MISSING`) for the condition object of one field."""
    if not isinstance(cond, Mapping) or not cond:
        return _present(lambda v: _equal(v, cond))
    predicates: list[Predicate] = []
    for key, arg in cond.items():
        if not isinstance(key, str):
            raise InvalidSelector(f"Invalid key {key!r} in selector.")
        if key == "$exists":
            if not isinstance(arg, bool):
                raise InvalidSelector(f"$exists expects true or false, got {arg!r}.")
            predicates.append(_exists(arg))
        elif key == "$not":
            predicates.append(_negate(_condition(arg)))
        elif key in ("$and", "$or", "$nor"):
            predicates.append(_logical(key, arg, _condition))
        elif key.startswith("$"):
            predicates.append(_present(_value_op(key, arg)))
        else:
            predicates.append(_field(key, arg))
    return _combine(predicates)


def _exists(want: bool) -> Predicate:
    return lambda v: (v is not _MISSING) == want


def _negate(inner: Predicate) -> Predicate:
    return lambda v: not inner(v)


def _present(test: Predicate) -> Predicate:
    return lambda v: v is not _MISSING and test(v)


def _field(name: str, cond: Any) -> Predicate:
    path = _split_field(name)
    inner = _condition(cond)
    return lambda v: inner(_get_field(v, path) if v is not _MISSING else _MISSING)


def _logical(op: str, arg: Any, build: Callable[[Any], Predicate]) -> Predicate:
    parts = [build(sub) for sub in _list_arg(op, arg)]
    if op == "$and":
        return lambda v: all(p(v) for p in parts)
    if op == "$or":
        return lambda v: any(p(v) for p in parts)
    return lambda v: not any(p(v) for p in parts)


def compile_selector(selector: Any) -> Predicate:
    """Validate `selector` and return `doc -> bool`. :raises InvalidSelector:"""
    if not isinstance(selector, Mapping):
        raise InvalidSelector("The selector must be a JSON object.")
    return _condition(selector) if selector else (lambda doc: True)


def matches(selector: Any, doc: Any) -> bool:
    """True when `doc` matches `selector`. :raises InvalidSelector:"""
    return compile_selector(selector)(doc)
