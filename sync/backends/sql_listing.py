"""`_changes` and `_all_docs` of the SQL store (run in a worker thread, one read snapshot).

Both read `sync_documents` by index (`(db_id, seq)` and `(db_id, deleted, doc_id)`); when
bodies are needed the winning revision is joined in, so a page is one query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Select, and_, func, select

from .. import revtree
from ..store import ChangeRow, ChangesPage
from .sql_docs import DocOptions, render
from .sql_queries import DbRow, chunked
from .sql_tables import T_DOCUMENTS, T_REVISIONS

__all__ = ["AllDocsQuery", "ChangesQuery", "all_docs", "changes"]

_d, _r = T_DOCUMENTS.c, T_REVISIONS.c
_STREAM = 500


def _select(with_body: bool, with_tree: bool) -> Select[Any]:
    columns = [_d.doc_id, _d.seq, _d.winner, _d.deleted, *([_d.tree] if with_tree else [])]
    if not with_body:
        return select(*columns)
    joined = T_DOCUMENTS.outerjoin(
        T_REVISIONS,
        and_(_r.db_id == _d.db_id, _r.doc_id == _d.doc_id, _r.rev == _d.winner),
    )
    return select(*columns, _r.body, _r.atts).select_from(joined)


def _doc(row: Any, tree: revtree.RevTree | None, conflicts: bool) -> dict[str, Any]:
    return render(row.doc_id, row.winner, row.deleted, row.body, row.atts, tree=tree,
                  options=DocOptions(conflicts=conflicts))


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
        doc = _doc(row, tree, q.conflicts and q.include_docs)
        if q.predicate is not None and not q.predicate(doc):
            return None
    changes = [{"rev": row.winner}]
    if tree is not None and q.style == "all_docs":
        changes += [{"rev": leaf.rev} for leaf in revtree.leaves(tree) if leaf.rev != row.winner]
    return ChangeRow(seq=row.seq, id=row.doc_id, changes=changes, deleted=row.deleted,
                     doc=doc if q.include_docs else None)


def _pages(conn: Connection, stmt: Select[Any], descending: bool, size: int) -> Iterator[Any]:
    """Rows of `stmt` in seq order, fetched `size` at a time (keyset paging on seq)."""
    cursor: int | None = None
    while True:
        page = stmt
        if cursor is not None:
            page = page.where(_d.seq < cursor if descending else _d.seq > cursor)
        rows = conn.execute(page.limit(size)).all()
        yield from rows
        if len(rows) < size:
            return
        cursor = rows[-1].seq


def changes(conn: Connection, db: DbRow, q: ChangesQuery) -> ChangesPage:
    need_tree = q.style == "all_docs" or q.conflicts
    where = [_d.db_id == db.id, _d.seq > q.since]
    wanted_ids = set(q.doc_ids) if q.doc_ids is not None else None
    if wanted_ids is not None and len(wanted_ids) <= _STREAM:
        where.append(_d.doc_id.in_(wanted_ids))
        wanted_ids = None  # filtered by SQL
    filtered = wanted_ids is not None or q.predicate is not None
    stmt = _select(q.include_docs or q.predicate is not None, need_tree).where(*where)
    stmt = stmt.order_by(_d.seq.desc() if q.descending else _d.seq)
    size = _STREAM if filtered or q.limit is None else min(q.limit, _STREAM)
    results: list[ChangeRow] = []
    full = False
    for row in _pages(conn, stmt, q.descending, size):
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
    pending = conn.execute(
        select(func.count()).select_from(T_DOCUMENTS).where(*where[:1], _d.seq > last, *where[2:])
    ).scalar_one()
    return ChangesPage(results=results, last_seq=last, pending=pending)


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
        out["doc"] = None if row.deleted else _doc(row, tree, q.conflicts)
    return out


def _by_keys(conn: Connection, db: DbRow, q: AllDocsQuery) -> list[dict[str, Any]]:
    assert q.keys is not None
    found: dict[str, Any] = {}
    for chunk in chunked(list(dict.fromkeys(q.keys))):
        stmt = _select(q.include_docs, q.include_docs and q.conflicts)
        for row in conn.execute(stmt.where(_d.db_id == db.id, _d.doc_id.in_(chunk))):
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
