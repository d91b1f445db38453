"""Attachment metadata of a revision: resolving input entries and rendering `_attachments`.

A revision's metadata is `{name: {"content_type", "length", "digest", "revpos"}}`; the bytes
live once per database and digest (content-addressed, `md5-<base64>` like CouchDB).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from .docinput import AttSpec

__all__ = ["AttMeta", "MissingStub", "render", "resolve"]

AttMeta = dict[str, dict[str, Any]]


class MissingStub(Exception):
    """A `stub: true` entry names an attachment this document never had."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _find_stub(spec: AttSpec, known: Mapping[str, AttMeta], parents: Sequence[str]) -> dict:
    for rev in parents:
        meta = known.get(rev, {}).get(spec.name)
        if meta and (spec.digest is None or meta["digest"] == spec.digest):
            return meta
    candidates = [
        meta
        for atts in known.values()
        if (meta := atts.get(spec.name)) and (spec.digest is None or meta["digest"] == spec.digest)
    ]
    if not candidates:
        raise MissingStub(spec.name)
    return max(candidates, key=lambda meta: meta["revpos"])


def resolve(
    specs: Sequence[AttSpec],
    known: Mapping[str, AttMeta],
    parents: Sequence[str],
    pos: int,
    *,
    keep_revpos: bool,
) -> tuple[AttMeta, dict[str, bytes]]:
    """Metadata of a new revision at `pos` and the new blobs `{digest: bytes}`.

    Stubs are looked up in the `parents` revisions first (nearest first), then in any known
    revision of the document. `keep_revpos` keeps a replicated entry's own `revpos`.
    :raises MissingStub:
    """
    meta: AttMeta = {}
    blobs: dict[str, bytes] = {}
    for spec in specs:
        if spec.data is None:
            meta[spec.name] = dict(_find_stub(spec, known, parents))
            continue
        assert spec.digest is not None
        blobs[spec.digest] = spec.data
        revpos = spec.revpos if keep_revpos and spec.revpos else pos
        meta[spec.name] = {
            "content_type": spec.content_type,
            "length": len(spec.data),
            "digest": spec.digest,
            "revpos": revpos,
        }
    return meta, blobs


def render(meta: AttMeta, blobs: Mapping[str, bytes] | None) -> dict[str, dict[str, Any]]:
    """`_attachments` as CouchDB answers: stubs, or inline base64 `data` when `blobs` given."""
    out: dict[str, dict[str, Any]] = {}
    for name, entry in meta.items():
        item: dict[str, Any] = {
            "content_type": entry["content_type"],
            "revpos": entry["revpos"],
            "digest": entry["digest"],
            "length": entry["length"],
        }
        if blobs is None:
            item["stub"] = True
        else:
            item["data"] = base64.b64encode(blobs[entry["digest"]]).decode()
        out[name] = item
    return out
