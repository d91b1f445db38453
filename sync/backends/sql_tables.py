"""SQLModel tables of the embedded store (private to `sync.backends.sql*`).

They live in their own registry and metadata, with a `sync_` prefix, so the store can share a
database file with other tables. Queries use SQLAlchemy Core on `Model.__table__` (`T_*`).

* `sync_databases`: one row per database; `update_seq` is the last seq handed out.
* `sync_documents`: one row per document: its rev tree (JSON), winning rev, deleted flag and
  latest `seq` (unique per database, so `_changes` is an index range scan).
* `sync_revisions`: the body of every kept revision (leaves and ancestors; stemmed ones are
  dropped) plus its attachment metadata (`{name: {content_type, length, digest, revpos}}`).
* `sync_blobs`: attachment bytes, content-addressed by `md5-<base64>` digest per database.
* `sync_local_docs`: `_local/` documents, rev `0-N`.
* `sync_meta`: key/value rows such as the server uuid.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, LargeBinary, MetaData, String, Table, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

__all__ = [
    "METADATA",
    "T_BLOBS",
    "T_DATABASES",
    "T_DOCUMENTS",
    "T_LOCAL",
    "T_META",
    "T_REVISIONS",
]

_REGISTRY = registry(metadata=MetaData())


class _Base(SQLModel, registry=_REGISTRY):
    pass


def _blob(nullable: bool = False) -> Column[bytes]:
    return Column(LargeBinary, nullable=nullable)


def _doc_id() -> Column[str]:
    """Doc ids sort by code point (CouchDB's raw `_all_docs` order), also on PostgreSQL."""
    return Column(String().with_variant(String(collation="C"), "postgresql"), primary_key=True)


class SyncDatabase(_Base, table=True):
    __tablename__ = "sync_databases"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=255)
    update_seq: int = 0
    doc_count: int = 0
    del_count: int = 0
    created: float = 0.0


class SyncDocument(_Base, table=True):
    __tablename__ = "sync_documents"
    __table_args__ = (
        UniqueConstraint("db_id", "seq", name="uq_sync_documents_seq"),
        Index("ix_sync_documents_db_deleted_id", "db_id", "deleted", "doc_id"),
    )

    db_id: int = Field(primary_key=True, foreign_key="sync_databases.id", ondelete="CASCADE")
    doc_id: str = Field(sa_column=_doc_id())
    seq: int
    tree: bytes = Field(sa_column=_blob())
    winner: str
    deleted: bool = False


class SyncRevision(_Base, table=True):
    __tablename__ = "sync_revisions"

    db_id: int = Field(primary_key=True, foreign_key="sync_databases.id", ondelete="CASCADE")
    doc_id: str = Field(primary_key=True)
    rev: str = Field(primary_key=True)
    deleted: bool = False
    body: bytes = Field(sa_column=_blob())
    atts: bytes | None = Field(default=None, sa_column=_blob(nullable=True))


class SyncBlob(_Base, table=True):
    __tablename__ = "sync_blobs"

    db_id: int = Field(primary_key=True, foreign_key="sync_databases.id", ondelete="CASCADE")
    digest: str = Field(primary_key=True)
    data: bytes = Field(sa_column=_blob())


class SyncLocalDoc(_Base, table=True):
    __tablename__ = "sync_local_docs"

    db_id: int = Field(primary_key=True, foreign_key="sync_databases.id", ondelete="CASCADE")
    local_id: str = Field(primary_key=True)
    rev: int
    body: bytes = Field(sa_column=_blob())


class SyncMeta(_Base, table=True):
    __tablename__ = "sync_meta"

    key: str = Field(primary_key=True)
    value: str


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


METADATA = _REGISTRY.metadata
T_DATABASES = _table(SyncDatabase)
T_DOCUMENTS = _table(SyncDocument)
T_REVISIONS = _table(SyncRevision)
T_BLOBS = _table(SyncBlob)
T_LOCAL = _table(SyncLocalDoc)
T_META = _table(SyncMeta)
