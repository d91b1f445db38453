"""Reading documents of the SQL store: one revision, open revisions, rendering CouchDB's shape.

All functions run in a worker thread inside a read transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Connection

from .. import revtree
from ..errors import BadRequest, NotFound
from ..store import Attachment
from . import attachments
from .sql_queries import blobs, chunked, doc_row, revision_rows
from .sql_raw import marks, rows

__all__ = ["DocOptions", "attachment", "check_rev", "decode_atts", "decode_body", "get_doc", "open_revs", "open_revs_many", "render", "render_raw", "revs_diff"]

decode_body = msgspec.json.Decoder(dict[str, Any]).decode
decode_atts = msgspec.json.Decoder(dict[str, dict[str, Any]]).decode
_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True, slots=True)
class DocOptions:
    """What to add to a rendered document (the `GET /{db}/{id}` query flags)."""

    revs: bool = False
    conflicts: bool = False
    deleted_conflicts: bool = False
    revs_info: bool = False
    attachments: bool = False


def _specials(
    rev: str,
    deleted: bool,
    atts: bytes | None,
    tree: revtree.RevTree | None,
    options: DocOptions,
    data: dict[str, bytes] | None,
    available: frozenset[str],
) -> dict[str, Any]:
    """The `_` members that follow the body, in CouchDB's order."""
    doc: dict[str, Any] = {}
    if deleted:
        doc["_deleted"] = True
    if atts:
        doc["_attachments"] = attachments.render(decode_atts(atts), data)
    if tree is not None:
        if options.conflicts and (found := revtree.conflicts(tree)):
            doc["_conflicts"] = found
        if options.deleted_conflicts and (found := revtree.deleted_conflicts(tree)):
            doc["_deleted_conflicts"] = found
        if options.revs:
            doc["_revisions"] = revtree.revisions_of(tree, rev)
        if options.revs_info:
            doc["_revs_info"] = revtree.revs_info(tree, rev, available)
    return doc


