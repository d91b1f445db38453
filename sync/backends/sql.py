"""The embedded document store: SQLModel tables in SQLite (WAL) or PostgreSQL.

Blocking database work runs in a small thread pool (`sql_engine.Runner`); each call is one
transaction. Writes to a database are serialized by an asyncio lock per database (and, across
processes, by SQLite's write lock or a PostgreSQL row lock), so seqs commit in order and a
`_changes` cursor never skips a late commit. Waiters on `wait_for_change` are woken after
each commit; they also re-check every `poll_interval` seconds to see other processes' writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import msgspec
from sqlalchemy import Connection, delete, insert, select, text
from sqlalchemy.exc import IntegrityError

from .. import revtree
from ..errors import BadRequest, PreconditionFailed, StoreUnavailable
from ..selector import compile_selector
from ..store import (
    JOURNAL,
    RAW_VALUES,
    Attachment,
    ChangesPage,
    DbInfo,
    Doc,
    DocumentStore,
    Seq,
    Validator,
    WriteResult,
)
from . import sql_changes, sql_compact, sql_docs, sql_listing, sql_local, sql_repair
from .docinput import prepare
from .sql_changes import ChangesQuery
from .sql_docs import DocOptions
from .sql_engine import LOCK_WAIT, SMALL, SMALL_BYTES, Runner, make_engine
from .sql_listing import AllDocsQuery
from .sql_queries import DbRow, db_row
from .sql_schema import create_tables
from .sql_tables import METADATA, T_DATABASES, T_META
from .sql_write import write_batch

if TYPE_CHECKING:
    from . import StoreConfig

__all__ = ["Journal", "SqlStore", "parse_since", "validate_db_name"]

T = TypeVar("T")
#: `journal(conn, results)`: extra rows for a `_bulk_docs` batch, written in its transaction.
Journal = Callable[[Connection, list[WriteResult]], None]
_encode = msgspec.json.Encoder().encode
_DB_NAME = re.compile(r"^[a-z][a-z0-9_$()+/-]*$")


def validate_db_name(name: str) -> str:
    """CouchDB's rule for database names. :raises BadRequest: `illegal_database_name`."""
    if not isinstance(name, str) or len(name) > 238 or not _DB_NAME.match(name):
        raise BadRequest(
            f"Name: {name!r}. Only lowercase characters (a-z), digits (0-9), and any of the "
            "characters _, $, (, ), +, -, and / are allowed. Must begin with a letter.",
            error="illegal_database_name",
        )
    return name


def parse_since(since: Seq, update_seq: int) -> int:
    """`since` as an int: a non-negative int, its decimal string, or `"now"`."""
    if since == "now":
        return update_seq
    if isinstance(since, str) and since.isascii() and since.isdigit():
        return int(since)
    if isinstance(since, int) and not isinstance(since, bool) and since >= 0:
        return since
    raise BadRequest(f"Invalid since: {since!r}; expected a sequence number or 'now'.")


