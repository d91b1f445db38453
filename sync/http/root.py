"""`GET /db/` (welcome with the store's stable uuid) and `GET /db/_all_dbs`."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from .wire import json_response, store_of

__all__ = ["all_dbs", "welcome"]

#: The CouchDB API level we answer like; PouchDB only needs `uuid`.
COUCHDB_VERSION = "3.3.3"


@get("/")
async def welcome(request: Request[Any, Any, Any]) -> Response[bytes]:
    uuid = await store_of(request).server_uuid()
    return json_response(
        {
            "couchdb": "Welcome",
            "version": COUCHDB_VERSION,
            "uuid": uuid,
            "vendor": {"name": "thidua"},
            "features": [],
        }
    )


@get("/_all_dbs")
async def all_dbs(request: Request[Any, Any, Any]) -> Response[bytes]:
    """All database names, narrowed by the app's `state.db_filter(user, names)` when set."""
    names = await store_of(request).list_dbs()
    db_filter = getattr(request.app.state, "db_filter", None)
    if db_filter is not None:
        names = db_filter(request.scope.get("user"), names)
    return json_response(names)
