"""Batch routes: `_bulk_docs`, `_bulk_get`, `_revs_diff`, `_all_docs`."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath

from ..docrules import SPECIAL_MEMBERS
from ..errors import BadRequest
from ..store import RAW_VALUES, WriteResult
from .batch import check_batch, write_local
from .inline import inline_attachments
from .params import bool_param, int_param, json_param
from .wire import (
    JSON_TYPE,
    decode,
    decode_with,
    json_response,
    read_body,
    read_json,
    settings_of,
    store_of,
)

__all__ = ["BULK_HANDLERS"]

Req = Request[Any, Any, Any]


class BulkDocsBody(msgspec.Struct):
    """Documents kept raw, so that each one's size is checked alone."""

    docs: list[msgspec.Raw]
    new_edits: bool = True
    all_or_nothing: bool = False


class SmallBulkDocsBody(msgspec.Struct):
    """A body no larger than the document size limit: no document can exceed it, so the
    documents are decoded in the same pass (the usual replication batch)."""

    docs: list[Any]
    new_edits: bool = True
    all_or_nothing: bool = False


class ReplicatedBulkDocsBody(msgspec.Struct):
    """A small body of objects: user fields stay raw JSON (stored as sent, never decoded)."""

    docs: list[dict[str, msgspec.Raw]]
    new_edits: bool = True
    all_or_nothing: bool = False


class BulkGetEntry(msgspec.Struct, omit_defaults=True):
    id: Any = None
    rev: str | None = None
    atts_since: list[str] | None = None


class BulkGetBody(msgspec.Struct):
    docs: list[BulkGetEntry]


class _IdOnly(msgspec.Struct):
    id: Any = msgspec.field(name="_id", default=None)


class AllDocsBody(msgspec.Struct):
    keys: list[str] | None = None


class Rejected(msgspec.Struct):
    """A `_bulk_docs` entry refused before the store saw it (its own error, in place)."""

    id: Any
    error: str
    reason: str


def _prepare(doc: Any, new_edits: bool) -> dict[str, Any] | Rejected:
    """One decoded `_bulk_docs` entry, or its rejection (that entry alone)."""
    if not isinstance(doc, dict):
        return Rejected(None, "bad_request", "Document must be a JSON object.")
    if "_id" not in doc and new_edits:
        doc["_id"] = uuid.uuid4().hex
    return doc


def _prepare_raw(raw: msgspec.Raw, max_doc: int, new_edits: bool) -> dict[str, Any] | Rejected:
    """Decode one `_bulk_docs` entry, or reject that entry alone (too large)."""
    if len(raw) > max_doc:
        try:
            doc_id = msgspec.json.decode(raw, type=_IdOnly).id
        except msgspec.MsgspecError:
            doc_id = None
        return Rejected(doc_id, "too_large", "Document exceeds the maximum document size.")
    # already valid JSON: it was parsed as part of the body
    return _prepare(msgspec.json.decode(raw), new_edits)


def _raw_values(body: bytes) -> list[dict[str, Any]] | None:
    """The documents of a replicated batch (`new_edits: false`, every entry an object) with
    their `_` members decoded and user fields as `msgspec.Raw`; None for any other body."""
    try:
        batch = decode_with(_REPLICATED.decode, body)
    except BadRequest:  # not that shape, or bad JSON: `decode` below says why
        return None
    if batch.new_edits:
        return None
    for doc in batch.docs:
        for key, value in doc.items():
            if key[:1] == "_":
                if key not in SPECIAL_MEMBERS:  # fails the whole request, as in CouchDB
                    raise BadRequest(f"Bad special document member: {key}",
                                     error="doc_validation")
                doc[key] = _decode_any(value)
    return batch.docs  # type: ignore[return-value]


_REPLICATED = msgspec.json.Decoder(ReplicatedBulkDocsBody)
_decode_any = msgspec.json.Decoder().decode


async def _bulk_docs_body(
    request: Req, raw_values: bool
) -> tuple[list[dict[str, Any] | Rejected], bool, bool]:
    """The body's entries, decoded or rejected one by one, its `new_edits`, and whether
    their `_` members were checked already (the raw-values path).

    With `raw_values` (the store takes `msgspec.Raw` field values), a replicated batch keeps
    its user fields raw: the store writes them as sent, without decoding and re-encoding."""
    max_doc = settings_of(request)[1]
    raw = await read_body(request)
    if not raw.strip():
        raise BadRequest("Request body must be a JSON object.")
    if len(raw) <= max_doc:
        if raw_values and (docs := _raw_values(raw)) is not None:
            return docs, False, True  # type: ignore[return-value]
        small = decode(raw, SmallBulkDocsBody)
        return [_prepare(doc, small.new_edits) for doc in small.docs], small.new_edits, False
    body = decode(raw, BulkDocsBody)
    return ([_prepare_raw(doc, max_doc, body.new_edits) for doc in body.docs], body.new_edits,
            False)


