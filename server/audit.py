"""The append-only audit log: who signed in, wrote, locked or changed an account, and when.

`Audit.record(event)` only appends to an in-memory queue (cheap, callable from the event loop);
`Audit.run()` (a background task of the app) flushes the queue every half second with one
INSERT per batch, and the lifespan flushes it once more on shutdown. Account changes are
written by `server.accounts` in the same transaction as the change (`account_change`), with the
actor of the current context (`acting_as`). The database refuses UPDATE and DELETE on
`audit_log` (triggers, see `server.audit_tables`); this module has no path that changes a row.
"""

from __future__ import annotations

import csv
import getpass
import io
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import anyio
import anyio.to_thread
import msgspec
from msgspec.structs import astuple
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from .audit_tables import AUDIT_TABLE, AuditRow, install_audit_table

__all__ = [
    "CSV_COLUMNS",
    "Actor",
    "Audit",
    "AuditEvent",
    "AuditFilter",
    "account_change",
    "acting_as",
    "current_actor",
]

logger = logging.getLogger("thidua.audit")

#: Column order of the CSV export (and of `AuditEvent` on the wire).
CSV_COLUMNS = (
    "id", "at", "action", "outcome", "user", "device", "client",
    "db", "doc_id", "rev", "target", "reason", "detail",
)  # fmt: skip
_LIMITS = {"action": 32, "outcome": 16, "user": 64, "device": 128, "client": 64, "db": 128}
_LIMITS |= {"doc_id": 512, "rev": 128, "target": 64}
_PAGE = 1000
FLUSH_INTERVAL = 0.5


def _now() -> datetime:
    return datetime.now(UTC)


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One audit entry. `action`: `sign_in`, `write`, `lock`, `unlock`, `account.add`, ...;
    `outcome`: `ok`, `failed`, `accepted` or `refused`; `user` is who acted."""

    action: str
    outcome: str
    user: str | None = None
    device: str | None = None
    client: str | None = None
    db: str | None = None
    doc_id: str | None = None
    rev: str | None = None
    target: str | None = None
    reason: str | None = None
    detail: str | None = None
    at: datetime = msgspec.field(default_factory=_now)
    id: int | None = None


class AuditFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Query filters; `action` ending in `*` matches a prefix (`account.*`)."""

    user: str | None = None
    db: str | None = None
    doc_id: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None
    offset: int = 0


class Actor(msgspec.Struct, frozen=True):
    """Who makes account changes in the current context."""

    user: str
    device: str | None = None
    client: str | None = None


_ACTOR: ContextVar[Actor | None] = ContextVar("thidua_audit_actor", default=None)


def current_actor() -> Actor:
    """The actor set by `acting_as`, else `local:<OS user>` (the CLI, the demo setup)."""
    actor = _ACTOR.get()
    if actor is not None:
        return actor
    try:
        return Actor(f"local:{getpass.getuser()}")
    except (OSError, KeyError):
        return Actor("local")


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """Attribute the account changes made inside the block to `actor`."""
    token = _ACTOR.set(actor)
    try:
        yield
    finally:
        _ACTOR.reset(token)


def _utc(moment: datetime) -> datetime:
    """`moment` in UTC (a naive one is taken as UTC; the extremes are clamped)."""
    if moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (datetime.min if moment.year < 2 else datetime.max).replace(tzinfo=UTC)


def _fit(value: str | None, limit: int | None) -> str | None:
    """Text the database accepts: valid UTF-8, no NUL, within the column's length."""
    if value is None:
        return None
    if not value.isascii():
        value = value.encode("utf-8", "replace").decode("utf-8")
    value = value.replace("\x00", "")
    return value[:limit] if limit else value


def _values(event: AuditEvent) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: _fit(getattr(event, name), _LIMITS.get(name))
        for name in CSV_COLUMNS
        if name not in ("id", "at")
    }
    values["at"] = _utc(event.at)
    return values


_INSERTED = tuple(name for name in CSV_COLUMNS if name != "id")


def _insert_sql(connection: Connection) -> str:
    """The driver-level INSERT of one audit row (columns in `_INSERTED` order)."""
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    return (f"INSERT INTO {quote(AUDIT_TABLE)} ({', '.join(quote(n) for n in _INSERTED)}) "
            f"VALUES ({', '.join([mark] * len(_INSERTED))})")


_TEXT_LIMITS = tuple(_LIMITS.get(name) for name in _INSERTED[1:])
# `AuditEvent`'s fields start with the text columns, in `_INSERTED[1:]` order.
assert AuditEvent.__struct_fields__[: len(_TEXT_LIMITS)] == _INSERTED[1:]


def _fits(value: str | None, limit: int | None) -> bool:
    return value is None or (value.isascii() and "\x00" not in value
                             and (limit is None or len(value) <= limit))


def _at_binder(connection: Connection) -> Callable[[datetime], Any]:
    """`at` as the driver gets it: on SQLite the text SQLAlchemy's DATETIME writes (UTC,
    `YYYY-MM-DD HH:MM:SS.ffffff`) made in C; elsewhere the column type's own bind processor."""
    if connection.dialect.name == "sqlite":
        return lambda at: _utc(at).replace(tzinfo=None).isoformat(" ", "microseconds")
    at_type = AuditRow.__table__.c.at.type  # type: ignore[attr-defined]
    process = at_type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    return (lambda at: process(_utc(at))) if process else _utc


