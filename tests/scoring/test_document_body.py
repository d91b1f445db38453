"""`Document.from_body` (stored JSON bytes straight into the Struct) gives what `from_doc` gives:
the same object, or the same error, for valid sheets and for every kind of bad body."""

from __future__ import annotations

import random
from typing import Any

import msgspec
import pytest

from scoring.demo import generate_province
from scoring.demo_sheets import generate_sheets
from scoring.sheet import ScoreSheet

_encode = msgspec.json.Encoder().encode


def _body(doc: dict[str, Any]) -> bytes:
    """The bytes the store keeps: the fields without `_id`/`_rev`, in order."""
    return _encode({k: v for k, v in doc.items() if k not in ("_id", "_rev")})


def _plain(body: bytes, doc_id: str) -> tuple[str, Any]:
    try:
        doc = msgspec.json.decode(body)
        doc["_id"] = doc_id
        return "ok", ScoreSheet.from_doc(doc)
    except (msgspec.ValidationError, ValueError, TypeError) as exc:
        return type(exc).__name__, str(exc)


def _fast(body: bytes, doc_id: str) -> tuple[str, Any]:
    try:
        return "ok", ScoreSheet.from_body(body, doc_id)
    except (msgspec.ValidationError, ValueError, TypeError) as exc:
        return type(exc).__name__, str(exc)


def _same(body: bytes, doc_id: str) -> None:
    plain, fast = _plain(body, doc_id), _fast(body, doc_id)
    assert fast == plain, body
    if fast[0] == "ok":
        assert type(fast[1]) is ScoreSheet
        assert fast[1].to_doc() == plain[1].to_doc()


def _demo_docs() -> list[dict[str, Any]]:
    docs = [sheet.to_doc() for sheet in generate_sheets(generate_province(seed=3))]
    return random.Random(5).sample(docs, 500)


def test_valid_sheets_decode_to_the_same_struct() -> None:
    docs = _demo_docs()
    assert any(d["manual"] for d in docs) and any(not d["manual"] for d in docs)
    for doc in docs:
        _same(_body(doc), doc["_id"])


def _mutations(doc: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    inputs = doc["inputs"]
    name = rng.choice(sorted(inputs)) if inputs else "du_no"
    bad_month = {"2026-13": {"inputs": {}}}
    return [
        {**doc, "inputs": {**inputs, name: 12.5}},  # a float: refused with its path
        {**doc, "inputs": {**inputs, name: 3.0}},
        {**doc, "inputs": {**inputs, name: "12.25"}},  # a decimal string: accepted
        {**doc, "inputs": {**inputs, name: 10**30}},  # a big int
        {**doc, "inputs": {**inputs, name: True}},
        {**doc, "inputs": {**inputs, name: -1}},
        {**doc, "inputs": {**inputs, name: "abc"}},
        {**doc, "manual": {"m1": {"points": 2.5}}},
        {**doc, "manual": {"m1": {"points": "2.5", "evidence": "đạt 5.5 điểm"}}},
        {**doc, "manual": {"m1": {"points": 2}}},
        {**doc, "manual": {"m1": {"points": "-1"}}},
        {**doc, "monthly": {"2026-08": {"inputs": {name: 1.5}}}},
        {**doc, "monthly": {"2026-08": {"inputs": {name: 7}, "bank_class": "Tốt"}}},
        {**doc, "monthly": bad_month},
        {**doc, "status": "nope"},
        {**doc, "extra": 1},
        {**doc, "_deleted": False},
        {**doc, "_attachments": {}},
        {**doc, "type": "unit"},
        {k: v for k, v in doc.items() if k != "type"},
        {k: v for k, v in doc.items() if k != "campaign"},
        {**{k: v for k, v in doc.items() if k != "type"}, "type": "sheet"},  # type last
        {**doc, "updated_at": "2026-10-05T15:59:49.123+07:00"},
        {**doc, "updated_at": "yesterday"},
        {**doc, "scorer": 1.5},
    ]


def test_bad_and_unusual_bodies_give_the_same_error_or_object() -> None:
    rng = random.Random(11)
    docs = _demo_docs()
    for doc in rng.sample(docs, 40):
        for changed in _mutations(doc, rng):
            _same(_body(changed), doc["_id"])


def test_raw_bodies_the_encoder_never_writes() -> None:
    doc = _demo_docs()[0]
    body = _body(doc)
    for raw in [
        body.replace(b'"inputs":{', b'"inputs":{"x":1,"x":2.5,', 1),  # a repeated key
        body[:-1] + b',"type":"sheet"}',  # `type` twice
        body.replace(b",", b", ", 3),
        b'{"type":"sheet"}',
        b'{"type":"sheet" ,"campaign":"2026"}',
        b'[1, 2]',
    ]:
        if raw.startswith(b"{"):
            _same(raw, doc["_id"])
        else:
            with pytest.raises(AttributeError):
                ScoreSheet.from_body(raw)


def test_the_id_is_checked() -> None:
    doc = _demo_docs()[0]
    _same(_body(doc), "sheet:other")
    assert ScoreSheet.from_body(_body(doc)).doc_id() == doc["_id"]


def test_a_class_with_its_own_from_doc_keeps_its_checks() -> None:
    group = generate_province(seed=3).groups[0]
    doc = group.to_doc()
    assert type(group).from_body(_body(doc), doc["_id"]) == group
    with pytest.raises(msgspec.ValidationError, match="unit kind"):
        type(group).from_body(_body({**doc, "kind": "hamlet_head"}), doc["_id"])
