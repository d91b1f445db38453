"""Document routes `GET|PUT|DELETE /db/{db}/{docid}[/{attachment}]`.

One catch-all route per method; `params.doc_path` splits the raw path, so `_design/x`,
`a%2Fb` and attachment names with slashes all land on the right document.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, head, put
from litestar.params import FromPath

from ..errors import BadRequest, Conflict, TooLarge, error_for
from ..store import WriteResult
from . import attachments
from .design import check_view
from .params import bool_param, doc_path, json_param, rev_param
from .wire import decode, json_response, read_body, settings_of, store_of, written

__all__ = ["DOCUMENT_HANDLERS"]

Req = Request[Any, Any, Any]


def _open_revs(request: Req) -> list[str] | str | None:
    raw = request.query_params.get("open_revs")
    if raw is None:
        return None
    if raw == "all":
        return "all"
    value = json_param(request, "open_revs")
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise BadRequest("open_revs must be `all` or a JSON array of revs.")
    return value


@get("/{db:str}/{rest:path}")
async def get_doc(request: Req, db: FromPath[str], rest: FromPath[str]) -> Response[bytes]:
    path = doc_path(request)
    if path.attachment is not None:
        if path.doc_id.startswith("_design/") and path.attachment.startswith("_"):
            return await check_view(request, path.db, path.doc_id[8:], path.attachment)
        return await attachments.get_attachment(request, path)
    store = store_of(request)
    revs = bool_param(request, "revs")
    latest = bool_param(request, "latest")
    with_atts = bool_param(request, "attachments")
    open_revs = _open_revs(request)
    if open_revs is not None:
        found = await store.get_open_revs(
            path.db, path.doc_id, open_revs, revs=revs, latest=latest, attachments=with_atts
        )
        return json_response(found)
    doc = await store.get(
        path.db,
        path.doc_id,
        rev=request.query_params.get("rev") or None,
        revs=revs,
        conflicts=bool_param(request, "conflicts"),
        deleted_conflicts=bool_param(request, "deleted_conflicts"),
        revs_info=bool_param(request, "revs_info"),
        latest=latest,
        attachments=with_atts,
    )
    return json_response(doc, headers={"ETag": f'"{doc.get("_rev", "")}"'})


@head("/{db:str}/{rest:path}")
async def head_doc(request: Req, db: FromPath[str], rest: FromPath[str]) -> Response[None]:
    """Existence and current rev (`ETag`), as pycouchdb's delete-by-id asks for it."""
    path = doc_path(request)
    store = store_of(request)
    if path.attachment is not None:
        att = await store.get_attachment(
            path.db, path.doc_id, path.attachment, rev=request.query_params.get("rev") or None
        )
        return Response(None, media_type=att.content_type, headers={"ETag": f'"{att.digest}"'})
    doc = await store.get(path.db, path.doc_id, rev=request.query_params.get("rev") or None)
    return Response(None, media_type="application/json", headers={"ETag": f'"{doc["_rev"]}"'})


@put("/{db:str}/{rest:path}", status_code=201)
async def put_doc(request: Req, db: FromPath[str], rest: FromPath[str]) -> Response[bytes]:
    path = doc_path(request)
    if path.attachment is not None:
        return await attachments.put_attachment(request, path)
    body = await read_body(request)
    if len(body) > settings_of(request)[1]:
        raise TooLarge("Document exceeds the maximum document size.")
    doc = decode(body, dict[str, Any], "document")
    doc["_id"] = path.doc_id
    rev = rev_param(request, doc.get("_rev"))
    if rev:
        doc["_rev"] = rev
    store = store_of(request)
    if bool_param(request, "new_edits", True):
        return written(await store.put(path.db, doc))
    [result] = await store.bulk_docs(path.db, [doc], new_edits=False)
    if result.error:
        raise error_for(result.error, result.reason)
    return written(WriteResult(id=path.doc_id, rev=result.rev or doc.get("_rev"), ok=True))


@delete("/{db:str}/{rest:path}", status_code=200)
async def delete_doc(request: Req, db: FromPath[str], rest: FromPath[str]) -> Response[bytes]:
    path = doc_path(request)
    if path.attachment is not None:
        return await attachments.delete_attachment(request, path)
    rev = rev_param(request)
    if not rev:
        raise Conflict("Document update conflict.")
    tombstone = {"_id": path.doc_id, "_rev": rev, "_deleted": True}
    return written(await store_of(request).put(path.db, tombstone), 200)


DOCUMENT_HANDLERS = [get_doc, head_doc, put_doc, delete_doc]
