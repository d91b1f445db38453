"""`thidua repair` on the embedded store: find and rewrite stored malformed revision ids.

`repair` reads every document tree of a database (one query) and repairs it in memory
(`sync.revrepair`); with `apply` it rewrites, in the caller's write transaction (the
database row locked first, as a batch does): each renamed revision row, the document's tree
and winner, and a new seq for it (so `_changes` hands the repaired document to every
puller). Bodies, attachments and deleted flags are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from .. import revtree
from ..revrepair import repair_tree
from .sql_queries import DbRow
from .sql_raw import rows, run, run_many

__all__ = ["DocRepair", "repair"]


@dataclass(frozen=True, slots=True)
class DocRepair:
    """One document to repair: its renamed revisions and winner before and after."""

    doc_id: str
    renamed: dict[str, str]
    winner_before: str
    winner_after: str
    tree: revtree.RevTree


def repair(conn: Connection, db: DbRow, *, apply: bool) -> list[DocRepair]:
    """The documents of `db` whose stored tree holds a malformed revision id, by id;
    rewritten when `apply` (in a write transaction)."""
    update_seq = db.update_seq
    if apply and conn.dialect.name != "sqlite":  # SQLite: BEGIN IMMEDIATE holds the lock
        update_seq = rows(conn, "SELECT update_seq FROM sync_databases WHERE id = ? FOR UPDATE",
                          (db.id,))[0][0]
    found = []
    for doc_id, tree_json, winner in rows(
        conn, "SELECT doc_id, tree, winner FROM sync_documents WHERE db_id = ? ORDER BY doc_id",
        (db.id,)):
        fixed = repair_tree(revtree.tree_from_json(tree_json))
        if fixed is not None:
            found.append(DocRepair(doc_id, fixed.renamed, winner,
                                   revtree.winning_rev(fixed.tree), fixed.tree))
    if apply and found:
        _rewrite(conn, db.id, update_seq, found)
    return found


def _rewrite(conn: Connection, db_id: int, update_seq: int, repairs: list[DocRepair]) -> None:
    run_many(conn, "UPDATE sync_revisions SET rev = ? WHERE db_id = ? AND doc_id = ? AND rev = ?",
             [(new, db_id, r.doc_id, old) for r in repairs for old, new in r.renamed.items()])
    documents = []
    for r in repairs:
        update_seq += 1
        documents.append((update_seq, revtree.tree_to_json(r.tree), r.winner_after, db_id,
                          r.doc_id))
    run_many(conn, "UPDATE sync_documents SET seq = ?, tree = ?, winner = ? "
                   "WHERE db_id = ? AND doc_id = ?", documents)
    run(conn, "UPDATE sync_databases SET update_seq = ? WHERE id = ?", (update_seq, db_id))
