"""`attachments=true` on listings (`_all_docs`, `_changes`): attachment data inline (base64),
as CouchDB answers, instead of stubs. Only documents that have attachments are read again."""

from __future__ import annotations

import asyncio
from typing import Any

from ..store import DocumentStore

__all__ = ["inline_attachments"]


async def inline_attachments(store: DocumentStore, db: str, docs: list[dict[str, Any]]) -> None:
    """Replace the attachment stubs of `docs` (in place) with their data."""
    with_atts = [doc for doc in docs if doc.get("_attachments")]
    full = await asyncio.gather(*(
        store.get(db, doc["_id"], rev=doc["_rev"], attachments=True) for doc in with_atts))
    for doc, found in zip(with_atts, full, strict=True):
        doc["_attachments"] = found["_attachments"]
