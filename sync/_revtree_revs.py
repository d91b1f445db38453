"""Revision ids: parsing, validation of `_revisions`, deterministic new revisions."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import msgspec

_MAX_POS = 2**53 - 1  # JavaScript's safe integer limit: PouchDB parses pos as a JS number
_canonical = msgspec.json.Encoder(order="sorted")


class InvalidRev(ValueError):
    """A malformed revision id, `_revisions` field or revision path."""


_PRINTABLE_ASCII = re.compile(r"[!-~]+").fullmatch


def _check_hash(h: object, what: str) -> str:
    if not isinstance(h, str) or not h:
        raise InvalidRev(f"{what}: revision hash must be a non-empty string, got {h!r}")
    # Printable ASCII only: PouchDB orders hashes by UTF-16 code units, Python by code
    # points; both agree on ASCII, so winners and branch order match PouchDB exactly.
    if not _PRINTABLE_ASCII(h):
        raise InvalidRev(f"{what}: revision hash {h!r} has characters outside printable ASCII")
    return h


_REPLICATION_HASH = re.compile(r"[0-9a-f]{32}").fullmatch


def is_replication_hash(h: object) -> bool:
    """Whether `h` is a revision hash as CouchDB and PouchDB make them: 32 lowercase hex
    digits (PouchDB 9 refuses to pull any other: "Invalid rev format")."""
    return isinstance(h, str) and _REPLICATION_HASH(h) is not None


def is_replication_rev(rev: object) -> bool:
    """Whether `rev` is `N-<32 lowercase hex>` with a valid position."""
    try:
        _, h = parse_rev(rev)  # type: ignore[arg-type]
    except InvalidRev:
        return False
    return is_replication_hash(h)


def parse_rev(rev: str) -> tuple[int, str]:
    """`"N-hash"` -> `(N, hash)`; N is a positive integer without sign or leading zero."""
    if type(rev) is str:
        return _parse_str(rev)  # a batch parses each rev several times: cached
    if not isinstance(rev, str):
        raise InvalidRev(f"revision must be a string, got {type(rev).__name__}")
    return _parse_str(str(rev))


@lru_cache(maxsize=8192)
def _parse_str(rev: str) -> tuple[int, str]:
    num, sep, h = rev.partition("-")
    if not sep:
        raise InvalidRev(f"invalid revision {rev!r}: expected 'N-hash'")
    if not num.isascii() or not num.isdigit():
        raise InvalidRev(f"invalid revision {rev!r}: position {num!r} is not a positive integer")
    if num[0] == "0":
        raise InvalidRev(f"invalid revision {rev!r}: position must be >= 1 without leading zeros")
    pos = int(num)
    if pos > _MAX_POS:
        raise InvalidRev(f"invalid revision {rev!r}: position too large")
    return pos, _check_hash(h, f"invalid revision {rev!r}")


def new_rev(
    parent_rev: str | None,
    body: Mapping[str, Any],
    *,
    deleted: bool,
    attachment_digests: Sequence[str] = (),
) -> str:
    """Deterministic next revision, like CouchDB: identical edits give identical revs.

    The hash is md5 over the canonical JSON (sorted keys, compact) of
    `[parent_rev or "", deleted, body without top-level "_" fields, sorted digests]`.
    """
    pos = 0 if parent_rev is None else parse_rev(parent_rev)[0]
    content = {k: v for k, v in body.items() if not k.startswith("_")}
    data = _canonical.encode([parent_rev or "", bool(deleted), content, sorted(attachment_digests)])
    return f"{pos + 1}-{hashlib.md5(data, usedforsecurity=False).hexdigest()}"


def path_from_revisions(rev: str, revisions: Any) -> list[str]:
    """Full revs of a doc's history, newest first, from its `_rev` and `_revisions`.

    `revisions` is `None` (then just `[rev]`) or `{"start": N, "ids": [hash_N, ...]}`;
    `start` must equal rev's position and `ids[0]` its hash.
    """
    pos, h = parse_rev(rev)
    if revisions is None:
        return [rev]
    if not isinstance(revisions, Mapping):
        raise InvalidRev("_revisions must be an object with 'start' and 'ids'")
    start = revisions.get("start")
    ids = revisions.get("ids")
    if not isinstance(start, int) or isinstance(start, bool):
        raise InvalidRev(f"_revisions.start must be an integer, got {start!r}")
    if not isinstance(ids, list) or not ids:
        raise InvalidRev("_revisions.ids must be a non-empty list of revision hashes")
    if start != pos:
        raise InvalidRev(f"_revisions.start {start} does not match revision {rev!r}")
    if ids[0] != h:
        raise InvalidRev(f"_revisions.ids[0] {ids[0]!r} does not match revision {rev!r}")
    if len(ids) > start:
        raise InvalidRev(f"_revisions has {len(ids)} ids but start is {start}: positions below 1")
    # ids[0] is rev's own hash (checked above), so rev itself heads the path.
    return [rev, *(f"{start - i}-{_check_hash(x, f'_revisions.ids[{i}]')}"
                   for i, x in enumerate(ids[1:], 1))]


def parse_path(path: Sequence[str]) -> list[tuple[int, str]]:
    """Validate a root-ward path (newest first, consecutive positions); returns (pos, hash)."""
    if isinstance(path, str) or not path:
        raise InvalidRev("revision path must be a non-empty list of revisions, newest first")
    parsed = [parse_rev(r) for r in path]
    top = parsed[0][0]
    for i, (pos, _) in enumerate(parsed):
        if pos != top - i:
            raise InvalidRev(
                f"revision path is not consecutive: {path[i]!r} at index {i}, expected position {top - i}"
            )
    return parsed
