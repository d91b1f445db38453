"""Database names with `/` (CouchDB allows them; clients send them as `%2F`).

ASGI servers decode `%2F` in `scope["path"]`, so `/db/a%2Fb/doc` would route as database `a`.
`keep_db_slashes` (wrapped around the app's ASGI handler, before routing) puts the encoded
database segment back into the path, so routing sees one segment; the router's
`before_request` hook `decode_db_param` then decodes the `db` path parameter.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from litestar import Request
from litestar.types import ASGIApp, Receive, Scope, Send

__all__ = ["decode_db_param", "keep_db_slashes"]

_MOUNT = "/db/"


def keep_db_slashes(app: ASGIApp) -> ASGIApp:
    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if raw and b"%2f" in raw.lower():
            path = raw.decode("latin-1").split("?", 1)[0]
            index = path.find(_MOUNT)
            segment, sep, rest = path[index + len(_MOUNT):].partition("/")
            if index >= 0 and "%2f" in segment.lower():
                prefix = unquote(path[:index])
                scope["path"] = f"{prefix}{_MOUNT}{segment}{sep}{unquote(rest)}"
        await app(scope, receive, send)

    return handler


async def decode_db_param(request: Request[Any, Any, Any]) -> None:
    """Router hook: `a%2Fb` -> `a/b` in the `db` path parameter."""
    params = request.scope["path_params"]
    db = params.get("db")
    if isinstance(db, str) and "%" in db:
        params["db"] = unquote(db)
