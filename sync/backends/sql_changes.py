"""`_changes` of the SQL store (run in a worker thread, one read snapshot).

It reads `sync_documents` by its `(db_id, seq)` index with keyset paging; when bodies are
needed (include_docs, selector) the winning revision is joined in, so a page is one query.
Plain driver SQL (`sql_raw`): this runs once per replication batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection

from .. import revtree
from ..store import ChangeRow, ChangesPage
from .sql_listing import BODY_JOIN, doc_of_row
from .sql_queries import DbRow
from .sql_raw import marks, named_rows, rows

__all__ = ["ChangesQuery", "changes"]

_STREAM = 500


@dataclass(frozen=True, slots=True)
class ChangesQuery:
    since: int
    limit: int | None
    style: Literal["main_only", "all_docs"]
    include_docs: bool
    conflicts: bool
    doc_ids: Sequence[str] | None
    predicate: Callable[[dict[str, Any]], bool] | None
    descending: bool


def _change_row(row: Any, q: ChangesQuery) -> ChangeRow | None:
    need_tree = q.style == "all_docs" or q.conflicts
    tree = revtree.tree_from_json(row.tree) if need_tree else None
    doc = None
    if q.include_docs or q.predicate:
        doc = doc_of_row(row, tree, q.conflicts and q.include_docs)
        if q.predicate is not None and not q.predicate(doc):
            return None
    changes = [{"rev": row.winner}]
    if tree is not None and q.style == "all_docs":
        changes += [{"rev": leaf.rev} for leaf in revtree.leaves(tree) if leaf.rev != row.winner]
    return ChangeRow(seq=row.seq, id=row.doc_id, changes=changes, deleted=bool(row.deleted),
                     doc=doc if q.include_docs else None)


def _pages(conn: Connection, sql: str, params: tuple[Any, ...], descending: bool,
           size: int) -> Iterator[Any]:
    """Rows of `sql` (ending in a WHERE clause) in seq order, `size` at a time (keyset paging
    on seq)."""
    order = f" ORDER BY d.seq {'DESC' if descending else 'ASC'} LIMIT ?"
    cursor: int | None = None
    while True:
        if cursor is None:
            page = named_rows(conn, sql + order, (*params, size))
        else:
            page = named_rows(conn, sql + (" AND d.seq < ?" if descending else " AND d.seq > ?") + order,
                        (*params, cursor, size))
        yield from page
        if len(page) < size:
            return
        cursor = page[-1].seq


def changes(conn: Connection, db: DbRow, q: ChangesQuery) -> ChangesPage:
    need_tree = q.style == "all_docs" or q.conflicts
    with_body = q.include_docs or q.predicate is not None
    where = " WHERE d.db_id = ? AND d.seq > ?"
    params: tuple[Any, ...] = (db.id, q.since)
    wanted_ids = set(q.doc_ids) if q.doc_ids is not None else None
    if wanted_ids is not None and len(wanted_ids) <= _STREAM:
        where += f" AND d.doc_id IN ({marks(len(wanted_ids))})" if wanted_ids else " AND 0 = 1"
        params += tuple(wanted_ids)
        wanted_ids = None  # filtered by SQL
    columns = "d.doc_id, d.seq, d.winner, d.deleted" + (", d.tree" if need_tree else "")
    if with_body:
        columns += ", r.body, r.atts"
    sql = f"SELECT {columns} FROM sync_documents d" + (BODY_JOIN if with_body else "") + where
    filtered = wanted_ids is not None or q.predicate is not None
    size = _STREAM if filtered or q.limit is None else min(q.limit, _STREAM)
    results: list[ChangeRow] = []
    full = False
    for row in _pages(conn, sql, params, q.descending, size):
        if wanted_ids is not None and row.doc_id not in wanted_ids:
            continue
        change = _change_row(row, q)
        if change is not None:
            results.append(change)
        if q.limit is not None and len(results) >= q.limit:
            full = True
            break
    if q.descending:
        return ChangesPage(results=results, last_seq=results[-1].seq if results else q.since)
    if not full:
        return ChangesPage(results=results, last_seq=max(db.update_seq, q.since))
    last = results[-1].seq
    assert isinstance(last, int)
    [(pending,)] = rows(conn, "SELECT count(*) FROM sync_documents d" + where + " AND d.seq > ?",
                        (*params, last))
    return ChangesPage(results=results, last_seq=last, pending=pending)
