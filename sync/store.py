"""The document store interface: everything above `sync/backends/` talks to this.

The methods follow the CouchDB replication protocol, so the HTTP layer is a thin
translation and a backend can be the embedded SQL store or a real CouchDB.

Conventions shared by every backend (the conformance suite in `sync/testing.py` checks them):

* Documents are plain `dict`s in CouchDB's JSON shape (`_id`, `_rev`, `_deleted`,
  `_revisions`, `_attachments`, `_conflicts`, ...).
* Sequences (`Seq`) are opaque: an `int` for the embedded store, a string for a CouchDB
  cluster. Callers only echo them back as `since`. `since` also accepts `"now"` and `0`.
* Errors are the `sync.errors` classes; infrastructure failures are `StoreUnavailable`.
* All methods are coroutines; a backend with a blocking client runs it in a thread.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import msgspec

from .errors import NotFound, error_for
from .revtree import RevTree

__all__ = [
    "AllDocsRow",
    "Attachment",
    "ChangeRow",
    "ChangesPage",
    "DbInfo",
    "JOURNAL",
    "DocumentStore",
    "RAW_VALUES",
    "Seq",
    "Stored",
    "Validator",
    "Verdict",
    "WriteResult",
    "decoded",
]

Seq = int | str
Doc = dict[str, Any]


class DbInfo(msgspec.Struct, omit_defaults=True):
    """`GET /{db}` answer."""

    db_name: str
    doc_count: int
    doc_del_count: int
    update_seq: Seq
    purge_seq: int = 0
    instance_start_time: str = "0"
    compact_running: bool = False
    disk_format_version: int = 8


class WriteResult(msgspec.Struct, omit_defaults=True):
    """One entry of a `_bulk_docs` answer: `{ok, id, rev}` or `{id, error, reason}`."""

    id: str
    rev: str | None = None
    ok: bool | None = None
    error: str | None = None
    reason: str | None = None


class ChangeRow(msgspec.Struct, omit_defaults=True):
    """One row of `_changes`: the document's latest sequence and its leaf revisions."""

    seq: Seq
    id: str
    changes: list[dict[str, str]]
    deleted: bool = False
    doc: Doc | None = None


class ChangesPage(msgspec.Struct):
    results: list[ChangeRow]
    last_seq: Seq
    pending: int = 0


class AllDocsRow(msgspec.Struct, omit_defaults=True):
    id: str
    key: str
    value: dict[str, Any]
    doc: Doc | None = None


class Attachment(msgspec.Struct):
    content_type: str
    data: bytes
    digest: str


#: Capability: `bulk_docs(..., new_edits=False)` accepts `msgspec.Raw` values for a
#: document's user fields (its `_` members are always decoded) and stores them as given.
RAW_VALUES = "raw_values"
#: Capability: `bulk_docs(..., journal=fn)` calls `fn(connection, results)` inside the batch's
#: transaction, so rows the caller writes there (the audit log) commit with the batch.
JOURNAL = "journal"




@dataclass(frozen=True, slots=True)
class Stored:
    """What a `Validator` sees of one document of a batch, read under the write lock.

    `winner`: the stored winning revision (`_id`, `_rev` and the body), None for a new or
    deleted document. `tree`: the stored revision tree (embedded store; None on CouchDB).
    `rev`: the incoming revision (the new rev of an interactive edit, `_rev` of a replicated
    one; None where the backend only learns it by writing: CouchDB interactive edits).
    `closes`: the open leaves a prevailing write closes (every open leaf the write does not
    extend), with deterministic tombstones (`sync.closing`).
    """

    doc_id: str
    winner: Doc | None
    tree: RevTree | None
    rev: str | None
    closes: tuple[str, ...]


class Verdict(NamedTuple):
    """A `Validator`'s answer for one document.

    `refusal`: the reason it is refused (answered in place as `forbidden`), None to accept.
    `prevail`: accepted, and its revision must be the winner: every other open leaf
    (`Stored.closes`) is closed by a deterministic tombstone in the same batch.
    """

    refusal: str | None = None
    prevail: bool = False


