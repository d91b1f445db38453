"""Feeding the audit log: the document-write observer and the sign-in recorder.

`write_observer(audit)` is appended to `app.state.write_observers`; the gatekeeper awaits it
as `observer(user, device, db, doc_id, rev, outcome, reason)` for every accepted or refused
document write and every lock or unlock (or once per batch via `observer.record_batch`).
`SignInAudit` is the `Authenticator`'s `on_sign_in` hook; HTTP Basic authenticates every
request, so repeats are written once per window.
`audit_lifespan` (after the main lifespan) wires both, runs the flusher, and flushes on exit;
when the document store shares the audit log's database, document writes are recorded in
their own transaction (`record_in`) instead of through the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from litestar import Litestar
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from sync.store import JOURNAL

from .audit import Audit, AuditEvent

__all__ = ["SignInAudit", "WriteObserver", "audit_lifespan", "shares_database", "write_observer"]

logger = logging.getLogger("thidua.audit")

WriteObserver = Callable[
    [object, str | None, str, str, str | None, str, str | None], Awaitable[None]
]
#: Gatekeeper outcomes that are an action of their own (with outcome `accepted`).
_ACTIONS = {"lock": "lock", "unlock": "unlock"}


def _name(user: object) -> str | None:
    """A user name from an `Account`, a plain name or None."""
    if user is None or isinstance(user, str):
        return user
    name = getattr(user, "name", None)
    return name if isinstance(name, str) else str(user)


def _write_event(
    user: object, device: str | None, db: str, doc_id: str, rev: str | None, outcome: str,
    reason: str | None = None, *, at: datetime | None = None,
) -> AuditEvent:
    action = _ACTIONS.get(outcome)
    return AuditEvent(action=action or "write", outcome="accepted" if action else outcome,
                      user=_name(user), device=device, db=db, doc_id=doc_id, rev=rev,
                      reason=reason or None, at=at or datetime.now(UTC))


def write_observer(audit: Audit, *, in_transaction: bool = False) -> WriteObserver:
    """The observer the gatekeeper calls for each document write, lock and unlock; its
    `record_batch(reports)` takes a whole `_bulk_docs` batch of argument tuples at once.

    `in_transaction` (the document store shares the audit log's database): it also offers
    `record_in(conn, reports)`, which the gatekeeper calls inside the batch's own transaction,
    so a batch's documents and its audit rows commit together (nothing queued, nothing lost
    in a crash)."""

    async def observe(
        user: object,
        device: str | None,
        db: str,
        doc_id: str,
        rev: str | None,
        outcome: str,
        reason: str | None = None,
    ) -> None:
        audit.record(_write_event(user, device, db, doc_id, rev, outcome, reason))

    async def record_batch(reports: Sequence[tuple[Any, ...]]) -> None:
        audit.record_many([_write_event(*report) for report in reports])

    def record_in(conn: Connection, reports: Sequence[tuple[Any, ...]]) -> None:
        at = datetime.now(UTC)  # one transaction, one moment
        audit.write(conn, [_write_event(*report, at=at) for report in reports])

    observe.record_batch = record_batch  # type: ignore[attr-defined]
    if in_transaction:
        observe.record_in = record_in  # type: ignore[attr-defined]
    return observe


def shares_database(store: object, engine: Engine) -> bool:
    """Whether `store` keeps its documents in `engine`'s database and can run a journal in
    its write transactions (the embedded store on the settings' database URL)."""
    url = getattr(store, "url", None)
    if not isinstance(url, str) or JOURNAL not in getattr(store, "capabilities", ()):
        return False
    try:
        return make_url(url) == engine.url
    except ArgumentError:
        return False


class SignInAudit:
    """Records sign-in attempts; a repeat of the same (name, client, method, outcome, reason)
    within `window` seconds is skipped unless `always` (explicit `_session` sign-ins and
    wrong passwords, which the rate limiter already bounds)."""

    def __init__(
        self,
        audit: Audit,
        window: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.audit, self.window, self.clock, self.max_keys = audit, window, clock, max_keys
        self._seen: OrderedDict[tuple[str, ...], float] = OrderedDict()

    def _repeat(self, key: tuple[str, ...]) -> bool:
        now = self.clock()
        last = self._seen.get(key)
        if last is not None and now - last < self.window:
            return True
        self._seen[key] = now
        self._seen.move_to_end(key)
        while len(self._seen) > self.max_keys:
            self._seen.popitem(last=False)
        return False

    def __call__(
        self,
        name: str | None,
        client: str,
        method: str,
        ok: bool,
        reason: str = "",
        *,
        always: bool = False,
    ) -> None:
        outcome = "ok" if ok else "failed"
        if not always and self._repeat((name or "", client, method, outcome, reason)):
            return
        self.audit.record(
            AuditEvent(
                action="sign_in",
                outcome=outcome,
                user=name,
                client=client or None,
                reason=reason or None,
                detail=method,
            )
        )


@asynccontextmanager
async def audit_lifespan(app: Litestar) -> AsyncIterator[None]:
    """`app.state.audit` on the accounts' database, hooked to sign-ins and document writes.

    Runs after the main lifespan (it needs `app.state.accounts` and `app.state.auth`).
    """
    audit = Audit(app.state.accounts.engine)
    await anyio.to_thread.run_sync(audit.initialize)
    app.state.audit = audit
    app.state.auth.on_sign_in = SignInAudit(audit)
    observers: list[WriteObserver] = app.state.setdefault("write_observers", [])
    observer = write_observer(
        audit, in_transaction=shares_database(getattr(app.state, "store", None), audit.engine))
    observers.append(observer)
    flusher = asyncio.create_task(audit.run())
    try:
        yield
    finally:
        observers.remove(observer)
        flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher
        try:
            await anyio.to_thread.run_sync(audit.flush)
        except SQLAlchemyError:
            lost = {"events": audit.pending}
            logger.exception("audit flush failed at shutdown", extra={"fields": lost})
