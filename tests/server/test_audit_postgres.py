"""The audit log on PostgreSQL (a throwaway local cluster, or `THIDUA_TEST_POSTGRES_URL`):
the triggers refuse UPDATE, DELETE and TRUNCATE; account changes and batches still append."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from server.accounts import Accounts
from server.audit import Audit, AuditEvent, AuditFilter


@pytest.fixture
def accounts(fresh_postgres_url: str) -> Iterator[Accounts]:
    store = Accounts(
        create_engine(fresh_postgres_url), PasswordHasher(time_cost=1, memory_cost=8192)
    )
    try:
        store.initialize()
        store.initialize()  # the triggers are installed once
        yield store
    finally:
        store.close()


def test_postgresql_refuses_changes_to_the_log(accounts: Accounts) -> None:
    accounts.add("tdv.hoa", "mật-khẩu-dài", ["viewer"])
    audit = Audit(accounts.engine)
    at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    audit.record_many(
        AuditEvent(
            action="write", outcome="refused", db="c-1", doc_id=f"d{i}", reason="đã khóa", at=at
        )
        for i in range(3)
    )
    assert audit.flush() == 3
    for statement in (
        "UPDATE audit_log SET outcome = 'accepted'",
        "DELETE FROM audit_log WHERE action = 'write'",
        "TRUNCATE audit_log",
    ):
        with (
            accounts.engine.connect() as connection,
            pytest.raises(DBAPIError, match="append-only"),
        ):
            connection.execute(text(statement))
    events = audit.query(AuditFilter(action="write", since=at))
    assert [e.doc_id for e in events] == ["d2", "d1", "d0"] and events[0].at == at
    assert events[0].reason == "đã khóa"
    (added,) = audit.query(AuditFilter(action="account.*"))
    assert added.target == "tdv.hoa"
    with accounts.engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'audit_log_%'")
        )
        assert count.scalar() == 2
