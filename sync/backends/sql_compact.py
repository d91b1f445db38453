"""Compaction of the SQL store (`POST /{db}/_compact`), as CouchDB compacts a database.

The bodies of non-leaf revisions are removed (their ids stay in the rev tree, so
`_revs_info` lists them as `missing` and replication still recognises them), then the
attachment blobs no remaining revision refers to. Runs in one write transaction.
"""

from __future__ import annotations

import msgspec
from sqlalchemy import Connection

from .. import revtree
from .sql_queries import chunked
from .sql_raw import marks, rows, run_many

__all__ = ["compact"]

_atts = msgspec.json.Decoder(dict[str, dict[str, object]]).decode


def compact(conn: Connection, db_id: int) -> int:
    """Remove non-leaf revision bodies and unused blobs of database `db_id`; returns how many
    revision bodies were removed."""
    candidates = [doc_id for (doc_id,) in rows(
        conn, "SELECT doc_id FROM sync_revisions WHERE db_id = ? GROUP BY doc_id "
              "HAVING COUNT(*) > 1", (db_id,))]
    doomed: list[tuple[int, str, str]] = []
    for chunk in chunked(candidates):
        trees = dict(rows(conn, "SELECT doc_id, tree FROM sync_documents WHERE db_id = ? AND "
                                f"doc_id IN ({marks(len(chunk))})", (db_id, *chunk)))
        stored = rows(conn, "SELECT doc_id, rev FROM sync_revisions WHERE db_id = ? AND "
                            f"doc_id IN ({marks(len(chunk))})", (db_id, *chunk))
        leaves = {doc_id: {leaf.rev for leaf in revtree.leaves(revtree.tree_from_json(tree))}
                  for doc_id, tree in trees.items()}
        doomed += [(db_id, doc_id, rev) for doc_id, rev in stored
                   if rev not in leaves.get(doc_id, ())]
    run_many(conn, "DELETE FROM sync_revisions WHERE db_id = ? AND doc_id = ? AND rev = ?",
             doomed)
    used = {str(meta.get("digest")) for (atts,) in rows(
        conn, "SELECT atts FROM sync_revisions WHERE db_id = ? AND atts IS NOT NULL", (db_id,))
        for meta in _atts(atts).values()}
    unused = [(db_id, digest) for (digest,) in rows(
        conn, "SELECT digest FROM sync_blobs WHERE db_id = ?", (db_id,)) if digest not in used]
    run_many(conn, "DELETE FROM sync_blobs WHERE db_id = ? AND digest = ?", unused)
    return len(doomed)