@post("/{db:str}/_bulk_docs", status_code=201)
async def bulk_docs(request: Req, db: FromPath[str]) -> Response[bytes]:
    """Each bad entry fails alone; `new_edits=false` answers only the errors (as CouchDB)."""
    store = store_of(request)
    prepared, new_edits, checked = await _bulk_docs_body(
        request, RAW_VALUES in store.capabilities)
    local = check_batch(prepared, new_edits, members_checked=checked)
    if any(local):
        valid = [doc for doc, lo in zip(prepared, local, strict=True)
                 if not lo and not isinstance(doc, Rejected)]
    else:
        valid = [doc for doc in prepared if not isinstance(doc, Rejected)]
    written = iter(await store.bulk_docs(db, valid, new_edits=new_edits))
    results: list[Rejected | WriteResult] = [
        entry if isinstance(entry, Rejected)
        else await write_local(store, db, entry) if lo  # type: ignore[arg-type]
        else next(written) for entry, lo in zip(prepared, local, strict=True)
    ]
    if not new_edits:
        results = [entry for entry in results if entry.error]
    return json_response(results, 201)


@post("/{db:str}/_bulk_get")
async def bulk_get(request: Req, db: FromPath[str]) -> Response[bytes]:
    """Uses the store's optional `bulk_get_json` (pre-encoded answer) when it has one."""
    body = await read_json(request, BulkGetBody)
    store = store_of(request)
    asks = [msgspec.to_builtins(entry) for entry in body.docs]
    flags = {name: bool_param(request, name) for name in ("revs", "latest", "attachments")}
    fast = getattr(store, "bulk_get_json", None)
    if fast is not None:
        return Response(
            content=await fast(db, asks, **flags), status_code=200, media_type=JSON_TYPE
        )
    return json_response({"results": await store.bulk_get(db, asks, **flags)})


@post("/{db:str}/_revs_diff")
async def revs_diff(request: Req, db: FromPath[str]) -> Response[bytes]:
    body = await read_json(request, dict[str, list[str]])
    return json_response(await store_of(request).revs_diff(db, body))


def _key(request: Req, *names: str) -> str | None:
    for name in names:
        value = json_param(request, name)
        if value is not None:
            if not isinstance(value, str):
                raise BadRequest(f"{name} must be a JSON string (document ids are strings).")
            return value
    return None


_KEYS_CONFLICT = "`keys` is incompatible with `key`, `start_key` and `end_key`"


async def _all_docs(request: Req, db: str, keys: list[str] | None) -> Response[bytes]:
    key = _key(request, "key")
    if keys is None:
        query_keys = json_param(request, "keys")
        if query_keys is not None:
            if not isinstance(query_keys, list) or not all(isinstance(k, str) for k in query_keys):
                raise BadRequest("keys must be a JSON array of strings.")
            keys = query_keys
    startkey = key if key is not None else _key(request, "startkey", "start_key")
    endkey = key if key is not None else _key(request, "endkey", "end_key")
    if keys is not None and (startkey is not None or endkey is not None) and keys != [key]:
        raise BadRequest(_KEYS_CONFLICT, error="query_parse_error")
    store = store_of(request)
    include_docs = bool_param(request, "include_docs")
    answer = await store.all_docs(
        db,
        keys=keys,
        startkey=None if keys is not None else startkey,
        endkey=None if keys is not None else endkey,
        inclusive_end=bool_param(request, "inclusive_end", True),
        include_docs=include_docs,
        conflicts=bool_param(request, "conflicts"),
        descending=bool_param(request, "descending"),
        limit=int_param(request, "limit"),
        skip=int_param(request, "skip", 0) or 0,
    )
    if include_docs and bool_param(request, "attachments"):
        docs = [row["doc"] for row in answer["rows"] if isinstance(row.get("doc"), dict)]
        await inline_attachments(store, db, docs)
    if bool_param(request, "update_seq"):
        answer = {**answer, "update_seq": (await store.db_info(db)).update_seq}
    return json_response(answer)


@get("/{db:str}/_all_docs")
async def all_docs_get(request: Req, db: FromPath[str]) -> Response[bytes]:
    return await _all_docs(request, db, None)


@post("/{db:str}/_all_docs")
async def all_docs_post(request: Req, db: FromPath[str]) -> Response[bytes]:
    body = await read_json(request, AllDocsBody)
    return await _all_docs(request, db, body.keys)


BULK_HANDLERS = [bulk_docs, bulk_get, revs_diff, all_docs_get, all_docs_post]
