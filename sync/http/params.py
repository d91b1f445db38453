"""Query-string and path parsing with CouchDB's conventions.

CouchDB query values are JSON where a type is expected (`open_revs=["1-a"]`, `keys=[...]`,
`startkey="a"`), booleans are `true`/`false`, sequences are opaque. Ids come from the raw,
still percent-encoded path so that `a%2Fb` is the document `a/b`, not an attachment.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import msgspec
from litestar import Request

from ..errors import BadRequest
from ..store import Seq
from .wire import MAX_INT, decode

__all__ = [
    "DocPath",
    "bool_param",
    "bounded_int",
    "doc_path",
    "int_param",
    "json_param",
    "local_id",
    "rev_param",
    "seq_param",
]

Req = Request[Any, Any, Any]
_MOUNT = "/db/"


def bool_param(request: Req, name: str, default: bool = False) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw == "true":
        return True
    if raw == "false":
        return False
    raise BadRequest(f"Invalid boolean parameter {name}={raw!r}: expected true or false.")


def bounded_int(raw: str | int, name: str, minimum: int = 0) -> int:
    """A whole number in `minimum..MAX_INT` (what the stores' 64-bit columns hold)."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        text = str(raw).strip()
        if not text.lstrip("-").isdigit() or len(text) > 20:
            raise BadRequest(f"Invalid integer parameter {name}={_shown(raw)}.")
        raw = int(text)
    if not minimum <= raw <= MAX_INT:
        raise BadRequest(f"Parameter {name} must be between {minimum} and {MAX_INT}.")
    return raw


def _shown(raw: object) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


def int_param(request: Req, name: str, default: int | None = None, minimum: int = 0) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    return bounded_int(raw, name, minimum)


def json_param(request: Req, name: str, default: Any = None) -> Any:
    """A JSON-encoded query value (`keys`, `startkey`, `open_revs`, `doc_ids`)."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    return decode(raw, what=f"parameter {name}")


def seq_param(raw: str | int | None, default: Seq = 0) -> Seq:
    """An opaque `since`: `now`, an integer (at most 64-bit), or a backend's string token."""
    if raw is None or raw == "":
        return default
    if isinstance(raw, int) or raw.isdigit():
        return bounded_int(raw, "since")
    if raw.startswith('"') and raw.endswith('"') and len(raw) > 1:
        return raw[1:-1]
    return raw


def rev_param(request: Req, body_rev: object = None) -> str | None:
    """The target rev from `?rev=`, `If-Match` or the body; they must agree."""
    query_rev = request.query_params.get("rev")
    header = request.headers.get("if-match")
    header_rev = header.strip().strip('"') if header else None
    if body_rev is not None and not isinstance(body_rev, str):
        raise BadRequest("Invalid rev format: _rev must be a string.")
    found = {r for r in (query_rev, header_rev, body_rev) if r}
    if len(found) > 1:
        raise BadRequest("Document rev from request body and query string have different values")
    return found.pop() if found else None


def _raw_rest(request: Req) -> list[str]:
    """Percent-encoded path segments after `/db/`."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1").split("?", 1)[0] if raw else request.url.path
    root = request.scope.get("root_path") or ""
    if root and path.startswith(root):
        path = path[len(root) :]
    index = path.find(_MOUNT)
    if index < 0:
        raise BadRequest(f"Path {path!r} is not under {_MOUNT}.")
    return path[index + len(_MOUNT) :].split("/")


class DocPath(msgspec.Struct, frozen=True):
    db: str
    doc_id: str
    attachment: str | None = None


def doc_path(request: Req) -> DocPath:
    """`{db}/{id}[/{attachment}]`; `_design/x` keeps its slash; `%2F` stays inside a segment."""
    segments = _raw_rest(request)
    if len(segments) < 2 or not segments[1]:
        raise BadRequest("Missing document id.")
    db = unquote(segments[0])
    if segments[1] in ("_design", "_local") and len(segments) > 2:
        doc_id = f"{segments[1]}/{unquote(segments[2])}"
        rest = segments[3:]
    else:
        doc_id = unquote(segments[1])
        rest = segments[2:]
    if not doc_id or doc_id.endswith("/"):
        raise BadRequest("Missing document id.")
    attachment = "/".join(unquote(s) for s in rest) if rest else None
    if attachment == "":
        attachment = None
    return DocPath(db, doc_id, attachment)


def local_id(request: Req) -> str:
    """The id after `_local/`, decoded (`abc%3D` -> `abc=`)."""
    segments = _raw_rest(request)
    if len(segments) < 3 or segments[1] != "_local":
        raise BadRequest("Missing local document id.")
    name = unquote("/".join(segments[2:]))
    if not name:
        raise BadRequest("Missing local document id.")
    return name
