"""`/api/admin/audit`: the audit log for admins, as JSON pages or a CSV export."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException
from litestar.params import QueryParameter
from litestar.response import Stream

from ..audit import Audit, AuditEvent, AuditFilter
from .admin import admin_only, error_specs

__all__ = ["AuditController"]

CSV_MEDIA_TYPE = "text/csv"  # Litestar adds "; charset=utf-8"
_LINES_PER_CHUNK = 500
Text = Annotated[str | None, QueryParameter(max_length=512)]
_ISO = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$"
Moment = Annotated[
    str | None,
    QueryParameter(
        pattern=_ISO, description="ISO 8601 date or date-time; UTC unless an offset is given."
    ),
]


class AuditPage(msgspec.Struct):
    """Matching events, newest first."""

    events: list[AuditEvent]
    limit: int
    offset: int


def _filters(
    user: Text = None,
    db: Text = None,
    doc_id: Text = None,
    action: Annotated[
        str | None, QueryParameter(max_length=64, description="Exact, or a prefix ending in `*`.")
    ] = None,
    outcome: Annotated[
        str | None, QueryParameter(max_length=16, description="ok, failed, accepted or refused.")
    ] = None,
    since: Moment = None,
    until: Moment = None,
) -> AuditFilter:
    values = {"user": user, "db": db, "doc_id": doc_id, "action": action, "outcome": outcome}
    for name, value in values.items():
        if value is not None and any(ord(c) < 32 for c in value):
            raise ClientException(f"{name}: control characters are not allowed")
    return AuditFilter(
        user=user,
        db=db,
        doc_id=doc_id,
        action=action,
        outcome=outcome,
        since=_moment("since", since),
        until=_moment("until", until),
    )


def _moment(name: str, value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time (UTC unless it says otherwise). :raises ClientException:"""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ClientException(f"{name}: {value!r} is not an ISO 8601 date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _chunks(first: bytes, lines: Iterator[str]) -> AsyncIterator[bytes]:
    """`first`, then the rest of `lines` read in a worker thread, a few hundred at a time."""

    def take() -> bytes:
        return "".join(itertools.islice(lines, _LINES_PER_CHUNK)).encode()

    yield first
    while chunk := await anyio.to_thread.run_sync(take):
        yield chunk


class AuditController(Controller):
    """The audit log: sign-ins, document writes, locks and account changes."""

    path = "/api/admin/audit"
    tags = ["admin"]
    guards = [admin_only]
    dependencies = {"filters": Provide(_filters, sync_to_thread=False)}

    @get("/", operation_id="adminAuditQuery", responses=error_specs())
    async def query(
        self,
        request: Request[Any, Any, Any],
        filters: NamedDependency[AuditFilter],
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000_000)] = 0,
    ) -> AuditPage:
        """Events matching every given filter (user, db, doc_id, action, outcome, since,
        until), newest first."""
        audit: Audit = request.app.state.audit
        page = msgspec.structs.replace(filters, limit=limit, offset=offset)
        events = await anyio.to_thread.run_sync(audit.query, page)
        return AuditPage(events=events, limit=limit, offset=offset)

    @get(
        "/export",
        operation_id="adminAuditExport",
        media_type=CSV_MEDIA_TYPE,
        responses=error_specs(),
    )
    async def export(
        self,
        request: Request[Any, Any, Any],
        filters: NamedDependency[AuditFilter],
        limit: Annotated[int | None, QueryParameter(ge=1, le=10_000_000)] = None,
        bom: Annotated[
            bool, QueryParameter(description="Start with a UTF-8 byte order mark (for Excel).")
        ] = False,
    ) -> Stream:
        """The matching events as CSV (UTF-8, header row first, oldest first)."""
        audit: Audit = request.app.state.audit
        lines = audit.export_csv(msgspec.structs.replace(filters, limit=limit))
        header = await anyio.to_thread.run_sync(next, lines)  # flushes; errors surface here
        first = ("\ufeff" if bom else "").encode() + header.encode()
        return Stream(
            _chunks(first, lines),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
        )
