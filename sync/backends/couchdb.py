"""The CouchDB document store: a real CouchDB (single node or cluster).

Every method is one or a few HTTP calls (`couch_http.CouchClient`: async HTTP for documents
and replication, pycouchdb for database administration). Seqs are passed through verbatim
(opaque strings on CouchDB, ints on pouchdb-server).
Input is checked here first with the embedded store's rules (`docinput.prepare`,
`validate_db_name`), so both backends refuse the same documents with the same errors.

pouchdb-server (PouchDB 7 inside, used in tests) lacks a few CouchDB answers; when
`GET /` says so (`quirks`), they are computed from the document's leaves (`couch_revs`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack
from urllib.parse import quote

import msgspec

from ..errors import (
    BadRequest,
    Conflict,
    NotFound,
    PreconditionFailed,
    StoreError,
    StoreUnavailable,
)
from ..store import (
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
from . import couch_revs
from .couch_changes import ChangesRequest, changes_request, fetch_changes, fetch_changes_json
from .couch_guard import guarded_bulk
from .couch_http import CouchClient, doc_path
from .couch_updates import DbUpdates
from .couch_watch import ChangeWatcher
from .couch_write import write_bulk
from .docinput import md5_digest
from .sql import validate_db_name

if TYPE_CHECKING:
    from . import StoreConfig

__all__ = ["BulkGetFlags", "CouchStore"]


class BulkGetFlags(TypedDict, total=False):
    """`bulk_get`'s keyword flags."""

    revs: bool
    latest: bool
    attachments: bool

_ENCODER = msgspec.json.Encoder()
#: Seconds a create waits for the deletion of the same database to settle on a cluster.
_SETTLE = 10.0


def _db(name: str) -> str:
    """A database name, checked as the embedded store does, as one URL path part."""
    return quote(validate_db_name(name), safe="")