def render(
    doc_id: str,
    rev: str,
    deleted: bool,
    body: bytes | None,
    atts: bytes | None,
    *,
    tree: revtree.RevTree | None = None,
    options: DocOptions = DocOptions(),
    data: dict[str, bytes] | None = None,
    available: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A document dict: `_id`, `_rev`, the body, then the special members asked for.

    `tree` is needed for `revs`, `conflicts`, `deleted_conflicts` and `revs_info`; `data`
    (attachment bytes by digest) inlines attachments, otherwise they are stubs.
    """
    doc: dict[str, Any] = {"_id": doc_id, "_rev": rev}
    if body:
        doc.update(decode_body(body))
    doc.update(_specials(rev, deleted, atts, tree, options, data, available))
    return doc


def render_raw(
    doc_id: str,
    rev: str,
    deleted: bool,
    body: bytes | None,
    atts: bytes | None,
    *,
    tree: revtree.RevTree | None = None,
    options: DocOptions = DocOptions(),
    data: dict[str, bytes] | None = None,
    available: frozenset[str] = frozenset(),
) -> msgspec.Raw:
    """As `render`, already encoded: the stored body's JSON is spliced in, not re-parsed."""
    out = _encode({"_id": doc_id, "_rev": rev})[:-1]
    inner = body.strip()[1:-1] if body else b""
    if inner.strip():
        out += b"," + inner
    extra = _specials(rev, deleted, atts, tree, options, data, available)
    if extra:
        out += b"," + _encode(extra)[1:-1]
    return msgspec.Raw(out + b"}")


def _digests(rows: Sequence[bytes | None]) -> list[str]:
    return [meta["digest"] for atts in rows if atts for meta in decode_atts(atts).values()]


def check_rev(rev: str) -> None:
    try:
        revtree.parse_rev(rev)
    except revtree.InvalidRev as exc:
        raise BadRequest(f"Invalid rev format: {exc}") from None


def _best(tree: revtree.RevTree, revs: list[str]) -> str:
    found = [leaf for leaf in revtree.leaves(tree) if leaf.rev in revs]
    return max(found, key=lambda leaf: (not leaf.deleted, leaf.pos, leaf.hash)).rev


def get_doc(
    conn: Connection,
    db_id: int,
    doc_id: str,
    rev: str | None,
    latest: bool,
    options: DocOptions,
) -> dict[str, Any]:
    """:raises NotFound: `missing` or `deleted`. :raises BadRequest: malformed `rev`."""
    if rev is not None:
        check_rev(rev)
    row = doc_row(conn, db_id, doc_id)
    if row is None:
        raise NotFound("missing")
    tree = revtree.tree_from_json(row.tree)
    if rev is None:
        if row.deleted:
            raise NotFound("deleted")
        rev = row.winner
    elif latest and (descendants := revtree.latest_leaves(tree, rev)):
            rev = _best(tree, descendants)
    if not revtree.contains(tree, rev):
        raise NotFound("missing")
    wanted = revtree.all_revs(tree) if options.revs_info else [rev]
    stored = revision_rows(conn, db_id, doc_id, wanted)
    if rev not in stored:
        raise NotFound("missing")
    deleted, body, atts = stored[rev]
    data = blobs(conn, db_id, _digests([atts])) if options.attachments and atts else None
    return render(doc_id, rev, deleted, body, atts, tree=tree, options=options, data=data,
                  available=frozenset(stored))


def _targets(tree: revtree.RevTree, wanted: Sequence[str] | None, latest: bool) -> dict[str, str]:
    """Revs to answer -> the rev asked for (named in `{"missing": rev}`)."""
    if wanted is None:
        return {leaf.rev: leaf.rev for leaf in revtree.leaves(tree)}
    targets: dict[str, str] = {}
    for asked in wanted:
        found = revtree.latest_leaves(tree, asked) if latest else []
        for rev in found or [asked]:
            targets.setdefault(rev, asked)
    return targets


def _trees(conn: Connection, db_id: int, doc_ids: Sequence[str]) -> dict[str, revtree.RevTree]:
    """The revision trees of the documents among `doc_ids` that exist."""
    trees: dict[str, revtree.RevTree] = {}
    for chunk in chunked(doc_ids):
        hits = rows(conn, "SELECT doc_id, tree FROM sync_documents WHERE db_id = ? AND "
                    f"doc_id IN ({marks(len(chunk))})", (db_id, *chunk))
        trees.update((doc_id, revtree.tree_from_json(tree)) for doc_id, tree in hits)
    return trees


def open_revs_many(
    conn: Connection,
    db_id: int,
    asks: Sequence[tuple[str, Sequence[str] | None]],
    latest: bool,
    options: DocOptions,
    raw: bool = False,
) -> list[list[dict[str, Any]] | None]:
    """For each `(doc_id, wanted)`: `[{"ok": doc} | {"missing": rev}]`, or None for an unknown
    document asked with `wanted=None` (every leaf). Three queries for the whole batch.
    With `raw`, each doc is a `msgspec.Raw` (see `render_raw`)."""
    for _, wanted in asks:
        for rev in wanted or ():
            check_rev(rev)
    trees = _trees(conn, db_id, list({doc_id for doc_id, _ in asks}))
    plans = [
        (doc_id, _targets(trees[doc_id], wanted, latest) if doc_id in trees else None, wanted)
        for doc_id, wanted in asks
    ]
    pairs = list({(doc_id, rev) for doc_id, targets, _ in plans if targets
                  for rev in targets if revtree.contains(trees[doc_id], rev)})
    stored: dict[tuple[str, str], tuple[bool, bytes, bytes | None]] = {}
    for some in chunked(pairs):
        # A join on a VALUES list, so each pair is one primary-key lookup (a row-value
        # `IN (VALUES ...)` would scan every revision of the database on SQLite).
        hits = rows(conn, f"WITH w(d, r) AS (VALUES {marks(len(some), 2)}) "
                    "SELECT s.doc_id, s.rev, s.deleted, s.body, s.atts FROM w JOIN "
                    "sync_revisions s ON s.db_id = ? AND s.doc_id = w.d AND s.rev = w.r",
                    (*(x for pair in some for x in pair), db_id))
        stored.update(((doc_id, rev), (bool(deleted), body, atts))
                      for doc_id, rev, deleted, body, atts in hits)
    draw = render_raw if raw else render
    data = None
    if options.attachments:
        data = blobs(conn, db_id, _digests([atts for _, _, atts in stored.values()]))
    answers: list[list[dict[str, Any]] | None] = []
    for doc_id, targets, wanted in plans:
        if targets is None:
            answers.append(None if wanted is None else
                           [{"missing": rev} for rev in dict.fromkeys(wanted)])
            continue
        answer: list[dict[str, Any]] = []
        for rev, asked in targets.items():
            found = stored.get((doc_id, rev))
            if found is None:
                answer.append({"missing": asked})
            else:
                answer.append({"ok": draw(doc_id, rev, *found, tree=trees[doc_id],
                                          options=options, data=data)})
        answers.append(answer)
    return answers


def open_revs(
    conn: Connection,
    db_id: int,
    doc_id: str,
    wanted: Sequence[str] | None,
    latest: bool,
    options: DocOptions,
) -> list[dict[str, Any]]:
    """`[{"ok": doc} | {"missing": rev}]`; `wanted=None` means every leaf.

    :raises NotFound: unknown document with `wanted=None`.
    """
    [answer] = open_revs_many(conn, db_id, [(doc_id, wanted)], latest, options)
    if answer is None:
        raise NotFound("missing")
    return answer


def revs_diff(
    conn: Connection, db_id: int, wanted: dict[str, list[str]]
) -> dict[str, dict[str, list[str]]]:
    """`_revs_diff`: per id, the revs not in its tree and the leaves that could be ancestors."""
    trees = _trees(conn, db_id, list(wanted))
    answer: dict[str, dict[str, list[str]]] = {}
    for doc_id, revs in wanted.items():
        tree = trees.get(doc_id)
        missing = [rev for rev in dict.fromkeys(revs) if tree is None or not revtree.contains(tree, rev)]
        if not missing:
            continue
        entry: dict[str, list[str]] = {"missing": missing}
        if tree is not None:
            top = max(revtree.parse_rev(rev)[0] for rev in missing)
            ancestors = [leaf.rev for leaf in revtree.leaves(tree) if leaf.pos < top]
            if ancestors:
                entry["possible_ancestors"] = ancestors
        answer[doc_id] = entry
    return answer


def attachment(
    conn: Connection, db_id: int, doc_id: str, name: str, rev: str | None
) -> Attachment:
    """One attachment of a revision (default: the winner). :raises NotFound: no such one."""
    if rev is not None:
        check_rev(rev)
    row = doc_row(conn, db_id, doc_id)
    if row is None:
        raise NotFound("missing")
    if rev is None and row.deleted:
        raise NotFound("deleted")
    wanted = rev or row.winner
    stored = revision_rows(conn, db_id, doc_id, [wanted]).get(wanted)
    if stored is None:
        raise NotFound("missing")
    meta = decode_atts(stored[2]).get(name) if stored[2] else None
    if meta is None:
        raise NotFound("Document is missing attachment")
    data = blobs(conn, db_id, [meta["digest"]])
    if meta["digest"] not in data:
        raise NotFound("Document is missing attachment")
    return Attachment(content_type=meta["content_type"], data=data[meta["digest"]],
                      digest=meta["digest"])