#: `validate(index, doc, stored)`, `index` being the doc's position in the batch: called for
#: each well-formed doc that is not already stored, under the database's write serialisation
#: (see `DocumentStore.bulk_docs`). Synchronous and pure: it may run in a worker thread.
Validator = Callable[[int, Doc, Stored], Verdict]


_decode_json = msgspec.json.Decoder().decode
_encode_json = msgspec.json.Encoder().encode


def decoded(doc: Doc) -> Doc:
    """`doc` with its raw JSON field values (`msgspec.Raw`, see `RAW_VALUES`) decoded."""
    if msgspec.Raw not in map(type, doc.values()):  # one pass in C
        return doc
    return {key: _decode_json(value) if type(value) is msgspec.Raw else value
            for key, value in doc.items()}


class DocumentStore(abc.ABC):
    """A set of named databases holding revisioned documents."""

    #: Capabilities that differ between backends, for the conformance suite and callers.
    capabilities: frozenset[str] = frozenset()

    # -- lifecycle -------------------------------------------------------------
    @abc.abstractmethod
    async def initialize(self) -> None:
        """Create tables or check the connection. Idempotent."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections. Idempotent."""

    @abc.abstractmethod
    async def ping(self) -> bool:
        """True when the backend answers (used by `/healthz`)."""

    @abc.abstractmethod
    async def server_uuid(self) -> str:
        """A stable 32-hex id of this store (PouchDB's replication id uses it)."""

    # -- databases --------------------------------------------------------------
    @abc.abstractmethod
    async def list_dbs(self) -> list[str]:
        """Names of all databases, sorted."""

    @abc.abstractmethod
    async def create_db(self, db: str) -> None:
        """Create a database. :raises PreconditionFailed: it exists. :raises BadRequest: bad name."""

    @abc.abstractmethod
    async def delete_db(self, db: str) -> None:
        """Delete a database and everything in it. :raises NotFound:"""

    @abc.abstractmethod
    async def db_info(self, db: str) -> DbInfo:
        """:raises NotFound: no such database."""

    # -- documents --------------------------------------------------------------
    @abc.abstractmethod
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
        """The winning revision, or `rev`. With `attachments` the data is inlined (base64).

        :raises NotFound: reason `missing` (unknown doc or rev) or `deleted` (winner deleted,
            no `rev` asked).
        """

    @abc.abstractmethod
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
        """`[{"ok": doc} | {"missing": rev}]` for the asked revisions or every leaf.

        With `latest`, a rev that is no longer a leaf answers the leaves descending from it.
        """

    @abc.abstractmethod
    async def bulk_docs(
        self,
        db: str,
        docs: Sequence[Doc],
        *,
        new_edits: bool = True,
        validate: Validator | None = None,
    ) -> list[WriteResult]:
        """Write a batch in one transaction; one result per input doc, in order.

        `new_edits=True` (interactive): `_rev` must be a current leaf, or absent for a new doc
        or one whose winner is deleted; otherwise that entry is `conflict`. A new rev is made.
        `new_edits=False` (replication): the doc's `_rev` and `_revisions` are merged into the
        tree as given; already-known revs are a no-op. Invalid entries get their own error
        (`bad_request`, `forbidden`, ...) and never affect the others.

        `validate` judges each document on the stored state it is written onto, atomically:
        the embedded store calls it inside the batch's transaction, under the database's write
        lock, so no other write lands between the judgement and the commit. The CouchDB store,
        which has no such transaction, re-reads after writing and re-judges every document a
        concurrent write changed under it (see `couch_guard`). A refusal is answered in
        place as `forbidden`; `Verdict.prevail` closes the other open leaves.
        :raises NotFound: no such database.
        """

    async def put(self, db: str, doc: Doc) -> WriteResult:
        """Interactive write of one doc. :raises Conflict: stale `_rev`."""
        [result] = await self.bulk_docs(db, [doc])
        if result.error:
            raise error_for(result.error, result.reason)
        return result

    @abc.abstractmethod
    async def revs_diff(
        self, db: str, revs: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, list[str]]]:
        """`{id: {"missing": [...], "possible_ancestors": [...]}}` for ids with unknown revs."""

    async def bulk_get(
        self,
        db: str,
        requests: Sequence[Mapping[str, Any]],
        *,
        revs: bool = False,
        latest: bool = False,
        attachments: bool = False,
    ) -> list[dict[str, Any]]:
        """`_bulk_get` results: one `{id, docs: [{ok} | {error}]}` per request entry."""
        return [
            await self._bulk_get_one(db, request, revs=revs, latest=latest, attachments=attachments)
            for request in requests
        ]

    async def _bulk_get_one(
        self, db: str, request: Mapping[str, Any], **options: bool
    ) -> dict[str, Any]:
        """One `_bulk_get` entry through `get_open_revs`; a missing doc or rev is an error entry."""
        doc_id, rev = request.get("id"), request.get("rev")

        def error(error: str, reason: str, missing_rev: Any) -> dict[str, Any]:
            return {"error": {"id": doc_id, "rev": missing_rev, "error": error, "reason": reason}}

        if not isinstance(doc_id, str):
            return {"id": doc_id, "docs": [error("bad_request", "Missing id.", rev)]}
        try:
            found = await self.get_open_revs(db, doc_id, [rev] if rev else "all", **options)
        except NotFound as exc:
            if not rev:
                return {"id": doc_id, "docs": [error("not_found", exc.reason, "undefined")]}
            found = [{"missing": rev}]
        docs = [
            {"ok": entry["ok"]} if "ok" in entry else error("not_found", "missing", entry["missing"])
            for entry in found
        ]
        return {"id": doc_id, "docs": docs}

    # -- changes ----------------------------------------------------------------
    @abc.abstractmethod
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
        """One row per doc changed after `since` (its latest seq), ascending.

        Every row's `seq` is a valid `since`. An empty page answers `last_seq` >= `since`.
        `since="now"` starts at the current update_seq. :raises NotFound: no such database.
        """

    @abc.abstractmethod
    async def wait_for_change(self, db: str, since: Seq, timeout: float) -> bool:
        """Wait until the database has a change after `since`; False on timeout."""

    # -- local (non-replicated) documents ---------------------------------------
    @abc.abstractmethod
    async def get_local(self, db: str, local_id: str) -> Doc:
        """`local_id` without the `_local/` prefix. :raises NotFound:"""

    @abc.abstractmethod
    async def put_local(self, db: str, local_id: str, doc: Doc) -> WriteResult:
        """Store verbatim; rev `0-N`. Like CouchDB, no MVCC check on local docs."""

    @abc.abstractmethod
    async def delete_local(self, db: str, local_id: str) -> WriteResult:
        """:raises NotFound:"""

    # -- listing and attachments --------------------------------------------------
    @abc.abstractmethod
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
        """`{"total_rows", "offset", "rows": [...]}` as CouchDB answers `_all_docs`."""

    async def winning_bodies(self, db: str, ids: Sequence[str]) -> dict[str, tuple[str, bytes]]:
        """`{id: (winning rev, body JSON)}` for the live documents of `ids` (deleted and
        missing ones are left out); the body is the document's JSON object without `_id`
        and `_rev` (a backend may leave other `_` members out too), for a caller that
        decodes it into a type (`Document.from_body`). This
        default encodes what `all_docs` gives; a backend keeping the JSON answers it as is."""
        listing = await self.all_docs(db, keys=list(ids), include_docs=True)
        return {row["id"]: (row["doc"]["_rev"], _encode_json(
                    {k: v for k, v in row["doc"].items() if k not in ("_id", "_rev")}))
                for row in listing["rows"] if row.get("doc")}

    @abc.abstractmethod
    async def get_attachment(
        self, db: str, doc_id: str, name: str, *, rev: str | None = None
    ) -> Attachment:
        """:raises NotFound: no such doc, rev or attachment."""

    async def compact(self, db: str) -> None:
        """Remove the bodies of non-leaf revisions (CouchDB's `_compact`); backends without
        compaction keep them. :raises NotFound: no such database."""
        await self.db_info(db)
