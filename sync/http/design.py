"""Design documents without JavaScript: answer what CouchDB 3.5 would, without running code.

thidua runs no JavaScript (map/reduce views, `_changes` filter functions, `validate_doc_update`
are out of scope). A function the design document does not define is a 404 `not_found` with
CouchDB's reason; one it defines is a 501 `not_implemented` naming what to use instead.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.exceptions import MethodNotAllowedException
from litestar.params import FromPath

from ..errors import BadRequest, NotFound, NotImplementedHere
from ..store import DocumentStore
from .wire import store_of

__all__ = ["DESIGN_HANDLERS", "check_filter", "check_view", "design_function"]

Req = Request[Any, Any, Any]
_INSTEAD = {
    "filters": "use filter=_doc_ids or filter=_selector on _changes",
    "views": "use _all_docs (keys, startkey/endkey) or _changes with filter=_selector",
}
_MISSING = {"filters": "missing json key: {}", "views": "missing_named_view"}


async def design_function(store: DocumentStore, db: str, ddoc: str, kind: str, name: str) -> None:
    """Raise CouchDB's 404 for a missing design doc or function, else 501 (never runs it)."""
    try:
        doc = await store.get(db, f"_design/{ddoc}")
    except NotFound:
        raise NotFound("missing") from None
    functions = doc.get(kind)
    if not isinstance(functions, dict) or name not in functions:
        raise NotFound(_MISSING[kind].format(name))
    raise NotImplementedHere(
        f"thidua does not run JavaScript (_design/{ddoc} {kind[:-1]} {name!r}): {_INSTEAD[kind]}.")


async def check_filter(store: DocumentStore, db: str, request: Req) -> None:
    """`_changes?filter=ddoc/name` (or `_view` with `view=ddoc/name`): 400, 404 or 501."""
    name = request.query_params.get("filter") or ""
    kind = "filters"
    if name == "_view":
        name, kind = request.query_params.get("view") or "", "views"
        if "/" not in name:
            raise BadRequest("`view` filter parameter is not provided.")
    ddoc, _, function = name.partition("/")
    if not ddoc or not function:
        raise BadRequest("`filter` must be of the form `designname/filtername`")
    await design_function(store, db, ddoc, kind, function)


async def check_view(request: Req, db: str, ddoc: str, rest: str) -> Response[bytes]:
    """`_design/{ddoc}/_view/{view}` (GET or POST): 404 or 501."""
    kind, _, name = rest.partition("/")
    if kind != "_view" or not name or "/" in name:
        raise NotFound("missing")
    await design_function(store_of(request), db, ddoc, "views", name)
    raise AssertionError("unreachable")  # design_function always raises


@post("/{db:str}/{rest:path}")
async def post_under_db(request: Req, db: FromPath[str], rest: FromPath[str]) -> Response[bytes]:
    """`POST _design/{ddoc}/_view/{view}` (a view query with `keys`): 404 or 501; any other
    `POST /{db}/{path}` that no route takes is 405, as CouchDB answers for documents."""
    rest = rest.lstrip("/")
    ddoc, _, rest_of = rest.removeprefix("_design/").partition("/")
    if rest.startswith("_design/") and rest_of.startswith("_view/"):
        return await check_view(request, db, ddoc, rest_of)
    raise MethodNotAllowedException("Only DELETE,GET,HEAD,PUT allowed")


DESIGN_HANDLERS = [post_under_db]
