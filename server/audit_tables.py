"""The `audit_log` table (same database as the accounts) and the triggers that keep it append-only.

Private to `server/audit.py` and `server/accounts.py` (which writes account changes in the
same transaction as the change); everything else uses `AuditEvent`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, text
from sqlmodel import Field, SQLModel

from sync.backends.sql_schema import create_tables

__all__ = ["AUDIT_TABLE", "AuditRow", "install_audit_table"]

AUDIT_TABLE = "audit_log"


class AuditRow(SQLModel, table=True):
    __tablename__ = AUDIT_TABLE

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    action: str = Field(index=True, max_length=32)
    outcome: str = Field(max_length=16)
    user: str | None = Field(default=None, index=True, max_length=64)
    device: str | None = Field(default=None, max_length=128)
    client: str | None = Field(default=None, max_length=64)
    db: str | None = Field(default=None, index=True, max_length=128)
    doc_id: str | None = Field(default=None, max_length=512)
    rev: str | None = Field(default=None, max_length=128)
    target: str | None = Field(default=None, max_length=64)
    reason: str | None = None
    detail: str | None = None


_MESSAGE = "audit_log is append-only"

_SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END""",
]

_POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION '{_MESSAGE}'; END $$ LANGUAGE plpgsql""",
    """DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'audit_log_no_change') THEN
      CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'audit_log_no_truncate') THEN
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
    END IF;
    END $$""",
]


def install_audit_table(engine: Engine) -> None:
    """Create `audit_log` and its append-only triggers if missing (idempotent)."""
    statements = {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}.get(engine.dialect.name, [])

    def triggers(connection: Connection) -> None:
        for statement in statements:
            connection.execute(text(statement))

    create_tables(engine, AuditRow.metadata, [AuditRow.__table__], then=triggers)  # type: ignore[attr-defined]
