"""One `_bulk_docs` batch in one transaction (runs in a worker thread).

The database row is locked first (`BEGIN IMMEDIATE` on SQLite, `FOR UPDATE` on PostgreSQL),
so batches on a database commit in seq order. Then: one SELECT for the batch's documents
(joined with their winning revision's body when a validator judges them), the revision-tree
work in memory, and executemany inserts/updates/deletes at the end.

A validator (`sync.store.Validator`, bound to the batch's docs as `check(index, stored)`) is
called per document once its new revision and tree are known, before anything is recorded:
under the write lock, so the stored winner it judges is the one the batch commits onto.
A prevailing verdict also records the deterministic tombstones of the other open leaves
(`sync.closing`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import Connection

from .. import revtree
from ..closing import open_leaves, tombstones
from ..errors import NotFound
from ..store import Doc, Stored, Verdict, WriteResult
from .attachments import AttMeta, MissingStub, resolve
from .docinput import Incoming
from .sql_queries import DbRow, chunked
from .sql_raw import marks, rows, run, run_many

__all__ = ["Check", "write_batch"]

#: `check(index, stored)`: a `sync.store.Validator` bound to the batch's input docs.
Check = Callable[[int, Stored], Verdict]
_encode = msgspec.json.Encoder().encode
_decode_atts = msgspec.json.Decoder(dict[str, dict[str, Any]]).decode
_decode_body = msgspec.json.Decoder(dict[str, Any]).decode
_EMPTY_BODY = b"{}"


@dataclass(slots=True)
class _Doc:
    tree: revtree.RevTree
    existed: bool
    was_deleted: bool
    seq: int = 0
    changed: bool = False
    atts: dict[str, AttMeta] = field(default_factory=dict)
    winner: Doc | None = None  # the stored winning body, loaded only for a validator


class _Batch:
    def __init__(self, conn: Connection, db: DbRow, revs_limit: int) -> None:
        self.conn, self.db_id, self.revs_limit = conn, db.id, revs_limit
        self.update_seq, self.doc_count, self.del_count = db.update_seq, db.doc_count, db.del_count
        if conn.dialect.name != "sqlite":
            # `db` was read before this lock: re-read the counters under it.
            found = rows(conn, "SELECT update_seq, doc_count, del_count FROM sync_databases "
                               "WHERE id = ? FOR UPDATE", (db.id,))
            if not found:
                raise NotFound("Database does not exist.")
            self.update_seq, self.doc_count, self.del_count = found[0]
        self.docs: dict[str, _Doc] = {}
        self.new_revs: dict[tuple[str, str], tuple[Any, ...]] = {}
        self.stemmed: list[tuple[int, str, str]] = []
        self.blobs: dict[str, bytes] = {}

    def load(self, items: list[Incoming], *, winners: bool = False) -> None:
        """The batch's stored documents; with `winners`, each one's winning body too (the
        same query, joined: a validator adds no query)."""
        ids = list(dict.fromkeys(item.doc_id for item in items))
        body = ("r.body" if winners else "NULL")
        join = (" LEFT JOIN sync_revisions r ON r.db_id = d.db_id AND r.doc_id = d.doc_id "
                "AND r.rev = d.winner" if winners else "")
        for chunk in chunked(ids):
            for doc_id, tree, deleted, seq, win, winner in rows(
                self.conn, f"SELECT d.doc_id, d.tree, d.deleted, d.seq, d.winner, {body} "
                f"FROM sync_documents d{join} WHERE d.db_id = ? "
                f"AND d.doc_id IN ({marks(len(chunk))})", (self.db_id, *chunk)):
                doc = self.docs[doc_id] = _Doc(revtree.tree_from_json(tree), True,
                                               bool(deleted), seq)
                if winner is not None and not deleted:
                    doc.winner = {"_id": doc_id, "_rev": win, **_decode_body(winner)}
        stub_ids = list({i.doc_id for i in items if i.atts and any(a.data is None for a in i.atts)})
        for chunk in chunked(stub_ids):
            for doc_id, rev, atts in rows(
                self.conn, "SELECT doc_id, rev, atts FROM sync_revisions WHERE db_id = ? AND "
                f"doc_id IN ({marks(len(chunk))}) AND atts IS NOT NULL", (self.db_id, *chunk)):
                self.docs[doc_id].atts[rev] = _decode_atts(atts)

    def _doc(self, doc_id: str) -> _Doc:
        doc = self.docs.get(doc_id)
        if doc is None:
            doc = self.docs[doc_id] = _Doc(revtree.empty_tree(), False, False)
        return doc

    def interactive(self, item: Incoming, check: Check | None = None,
                    index: int = 0) -> WriteResult:
        doc = self._doc(item.doc_id)
        tree = doc.tree
        if item.rev is not None:
            if not revtree.is_leaf(tree, item.rev):
                return WriteResult(id=item.doc_id, error="conflict",
                                   reason="Document update conflict.")
            parent: str | None = item.rev
        elif not revtree.leaves(tree):
            parent = None
        elif revtree.winner_deleted(tree):
            parent = revtree.winning_rev(tree)
        else:
            return WriteResult(id=item.doc_id, error="conflict", reason="Document update conflict.")
        pos = 1 if parent is None else revtree.parse_rev(parent)[0] + 1
        atts, blobs = resolve(item.atts or (), doc.atts, [parent] if parent else [], pos,
                              keep_revpos=False)
        rev = revtree.new_rev(parent, item.body, deleted=item.deleted,
                              attachment_digests=[m["digest"] for m in atts.values()])
        tree, _, stemmed = revtree.extend(tree, parent, rev, deleted=item.deleted,
                                          revs_limit=self.revs_limit)
        return self._judged(item, doc, tree, rev, (atts, blobs, stemmed), check, index)

    def replicated(self, item: Incoming, check: Check | None = None,
                   index: int = 0) -> WriteResult:
        assert item.path is not None and item.rev is not None
        doc = self._doc(item.doc_id)
        if revtree.contains(doc.tree, item.rev):
            return WriteResult(id=item.doc_id, rev=item.rev, ok=True)
        pos = revtree.parse_rev(item.rev)[0]
        atts, blobs = resolve(item.atts or (), doc.atts, item.path[1:], pos, keep_revpos=True)
        tree, _, stemmed = revtree.merge_path(doc.tree, item.path, deleted=item.deleted,
                                              revs_limit=self.revs_limit)
        return self._judged(item, doc, tree, item.rev, (atts, blobs, stemmed), check, index)

    def _judged(self, item: Incoming, doc: _Doc, tree: revtree.RevTree, rev: str,
                written: tuple[AttMeta, dict[str, bytes], list[str]], check: Check | None,
                index: int) -> WriteResult:
        """Record `rev` (merged into `tree`) unless `check` refuses it; a prevailing verdict
        also records the tombstones of the other open leaves."""
        closes: list[str] = []
        if check is not None:
            closes = [leaf for leaf in open_leaves(tree) if leaf != rev]
            verdict = check(index, Stored(item.doc_id, doc.winner, doc.tree, rev, tuple(closes)))
            if verdict.refusal is not None:
                return WriteResult(id=item.doc_id, error="forbidden", reason=verdict.refusal)
            if not verdict.prevail:
                closes = []
        self._record(item.doc_id, doc, tree, rev, item.deleted, item.body_json, *written)
        for tomb in tombstones(item.doc_id, closes, rev):
            path = revtree.path_from_revisions(tomb["_rev"], tomb["_revisions"])
            tree, _, stemmed = revtree.merge_path(doc.tree, path, deleted=True,
                                                  revs_limit=self.revs_limit)
            self._record(item.doc_id, doc, tree, tomb["_rev"], True, _EMPTY_BODY, {}, {},
                         stemmed)
        return WriteResult(id=item.doc_id, rev=rev, ok=True)

    def _record(self, doc_id: str, doc: _Doc, tree: revtree.RevTree, rev: str, deleted: bool,
                body_json: bytes, atts: AttMeta, blobs: dict[str, bytes],
                stemmed: list[str]) -> None:
        self.update_seq += 1
        doc.tree, doc.seq, doc.changed = tree, self.update_seq, True
        self.blobs.update(blobs)
        if atts:
            doc.atts[rev] = atts
        self.new_revs[(doc_id, rev)] = (
            self.db_id, doc_id, rev, deleted, body_json, _encode(atts) if atts else None)
        for old in stemmed:
            doc.atts.pop(old, None)
            if self.new_revs.pop((doc_id, old), None) is None:
                self.stemmed.append((self.db_id, doc_id, old))

    def flush(self) -> None:
        conn = self.conn
        run_many(conn, "DELETE FROM sync_revisions WHERE db_id = ? AND doc_id = ? AND rev = ?",
                 self.stemmed)
        run_many(conn, "INSERT INTO sync_revisions (db_id, doc_id, rev, deleted, body, atts) "
                       "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                 list(self.new_revs.values()))
        run_many(conn, "INSERT INTO sync_blobs (db_id, digest, data) VALUES (?, ?, ?) "
                       "ON CONFLICT DO NOTHING",
                 [(self.db_id, k, v) for k, v in self.blobs.items()])
        inserts, updates = [], []
        for doc_id, doc in self.docs.items():
            if not doc.changed:
                continue
            deleted = revtree.winner_deleted(doc.tree)
            row = (doc.seq, revtree.tree_to_json(doc.tree), revtree.winning_rev(doc.tree),
                   deleted, self.db_id, doc_id)
            if doc.existed:
                updates.append(row)
                self.doc_count -= not doc.was_deleted
                self.del_count -= doc.was_deleted
            else:
                inserts.append(row)
            self.doc_count += not deleted
            self.del_count += deleted
        # Updates first: a doc's new seq may be one another doc of this batch gave up.
        run_many(conn, "UPDATE sync_documents SET seq = ?, tree = ?, winner = ?, deleted = ? "
                       "WHERE db_id = ? AND doc_id = ?", updates)
        run_many(conn, "INSERT INTO sync_documents (seq, tree, winner, deleted, db_id, doc_id) "
                       "VALUES (?, ?, ?, ?, ?, ?)", inserts)
        run(conn, "UPDATE sync_databases SET update_seq = ?, doc_count = ?, del_count = ? "
                  "WHERE id = ?", (self.update_seq, self.doc_count, self.del_count, self.db_id))


def write_batch(
    conn: Connection,
    db: DbRow,
    items: list[Incoming | WriteResult],
    *,
    new_edits: bool,
    revs_limit: int,
    check: Check | None = None,
) -> tuple[list[WriteResult], int | None]:
    """Apply a prepared batch; returns the results and the new update_seq (None: no change).

    `db` must have been read in this transaction: on SQLite it is current (the transaction
    began with `BEGIN IMMEDIATE`, so it holds the write lock); PostgreSQL re-reads it locked.
    `check` judges each document on its stored state (see the module doc).
    """
    batch = _Batch(conn, db, revs_limit)
    batch.load([item for item in items if isinstance(item, Incoming)], winners=check is not None)
    results: list[WriteResult] = []
    for index, item in enumerate(items):
        if isinstance(item, WriteResult):
            results.append(item)
            continue
        try:
            results.append(batch.interactive(item, check, index) if new_edits
                           else batch.replicated(item, check, index))
        except MissingStub as exc:
            results.append(WriteResult(id=item.doc_id, error="missing_stub",
                                       reason=f"Invalid attachment stub in {item.doc_id} "
                                              f"for {exc.name}."))
        except revtree.InvalidRev as exc:
            results.append(WriteResult(id=item.doc_id, error="bad_request", reason=str(exc)))
    if not any(doc.changed for doc in batch.docs.values()):
        return results, None
    batch.flush()
    return results, batch.update_seq
