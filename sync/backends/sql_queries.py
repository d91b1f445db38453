"""Small SQL building blocks shared by the readers and the writer of the SQL store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Insert, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from ..errors import NotFound
from .sql_tables import T_BLOBS, T_DATABASES, T_DOCUMENTS, T_REVISIONS

__all__ = ["DbRow", "blobs", "chunked", "db_row", "doc_row", "insert_ignore", "revision_rows"]

T = TypeVar("T")
_CHUNK = 500


def chunked(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    """Slices of at most `size` items (keeps `IN (...)` lists under driver limits)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_ignore(conn: Connection, table: Table) -> Insert:
    """`INSERT ... ON CONFLICT DO NOTHING` for SQLite and PostgreSQL."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    return dialect.insert(table).on_conflict_do_nothing()


class DbRow:
    """The counters of one database, read in the caller's transaction."""

    __slots__ = ("del_count", "doc_count", "id", "update_seq")

    def __init__(self, id: int, update_seq: int, doc_count: int, del_count: int) -> None:
        self.id, self.update_seq, self.doc_count, self.del_count = (
            id, update_seq, doc_count, del_count)


def db_row(conn: Connection, name: str) -> DbRow:
    """:raises NotFound: no database `name`."""
    c = T_DATABASES.c
    row = conn.execute(
        select(c.id, c.update_seq, c.doc_count, c.del_count).where(c.name == name)
    ).one_or_none()
    if row is None:
        raise NotFound("Database does not exist.")
    return DbRow(*row)


def doc_row(conn: Connection, db_id: int, doc_id: str) -> Any:
    """`(tree, winner, deleted, seq)` of a document, or None."""
    d = T_DOCUMENTS.c
    return conn.execute(
        select(d.tree, d.winner, d.deleted, d.seq).where(d.db_id == db_id, d.doc_id == doc_id)
    ).one_or_none()


def revision_rows(
    conn: Connection, db_id: int, doc_id: str, revs: Iterable[str]
) -> dict[str, tuple[bool, bytes, bytes | None]]:
    """Stored revisions of one document: `{rev: (deleted, body, atts)}` (absent: no body)."""
    r = T_REVISIONS.c
    found: dict[str, tuple[bool, bytes, bytes | None]] = {}
    for chunk in chunked(list(dict.fromkeys(revs))):
        rows = conn.execute(
            select(r.rev, r.deleted, r.body, r.atts).where(
                r.db_id == db_id, r.doc_id == doc_id, r.rev.in_(chunk)
            )
        )
        for rev, deleted, body, atts in rows:
            found[rev] = (deleted, body, atts)
    return found


def blobs(conn: Connection, db_id: int, digests: Iterable[str]) -> dict[str, bytes]:
    """Attachment bytes by digest."""
    b = T_BLOBS.c
    found: dict[str, bytes] = {}
    for chunk in chunked(list(set(digests))):
        rows = conn.execute(select(b.digest, b.data).where(b.db_id == db_id, b.digest.in_(chunk)))
        found.update({digest: bytes(data) for digest, data in rows})
    return found
