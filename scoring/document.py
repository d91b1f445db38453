"""The base of every stored document: CouchDB JSON with `_id` and a `type` field.

Every document that lives in the store is a msgspec Struct with `to_doc()` / `from_doc()`.
Directory documents (territory, bank units, scored units, campaigns) live in the `config`
database; score sheets live in the commune database `c-<commune code>`.

Numbers on the wire: money (VND) and counts are `int`; ratios and points are `Decimal`,
encoded as strings. Floats are refused so that no amount ever drifts.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import msgspec

__all__ = ["Coded", "Document"]

_RESERVED = ("_id", "_rev", "type")
_DIRECT: dict[type, tuple[bytes, msgspec.json.Decoder[Any]]] = {}  # class -> head, decoder


def _no_float(text: str) -> Any:
    raise ValueError("float")


#: Decodes any JSON, failing on a float literal (the check of a body's numbers, in C).
_FLOAT_CHECK = msgspec.json.Decoder(float_hook=_no_float)


class Document(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every stored document: `doc_type`, and `doc_id()`, the `_id` it is stored as."""

    doc_type: ClassVar[str] = ""

    def doc_id(self) -> str:
        raise NotImplementedError

    def to_doc(self) -> dict[str, Any]:
        """The CouchDB JSON body: `_id`, `type`, then the fields (no floats, Decimal as str)."""
        body = msgspec.to_builtins(self)
        return {"_id": self.doc_id(), "type": self.doc_type, **body}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Self:
        """Validate a stored body. :raises msgspec.ValidationError: wrong type, field or value."""
        if doc.get("type") != cls.doc_type:
            raise msgspec.ValidationError(
                f"Expected a document of type {cls.doc_type!r}, got {doc.get('type')!r}"
            )
        fields = {k: v for k, v in doc.items() if k not in _RESERVED and not k.startswith("_")}
        _refuse_floats(fields, "$")
        obj = msgspec.convert(fields, cls)
        if "_id" in doc and doc["_id"] != obj.doc_id():
            raise msgspec.ValidationError(f"_id {doc['_id']!r} does not match {obj.doc_id()!r}")
        return obj

    @classmethod
    def from_json(cls, data: bytes | str) -> Self:
        """Decode a JSON body (as replicated from a device) and validate it."""
        return cls.from_doc(msgspec.json.decode(data))

    @classmethod
    def from_body(cls, body: bytes, doc_id: str | None = None) -> Self:
        """`from_doc` of a stored JSON body (without `_id`; `doc_id` is checked as `_id`):
        the same object or the same error. A body that is plainly this type's (`type`
        first, no `_` member) is decoded straight into the Struct (a third of the cost);
        any other body, or one that fails there, takes `from_doc`."""
        obj = _direct(cls, body)
        if obj is None:
            doc = msgspec.json.decode(body)
            if doc_id is not None and type(doc) is dict:
                doc["_id"] = doc_id
            return cls.from_doc(doc)
        if doc_id is not None and doc_id != obj.doc_id():
            raise msgspec.ValidationError(f"_id {doc_id!r} does not match {obj.doc_id()!r}")
        return obj

    def may_hold_floats(self) -> bool:
        """Whether a float of the JSON could be in this object: a JSON number decodes into a
        `Decimal` field, where `from_doc` refuses a float (classes without such fields
        answer False)."""
        return True


class Coded(Document):
    """A named directory entry with a code, stored as `<doc_type>:<code>`."""

    code: str
    name: str

    def doc_id(self) -> str:
        return f"{self.doc_type}:{self.code}"


def _direct(cls: type[Document], body: bytes) -> Any:
    """`body` decoded straight into `cls`, or None when `from_doc` must decide."""
    if cls.from_doc.__func__ is not Document.from_doc.__func__:  # type: ignore[attr-defined]
        return None  # a class with its own checks: `from_doc` runs them
    found = _DIRECT.get(cls)
    if found is None:
        found = _DIRECT[cls] = (b'{"type":' + msgspec.json.encode(cls.doc_type),
                                msgspec.json.Decoder(cls))
    head, decoder = found
    if not body.startswith(head):
        return None
    rest = body[len(head):]
    if rest[:1] == b",":
        inner = b"{" + rest[1:]
    elif rest == b"}":
        inner = b"{}"
    else:
        return None
    try:
        obj = decoder.decode(inner)  # a `_` member is an unknown field: refused here
    except (msgspec.DecodeError, ValueError, TypeError):
        return None
    if obj.may_hold_floats():
        try:
            _FLOAT_CHECK.decode(body)
        except msgspec.ValidationError:
            return None
    return obj


_SCALARS = frozenset({str, int, bool, type(None)})


def _has_float(value: object) -> bool:
    """Whether a float is anywhere in `value` (the fast check; paths only on a hit)."""
    if type(value) is dict and _SCALARS.issuperset(map(type, value.values())):
        return False  # a flat body (a unit, a commune): one pass in C
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is float:
            return True
        if kind is dict:
            stack.extend(item.values())  # type: ignore[attr-defined]
        elif kind is list:
            stack.extend(item)  # type: ignore[arg-type]
        elif isinstance(item, float | dict | list):  # subclasses: the full walk decides
            return True
    return False


def _refuse_floats(value: object, path: str) -> None:
    if not _has_float(value):
        return
    _name_float(value, path)


def _name_float(value: object, path: str) -> None:
    if isinstance(value, float):
        raise msgspec.ValidationError(
            f"Số thực không được phép (dùng số nguyên hoặc chuỗi thập phân) - at `{path}`"
        )
    if isinstance(value, dict):
        for key, item in value.items():
            _name_float(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _name_float(item, f"{path}[{index}]")
