"""`GatekeptStore`: the document store as one user on one device may use it.

Every CouchDB route takes its store from `sync.http.wire.store_of(request)`, which calls
`app.state.store_for(request)` (= `store_for` below): so every route, replication included,
goes through these checks.

* Database level (`server.access` with the user's resolved territory): reads need
  `can_read`, writes `can_write`, `_local` checkpoints `can_read`, creating and deleting
  databases admin rights. Refusals raise `Forbidden` (403) or `Unauthorized` (401).
* Document level, in `c-`/`p-` databases (`bulk_docs`, and so `put`, attachment and delete
  routes): each refused document is answered in place as `{id, error: "forbidden", reason}`
  (PouchDB reports it as `denied` and goes on) and the rest of the batch is stored. Only
  score sheets are accepted (validated by `server.validation`); `result:` documents are
  written by the server only (through the raw store); design documents by admins only.
  Review states (draft, submitted, reviewed, locked): every move is judged by
  `server.review.policy` against the stored winning revision (so a forged branch with
  `new_edits=false` cannot bypass it): a locked sheet is changed by nobody until the branch
  unlocks it with a reason, and nothing changes in a closed campaign.
  A lock prevails: written on a losing branch, the
  other open leaves are closed in the same batch (`sync.closing`). Non-admins send only
  `N-<32 hex>` revision ids (`server.validation.malformed_revision`).
  These rules are the store's validation callback (`sync.store.Validator`): the store judges
  each document on its stored winner under its write serialisation, in the transaction that
  commits the batch, so nothing can land between the judgement and the write.
* Every document write, accepted or refused, is reported to `app.state.write_observers`
  (async callables `(user, device, db, doc_id, rev, outcome, reason)`; `outcome` is
  `accepted` or `refused`, followed by `lock`/`unlock` when a write locks or unlocks a sheet;
  a lock's reason names the leaves it closed).
  An observer with a `record_in(conn, reports)` method gets a batch's reports inside the
  store's write transaction instead, when the store offers that (`JOURNAL`): its rows commit
  with the documents or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal

import msgspec
from litestar import Request

from sync.errors import Forbidden, StoreUnavailable, Unauthorized
from sync.store import (
    JOURNAL,
    Attachment,
    ChangesPage,
    DbInfo,
    Doc,
    DocumentStore,
    Seq,
    Stored,
    Validator,
    Verdict,
    WriteResult,
    decoded,
)

from .access import can_admin_dbs, can_read, can_write, db_kind
from .accounts import Account
from .review.rules import workflow
from .territory import Directory, Territory
from .validation import Invalid, check_sheet, malformed_revision

__all__ = ["GatekeptStore", "WriteObserver", "store_for"]

logger = logging.getLogger("thidua.gatekeeper")
_ENCODER = msgspec.json.Encoder()

#: `(user, device, db, doc_id, rev, outcome, reason)`; outcome: accepted|refused|lock|unlock.
WriteObserver = Callable[[str, str | None, str, str, str | None, str, str], Awaitable[None]]
#: One observer call's arguments: (user, device, db, doc_id, rev, outcome, reason).
WriteReport = tuple[str, str | None, str, str, str | None, str, str]
Judgement = tuple[str | None, Literal["lock", "unlock"] | None]  # (refusal reason, lock event)
#: A judged write's lock event and the open leaves its lock closes (`Stored.closes`).
_Event = tuple[Literal["lock", "unlock"] | None, tuple[str, ...]]


def _locked(doc: Mapping[str, Any] | None) -> bool:
    return bool(doc) and doc.get("type") == "sheet" and doc.get("status") == "locked"  # type: ignore[union-attr]


class GatekeptStore(DocumentStore):
    """Wraps the real store for one user (None: anonymous) and device; see the module doc."""

    def __init__(
        self,
        inner: DocumentStore,
        user: Account | None,
        territory: Territory,
        *,
        device: str | None = None,
        observers: Sequence[WriteObserver] = (),
    ) -> None:
        self.inner = inner
        self.user = user
        self.territory = territory
        self.device = device
        self.observers = observers
        self.capabilities = inner.capabilities
        self._directory: Directory | None = None

    # -- checks --------------------------------------------------------------------
    async def directory(self) -> Directory:
        if self._directory is None:
            self._directory = await self.territory.directory()
        return self._directory

    def _signed_in(self) -> Account:
        if self.user is None:
            raise Unauthorized("You are not signed in.")
        return self.user

    async def reach(self) -> frozenset[str]:
        """The `c-`/`p-` databases the user's territory covers."""
        return (await self.directory()).dbs_for(self._signed_in().territories)

    async def _need(self, db: str, write: bool = False) -> Account:
        """The user, when they may read (or write) `db`.

        :raises Forbidden: they may not. :raises NotFound: the database does not exist (as
            CouchDB, which answers 404 before looking at a database's members).
        """
        user = self._signed_in()
        # The territory decides only a non-admin's `c-`/`p-` databases: no directory read
        # (nor its recheck of `config`) on the request path for any other.
        territorial = db_kind(db) in ("commune", "province") and not user.is_admin
        reach = await self.reach() if territorial else frozenset[str]()
        allowed = can_write(user, db, reach) if write else can_read(user, db, reach)
        if not allowed:
            await self.inner.db_info(db)  # NotFound first, like CouchDB
            raise Forbidden(f"You may not {'write' if write else 'read'} the database {db!r}.")
        return user

    def _need_admin(self, what: str) -> None:
        if not can_admin_dbs(self._signed_in()):
            raise Forbidden(f"Only admins {what} databases.")

    # -- lifecycle: the wrapped store belongs to the app ------------------------------
    async def initialize(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def ping(self) -> bool:
        return await self.inner.ping()

    async def server_uuid(self) -> str:
        return await self.inner.server_uuid()

    # -- databases ----------------------------------------------------------------------
    async def list_dbs(self) -> list[str]:
        user = self._signed_in()
        reach = await self.reach()
        return [db for db in await self.inner.list_dbs() if can_read(user, db, reach)]

    async def create_db(self, db: str) -> None:
        self._need_admin("create")
        await self.inner.create_db(db)

    async def delete_db(self, db: str) -> None:
        self._need_admin("delete")
        await self.inner.delete_db(db)

    async def compact(self, db: str) -> None:
        """Admins only. Territory databases (`config`, `c-`, `p-`) keep their old revision
        bodies: the reconciler merges from the common ancestor and the audit reads history."""
        self._need_admin("compact")
        if db_kind(db) != "other":
            await self.inner.db_info(db)
            return
        await self.inner.compact(db)

    async def db_info(self, db: str) -> DbInfo:
        await self._need(db)
        return await self.inner.db_info(db)

    # -- reads ------------------------------------------------------------------------------
    async def get(self, db: str, doc_id: str, **options: Any) -> Doc:  # type: ignore[override]
        await self._need(db)
        return await self.inner.get(db, doc_id, **options)

    async def get_open_revs(  # type: ignore[override]
        self, db: str, doc_id: str, open_revs: Sequence[str] | Literal["all"], **options: Any
    ) -> list[dict[str, Any]]:
        await self._need(db)
        return await self.inner.get_open_revs(db, doc_id, open_revs, **options)

    async def bulk_get(  # type: ignore[override]
        self, db: str, requests: Sequence[Mapping[str, Any]], **options: Any
    ) -> list[dict[str, Any]]:
        await self._need(db)
        return await self.inner.bulk_get(db, requests, **options)

    async def bulk_get_json(
        self, db: str, requests: Sequence[Mapping[str, Any]], **flags: bool
    ) -> bytes:
        """The encoded `_bulk_get` answer: the inner store's `bulk_get_json` when it has one
        (stored bodies spliced in, never decoded), else its `bulk_get` encoded here."""
        await self._need(db)
        fast = getattr(self.inner, "bulk_get_json", None)
        if fast is not None:
            data: bytes = await fast(db, requests, **flags)
            return data
        return _ENCODER.encode({"results": await self.inner.bulk_get(db, requests, **flags)})

    async def revs_diff(
        self, db: str, revs: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, list[str]]]:
        await self._need(db)
        return await self.inner.revs_diff(db, revs)

    async def changes(self, db: str, **options: Any) -> ChangesPage:  # type: ignore[override]
        await self._need(db)
        return await self.inner.changes(db, **options)

    async def changes_json(self, db: str, **options: Any) -> bytes:
        """The encoded `_changes` answer: the inner store's `changes_json` when it has one
        (CouchDB's bytes passed through), else its `changes` encoded here."""
        await self._need(db)
        fast = getattr(self.inner, "changes_json", None)
        if fast is not None:
            data: bytes = await fast(db, **options)
            return data
        return _ENCODER.encode(await self.inner.changes(db, **options))

    async def wait_for_change(self, db: str, since: Seq, timeout: float) -> bool:
        await self._need(db)
        return await self.inner.wait_for_change(db, since, timeout)

    async def all_docs(self, db: str, **options: Any) -> dict[str, Any]:  # type: ignore[override]
        await self._need(db)
        return await self.inner.all_docs(db, **options)

    async def get_attachment(
        self, db: str, doc_id: str, name: str, *, rev: str | None = None
    ) -> Attachment:
        await self._need(db)
        return await self.inner.get_attachment(db, doc_id, name, rev=rev)

    # -- local documents: whoever may read the database (see server.access) ----------------
    async def get_local(self, db: str, local_id: str) -> Doc:
        await self._need(db)
        return await self.inner.get_local(db, local_id)

    async def put_local(self, db: str, local_id: str, doc: Doc) -> WriteResult:
        await self._need(db)
        return await self.inner.put_local(db, local_id, doc)

    async def delete_local(self, db: str, local_id: str) -> WriteResult:
        await self._need(db)
        return await self.inner.delete_local(db, local_id)

    # -- writes -----------------------------------------------------------------------------
    async def bulk_docs(  # type: ignore[override]
        self, db: str, docs: Sequence[Doc], *, new_edits: bool = True
    ) -> list[WriteResult]:
        user = await self._need(db, write=True)
        events: dict[int, _Event] = {}
        validate: Validator | None = None
        if db_kind(db) in ("commune", "province"):
            docs = [decoded(doc) if isinstance(doc, dict) else doc for doc in docs]
            directory = await self.directory()

            def validate(index: int, doc: Doc, stored: Stored) -> Verdict:
                """The rules, judged by the store on the stored winner, under its write lock."""
                refusal, event = self._judge(user, db, stored.doc_id, doc, stored.winner,
                                             directory)
                if refusal is not None:
                    return Verdict(refusal)
                closes = stored.closes if event == "lock" else ()
                events[index] = (event, closes)
                return Verdict(prevail=bool(closes))

        outcome: list[list[WriteReport]] = []
        in_transaction = [o for o in self.observers if getattr(o, "record_in", None)]
        if not (in_transaction and JOURNAL in self.inner.capabilities):
            in_transaction = []
            results = await self.inner.bulk_docs(db, docs, new_edits=new_edits,
                                                 validate=validate)
        else:
            def journal(conn: Any, written: list[WriteResult]) -> None:
                outcome.append(self._outcome(user, db, docs, events, written))
                for observer in in_transaction:
                    observer.record_in(conn, outcome[-1])  # type: ignore[attr-defined]

            results = await self.inner.bulk_docs(  # type: ignore[call-arg]
                db, docs, new_edits=new_edits, validate=validate, journal=journal)
        reports = outcome[-1] if outcome else self._outcome(user, db, docs, events, results)
        await self._observe(reports, skip=in_transaction)
        return results

    def _outcome(
        self, user: Account, db: str, docs: Sequence[Doc], events: Mapping[int, _Event],
        results: list[WriteResult],
    ) -> list[WriteReport]:
        """The reports of a batch: each document's outcome, then its lock or unlock."""
        reports: list[WriteReport] = []
        for index, (doc, result) in enumerate(zip(docs, results, strict=True)):
            reports.extend(self._reports(user, db, doc, result, events.get(index)))
        return reports

    @staticmethod
    def _judge(
        user: Account, db: str, doc_id: str, doc: Doc, winner: Doc | None, directory: Directory
    ) -> Judgement:
        """Why `user` may not write `doc` (stored as `doc_id`: the store makes one for a doc
        without `_id`) into `db` (None: may), and the lock event."""
        if not user.is_admin and (bad := malformed_revision(doc)) is not None:
            return bad, None
        if doc_id.startswith("_design/"):
            return (None if user.is_admin else "design documents are written by admins only"), None
        if doc_id.startswith("result:") or doc.get("type") == "result":
            return "result documents are written by the server only", None
        was_sheet = bool(winner) and winner.get("type") == "sheet"  # type: ignore[union-attr]
        if doc.get("_deleted"):
            if not was_sheet:
                return None, None
            return workflow(user, winner, doc, directory), None
        if doc.get("type") != "sheet":
            if _locked(winner):
                return f"the sheet {doc_id!r} is locked: only the branch unlocks it", None
            return f"only score sheets may be written to {db!r}; got type {doc.get('type')!r}", None
        before = winner if was_sheet else None
        try:
            check_sheet(doc, db, directory)
        except Invalid as exc:  # a locked sheet's refusal names the lock first
            return (_locked(winner) and workflow(user, before, doc, directory)) or str(exc), None
        if (refusal := workflow(user, before, doc, directory)) is not None:
            return refusal, None
        locking, was_locked = doc.get("status") == "locked", _locked(winner)
        if locking and not was_locked:
            return None, "lock"
        return None, ("unlock" if was_locked and not locking else None)

    def _reports(
        self, user: Account, db: str, doc: Doc, result: WriteResult, event: _Event | None
    ) -> list[WriteReport]:
        """The observer calls one write makes: its outcome, then a lock/unlock if accepted
        (a lock that closed other leaves names them as its reason; an unlock, its reason)."""
        outcome = "refused" if result.error else "accepted"
        reason = result.reason or result.error or ""
        rev = result.rev or (doc.get("_rev") if isinstance(doc.get("_rev"), str) else None)
        reports = [(user.name, self.device, db, result.id, rev, outcome, reason)]
        if event and event[0] and outcome == "accepted":
            closed = f"closed the other open leaves: {', '.join(event[1])}" if event[1] else ""
            if event[0] == "unlock":  # the audit names why
                closed = str(doc.get("unlock_reason") or "")
            reports.append((user.name, self.device, db, result.id, rev, event[0], closed))
        return reports

    async def _observe(self, reports: list[WriteReport], skip: Sequence[object] = ()) -> None:
        """Report a batch's writes to each observer (but those in `skip`, which recorded them
        in the store's transaction): in one `record_batch(reports)` call when the observer
        offers one, else one call per report."""
        for observer in self.observers:
            if observer in skip:
                continue
            batch = getattr(observer, "record_batch", None)
            if callable(batch):
                await _call(batch, reports)
            else:
                for report in reports:
                    await _call(observer, *report)


async def _call(observer: Callable[..., Awaitable[None]], *args: Any) -> None:
    try:
        await observer(*args)
    except Exception:  # noqa: BLE001 - an observer must never break a write
        logger.exception("write observer failed")


def store_for(request: Request[Any, Any, Any]) -> DocumentStore:
    """The store a request may use: the app's store wrapped for the signed-in user."""
    state = request.app.state
    inner = getattr(state, "store", None)
    if inner is None:
        raise StoreUnavailable("The document store is not initialised.")
    territory = getattr(state, "territory", None)
    if territory is None or territory.store is not inner:
        territory = state.territory = Territory(inner)
    return GatekeptStore(
        inner,
        request.scope.get("user"),
        territory,
        device=request.scope.get("state", {}).get("thidua.token_id"),
        observers=getattr(state, "write_observers", ()),
    )