class SqlStore(DocumentStore):
    """`DocumentStore` over SQLAlchemy; `url` is a `sqlite:///` or `postgresql+psycopg://` URL."""

    capabilities = frozenset({"deterministic_revs", "integer_seqs", "replicated_revpos",
                              "revision_bodies", "revs_limit", "identity_digests",
                              "quiet_rewrites", RAW_VALUES, JOURNAL})

    def __init__(
        self,
        url: str,
        *,
        revs_limit: int = 1000,
        max_document_size: int = 8_000_000,
        poll_interval: float = 1.0,
        lock_wait: float = LOCK_WAIT,
    ) -> None:
        self.url = url
        self.revs_limit = revs_limit
        self.max_document_size = max_document_size
        self.poll_interval = poll_interval
        self._runner = Runner(make_engine(url, lock_wait=lock_wait), lock_wait=lock_wait)
        self._locks: dict[str, asyncio.Lock] = {}
        self._events: dict[str, asyncio.Event] = {}
        self._uuid: str | None = None
        self._closed = False

    @classmethod
    def from_settings(cls, settings: StoreConfig) -> SqlStore:
        return cls(settings.store_url, revs_limit=settings.revs_limit,
                   max_document_size=settings.max_document_size)

    # -- lifecycle -------------------------------------------------------------
    async def initialize(self) -> None:
        self._uuid = await self._runner.write(self._init_schema)

    @staticmethod
    def _init_schema(conn: Connection) -> str:
        create_tables(conn, METADATA)
        m = T_META.c
        found = conn.execute(select(m.value).where(m.key == "server_uuid")).scalar_one_or_none()
        if found is None:
            found = uuid.uuid4().hex
            conn.execute(insert(T_META).values(key="server_uuid", value=found))
        return str(found)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await asyncio.get_running_loop().run_in_executor(None, self._runner.close)

    async def ping(self) -> bool:
        try:
            await self._runner.read(lambda conn: conn.execute(text("SELECT 1")).scalar_one(),
                                    small=True)
        except StoreUnavailable:
            return False
        return True

    async def server_uuid(self) -> str:
        if self._uuid is None:
            await self.initialize()
        assert self._uuid is not None
        return self._uuid

    # -- helpers ----------------------------------------------------------------
    def _lock(self, db: str) -> asyncio.Lock:
        return self._locks.setdefault(db, asyncio.Lock())

    def change_signal(self, db: str) -> asyncio.Event:
        """An event set (and dropped) after the next commit to `db` in this process."""
        event = self._events.get(db)
        if event is None:
            event = self._events[db] = asyncio.Event()
        return event

    def _notify(self, db: str) -> None:
        event = self._events.pop(db, None)
        if event is not None:
            event.set()

    async def _read(self, db: str, fn: Callable[[Connection, DbRow], T], *,
                    small: bool = False) -> T:
        """`fn(conn, row of db)` in a read transaction; `small` as in `Runner.read`."""
        return await self._runner.read(lambda conn: fn(conn, db_row(conn, db)), small=small)

    async def _write(self, db: str, fn: Callable[[Connection, DbRow], T], *,
                     small: bool = False) -> T:
        async with self._lock(db):
            return await self._runner.write(lambda conn: fn(conn, db_row(conn, db)),
                                            small=small)

    # -- databases --------------------------------------------------------------
    async def list_dbs(self) -> list[str]:
        c = T_DATABASES.c
        return await self._runner.read(
            lambda conn: list(conn.execute(select(c.name).order_by(c.name)).scalars())
        )

    async def create_db(self, db: str) -> None:
        validate_db_name(db)

        def create(conn: Connection) -> None:
            c = T_DATABASES.c
            if conn.execute(select(c.id).where(c.name == db)).first() is not None:
                raise PreconditionFailed(
                    "The database could not be created, the file already exists.")
            try:
                with conn.begin_nested():
                    conn.execute(insert(T_DATABASES).values(name=db, created=time.time()))
            except IntegrityError:
                raise PreconditionFailed(
                    "The database could not be created, the file already exists.") from None

        async with self._lock(db):
            await self._runner.write(create)

    async def delete_db(self, db: str) -> None:
        def drop(conn: Connection, row: DbRow) -> None:
            conn.execute(delete(T_DATABASES).where(T_DATABASES.c.id == row.id))

        await self._write(db, drop)
        self._notify(db)

    async def db_info(self, db: str) -> DbInfo:
        row = await self._read(db, lambda conn, row: row, small=True)
        return DbInfo(db_name=db, doc_count=row.doc_count, doc_del_count=row.del_count,
                      update_seq=row.update_seq)

    # -- documents --------------------------------------------------------------
    async def get(
        self,
        db: str,
        doc_id: str,
        *,
        rev: str | None = None,
        revs: bool = False,
        conflicts: bool = False,
        deleted_conflicts: bool = False,
        revs_info: bool = False,
        latest: bool = False,
        attachments: bool = False,
    ) -> Doc:
        options = DocOptions(revs, conflicts, deleted_conflicts, revs_info, attachments)
        return await self._read(
            db, lambda conn, row: sql_docs.get_doc(conn, row.id, doc_id, rev, latest, options),
            small=not attachments)

    async def get_open_revs(
        self,
        db: str,
        doc_id: str,
        open_revs: Sequence[str] | Literal["all"],
        *,
        revs: bool = False,
        latest: bool = False,
        attachments: bool = False,
    ) -> list[dict[str, Any]]:
        wanted = None if open_revs == "all" else list(open_revs)
        options = DocOptions(revs=revs, attachments=attachments)
        return await self._read(
            db, lambda conn, row: sql_docs.open_revs(conn, row.id, doc_id, wanted, latest, options),
            small=not attachments and (wanted is None or len(wanted) <= SMALL))

    async def bulk_docs(
        self,
        db: str,
        docs: Sequence[Doc],
        *,
        new_edits: bool = True,
        validate: Validator | None = None,
        journal: Journal | None = None,
    ) -> list[WriteResult]:
        """As `DocumentStore.bulk_docs`; `validate` runs in the batch's transaction, under the
        database's write lock (`sql_write`). `journal(conn, results)` (capability `JOURNAL`)
        runs in the same transaction once the batch is applied: rows it writes commit with
        the batch or not at all, and its failure fails the batch."""
        limit = self.max_document_size
        check = None if validate is None else (
            lambda index, stored: validate(index, docs[index], stored))

        def write(conn: Connection, row: DbRow) -> tuple[list[WriteResult], int | None]:
            items = [prepare(doc, new_edits=new_edits, max_size=limit) for doc in docs]
            results, seq = write_batch(conn, row, items, new_edits=new_edits,
                                       revs_limit=self.revs_limit, check=check)
            if journal is not None:
                journal(conn, results)
            return results, seq

        results, seq = await self._write(db, write, small=_small_batch(docs))
        if seq is not None:
            self._notify(db)
        return results

    async def repair_revisions(
        self, db: str, *, apply: bool = False,
        journal: Callable[[Connection, list[sql_repair.DocRepair]], None] | None = None,
    ) -> list[sql_repair.DocRepair]:
        """`thidua repair`: the documents whose stored tree holds malformed revision ids
        (`sql_repair`), rewritten with `apply`; `journal(conn, repairs)` in the same
        transaction (the audit rows commit with the repair)."""
        def work(conn: Connection, row: DbRow) -> list[sql_repair.DocRepair]:
            found = sql_repair.repair(conn, row, apply=apply)
            if apply and found and journal is not None:
                journal(conn, found)
            return found

        found = await (self._write if apply else self._read)(db, work)
        if apply and found:
            self._notify(db)
        return found

    async def bulk_get(
        self,
        db: str,
        requests: Sequence[Mapping[str, Any]],
        *,
        revs: bool = False,
        latest: bool = False,
        attachments: bool = False,
    ) -> list[dict[str, Any]]:
        """As `DocumentStore.bulk_get`, in one transaction and three queries."""
        return await self._bulk_get(db, requests, revs=revs, latest=latest,
                                    attachments=attachments, raw=False)

    async def bulk_get_json(
        self, db: str, requests: Sequence[Mapping[str, Any]], **flags: bool
    ) -> bytes:
        """The `_bulk_get` response body `{"results": [...]}`, already encoded: stored bodies
        are spliced in as JSON, never decoded (the HTTP layer's fast path). `flags`: `revs`,
        `latest`, `attachments`, as in `bulk_get`."""
        return _encode({"results": await self._bulk_get(db, requests, raw=True, **flags)})

    async def _bulk_get(self, db: str, requests: Sequence[Mapping[str, Any]], *, raw: bool,
                        revs: bool = False, latest: bool = False,
                        attachments: bool = False) -> list[dict[str, Any]]:
        options = DocOptions(revs=revs, attachments=attachments)
        asks = [(req["id"], [req["rev"]] if req.get("rev") else None)
                for req in requests if isinstance(req.get("id"), str)]
        answers = iter(await self._read(
            db, lambda conn, row: sql_docs.open_revs_many(conn, row.id, asks, latest, options,
                                                          raw),
            small=len(asks) <= SMALL and not options.attachments))
        results = []
        for req in requests:
            doc_id, rev = req.get("id"), req.get("rev")
            if not isinstance(doc_id, str):
                docs: list[dict[str, Any]] = [{"error": _bulk_error(doc_id, rev, "bad_request",
                                                                    "Missing id.")}]
            elif (answer := next(answers)) is None:
                docs = [{"error": _bulk_error(doc_id, "undefined", "not_found", "missing")}]
            else:
                docs = [{"ok": entry["ok"]} if "ok" in entry else
                        {"error": _bulk_error(doc_id, entry["missing"], "not_found", "missing")}
                        for entry in answer]
            results.append({"id": doc_id, "docs": docs})
        return results

    async def revs_diff(
        self, db: str, revs: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, list[str]]]:
        wanted: dict[str, list[str]] = {}
        for doc_id, doc_revs in revs.items():
            if not isinstance(doc_id, str) or not isinstance(doc_revs, list | tuple):
                raise BadRequest("_revs_diff expects {id: [rev, ...]}.")
            try:
                for rev in doc_revs:
                    revtree.parse_rev(rev)
            except revtree.InvalidRev as exc:
                raise BadRequest(f"Invalid rev format: {exc}") from None
            wanted[doc_id] = list(doc_revs)
        return await self._read(db, lambda conn, row: sql_docs.revs_diff(conn, row.id, wanted),
                                small=len(wanted) <= SMALL)

    # -- changes ----------------------------------------------------------------
    async def changes(
        self,
        db: str,
        *,
        since: Seq = 0,
        limit: int | None = None,
        style: Literal["main_only", "all_docs"] = "main_only",
        include_docs: bool = False,
        conflicts: bool = False,
        doc_ids: Sequence[str] | None = None,
        selector: Mapping[str, Any] | None = None,
        descending: bool = False,
    ) -> ChangesPage:
        if style not in ("main_only", "all_docs"):
            raise BadRequest(f"Invalid style {style!r}: expected main_only or all_docs.")
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise BadRequest(f"Invalid limit {limit!r}: expected a non-negative integer.")
        predicate = compile_selector(selector) if selector is not None else None
        parse_since(since, 0)  # reject bad input before touching the database

        def run(conn: Connection, row: DbRow) -> ChangesPage:
            query = ChangesQuery(
                since=parse_since(since, row.update_seq), limit=max(limit, 1) if limit is not None
                else None, style=style, include_docs=include_docs, conflicts=conflicts,
                doc_ids=doc_ids, predicate=predicate, descending=descending)
            return sql_changes.changes(conn, row, query)

        # Filters may scan many rows to fill a page: only a plain limited page is small.
        small = limit is not None and limit <= SMALL and doc_ids is None and selector is None
        return await self._read(db, run, small=small)

    async def wait_for_change(self, db: str, since: Seq, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        target: int | None = None
        while True:
            event = self.change_signal(db)
            current = (await self._read(db, lambda conn, row: row, small=True)).update_seq
            if target is None:
                target = parse_since(since, current)
            if current > target:
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, self.poll_interval))

    # -- local documents --------------------------------------------------------
    async def get_local(self, db: str, local_id: str) -> Doc:
        return await self._read(db, lambda conn, row: sql_local.get_local(conn, row.id, local_id),
                                small=True)

    async def put_local(self, db: str, local_id: str, doc: Doc) -> WriteResult:
        return await self._write(
            db, lambda conn, row: sql_local.put_local(conn, row.id, local_id, doc), small=True)

    async def delete_local(self, db: str, local_id: str) -> WriteResult:
        return await self._write(
            db, lambda conn, row: sql_local.delete_local(conn, row.id, local_id), small=True)

    async def compact(self, db: str) -> None:
        await self._write(db, lambda conn, row: sql_compact.compact(conn, row.id))

    # -- listing and attachments --------------------------------------------------
    async def all_docs(
        self,
        db: str,
        *,
        keys: Sequence[str] | None = None,
        startkey: str | None = None,
        endkey: str | None = None,
        inclusive_end: bool = True,
        include_docs: bool = False,
        conflicts: bool = False,
        descending: bool = False,
        limit: int | None = None,
        skip: int = 0,
    ) -> dict[str, Any]:
        if keys is not None and not all(isinstance(k, str) for k in keys):
            raise BadRequest("`keys` must be a list of document ids.")
        if (limit is not None and limit < 0) or skip < 0:
            raise BadRequest("`limit` and `skip` must not be negative.")
        query = AllDocsQuery(keys, startkey, endkey, inclusive_end, include_docs, conflicts,
                             descending, limit, skip)
        small = len(keys) <= SMALL if keys is not None else (
            limit is not None and limit + skip <= SMALL)
        return await self._read(db, lambda conn, row: sql_listing.all_docs(conn, row, query),
                                small=small)

    async def winning_bodies(self, db: str, ids: Sequence[str]) -> dict[str, tuple[str, bytes]]:
        return await self._read(db, lambda conn, row: sql_listing.winning_bodies(conn, row, ids),
                                small=len(ids) <= SMALL)

    async def get_attachment(
        self, db: str, doc_id: str, name: str, *, rev: str | None = None
    ) -> Attachment:
        return await self._read(db, lambda conn, row: sql_docs.attachment(conn, row.id, doc_id, name, rev))


def _small_batch(docs: Sequence[Doc]) -> bool:
    """A `_bulk_docs` batch small enough for the event loop: at most `SMALL` documents, no
    attachments (data is decoded and hashed, stubs looked up) and at most `SMALL_BYTES` of
    raw JSON values (a replicated batch; decoded documents are bounded by their count)."""
    if len(docs) > SMALL:
        return False
    size = 0
    for doc in docs:
        if isinstance(doc, dict):
            if doc.get("_attachments"):
                return False
            size += sum(len(value) for value in doc.values() if type(value) is msgspec.Raw)
    return size <= SMALL_BYTES


def _bulk_error(doc_id: Any, rev: Any, error: str, reason: str) -> dict[str, Any]:
    return {"id": doc_id, "rev": rev, "error": error, "reason": reason}
