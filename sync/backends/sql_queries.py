"""Small SQL building blocks shared by the readers and the writer of the SQL store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection, select

from ..errors import NotFound
from .sql_raw import marks, rows
from .sql_tables import T_BLOBS

__all__ = ["DbRow", "blobs", "chunked", "db_row", "doc_row", "revision_rows"]

T = TypeVar("T")
_CHUNK = 500


def chunked(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    """Slices of at most `size` items (keeps `IN (...)` lists under driver limits)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _DocRow(NamedTuple):
    tree: bytes
    winner: str
    deleted: bool
    seq: int


class DbRow:
    """The counters of one database, read in the caller's transaction."""

    __slots__ = ("del_count", "doc_count", "id", "update_seq")

    def __init__(self, id: int, update_seq: int, doc_count: int, del_count: int) -> None:
        self.id, self.update_seq, self.doc_count, self.del_count = (
            id, update_seq, doc_count, del_count)


def db_row(conn: Connection, name: str) -> DbRow:
    """:raises NotFound: no database `name`."""
    found = rows(conn, "SELECT id, update_seq, doc_count, del_count FROM sync_databases "
                       "WHERE name = ?", (name,))
    if not found:
        raise NotFound("Database does not exist.")
    return DbRow(*found[0])


def doc_row(conn: Connection, db_id: int, doc_id: str) -> Any:
    """`(tree, winner, deleted, seq)` of a document, or None."""
    found = rows(conn, "SELECT tree, winner, deleted, seq FROM sync_documents "
                       "WHERE db_id = ? AND doc_id = ?", (db_id, doc_id))
    return _DocRow(found[0][0], found[0][1], bool(found[0][2]), found[0][3]) if found else None


def revision_rows(
    conn: Connection, db_id: int, doc_id: str, revs: Iterable[str]
) -> dict[str, tuple[bool, bytes, bytes | None]]:
    """Stored revisions of one document: `{rev: (deleted, body, atts)}` (absent: no body)."""
    found: dict[str, tuple[bool, bytes, bytes | None]] = {}
    for chunk in chunked(list(dict.fromkeys(revs))):
        for rev, deleted, body, atts in rows(
            conn, "SELECT rev, deleted, body, atts FROM sync_revisions WHERE db_id = ? AND "
            f"doc_id = ? AND rev IN ({marks(len(chunk))})", (db_id, doc_id, *chunk)):
            found[rev] = (bool(deleted), body, atts)
    return found


def blobs(conn: Connection, db_id: int, digests: Iterable[str]) -> dict[str, bytes]:
    """Attachment bytes by digest."""
    b = T_BLOBS.c
    found: dict[str, bytes] = {}
    for chunk in chunked(list(set(digests))):
        hits = conn.execute(select(b.digest, b.data).where(b.db_id == db_id, b.digest.in_(chunk)))
        found.update({digest: bytes(data) for digest, data in hits})
    return found
