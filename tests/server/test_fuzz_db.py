"""Fuzz every `/db` route (hypothesis): random bytes, random JSON shapes, deep nesting, huge
numbers, odd `_` members and odd content types, signed in as an admin or anonymous.
Not one answer may be >= 500. A fixed budget in CI (`FUZZ_EXAMPLES`); `make torture` runs
`TORTURE_EXAMPLES`."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from server.accounts import Accounts
from server.app import create_app
from server.settings import Settings

ADMIN, PASSWORD = "fuzz-admin", "fuzz-admin-password"
ADMIN_AUTH = "Basic " + base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode()
FUZZ_EXAMPLES, TORTURE_EXAMPLES = 1200, 20000
DBS = ["fuzz", "c-26734", "config", "_users", "Bad Name", ""]
REV = "1-" + "a" * 32
PARAMS = [
    "since", "limit", "skip", "style", "filter", "doc_ids", "include_docs", "conflicts",
    "descending", "key", "keys", "startkey", "endkey", "inclusive_end", "rev", "revs",
    "open_revs", "latest", "attachments", "new_edits", "revs_info", "heartbeat", "timeout",
]  # fmt: skip
CONTENT_TYPES = [
    "application/json", "application/json; charset=latin-1", "text/plain",
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/octet-stream", "", "garbage/\x7f",
]  # fmt: skip


def _routes(app: Litestar) -> list[tuple[str, str]]:
    """(method, path template) of every route under `/db`, from the app itself."""
    found = set()
    for route in app.routes:
        if route.path == "/db" or route.path.startswith("/db/"):
            for method in getattr(route, "methods", ()):
                if method != "OPTIONS":
                    found.add((method, route.path))
    return sorted(found)


huge = st.one_of(
    st.integers(min_value=2**63 - 2, max_value=2**200),
    st.integers(max_value=-(2**63) + 1, min_value=-(2**200)),
    st.integers(min_value=-5, max_value=5),
)
scalars = st.one_of(
    st.none(), st.booleans(), huge, st.floats(allow_nan=False), st.text(max_size=20)
)
shapes = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
odd_members = st.fixed_dictionaries(
    {},
    optional={
        "_id": st.one_of(st.text(max_size=12), shapes),
        "_rev": st.one_of(st.just(REV), st.text(max_size=40), shapes),
        "_deleted": shapes,
        "_revisions": st.one_of(
            shapes, st.fixed_dictionaries({"start": huge, "ids": st.lists(shapes, max_size=3)})
        ),
        "_attachments": st.one_of(
            shapes,
            st.dictionaries(
                st.text(max_size=6),
                st.fixed_dictionaries(
                    {},
                    optional={
                        "data": shapes,
                        "content_type": shapes,
                        "stub": shapes,
                        "length": huge,
                        "digest": shapes,
                    },
                ),
                max_size=2,
            ),
        ),
        "type": st.one_of(st.just("sheet"), shapes),
        "x": shapes,
    },
)


def _deep(depth: int, kind: str) -> bytes:
    inner = (
        b"[" * depth + b"]" * depth if kind == "array" else b'{"a":' * depth + b"1" + b"}" * depth
    )
    return b'{"docs":[{"_id":"d","x":' + inner + b"}]}" if kind == "docs" else inner


def _json_body(value: Any) -> bytes:
    return json.dumps(value).encode()


bodies = st.one_of(
    st.none(),
    st.binary(max_size=64),
    shapes.map(_json_body),
    odd_members.map(_json_body),
    st.lists(odd_members, max_size=3).map(lambda docs: _json_body({"docs": docs})),
    st.tuples(st.lists(odd_members, max_size=3), st.booleans()).map(
        lambda pair: _json_body({"docs": pair[0], "new_edits": pair[1]})
    ),
    st.builds(
        _deep,
        st.integers(min_value=900, max_value=5000),
        st.sampled_from(["array", "object", "docs"]),
    ),
    st.binary(max_size=16).map(lambda raw: b'{"_id":"d","a":"' + raw + b'"}'),
)
query_values = st.one_of(
    huge.map(str),
    st.text(max_size=16),
    shapes.map(json.dumps),
    st.sampled_from(["true", "false", "now", "all", "[]", '["a"]', '"a"', REV]),
)
doc_rests = st.one_of(
    st.text(min_size=1, max_size=12).map(lambda t: quote(t, safe="")),
    st.sampled_from(["d", "_design/x", "_local/x", "d/att", "_design/x/y/z", "%2F", "_all"]),
)


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient[Litestar]]:
    data_dir = tmp_path_factory.mktemp("fuzz")
    conf = Settings(data_dir=data_dir, secret_key="fuzz-secret-key-0123456789abcdef",
                    log_level="CRITICAL", max_document_size=64 * 1024)  # fmt: skip
    accounts = Accounts.from_settings(conf)
    accounts.hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    accounts.initialize()
    accounts.add(ADMIN, PASSWORD, ["admin"])
    accounts.close()
    with TestClient(create_app(conf), timeout=30) as client:
        for db in ("fuzz", "config"):
            client.put(f"/db/{db}", headers={"Authorization": ADMIN_AUTH})
        yield client


def _fuzz(client: TestClient[Litestar], examples: int) -> None:
    routes = _routes(client.app)
    assert len(routes) >= 20, routes  # every CouchDB route, not a few

    @given(
        route=st.sampled_from(routes),
        db=st.sampled_from(DBS),
        rest=doc_rests,
        query=st.dictionaries(st.sampled_from(PARAMS), query_values, max_size=4),
        body=bodies,
        content_type=st.sampled_from(CONTENT_TYPES),
        admin=st.sampled_from([True, True, True, False]),
    )
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def one(route: tuple[str, str], db: str, rest: str, query: dict[str, str], body: bytes | None,
            content_type: str, admin: bool) -> None:  # fmt: skip
        method, template = route
        path = (
            template.replace("{db:str}", quote(db, safe=""))
            .replace("{rest:path}", rest)
            .replace("{name:path}", rest)
        )
        headers = {"Content-Type": content_type} if content_type else {}
        if admin:
            headers["Authorization"] = ADMIN_AUTH
        url = path + ("?" + urlencode(query) if query else "")
        answer = client.request(method, url, content=body, headers=headers)
        assert answer.status_code < 500, (method, url, body and body[:200], answer.text[:300])
        if method != "HEAD" and answer.status_code >= 400:
            error = answer.json()
            assert error["error"] and error["reason"], error

    one()
    assert client.get("/db/", headers={"Authorization": ADMIN_AUTH}).status_code == 200


def test_no_db_route_answers_a_server_error(fuzz_client: TestClient[Litestar]) -> None:
    _fuzz(fuzz_client, FUZZ_EXAMPLES)


@pytest.mark.torture
@pytest.mark.timeout(3600)  # 20,000 requests: far beyond the suite's 300 s per test
def test_no_db_route_answers_a_server_error_torture(fuzz_client: TestClient[Litestar]) -> None:
    _fuzz(fuzz_client, TORTURE_EXAMPLES)
