"""`_local/` documents of the SQL store: stored verbatim, rev `0-N`, never replicated.

As in CouchDB there is no MVCC check: the new rev is the given `_rev`'s number plus one.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import Connection

from ..errors import BadRequest, NotFound
from ..store import WriteResult
from .sql_raw import rows, run

__all__ = ["delete_local", "get_local", "put_local"]

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(dict[str, Any]).decode


def _check_id(local_id: str) -> str:
    if not isinstance(local_id, str) or not local_id:
        raise BadRequest("A local document id must be a non-empty string.")
    return local_id


def _next_rev(rev: Any) -> int:
    if rev is None:
        return 1
    prefix, _, number = rev.partition("-") if isinstance(rev, str) else ("", "", "")
    if prefix != "0" or not number.isascii() or not number.isdigit():
        raise BadRequest(f"Invalid rev format for a local document: {rev!r}")
    return int(number) + 1


def get_local(conn: Connection, db_id: int, local_id: str) -> dict[str, Any]:
    found = rows(conn, "SELECT rev, body FROM sync_local_docs WHERE db_id = ? AND local_id = ?",
                 (db_id, _check_id(local_id)))
    if not found:
        raise NotFound("missing")
    rev, body = found[0]
    return {"_id": f"_local/{local_id}", "_rev": f"0-{rev}", **_decode(body)}


def put_local(conn: Connection, db_id: int, local_id: str, doc: Any) -> WriteResult:
    if not isinstance(doc, dict):
        raise BadRequest("Document must be a JSON object.")
    rev = _next_rev(doc.get("_rev"))
    body = _encode({k: v for k, v in doc.items() if k not in ("_id", "_rev")})
    key = (db_id, _check_id(local_id))
    if not run(conn, "UPDATE sync_local_docs SET rev = ?, body = ? WHERE db_id = ? AND "
                     "local_id = ?", (rev, body, *key)):
        run(conn, "INSERT INTO sync_local_docs (rev, body, db_id, local_id) VALUES (?, ?, ?, ?)",
            (rev, body, *key))
    return WriteResult(id=f"_local/{local_id}", rev=f"0-{rev}", ok=True)


def delete_local(conn: Connection, db_id: int, local_id: str) -> WriteResult:
    if not run(conn, "DELETE FROM sync_local_docs WHERE db_id = ? AND local_id = ?",
               (db_id, _check_id(local_id))):
        raise NotFound("missing")
    return WriteResult(id=f"_local/{local_id}", rev="0-0", ok=True)
