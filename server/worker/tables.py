"""The worker's own tables: a durable checkpoint per database and the failures it met."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Field, SQLModel

from sync.backends.sql_schema import create_tables

__all__ = ["WorkerCheckpoint", "WorkerFailure", "install_worker_tables", "worker_tables"]


class WorkerCheckpoint(SQLModel, table=True):
    """The last sequence of `db` whose changes were all handled (JSON: int or string)."""

    __tablename__ = "worker_checkpoint"

    db: str = Field(primary_key=True, max_length=128)
    seq: str
    updated_at: datetime


class WorkerFailure(SQLModel, table=True):
    """A change the worker could not handle, kept with the change; one row per revision.
    `resolved` is set when a later revision of the document was handled."""

    __tablename__ = "worker_failure"

    id: str = Field(primary_key=True, max_length=700)  # `<db>/<doc id>/<rev>`
    db: str = Field(index=True, max_length=128)
    doc_id: str = Field(index=True, max_length=512)
    rev: str = Field(max_length=128)
    seq: str
    error: str
    at: datetime
    resolved: bool = Field(default=False, index=True)


def worker_tables() -> list[Any]:
    return [WorkerCheckpoint.__table__, WorkerFailure.__table__]  # type: ignore[attr-defined]


def install_worker_tables(engine: Engine) -> None:
    create_tables(engine, SQLModel.metadata, worker_tables())
