"""`_all_docs` of the SQL store (run in a worker thread, one read snapshot).

It reads `sync_documents` by the `(db_id, deleted, doc_id)` index; when bodies are needed the
winning revision is joined in, so a page is one query. (`_changes`: `sql_changes`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, and_, func, select

from .. import revtree
from .sql_docs import DocOptions, render
from .sql_queries import DbRow, chunked
from .sql_raw import marks, named_rows, rows
from .sql_tables import T_DOCUMENTS, T_REVISIONS

__all__ = ["BODY_JOIN", "AllDocsQuery", "all_docs", "doc_of_row", "winning_bodies"]

_d, _r = T_DOCUMENTS.c, T_REVISIONS.c
_STREAM = 500
#: Joins each document row `d` to its winning revision `r` (the body).
BODY_JOIN = (" LEFT OUTER JOIN sync_revisions r ON r.db_id = d.db_id AND r.doc_id = d.doc_id"
              " AND r.rev = d.winner")


def _select(with_body: bool, with_tree: bool) -> Select[Any]:
    columns = [_d.doc_id, _d.seq, _d.winner, _d.deleted, *([_d.tree] if with_tree else [])]
    if not with_body:
        return select(*columns)
    joined = T_DOCUMENTS.outerjoin(
        T_REVISIONS,
        and_(_r.db_id == _d.db_id, _r.doc_id == _d.doc_id, _r.rev == _d.winner),
    )
    return select(*columns, _r.body, _r.atts).select_from(joined)


def doc_of_row(row: Any, tree: revtree.RevTree | None, conflicts: bool) -> dict[str, Any]:
    return render(row.doc_id, row.winner, row.deleted, row.body, row.atts, tree=tree,
                  options=DocOptions(conflicts=conflicts))


@dataclass(frozen=True, slots=True)
class AllDocsQuery:
    keys: Sequence[str] | None
    startkey: str | None
    endkey: str | None
    inclusive_end: bool
    include_docs: bool
    conflicts: bool
    descending: bool
    limit: int | None
    skip: int


def _all_docs_row(row: Any, q: AllDocsQuery) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row.doc_id, "key": row.doc_id, "value": {"rev": row.winner}}
    if row.deleted:
        out["value"]["deleted"] = True
    if q.include_docs:
        tree = revtree.tree_from_json(row.tree) if q.conflicts else None
        out["doc"] = None if row.deleted else doc_of_row(row, tree, q.conflicts)
    return out


def _by_keys(conn: Connection, db: DbRow, q: AllDocsQuery) -> list[dict[str, Any]]:
    """The rows of `q.keys` (plain driver statements: the worker reads every page's sheets
    this way, and SQLAlchemy's statement machinery cost more than the query)."""
    assert q.keys is not None
    columns = "d.doc_id, d.seq, d.winner, d.deleted"
    if q.include_docs:
        columns += (", d.tree" if q.conflicts else "") + ", r.body, r.atts"
    join = BODY_JOIN if q.include_docs else ""
    found: dict[str, Any] = {}
    for chunk in chunked(list(dict.fromkeys(q.keys))):
        for row in named_rows(conn, f"SELECT {columns} FROM sync_documents d{join} WHERE "
                                    f"d.db_id = ? AND d.doc_id IN ({marks(len(chunk))})",
                              (db.id, *chunk)):
            found[row.doc_id] = row
    keys = list(reversed(q.keys)) if q.descending else list(q.keys)
    rows = [
        _all_docs_row(found[k], q) if k in found else {"key": k, "error": "not_found"}
        for k in keys
    ]
    rows = rows[q.skip :]
    return rows if q.limit is None else rows[: q.limit]


def all_docs(conn: Connection, db: DbRow, q: AllDocsQuery) -> dict[str, Any]:
    if q.keys is not None:
        return {"total_rows": db.doc_count, "offset": q.skip, "rows": _by_keys(conn, db, q)}
    where = [_d.db_id == db.id, _d.deleted.is_(False)]
    low, high = (q.endkey, q.startkey) if q.descending else (q.startkey, q.endkey)
    low_inclusive = q.inclusive_end or not q.descending
    high_inclusive = q.inclusive_end or q.descending
    if low is not None:
        where.append(_d.doc_id >= low if low_inclusive else _d.doc_id > low)
    if high is not None:
        where.append(_d.doc_id <= high if high_inclusive else _d.doc_id < high)
    stmt = _select(q.include_docs, q.include_docs and q.conflicts).where(*where)
    stmt = stmt.order_by(_d.doc_id.desc() if q.descending else _d.doc_id).offset(q.skip)
    if q.limit is not None:
        stmt = stmt.limit(q.limit)
    rows = [_all_docs_row(row, q) for row in conn.execute(stmt)]
    offset = q.skip
    if q.startkey is not None:
        before = _d.doc_id > q.startkey if q.descending else _d.doc_id < q.startkey
        offset += conn.execute(
            select(func.count()).select_from(T_DOCUMENTS).where(*where[:2], before)
        ).scalar_one()
    return {"total_rows": db.doc_count, "offset": offset, "rows": rows}


def winning_bodies(conn: Connection, db: DbRow, ids: Sequence[str]) -> dict[str, tuple[str, bytes]]:
    """`DocumentStore.winning_bodies`: each live document's winning rev and its body as
    stored (the JSON of its fields; attachments are kept apart, in `atts`)."""
    found: dict[str, tuple[str, bytes]] = {}
    for chunk in chunked(list(dict.fromkeys(ids))):
        for doc_id, rev, body in rows(
                conn, f"SELECT d.doc_id, d.winner, r.body FROM sync_documents d{BODY_JOIN} "
                f"WHERE d.db_id = ? AND d.deleted = ? AND d.doc_id IN ({marks(len(chunk))})",
                (db.id, False, *chunk)):
            found[doc_id] = (rev, bytes(body) if body is not None else b"{}")
    return found
