"""Validation of the documents of a `_bulk_docs` batch, before any database work.

`prepare()` turns one input document into an `Incoming` (id, revision path, body bytes,
attachments decoded) or a `WriteResult` error for that entry only, as CouchDB answers:
`bad_request` (bad shape, `_rev`, `_revisions`, id, attachment), `doc_validation` (unknown
`_` member) and `too_large` (body over `max_document_size`, attachments not counted).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import msgspec

from .. import revtree
from ..docrules import REPLICATOR_MEMBERS, SPECIAL_MEMBERS
from ..store import WriteResult, decoded

__all__ = ["AttSpec", "Incoming", "md5_digest", "prepare"]

_encode = msgspec.json.Encoder().encode


@dataclass(slots=True)
class AttSpec:
    """One `_attachments` entry: new inline `data`, or a `stub` to resolve against history."""

    name: str
    content_type: str
    data: bytes | None
    digest: str | None
    revpos: int | None


@dataclass(slots=True)
class Incoming:
    doc_id: str
    rev: str | None  # the given `_rev` (parent when interactive, the new leaf when replicated)
    path: list[str] | None  # replicated writes: the revision path, newest first
    deleted: bool
    body: dict[str, Any]  # user fields only
    body_json: bytes
    atts: list[AttSpec] | None


class _Invalid(Exception):
    def __init__(self, error: str, reason: str) -> None:
        super().__init__(reason)
        self.error, self.reason = error, reason


def md5_digest(data: bytes) -> str:
    """CouchDB's attachment digest: `md5-<base64 of the md5>`."""
    return "md5-" + base64.b64encode(hashlib.md5(data).digest()).decode()


def _doc_id(doc: dict[str, Any], new_edits: bool) -> str:
    doc_id = doc.get("_id")
    if doc_id is None and new_edits:
        return uuid.uuid4().hex
    if not isinstance(doc_id, str) or not doc_id:
        raise _Invalid("bad_request", "Document id must be a non-empty string.")
    if doc_id.startswith("_") and not doc_id.startswith("_design/"):
        raise _Invalid("bad_request", "Only reserved document ids may start with underscore.")
    return doc_id


def _attachment(name: Any, spec: Any) -> AttSpec:
    if not isinstance(name, str) or not name or name.startswith("_"):
        raise _Invalid("bad_request", f"Invalid attachment name {name!r}.")
    if not isinstance(spec, dict):
        raise _Invalid("bad_request", f"Attachment {name!r} must be an object.")
    content_type = spec.get("content_type", "application/octet-stream")
    revpos = spec.get("revpos")
    if not isinstance(content_type, str) or not (
        revpos is None or (isinstance(revpos, int) and not isinstance(revpos, bool))
    ):
        raise _Invalid("bad_request", f"Attachment {name!r} has a bad content_type or revpos.")
    digest = spec.get("digest")
    if spec.get("stub") is True:
        return AttSpec(name, content_type, None, digest if isinstance(digest, str) else None,
                       revpos)
    data = spec.get("data")
    if spec.get("follows") or not isinstance(data, str):
        raise _Invalid("bad_request", f"Attachment {name!r} needs base64 `data` or `stub`.")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _Invalid("bad_request", f"Attachment {name!r}: invalid base64 data.") from None
    return AttSpec(name, content_type, raw, md5_digest(raw), revpos)


def _attachments(value: Any) -> list[AttSpec] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Invalid("bad_request", "_attachments must be an object.")
    return [_attachment(name, spec) for name, spec in sorted(value.items())] or None


_NO_REV = "When `new_edits: false`, the document needs `_rev` or `_revisions` specified"


def _revisions_head(revisions: Any) -> str | None:
    """The rev `_revisions` names (`{start}-{ids[0]}`), or None if it names none.

    PouchDB sends `_rev: "2-a"` with `_revisions: {start: 1, ids: ["a"]}` for a tree with a
    repeated hash; CouchDB writes `1-a`."""
    if not isinstance(revisions, dict):
        return None
    start, ids = revisions.get("start"), revisions.get("ids")
    if isinstance(start, int) and not isinstance(start, bool) and isinstance(ids, list) and ids \
            and isinstance(ids[0], str):
        return f"{start}-{ids[0]}"
    return None


def _check(doc: Any, new_edits: bool, max_size: int) -> Incoming:
    if not isinstance(doc, dict):
        raise _Invalid("bad_request", "Document must be a JSON object.")
    doc_id = _doc_id(doc, new_edits)
    body: dict[str, Any] = {}
    for key, value in doc.items():  # one pass: user fields, and unknown `_` members refused
        if key[:1] != "_" or key in REPLICATOR_MEMBERS:
            body[key] = value
        elif key not in SPECIAL_MEMBERS:
            raise _Invalid("doc_validation", f"Bad special document member: {key}")
    if new_edits:
        body = decoded(body)  # the new rev hashes the canonical JSON of decoded values
    deleted = doc.get("_deleted", False)
    if not isinstance(deleted, bool):
        raise _Invalid("bad_request", "_deleted must be true or false.")
    rev = doc.get("_rev")
    path: list[str] | None = None
    try:
        if not new_edits:
            revisions = doc.get("_revisions")
            rev = _revisions_head(revisions) or rev  # `_revisions` wins, as in CouchDB
            if rev is None:
                raise _Invalid("bad_request", _NO_REV)
            path = revtree.path_from_revisions(rev, revisions)  # parses `rev` too
        elif rev is not None:
            revtree.parse_rev(rev)
    except revtree.InvalidRev as exc:
        raise _Invalid("bad_request", f"Invalid rev format: {exc}") from None
    try:
        body_json = _encode(body)
    except (TypeError, ValueError, OverflowError) as exc:
        raise _Invalid("bad_request", f"Document body cannot be stored as JSON: {exc}") from None
    if len(body_json) > max_size:
        raise _Invalid("too_large", f"Document exceeds the maximum size of {max_size} bytes.")
    atts = _attachments(doc.get("_attachments"))
    return Incoming(doc_id, rev, path, deleted, body, body_json, atts)


def prepare(doc: Any, *, new_edits: bool, max_size: int) -> Incoming | WriteResult:
    """An `Incoming` for a valid input document, else its error entry."""
    try:
        return _check(doc, new_edits, max_size)
    except _Invalid as exc:
        doc_id = doc.get("_id") if isinstance(doc, dict) else None
        return WriteResult(
            id=doc_id if isinstance(doc_id, str) else "", error=exc.error, reason=exc.reason
        )
