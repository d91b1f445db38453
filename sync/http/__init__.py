"""The CouchDB HTTP API under `/db/`, as Litestar handlers over the `DocumentStore`.

`couch_router()` is mounted by `server.app`; the store is `request.app.state.store`, limits
come from `request.app.state.settings` (`max_request_size`, `max_document_size`).
`EXCEPTION_HANDLERS` can also be installed app-wide so that routing errors (404/405 outside
the router's routes) answer CouchDB JSON too. `keep_db_slashes` wraps the app's ASGI handler so
that database names with `/` (sent as `%2F`) route as one segment.
"""

from __future__ import annotations

from litestar import Router

from .bulk import BULK_HANDLERS
from .changes import CHANGES_HANDLERS
from .databases import DATABASE_HANDLERS
from .dbpath import decode_db_param, keep_db_slashes
from .design import DESIGN_HANDLERS
from .documents import DOCUMENT_HANDLERS
from .errors import EXCEPTION_HANDLERS
from .local import LOCAL_HANDLERS
from .openapi import describe
from .root import all_dbs, welcome

__all__ = ["EXCEPTION_HANDLERS", "couch_router", "keep_db_slashes"]


HANDLERS = [
    welcome,
    all_dbs,
    *DATABASE_HANDLERS,
    *LOCAL_HANDLERS,
    *CHANGES_HANDLERS,
    *BULK_HANDLERS,
    *DESIGN_HANDLERS,
    *DOCUMENT_HANDLERS,
]
for _handler in HANDLERS:
    describe(_handler)  # in the OpenAPI schema with their query parameters and bodies


def couch_router() -> Router:
    """A fresh router at `/db` (Litestar routers must not be shared between apps)."""
    return Router(
        "/db",
        route_handlers=HANDLERS,
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=decode_db_param,
        # Bodies are streamed and capped by `wire.read_body` with the configured limits.
        request_max_body_size=None,
        tags=["replication"],
    )