class CouchStore(DocumentStore):
    """`DocumentStore` over CouchDB's HTTP API; `url` may carry `user:password@`."""

    def __init__(self, url: str, *, max_document_size: int = 8_000_000,
                 timeout: float = 30.0, poll_seconds: float = 10.0) -> None:
        self.url = url
        self.max_document_size = max_document_size
        self.client = CouchClient(url, timeout=timeout)
        self._watcher = ChangeWatcher(self.client, poll_seconds=poll_seconds)
        self.quirks = False  # True against pouchdb-server (see module docstring)
        self.capabilities = frozenset()
        self._uuid: str | None = None
        self._closed = False
        self._events: dict[str, asyncio.Event] = {}

    @classmethod
    def from_settings(cls, settings: StoreConfig) -> CouchStore:
        return cls(settings.couchdb_url, max_document_size=settings.max_document_size)

    # -- lifecycle -------------------------------------------------------------
    async def initialize(self) -> None:
        """Read `GET /`: the server's uuid and which server it is. :raises StoreUnavailable:"""
        info = await self.client.call("GET", admin=True)
        if not isinstance(info, dict):
            raise StoreUnavailable("GET / did not answer a CouchDB welcome object.")
        self.quirks = "express-pouchdb" in info
        # CouchDB's new revs hash the edit only; PouchDB 7 also hashes the doc id.
        # PouchDB also sets `revpos` of inline attachments to the rev it writes.
        # PouchDB digests attachment bytes as sent and skips known revisions quietly.
        self.capabilities = frozenset({"identity_digests", "quiet_rewrites"}) if self.quirks \
            else frozenset({"deterministic_revs", "replicated_revpos"})
        # A replicated batch's user fields go to CouchDB as the phone sent them (msgspec.Raw).
        self.capabilities |= {RAW_VALUES}
        raw = info.get("uuid")
        if not isinstance(raw, str) or len(raw.replace("-", "")) != 32:
            raise StoreUnavailable(f"GET / answered no usable uuid: {raw!r}")
        self._uuid = raw.replace("-", "").lower()
        self.client.write_copies = await self._copies()
        if self.client.write_copies:
            self.capabilities |= {"cluster"}

    async def _copies(self) -> int | None:
        """On a cluster (`[cluster] n` > 1), writes wait for every copy (`w` = n): an answered
        write is then in whatever copy a later `_changes` or `_all_docs` reads (those read
        one copy). A stopped node only turns the answer into 202; nothing waits for it."""
        if self.quirks:
            return None
        try:
            n = await self.client.call("GET", "_node", "_local", "_config", "cluster", "n")
        except StoreError:  # not an admin: CouchDB's own quorum
            return None
        return int(n) if isinstance(n, str) and n.isdigit() and int(n) > 1 else None

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._watcher.close()
            await self.client.aclose()

    async def ping(self) -> bool:
        try:
            await self.client.call("GET", timeout=5.0, admin=True)
        except StoreError:
            return False
        return True

    async def server_uuid(self) -> str:
        if self._uuid is None:
            await self.initialize()
        assert self._uuid is not None
        return self._uuid

    def change_signal(self, db: str) -> asyncio.Event:
        """An event set (and dropped) after this store's next write to `db`: the gatekeeper's
        directory reads `config` again only then (or after its recheck, for other writers)."""
        event = self._events.get(db)
        if event is None:
            event = self._events[db] = asyncio.Event()
        return event

    def _notify(self, db: str) -> None:
        event = self._events.pop(db, None)
        if event is not None:
            event.set()

    # -- databases --------------------------------------------------------------
    async def list_dbs(self) -> list[str]:
        return sorted(await self.client.call("GET", "_all_dbs", admin=True))

    async def create_db(self, db: str) -> None:
        """On a cluster, a database deleted a moment ago may still answer "exists" while its
        deletion reaches every node: while it is not listed, the create is tried again, for
        up to `_SETTLE` seconds."""
        settled = asyncio.get_running_loop().time() + _SETTLE
        try:
            while True:
                try:
                    await self.client.call("PUT", _db(db), admin=True)
                    return
                except PreconditionFailed:
                    if asyncio.get_running_loop().time() > settled or db in await self.list_dbs():
                        raise
                await asyncio.sleep(0.1)
        finally:
            self._notify(db)

    async def delete_db(self, db: str) -> None:
        if self.quirks:  # pouchdb-server answers ok for a missing database
            await self.client.call("GET", _db(db))
        try:
            await self.client.call("DELETE", _db(db), admin=True)
        finally:
            self._notify(db)

    async def db_info(self, db: str) -> DbInfo:
        info = await self.client.call("GET", _db(db))
        deleted = info.get("doc_del_count")
        if not isinstance(deleted, int):  # pouchdb-server does not count deleted docs
            page = await fetch_changes(self.client, _db(db), ChangesRequest())
            deleted = sum(1 for row in page.results if row.deleted)
        purge_seq = info.get("purge_seq")
        return DbInfo(
            db_name=db, doc_count=int(info.get("doc_count", 0)), doc_del_count=deleted,
            update_seq=info["update_seq"],
            purge_seq=purge_seq if isinstance(purge_seq, int) else 0,
            instance_start_time=str(info.get("instance_start_time", "0")))

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
        path = _db(db)
        if rev is not None:
            couch_revs.check_rev(rev)
            if latest:
                leaves = couch_revs.latest_leaves(await self._leaves(path, doc_id), rev)
                if not leaves:
                    raise NotFound("missing")
                rev = couch_revs.best_leaf(leaves)
        params = {"rev": rev, "revs": revs or None, "conflicts": conflicts or None,
                  "deleted_conflicts": deleted_conflicts or None,
                  "revs_info": revs_info or None, "attachments": attachments or None}
        try:
            doc = await self.client.call("GET", path, doc_path(doc_id), params=params)
        except NotFound as exc:
            if rev is None and self.quirks and exc.reason == "missing":
                await self._raise_if_deleted(path, doc_id)
            raise
        if deleted_conflicts and self.quirks and "_deleted_conflicts" not in doc:
            losers = couch_revs.deleted_losers(await self._leaves(path, doc_id), doc["_rev"])
            if losers:
                doc["_deleted_conflicts"] = losers
        return doc

    async def _raise_if_deleted(self, path: str, doc_id: str) -> None:
        answer = await self.client.call("POST", path, "_all_docs", body={"keys": [doc_id]})
        rows = answer.get("rows") or [{}]
        if (rows[0].get("value") or {}).get("deleted"):
            raise NotFound("deleted")

    async def _leaves(self, path: str, doc_id: str, *, attachments: bool = False) -> list[Doc]:
        """Every leaf with `_revisions`; [] for an unknown document."""
        try:
            found = await self.client.call(
                "GET", path, doc_path(doc_id),
                params={"open_revs": "all", "revs": True, "attachments": attachments or None})
        except NotFound as exc:
            if exc.reason != "missing":  # the database itself is missing
                raise
            return []
        return [entry["ok"] for entry in found if "ok" in entry]

    async def _leaves_from(
        self, path: str, doc_id: str, wanted: Sequence[str], *, attachments: bool
    ) -> list[dict[str, Any]]:
        """`latest` done here: for each wanted rev, the leaves at or after it, else missing."""
        leaves = await self._leaves(path, doc_id, attachments=attachments)
        out: list[dict[str, Any]] = []
        for rev in wanted:
            found = couch_revs.latest_leaves(leaves, rev)
            out += [{"ok": leaf} for leaf in found] if found else [{"missing": rev}]
        return out

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
        path = _db(db)
        if open_revs != "all":
            wanted = [couch_revs.check_rev(rev) for rev in open_revs]
            if latest:
                found = await self._leaves_from(path, doc_id, wanted, attachments=attachments)
                if revs:
                    return found
                return [{"ok": couch_revs.strip_revisions(e["ok"])} if "ok" in e else e
                        for e in found]
        spec = "all" if open_revs == "all" else json.dumps(wanted)
        return list(await self.client.call(
            "GET", path, doc_path(doc_id),
            params={"open_revs": spec, "revs": revs or None, "attachments": attachments or None}))

    async def bulk_docs(
        self, db: str, docs: Sequence[Doc], *, new_edits: bool = True,
        validate: Validator | None = None,
    ) -> list[WriteResult]:
        """As `DocumentStore.bulk_docs`; with `validate`, judged and re-judged as
        `couch_guard` describes (CouchDB has no write transaction to judge in)."""
        try:
            if validate is not None:
                return await guarded_bulk(self.client, _db(db), docs, new_edits=new_edits,
                                          max_size=self.max_document_size,
                                          quirks=self.quirks, validate=validate)
            return await write_bulk(self.client, _db(db), docs, new_edits=new_edits,
                                    max_size=self.max_document_size, fill_stubs=self.quirks)
        finally:
            self._notify(db)

    async def bulk_get(
        self,
        db: str,
        requests: Sequence[Mapping[str, Any]],
        *,
        revs: bool = False,
        latest: bool = False,
        attachments: bool = False,
    ) -> list[dict[str, Any]]:
        """As `DocumentStore.bulk_get`: CouchDB's own `_bulk_get` (one request), or against
        pouchdb-server one request per entry run concurrently (it crashes on `latest` with an
        unknown rev and merges entries of one id). :raises NotFound: no such database.
        """
        flags = {"revs": revs, "latest": latest, "attachments": attachments}
        if self._native_bulk_get(requests):
            answer = await self._bulk_get(db, requests, flags)
            return list(json.loads(answer)["results"])
        await self.client.call("GET", _db(db))
        base = super().bulk_get

        async def one(request: Mapping[str, Any]) -> dict[str, Any]:
            [result] = await base(db, [request], **flags)
            return result

        return list(await asyncio.gather(*(one(request) for request in requests)))

    async def bulk_get_json(
        self, db: str, requests: Sequence[Mapping[str, Any]], **flags: Unpack[BulkGetFlags]
    ) -> bytes:
        """The `_bulk_get` answer body (the flags as `bulk_get` takes them): on CouchDB its
        own bytes, passed through undecoded."""
        if self._native_bulk_get(requests):
            return await self._bulk_get(db, requests, flags)
        return _ENCODER.encode({"results": await self.bulk_get(db, requests, **flags)})

    def _native_bulk_get(self, requests: Sequence[Mapping[str, Any]]) -> bool:
        """CouchDB answers this `_bulk_get` itself: every entry an id and an optional rev."""
        if self.quirks:
            return False
        for request in requests:
            rev = request.get("rev")
            if not isinstance(request.get("id"), str):
                return False
            if rev is not None:
                couch_revs.check_rev(rev)
        return True

    async def _bulk_get(self, db: str, requests: Sequence[Mapping[str, Any]],
                        flags: Mapping[str, Any]) -> bytes:
        docs = [{"id": r["id"], **({"rev": r["rev"]} if r.get("rev") else {})} for r in requests]
        data: bytes = await self.client.call(
            "POST", _db(db), "_bulk_get", params={k: v or None for k, v in flags.items()},
            body={"docs": docs}, raw=True, accept="application/json")
        return data

    async def revs_diff(
        self, db: str, revs: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, list[str]]]:
        path = _db(db)
        for doc_id, doc_revs in revs.items():
            if not isinstance(doc_id, str) or not isinstance(doc_revs, list | tuple):
                raise BadRequest("_revs_diff expects {id: [rev, ...]}.")
            for rev in doc_revs:
                couch_revs.check_rev(rev)
        if not self.quirks:
            answer = await self.client.call("POST", path, "_revs_diff", body=dict(revs))
            return {k: v for k, v in answer.items() if v.get("missing")}
        await self.client.call("GET", path)  # NotFound for a missing database
        ids = list(revs)
        trees = await asyncio.gather(*(self._leaves(path, doc_id) for doc_id in ids))
        entries = {doc_id: couch_revs.missing_revs(leaves, list(revs[doc_id]))
                   for doc_id, leaves in zip(ids, trees, strict=True)}
        return {doc_id: entry for doc_id, entry in entries.items() if entry is not None}

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
        request = changes_request(
            self.quirks, since=since, limit=limit, style=style, include_docs=include_docs,
            conflicts=conflicts, doc_ids=doc_ids, selector=selector, descending=descending)
        return await fetch_changes(self.client, _db(db), request)

    async def changes_json(self, db: str, **options: Any) -> bytes:
        """The `_changes` answer body (the options as `changes` takes them): CouchDB's own
        bytes passed through undecoded when nothing is left to do here (no selector)."""
        request = changes_request(self.quirks, **options)
        data = await fetch_changes_json(self.client, _db(db), request)
        if data is None:
            return _ENCODER.encode(await fetch_changes(self.client, _db(db), request))
        return data

    async def wait_for_change(self, db: str, since: Seq, timeout: float) -> bool:
        return await self._watcher.wait(_db(db), couch_revs.check_since(since), timeout)

    def db_updates(self) -> DbUpdates | None:
        """The `_db_updates` feed for `sync.follower` (None on pouchdb-server: no such feed)."""
        return None if self.quirks else self._watcher.updates

    async def compact(self, db: str) -> None:
        """CouchDB compacts in the background; it answers 202 at once."""
        await self.client.call("POST", _db(db), "_compact", body={}, admin=True)

    # -- local documents --------------------------------------------------------
    async def get_local(self, db: str, local_id: str) -> Doc:
        return await self.client.call("GET", _db(db), "_local", doc_path(local_id))

    async def put_local(self, db: str, local_id: str, doc: Doc) -> WriteResult:
        path, part = _db(db), doc_path(local_id)
        body = {k: v for k, v in doc.items() if k != "_id"}
        for _ in range(5):  # no MVCC on local docs: retry a conflict with the current rev
            try:
                answer = await self.client.call("PUT", path, "_local", part, body=body)
                return WriteResult(id=f"_local/{local_id}", rev=answer.get("rev"), ok=True)
            except Conflict:
                try:
                    current = await self.client.call("GET", path, "_local", part)
                    body["_rev"] = current.get("_rev")
                except NotFound:
                    body.pop("_rev", None)
        raise Conflict(f"_local/{local_id} keeps changing; try again.")

    async def delete_local(self, db: str, local_id: str) -> WriteResult:
        path, part = _db(db), doc_path(local_id)
        current = await self.client.call("GET", path, "_local", part)
        answer = await self.client.call("DELETE", path, "_local", part,
                                        params={"rev": current.get("_rev")})
        return WriteResult(id=f"_local/{local_id}", rev=answer.get("rev", "0-0"), ok=True)

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
        params: dict[str, Any] = {"include_docs": include_docs or None,
                                  "conflicts": conflicts or None}
        if keys is not None:
            return dict(await self.client.call("POST", _db(db), "_all_docs", params=params,
                                               body={"keys": list(keys)}))
        params.update(
            startkey=json.dumps(startkey) if startkey is not None else None,
            endkey=json.dumps(endkey) if endkey is not None else None,
            inclusive_end=None if inclusive_end else False, descending=descending or None,
            limit=limit, skip=skip or None)
        answer = dict(await self.client.call("GET", _db(db), "_all_docs", params=params))
        if self.quirks and startkey is not None:  # PouchDB's offset counts only `skip`
            before = await self.client.call("GET", _db(db), "_all_docs", params={
                "endkey": params["startkey"], "inclusive_end": False,
                "descending": descending or None})
            answer["offset"] = len(before["rows"]) + skip
        return answer

    async def get_attachment(
        self, db: str, doc_id: str, name: str, *, rev: str | None = None
    ) -> Attachment:
        if rev is not None:
            couch_revs.check_rev(rev)
        elif self.quirks:
            await self.get(db, doc_id)  # NotFound `deleted` when the winner is deleted
        response = await self.client.response(
            "GET", _db(db), doc_path(doc_id), quote(name, safe=""), params={"rev": rev},
            raw=True)
        # CouchDB's ETag is the stored digest (of the gzipped bytes for compressed types).
        etag = response.etag
        digest = f"md5-{etag}" if etag.endswith("=") and not self.quirks else md5_digest(
            response.body)
        return Attachment(content_type=response.content_type or "application/octet-stream",
                          data=response.body, digest=digest)

