"""OpenAPI descriptions of the CouchDB routes, so that schema-driven fuzzers reach them.

The handlers read raw bodies and query strings with CouchDB's conventions, so Litestar cannot
infer their inputs. `describe(handler)` gives a handler an `Operation` class that adds the
query parameters the route reads and its JSON request body, and declares every answer as
JSON (any shape: CouchDB's documents are free-form).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)

__all__ = ["describe"]

_BOOL = Schema(type=OpenAPIType.STRING, enum=["true", "false"])
_INT = Schema(type=OpenAPIType.INTEGER, minimum=0)
_TEXT = Schema(type=OpenAPIType.STRING)
_OBJECT = Schema(type=OpenAPIType.OBJECT)
_STRINGS = Schema(type=OpenAPIType.ARRAY, items=_TEXT)
#: CouchDB's database names.
_DB_NAME = Schema(type=OpenAPIType.STRING, pattern=r"^[a-z][a-z0-9_$()+/-]*$")

_PARAMS: dict[str, Schema] = {
    "since": _TEXT,
    "limit": _INT,
    "skip": _INT,
    "style": Schema(type=OpenAPIType.STRING, enum=["main_only", "all_docs"]),
    "filter": Schema(type=OpenAPIType.STRING, enum=["_doc_ids", "_selector"]),
    "doc_ids": _TEXT,
    "heartbeat": _INT,
    "key": _TEXT,
    "keys": _TEXT,
    "startkey": _TEXT,
    "endkey": _TEXT,
    "rev": _TEXT,
    "open_revs": _TEXT,
    **{
        name: _BOOL
        for name in (
            "include_docs",
            "conflicts",
            "descending",
            "inclusive_end",
            "revs",
            "latest",
            "attachments",
            "deleted_conflicts",
            "revs_info",
            "new_edits",
        )
    },
}

_BODIES: dict[str, Schema] = {
    "bulk_docs": Schema(
        type=OpenAPIType.OBJECT,
        properties={
            "docs": Schema(type=OpenAPIType.ARRAY, items=_OBJECT),
            "new_edits": Schema(type=OpenAPIType.BOOLEAN),
        },
        required=["docs"],
    ),
    "bulk_get": Schema(
        type=OpenAPIType.OBJECT,
        properties={
            "docs": Schema(
                type=OpenAPIType.ARRAY,
                items=Schema(
                    type=OpenAPIType.OBJECT,
                    properties={"id": _TEXT, "rev": _TEXT, "atts_since": _STRINGS},
                ),
            )
        },
        required=["docs"],
    ),
    "revs_diff": Schema(type=OpenAPIType.OBJECT, additional_properties=_STRINGS),
    "all_docs_post": Schema(type=OpenAPIType.OBJECT, properties={"keys": _STRINGS}),
    "changes_post": Schema(
        type=OpenAPIType.OBJECT, properties={"doc_ids": _STRINGS, "selector": _OBJECT}
    ),
    "put_doc": _OBJECT,
    "put_local": _OBJECT,
    "create_doc": _OBJECT,
}

#: handler function name -> the query parameters it reads.
_QUERY: dict[str, tuple[str, ...]] = {
    "changes_get": (
        "since", "limit", "style", "include_docs", "conflicts", "descending", "filter",
        "doc_ids", "heartbeat",
    ),
    "changes_post": ("since", "limit", "style", "include_docs", "filter"),
    "all_docs_get": (
        "key", "keys", "startkey", "endkey", "inclusive_end", "include_docs", "conflicts",
        "descending", "limit", "skip",
    ),
    "all_docs_post": ("include_docs", "limit", "skip", "descending"),
    "bulk_get": ("revs", "latest", "attachments"),
    "get_doc": (
        "rev", "revs", "open_revs", "latest", "attachments", "conflicts", "deleted_conflicts",
        "revs_info",
    ),
    "head_doc": ("rev",),
    "put_doc": ("rev", "new_edits"),
    "delete_doc": ("rev",),
}  # fmt: skip

_ANY_JSON = {"application/json": OpenAPIMediaType(schema=Schema())}


def describe(handler: HTTPRouteHandler) -> None:
    """Give `handler` an `Operation` class with its query parameters, body and answers."""
    name = handler.handler_name
    query = [
        Parameter(name=param, param_in="query", schema=_PARAMS[param])
        for param in _QUERY.get(name, ())
    ]
    body = _BODIES.get(name)
    head = "HEAD" in handler.http_methods
    any_type = name == "get_doc"  # attachments answer their own content type

    @dataclass
    class CouchOperation(Operation):
        def __post_init__(self) -> None:
            for param in self.parameters or []:
                if isinstance(param, Parameter) and param.name == "db":
                    param.schema = _DB_NAME
            self.parameters = [*(self.parameters or []), *query] or None
            if body is not None:
                self.request_body = RequestBody(
                    content={"application/json": OpenAPIMediaType(schema=body)}, required=True)
            content: dict[str, Any] | None = None if head else dict(_ANY_JSON)
            if content is not None and any_type:
                content["*/*"] = OpenAPIMediaType(schema=Schema())
            self.responses = {
                status: OpenAPIResponse(description=response.description, content=content)
                for status, response in (self.responses or {}).items()
                if isinstance(response, OpenAPIResponse)
            }

    handler.operation_class = CouchOperation