def _insert_rows(connection: Connection, batch: list[AuditEvent]) -> None:
    """Write `batch` with one driver `executemany` (no ORM/Core compilation per row), `at`
    bound as the ORM would. Text that already fits (ASCII, no NUL, within the limit: nearly
    all) skips `_fit`."""
    bind_at = _at_binder(connection)
    rows = []
    last_at, bound_at = None, None
    for event in batch:
        texts = astuple(event)[: len(_TEXT_LIMITS)]
        if not all(map(_fits, texts, _TEXT_LIMITS)):
            texts = tuple(map(_fit, texts, _TEXT_LIMITS))
        if event.at is not last_at:  # a batch's events usually share one moment
            last_at, bound_at = event.at, bind_at(event.at)
        rows.append((bound_at, *texts))
    connection.exec_driver_sql(_insert_sql(connection), rows)


def account_change(action: str, target: str, detail: str = "") -> AuditRow:
    """The row of an account change by the current actor (added to the change's session)."""
    actor = current_actor()
    event = AuditEvent(
        action=action,
        outcome="ok",
        user=actor.user,
        device=actor.device,
        client=actor.client,
        target=target,
        detail=detail or None,
    )
    return AuditRow(**_values(event))


def _event(row: AuditRow) -> AuditEvent:
    fields = {name: getattr(row, name) for name in CSV_COLUMNS}
    fields["at"] = _utc(row.at)
    return AuditEvent(**fields)


def _conditions(filters: AuditFilter) -> list[Any]:
    conditions: list[Any] = []
    for name in ("user", "db", "doc_id", "outcome"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(col(getattr(AuditRow, name)) == value)
    if filters.action is not None:
        if filters.action.endswith("*"):
            prefix = filters.action[:-1]
            conditions.append(col(AuditRow.action).startswith(prefix, autoescape=True))
        else:
            conditions.append(col(AuditRow.action) == filters.action)
    if filters.since is not None:
        conditions.append(col(AuditRow.at) >= _utc(filters.since))
    if filters.until is not None:
        conditions.append(col(AuditRow.at) < _utc(filters.until))
    return conditions


def _csv_line(values: Iterable[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


def _csv_cell(event: AuditEvent, name: str) -> object:
    value = getattr(event, name)
    if name == "at":
        return event.at.isoformat(timespec="microseconds").replace("+00:00", "Z")
    return "" if value is None else value


class Audit:
    """The audit log on `engine` (the accounts' engine). Blocking methods: `flush`, `query`,
    `export_csv` (async callers use a thread); `record`/`record_many` never block."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pending: list[AuditEvent] = []
        self._pending_lock = threading.Lock()
        self._flush_lock = threading.Lock()

    def initialize(self) -> None:
        """Create the table and its append-only triggers if missing (idempotent)."""
        install_audit_table(self.engine)

    @property
    def pending(self) -> int:
        """Events recorded but not yet written."""
        return len(self._pending)

    def record(self, event: AuditEvent) -> None:
        """Queue one event (written by the next flush)."""
        with self._pending_lock:
            self._pending.append(event)

    def record_many(self, events: Iterable[AuditEvent]) -> None:
        with self._pending_lock:
            self._pending.extend(events)

    def write(self, connection: Connection, events: list[AuditEvent]) -> None:
        """Write `events` now, in the caller's transaction (a document batch's own, so its
        audit rows commit with it); `connection` must be on this log's database."""
        if events:
            _insert_rows(connection, events)

    def flush(self) -> int:
        """Write the queued events in one INSERT; the number written.

        :raises SQLAlchemyError: the events stay queued for the next flush.
        """
        with self._flush_lock:
            with self._pending_lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            try:
                with self.engine.begin() as connection:
                    _insert_rows(connection, batch)
            except SQLAlchemyError:
                with self._pending_lock:
                    self._pending[:0] = batch
                raise
            return len(batch)

    async def run(self, interval: float = FLUSH_INTERVAL) -> None:
        """Flush every `interval` seconds until cancelled (a failed flush is retried)."""
        while True:
            await anyio.sleep(interval)
            if self._pending:
                try:
                    await anyio.to_thread.run_sync(self.flush)
                except SQLAlchemyError:
                    logger.exception("audit flush failed; retrying", extra={"fields": {}})

    def query(self, filters: AuditFilter | None = None) -> list[AuditEvent]:
        """Matching events, newest first (queued events are flushed first)."""
        filters = filters or AuditFilter()
        self.flush()
        statement = select(AuditRow).where(*_conditions(filters)).order_by(col(AuditRow.id).desc())
        statement = statement.offset(filters.offset).limit(filters.limit)
        with Session(self.engine) as session:
            return [_event(row) for row in session.exec(statement)]

    def export_csv(self, filters: AuditFilter | None = None) -> Iterator[str]:
        """CSV lines (header first), oldest first, read page by page."""
        filters = filters or AuditFilter()
        self.flush()
        yield _csv_line(CSV_COLUMNS)
        conditions, after, left = _conditions(filters), 0, filters.limit
        offset = filters.offset
        while left is None or left > 0:
            size = _PAGE if left is None else min(_PAGE, left)
            statement = (
                select(AuditRow)
                .where(*conditions, col(AuditRow.id) > after)
                .order_by(col(AuditRow.id))
                .offset(offset)
                .limit(size)
            )
            with Session(self.engine) as session:
                events = [_event(row) for row in session.exec(statement)]
            for event in events:
                yield _csv_line(_csv_cell(event, name) for name in CSV_COLUMNS)
            if len(events) < size:
                return
            after, offset = events[-1].id or 0, 0
            left = None if left is None else left - len(events)
