"""`_bulk_docs` as CouchDB 3.5 reads a batch: whole-request refusals and `_local/` entries.

CouchDB parses every document before writing any: an illegal id (`_invalid`), an unknown
special member (`_zing`) or a replicated document without a revision fails the whole request
with 400. Refusals of the gatekeeper (`forbidden`) and conflicts stay per document.
`_local/` entries are written (or, with `_deleted`, deleted) as local documents.
"""

from __future__ import annotations

from typing import Any

from ..docrules import LOCAL_PREFIX, docid_error, member_error
from ..errors import BadRequest, NotFound
from ..store import DocumentStore, WriteResult, decoded

__all__ = ["LOCAL_ATTACHMENTS", "check_batch", "local_body", "write_local"]

LOCAL_ATTACHMENTS = "_local documents do not accept attachments."
_NO_REV = "When `new_edits: false`, the document needs `_rev` or `_revisions` specified"


def check_batch(docs: list[Any], new_edits: bool, members_checked: bool = False) -> list[bool]:
    """Raise the 400 CouchDB answers for the whole batch, if an entry calls for one; else
    which entries are `_local/` documents.

    `members_checked`: the caller already refused unknown `_` members (the replicated
    raw-values path does while it decodes them), so only ids and revs are looked at here."""
    local = [False] * len(docs)
    for index, doc in enumerate(docs):
        if type(doc) is not dict:
            continue  # refused alone (bad_request), as before
        doc_id = doc.get("_id")
        if doc_id is not None and (type(doc_id) is not str or doc_id[:1] == "_"):
            if reason := docid_error(doc_id):
                raise BadRequest(reason, error="illegal_docid")
            local[index] = doc_id.startswith(LOCAL_PREFIX)
        if not members_checked and (reason := member_error(doc)):
            raise BadRequest(reason, error="doc_validation")
        if not new_edits and "_rev" not in doc and "_revisions" not in doc \
                and not local[index]:
            raise BadRequest(_NO_REV)
    return local


def local_body(doc: dict[str, Any]) -> dict[str, Any]:
    """What a local document stores: no `_revisions`; attachments are refused."""
    if "_attachments" in doc:
        raise BadRequest(LOCAL_ATTACHMENTS)
    return {k: v for k, v in doc.items() if k != "_revisions"}


async def write_local(store: DocumentStore, db: str, doc: dict[str, Any]) -> WriteResult:
    """One `_local/` entry of a batch; its refusal is its own error entry."""
    doc_id: str = doc["_id"]
    lid = doc_id[len(LOCAL_PREFIX):]
    try:
        if doc.get("_deleted") is True:
            return await store.delete_local(db, lid)
        return await store.put_local(db, lid, local_body(decoded(doc)))
    except NotFound:
        if doc.get("_deleted") is True:
            return WriteResult(id=doc_id, error="not_found", reason="missing")
        raise
    except BadRequest as exc:
        return WriteResult(id=doc_id, error=exc.error, reason=exc.reason)
