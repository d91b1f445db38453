"""`_bulk_docs` on CouchDB with the interface's promise: one `WriteResult` per input doc.

Each doc is first checked with the embedded store's rules (`docinput.prepare`); only valid
ones are sent. CouchDB answers only the errors of a `new_edits: false` batch (the rest are
`ok`), and refuses a whole batch for some bad entries (`missing_stub`, too large a request):
such a batch is retried doc by doc so the error lands on its own entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import BadRequest, Conflict, NotFound, PreconditionFailed, StoreUnavailable, TooLarge
from ..store import Doc, WriteResult
from .couch_http import CouchClient, doc_path
from .docinput import Incoming, prepare

__all__ = ["write_bulk"]

#: Whole-batch refusals that may come from one entry: retried doc by doc.
_SPLITTABLE = (BadRequest, Conflict, PreconditionFailed, TooLarge)


async def write_bulk(
    client: CouchClient,
    path: str,
    docs: Sequence[Doc],
    *,
    new_edits: bool,
    max_size: int,
    fill_stubs: bool = False,
    prepared: Sequence[Incoming | WriteResult] | None = None,
) -> list[WriteResult]:
    """Write `docs` to the database at URL part `path`. :raises NotFound: no such database.

    `fill_stubs`: copy each interactive stub's digest from the parent revision first
    (pouchdb-server finds stubs by digest only). `prepared`: each doc's `prepare` result,
    when the caller has it (not checked twice).
    """
    results: list[WriteResult | None] = [None] * len(docs)
    send: list[tuple[int, Doc]] = []
    for index, doc in enumerate(docs):
        item = prepare(doc, new_edits=new_edits, max_size=max_size) if prepared is None \
            else prepared[index]
        if isinstance(item, WriteResult):
            results[index] = item
        elif new_edits and item.rev is None and any(a.data is None for a in item.atts or ()):
            results[index] = WriteResult(id=item.doc_id, error="missing_stub",
                                         reason="A new document cannot have attachment stubs.")
        else:
            out = {**doc, "_id": item.doc_id}
            if item.atts:  # the embedded store's default content type
                out["_attachments"] = {
                    name: {"content_type": "application/octet-stream", **spec}
                    if not spec.get("stub") else spec
                    for name, spec in doc["_attachments"].items()}
                if fill_stubs and new_edits and item.rev:
                    out["_attachments"] = await _filled_stubs(client, path, out)
            send.append((index, out))
    if not send:
        await client.call("GET", path)  # a missing database is still NotFound
    else:
        written = await _post(client, path, [doc for _, doc in send], new_edits)
        for (index, _), result in zip(send, written, strict=True):
            results[index] = result
    return [r for r in results if r is not None]


async def _filled_stubs(client: CouchClient, path: str, doc: Doc) -> dict[str, Any]:
    atts: dict[str, Any] = doc["_attachments"]
    if all(spec.get("digest") or not spec.get("stub") for spec in atts.values()):
        return atts
    try:
        parent = await client.call("GET", path, doc_path(doc["_id"]), params={"rev": doc["_rev"]})
    except NotFound:
        return atts  # the server answers the conflict or missing stub
    known = parent.get("_attachments") or {}
    return {name: {**known[name], "stub": True}
            if spec.get("stub") and not spec.get("digest") and name in known else spec
            for name, spec in atts.items()}


async def _post(client: CouchClient, path: str, docs: list[Doc], new_edits: bool) -> list[WriteResult]:
    try:
        body: dict[str, Any] = {"docs": docs, "new_edits": new_edits}
        if client.write_copies:
            body["w"] = client.write_copies
        answer = await client.call("POST", path, "_bulk_docs", body=body)
    except _SPLITTABLE as exc:
        if len(docs) == 1:
            return [WriteResult(id=docs[0]["_id"], error=exc.error, reason=exc.reason)]
        return [result for doc in docs for result in await _post(client, path, [doc], new_edits)]
    if not isinstance(answer, list):
        raise StoreUnavailable(f"_bulk_docs answered {type(answer).__name__}, not a list.")
    if new_edits:
        if len(answer) != len(docs):
            raise StoreUnavailable(f"_bulk_docs answered {len(answer)} entries for {len(docs)}.")
        return [_result(entry, doc) for entry, doc in zip(answer, docs, strict=True)]
    return _replicated(answer, docs)


def _result(entry: Mapping[str, Any], doc: Doc) -> WriteResult:
    found = entry.get("id")
    doc_id: str = found if isinstance(found, str) else doc["_id"]
    if entry.get("error"):
        return WriteResult(id=doc_id, error=str(entry["error"]),
                           reason=str(entry.get("reason") or entry["error"]))
    return WriteResult(id=doc_id, rev=entry.get("rev"), ok=True)


def _replicated(errors: list[Any], docs: list[Doc]) -> list[WriteResult]:
    """Errors matched to their doc by (id, rev), then id; every other doc is ok."""
    by_rev: dict[tuple[Any, Any], Mapping[str, Any]] = {}
    by_id: dict[Any, Mapping[str, Any]] = {}
    for entry in errors:
        if isinstance(entry, Mapping) and entry.get("error"):
            by_rev.setdefault((entry.get("id"), entry.get("rev")), entry)
            by_id.setdefault(entry.get("id"), entry)
    results = []
    for doc in docs:
        entry = by_rev.get((doc["_id"], doc["_rev"])) or by_id.get(doc["_id"])
        results.append(_result(entry, doc) if entry else
                       WriteResult(id=doc["_id"], rev=doc["_rev"], ok=True))
    return results

