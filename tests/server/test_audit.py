"""The audit log on real SQLite files: append-only in the database, every source of events,
filters, CSV export (API and CLI), flush on shutdown."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from server.accounts import Accounts
from server.app import create_app
from server.audit import CSV_COLUMNS, Audit, AuditEvent, AuditFilter, current_actor
from server.audit_hooks import SignInAudit, write_observer
from server.cli import cli
from server.settings import Settings

Client = AsyncTestClient[Litestar]
Basic = Callable[[str, str], dict[str, str]]
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def audit(settings: Settings) -> Iterator[Audit]:
    accounts = Accounts.from_settings(settings)
    accounts.initialize()
    yield Audit(accounts.engine)
    accounts.close()



def _sample(audit: Audit) -> None:
    audit.record_many(
        [
            AuditEvent(action="sign_in", outcome="ok", user="canbo1", client="10.0.0.7", at=T0),
            AuditEvent(
                action="write",
                outcome="refused",
                user="canbo1",
                device="tok1",
                db="c-26734",
                doc_id="sheet:26734:to-05",
                rev="2-abc",
                reason="Phiếu đã khóa: chỉ cán bộ kiểm tra được sửa",
                at=T0 + timedelta(minutes=5),
            ),
            AuditEvent(
                action="write",
                outcome="accepted",
                user="tdv.hoa",
                db="c-26735",
                doc_id="sheet:26735:to-01",
                rev="1-def",
                at=T0 + timedelta(minutes=10),
            ),
            AuditEvent(action="account.add", outcome="ok", user="admin", target="tdv.hoa", at=T0),
        ]
    )


def test_append_only_is_enforced_by_the_database(audit: Audit, settings: Settings) -> None:
    _sample(audit)
    assert audit.pending == 4 and audit.flush() == 4 and audit.pending == 0
    with audit.engine.connect() as connection:
        for statement in (
            "UPDATE audit_log SET outcome = 'accepted' WHERE action = 'write'",
            "DELETE FROM audit_log",
            "DELETE FROM audit_log WHERE id = 1",
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                connection.execute(text(statement))
            connection.rollback()
    raw = sqlite3.connect(settings.data_dir / "thidua.sqlite3")  # another client, same file
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("UPDATE audit_log SET user = 'someone else'")
        raw.execute("INSERT INTO audit_log (at, action, outcome) VALUES ('2026-01-01', 'x', 'ok')")
        raw.commit()
    finally:
        raw.close()
    assert len(audit.query()) == 5
    assert not any(hasattr(Audit, name) for name in ("update", "delete", "remove", "purge"))


def test_filters(audit: Audit) -> None:
    _sample(audit)

    def ids(**filters: object) -> list[str | None]:
        return [e.doc_id or e.action for e in audit.query(AuditFilter(**filters))]  # type: ignore[arg-type]

    assert ids() == ["account.add", "sheet:26735:to-01", "sheet:26734:to-05", "sign_in"]
    assert ids(user="canbo1") == ["sheet:26734:to-05", "sign_in"]
    assert ids(db="c-26734") == ["sheet:26734:to-05"]
    assert ids(doc_id="sheet:26735:to-01") == ["sheet:26735:to-01"]
    assert ids(outcome="refused") == ["sheet:26734:to-05"]
    assert ids(action="write") == ["sheet:26735:to-01", "sheet:26734:to-05"]
    assert ids(action="account.*") == ["account.add"]
    assert ids(action="acc%") == []  # LIKE wildcards are escaped
    assert ids(since=T0 + timedelta(minutes=5)) == ["sheet:26735:to-01", "sheet:26734:to-05"]
    assert ids(until=T0 + timedelta(minutes=5)) == ["account.add", "sign_in"]
    ict = T0.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh"))
    assert ids(since=ict + timedelta(minutes=10)) == ["sheet:26735:to-01"]  # zones compare right
    assert ids(since=T0.replace(tzinfo=None) + timedelta(minutes=6)) == ["sheet:26735:to-01"]
    assert ids(limit=2, offset=1) == ["sheet:26735:to-01", "sheet:26734:to-05"]
    assert ids(since=datetime.min.replace(tzinfo=UTC), until=datetime.max.replace(tzinfo=UTC))
    refused = audit.query(AuditFilter(outcome="refused"))[0]
    assert refused.at == T0 + timedelta(minutes=5) and refused.device == "tok1"
    assert refused.reason == "Phiếu đã khóa: chỉ cán bộ kiểm tra được sửa"


def test_csv_export_keeps_vietnamese(audit: Audit) -> None:
    _sample(audit)
    lines = list(audit.export_csv(AuditFilter(action="write")))
    assert all(line.endswith("\r\n") for line in lines)
    rows = list(csv.DictReader(io.StringIO("".join(lines))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r["doc_id"] for r in rows] == ["sheet:26734:to-05", "sheet:26735:to-01"]  # oldest first
    assert rows[0]["reason"] == "Phiếu đã khóa: chỉ cán bộ kiểm tra được sửa"
    assert rows[0]["at"] == "2026-03-01T08:05:00.000000Z" and rows[1]["reason"] == ""
    assert len(list(audit.export_csv(AuditFilter(limit=1)))) == 2


def test_export_pages_through_a_large_log(audit: Audit) -> None:
    audit.record_many(
        AuditEvent(action="write", outcome="accepted", doc_id=f"d{i}", db="c-1", at=T0)
        for i in range(2500)
    )
    assert audit.flush() == 2500  # one batch
    rows = list(csv.DictReader(io.StringIO("".join(audit.export_csv()))))
    assert [r["doc_id"] for r in rows] == [f"d{i}" for i in range(2500)]
    limited = list(audit.export_csv(AuditFilter(limit=1500, offset=10)))
    assert len(limited) == 1501 and "d10," in limited[1]


def test_odd_text_is_stored_not_lost(audit: Audit) -> None:
    audit.record(
        AuditEvent(action="write", outcome="refused", doc_id="x" * 2000, reason="a\x00b\ud800")
    )
    audit.flush()
    (event,) = audit.query()
    assert event.doc_id == "x" * 512 and event.reason == "ab?"


def test_sign_in_audit_skips_repeats_within_the_window(audit: Audit) -> None:
    now = [0.0]
    hook = SignInAudit(audit, window=300, clock=lambda: now[0])
    for _ in range(3):
        hook("canbo1", "10.0.0.7", "basic", True)
    hook("canbo1", "10.0.0.8", "basic", True)  # another address
    hook("canbo1", "10.0.0.7", "session", True, always=True)
    hook("canbo1", "10.0.0.7", "session", True, always=True)
    now[0] = 301
    hook("canbo1", "10.0.0.7", "basic", True)
    events = audit.query(AuditFilter(action="sign_in"))
    assert [(e.client, e.detail) for e in reversed(events)] == [
        ("10.0.0.7", "basic"),
        ("10.0.0.8", "basic"),
        ("10.0.0.7", "session"),
        ("10.0.0.7", "session"),
        ("10.0.0.7", "basic"),
    ]


async def test_sign_ins_and_failures_are_recorded(
    app: Litestar, client: Client, accounts: Accounts, basic: Basic
) -> None:
    assert (
        await client.post("/db/_session", json={"name": "canbo1", "password": "nope-nope"})
    ).status_code == 401
    assert (
        await client.post("/db/_session", json={"name": "canbo1", "password": "canbo1-password"})
    ).status_code == 200
    client.cookies.clear()
    for _ in range(3):  # Basic signs in on every request: written once
        assert (
            await client.get("/db/_all_dbs", headers=basic("admin", "admin-password"))
        ).status_code == 200
    unknown = {"Authorization": "Bearer thd_not-a-token"}
    assert (await client.get("/db/_all_dbs", headers=unknown)).status_code == 401
    assert (
        await client.get("/db/_all_dbs", headers={"Authorization": "Basic !!"})
    ).status_code == 401
    audit: Audit = app.state.audit
    seen = [
        (e.user, e.outcome, e.detail, e.reason, e.client)
        for e in reversed(audit.query(AuditFilter(action="sign_in")))
    ]
    assert seen == [
        ("canbo1", "failed", "session", "Name or password is incorrect.", "testclient"),
        ("canbo1", "ok", "session", None, "testclient"),
        ("admin", "ok", "basic", None, "testclient"),
        (None, "failed", "token", "The device token is unknown or revoked.", "testclient"),
        (None, "failed", "basic", "the Basic credentials are not valid base64 UTF-8", "testclient"),
    ]


async def test_account_changes_through_the_api(
    app: Litestar, client: Client, accounts: Accounts, basic: Basic
) -> None:
    admin = basic("admin", "admin-password")
    body = {"name": "tdv.hoa", "password": "mật-khẩu-dài", "roles": ["viewer"]}
    assert (await client.post("/api/admin/accounts", json=body, headers=admin)).status_code == 201
    patch = {"roles": ["office_reviewer"], "territories": ["PGD-01"], "disabled": True}
    assert (
        await client.patch("/api/admin/accounts/tdv.hoa", json=patch, headers=admin)
    ).status_code == 200
    password = {"password": "mật-khẩu-mới"}
    await client.put("/api/admin/accounts/tdv.hoa/password", json=password, headers=admin)
    created = await client.post(
        "/api/admin/tokens", json={"account": "tdv.hoa", "device": "Máy tính bảng"}, headers=admin
    )
    token_id = created.json()["token"]["id"]
    await client.delete(f"/api/admin/tokens/{token_id}", headers=admin)
    refused = await client.post("/api/admin/accounts", json=body, headers=admin)  # duplicate
    assert refused.status_code == 409
    page = await client.get(
        "/api/admin/audit", params={"action": "*", "user": "admin", "limit": 50}, headers=admin
    )
    assert page.status_code == 200, page.text
    events = [e for e in reversed(page.json()["events"]) if e["target"] == "tdv.hoa"]
    assert [(e["action"], e["detail"]) for e in events] == [
        ("account.add", "roles viewer; territories "),
        ("account.roles", "roles office_reviewer; territories PGD-01"),
        ("account.disable", None),
        ("account.password", None),
        ("token.create", f"token {token_id} for device 'Máy tính bảng'"),
        ("token.revoke", f"token {token_id} for device 'Máy tính bảng'"),
    ]
    assert all(e["user"] == "admin" and e["client"] == "testclient" for e in events)
    assert all(e["outcome"] == "ok" for e in events)
    # the accounts fixture ran outside any request: attributed to the local OS user
    local = app.state.audit.query(AuditFilter(action="account.add"))
    assert {e.user for e in local if e.target in ("admin", "canbo1")} == {current_actor().user}


async def test_audit_api_filters_and_csv(
    app: Litestar, client: Client, accounts: Accounts, basic: Basic
) -> None:
    admin = basic("admin", "admin-password")
    _sample(app.state.audit)
    page = await client.get(
        "/api/admin/audit",
        params={
            "db": "c-26734",
            "since": "2026-03-01T08:00:00Z",
            "until": "2026-03-02T00:00:00+07:00",
        },
        headers=admin,
    )
    assert page.status_code == 200, page.text
    (event,) = page.json()["events"]
    assert event["reason"] == "Phiếu đã khóa: chỉ cán bộ kiểm tra được sửa"
    assert event["at"].startswith("2026-03-01T08:05:00")
    for bad in ({"limit": "0"}, {"limit": "1001"}, {"since": "yesterday"}, {"user": "a\nb"}):
        refused = await client.get("/api/admin/audit", params=bad, headers=admin)
        assert refused.status_code == 400 and refused.json()["error"] == "bad_request", bad
    export = await client.get("/api/admin/audit/export", params={"action": "write"}, headers=admin)
    assert export.status_code == 200
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in export.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8"))))
    assert rows[0] == list(CSV_COLUMNS) and len(rows) == 3
    assert "Phiếu đã khóa: chỉ cán bộ kiểm tra được sửa" in rows[1]
    excel = await client.get("/api/admin/audit/export", params={"bom": "true"}, headers=admin)
    assert excel.content.startswith("\ufeffid,at,".encode())


async def test_document_writes_reach_the_log(
    app: Litestar, client: Client, accounts: Accounts, basic: Basic
) -> None:
    admin = basic("admin", "admin-password")
    assert (await client.put("/db/tooling", headers=admin)).status_code == 201
    put = await client.put("/db/tooling/doc1", json={"x": 1}, headers=admin)
    assert put.status_code == 201, put.text
    observers = app.state.write_observers
    assert len([o for o in observers if o.__qualname__.startswith("write_observer")]) == 1
    (event,) = app.state.audit.query(AuditFilter(action="write"))
    assert (event.user, event.db, event.doc_id, event.rev) == (
        "admin", "tooling", "doc1", put.json()["rev"]
    )  # fmt: skip
    assert event.outcome == "accepted"
    assert (await client.put("/db/c-26734", headers=admin)).status_code == 201
    bulk = await client.post(
        "/db/c-26734/_bulk_docs",
        json={"docs": [{"_id": "ghi-chú", "type": "note", "text": "Ghi chú"}]},
        headers=admin,
    )
    assert bulk.status_code == 201 and bulk.json()[0]["error"] == "forbidden", bulk.text
    (refused,) = app.state.audit.query(AuditFilter(outcome="refused"))
    assert (refused.action, refused.user, refused.db, refused.doc_id) == (
        "write", "admin", "c-26734", "ghi-chú"
    )  # fmt: skip
    assert refused.reason == bulk.json()[0]["reason"]


async def test_observer_maps_locks_and_refusals(audit: Audit) -> None:
    observe = write_observer(audit)
    await observe("bich", "tok9", "c-26734", "sheet:1", "3-aa", "accepted", "")
    await observe("bich", "tok9", "c-26734", "sheet:1", "3-aa", "lock", "")
    await observe("bich", "tok9", "c-26734", "sheet:1", "4-bb", "unlock", None)
    await observe("an", None, "c-26734", "sheet:1", None, "refused", "phiếu đã khóa")
    seen = [
        (e.action, e.outcome, e.user, e.device, e.rev, e.reason) for e in reversed(audit.query())
    ]
    assert seen == [
        ("write", "accepted", "bich", "tok9", "3-aa", None),
        ("lock", "accepted", "bich", "tok9", "3-aa", None),
        ("unlock", "accepted", "bich", "tok9", "4-bb", None),
        ("write", "refused", "an", None, None, "phiếu đã khóa"),
    ]


async def test_queued_events_are_written_on_shutdown(settings: Settings) -> None:
    app = create_app(settings)
    async with AsyncTestClient(app):
        for i in range(50):
            app.state.audit.record(AuditEvent(action="write", outcome="accepted", doc_id=str(i)))
        assert app.state.audit.pending == 50  # queued, not yet written
    accounts = Accounts.from_settings(settings)
    try:
        assert len(Audit(accounts.engine).query()) == 50
    finally:
        accounts.close()


def test_cli_account_changes_and_audit_command(settings: Settings, tmp_path: Path) -> None:
    env = {"THIDUA_DATA_DIR": str(settings.data_dir), "THIDUA_LOG_LEVEL": "WARNING"}
    runner = CliRunner()

    def run(*args: str, stdin: str = "") -> str:
        result = runner.invoke(cli, list(args), input=stdin, env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run(
        "user",
        "add",
        "nguyen.an",
        "--role",
        "scorer",
        "--territory",
        "26734",
        "--password-stdin",
        stdin="mật-khẩu-dài\n",
    )
    run("user", "disable", "nguyen.an")
    run("token", "create", "nguyen.an", "--device", "Điện thoại")
    out = run("audit", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["action"] for r in rows] == ["account.add", "account.disable", "token.create"]
    assert {r["user"] for r in rows} == {current_actor().user}
    assert rows[0]["user"].startswith("local") and rows[0]["target"] == "nguyen.an"
    assert "Điện thoại" in rows[2]["detail"]
    assert len(list(csv.reader(io.StringIO(run("audit", "--csv", "--limit", "1"))))) == 2
    assert run("audit", "--csv", "--user", "nobody").splitlines() == [",".join(CSV_COLUMNS)]
    table = run("audit", "--since", "2000-01-01", "--action", "account.*")
    assert "account.add" in table and "account.disable" in table and "nguyen.an" in table
    bad = runner.invoke(cli, ["audit", "--since", "last week"], env=env)
    assert bad.exit_code == 2 and "ISO 8601" in bad.output


@pytest.mark.parametrize("moment", [
    datetime(2026, 3, 1, 8, 5, tzinfo=UTC),  # no microseconds
    datetime(2026, 3, 1, 15, 5, 0, 123456).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh")),
    datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
])
def test_flushed_rows_store_at_as_the_orm_does(audit: Audit, moment: datetime) -> None:
    """The flush binds `at` itself (fast path); the text must equal the ORM's."""
    from sqlmodel import Session

    from server.audit import _values
    from server.audit_tables import AuditRow

    event = AuditEvent(action="write", outcome="accepted", doc_id="fast", at=moment)
    audit.record(event)
    audit.flush()
    with Session(audit.engine) as session:
        session.add(AuditRow(**{**_values(event), "doc_id": "orm"}))
        session.commit()
    with audit.engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT doc_id, at FROM audit_log")).all())
    assert stored["fast"] == stored["orm"]
    [back] = audit.query(AuditFilter(doc_id="fast"))
    assert back.at == moment


