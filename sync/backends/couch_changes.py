"""`_changes` on CouchDB: one request, then what the server cannot be asked for.

Selectors run here with the embedded store's selector engine (`sync.selector`), over rows
fetched with their docs, so both backends filter alike (pouchdb-server crashes on
`filter=_selector`). Against pouchdb-server (`quirks`) `pending` is counted with a second
request and `style=all_docs` rows get the winning rev first, as CouchDB sends them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import BadRequest
from ..selector import compile_selector
from ..store import ChangeRow, ChangesPage
from .couch_http import CouchClient
from .couch_revs import check_since

__all__ = ["ChangesRequest", "changes_request", "fetch_changes", "fetch_changes_json"]


@dataclasses.dataclass(frozen=True, slots=True)
class ChangesRequest:
    since: str = "0"
    limit: int | None = None
    style: str = "main_only"
    include_docs: bool = False
    conflicts: bool = False
    doc_ids: list[str] | None = None
    predicate: Callable[[dict[str, Any]], bool] | None = None
    descending: bool = False
    quirks: bool = False


def changes_request(
    quirks: bool, *, since: Any = 0, limit: int | None = None, style: str = "main_only",
    include_docs: bool = False, conflicts: bool = False, doc_ids: Sequence[str] | None = None,
    selector: Mapping[str, Any] | None = None, descending: bool = False,
) -> ChangesRequest:
    """`DocumentStore.changes`' options checked and made a request. :raises BadRequest:"""
    if style not in ("main_only", "all_docs"):
        raise BadRequest(f"Invalid style {style!r}: expected main_only or all_docs.")
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise BadRequest(f"Invalid limit {limit!r}: expected a non-negative integer.")
    return ChangesRequest(
        since=check_since(since), limit=max(limit, 1) if limit is not None else None,
        style=style, include_docs=include_docs, conflicts=conflicts,
        doc_ids=list(doc_ids) if doc_ids is not None else None,
        predicate=compile_selector(selector) if selector is not None else None,
        descending=descending, quirks=quirks)


def _row(entry: Mapping[str, Any]) -> ChangeRow:
    return ChangeRow(seq=entry["seq"], id=entry["id"], changes=list(entry["changes"]),
                     deleted=bool(entry.get("deleted")), doc=entry.get("doc"))


async def _request(client: CouchClient, path: str, req: ChangesRequest,
                   raw: bool = False) -> Any:
    """CouchDB's answer, parsed (or its bytes with `raw`)."""
    need_docs = req.include_docs or req.predicate is not None
    params: dict[str, Any] = {
        "since": req.since, "style": req.style, "include_docs": need_docs or None,
        "conflicts": (req.conflicts and req.include_docs) or None,
        "descending": req.descending or None,
        "limit": req.limit if req.predicate is None else None,
    }
    accept = "application/json" if raw else None
    if req.doc_ids is None:
        return await client.call("GET", path, "_changes", params=params, raw=raw, accept=accept)
    params["filter"] = "_doc_ids"
    return await client.call("POST", path, "_changes", params=params, raw=raw, accept=accept,
                             body={"doc_ids": req.doc_ids})


async def fetch_changes_json(client: CouchClient, path: str, req: ChangesRequest) -> bytes | None:
    """CouchDB's own `_changes` answer, undecoded, when it needs nothing done here (no
    selector, CouchDB rather than pouchdb-server); else None. :raises NotFound:"""
    if req.predicate is not None or req.quirks:
        return None
    data: bytes = await _request(client, path, req, raw=True)
    return data


async def fetch_changes(client: CouchClient, path: str, req: ChangesRequest) -> ChangesPage:
    """One page of `_changes` for the database at URL part `path`. :raises NotFound:"""
    answer = dict(await _request(client, path, req))
    rows = [_row(entry) for entry in answer["results"]]
    last_seq = answer["last_seq"]
    pending = answer.get("pending")
    if req.predicate is not None:
        predicate = req.predicate
        rows = [row for row in rows if row.doc is not None and predicate(row.doc)]
        pending = 0
        if req.limit is not None and len(rows) > req.limit:
            pending, rows = len(rows) - req.limit, rows[:req.limit]
            last_seq = rows[-1].seq
    elif not isinstance(pending, int):
        pending = 0
        if req.limit is not None and rows and len(rows) >= req.limit and not req.descending:
            rest = dict(await _request(client, path, dataclasses.replace(
                req, since=str(last_seq), limit=None, include_docs=False, style="main_only")))
            pending = len(rest["results"])
    if req.quirks and req.style == "all_docs":
        await _winner_first(client, path, rows)
    if not req.include_docs:
        for row in rows:
            row.doc = None
    return ChangesPage(results=rows, last_seq=last_seq, pending=pending)


async def _winner_first(client: CouchClient, path: str, rows: list[ChangeRow]) -> None:
    """Put each conflicted row's winning rev first (pouchdb-server sorts them by rev)."""
    multi = [row for row in rows if len(row.changes) > 1]
    winners = {row.id: row.doc["_rev"] for row in multi if row.doc is not None}
    unknown = [row.id for row in multi if row.id not in winners]
    if unknown:
        answer = await client.call("POST", path, "_all_docs", body={"keys": unknown})
        winners.update({r["id"]: r["value"]["rev"] for r in answer["rows"] if "value" in r})
    for row in multi:
        winner = winners.get(row.id)
        row.changes.sort(key=lambda change: change["rev"] != winner)