async def test_document_writes_are_audited_in_their_own_transaction(
    app: Litestar, client: Client, accounts: Accounts, basic: Basic
) -> None:
    """A batch's audit rows are written with its documents (no queue), and commit with them
    or not at all: when the audit row cannot be written, the batch is not stored either."""
    admin = basic("admin", "admin-password")
    assert (await client.put("/db/tooling", headers=admin)).status_code == 201
    docs = [{"_id": "one", "_rev": f"1-{'a' * 32}"}, {"_id": "two", "_rev": f"1-{'b' * 32}"}]
    stored = await client.post("/db/tooling/_bulk_docs", json={"docs": docs, "new_edits": False},
                               headers=admin)
    assert stored.status_code == 201 and stored.json() == []
    audit: Audit = app.state.audit
    with audit.engine.connect() as conn:
        rows = conn.execute(text("SELECT doc_id, rev, outcome FROM audit_log WHERE "
                                 "action = 'write' ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("one", f"1-{'a' * 32}", "accepted"),
                                        ("two", f"1-{'b' * 32}", "accepted")]
    with audit.engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER poison BEFORE INSERT ON audit_log "
                          "WHEN NEW.doc_id = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END"))
    docs = [{"_id": "three", "_rev": f"1-{'c' * 32}"}, {"_id": "poison", "_rev": f"1-{'d' * 32}"}]
    failed = await client.post("/db/tooling/_bulk_docs", json={"docs": docs, "new_edits": False},
                               headers=admin)
    assert failed.status_code == 503, failed.text
    assert (await client.get("/db/tooling/three", headers=admin)).status_code == 404
    assert (await client.get("/db/tooling", headers=admin)).json()["doc_count"] == 2
    assert not audit.query(AuditFilter(doc_id="three"))
