"""Generated matrix: role x database (own / other territory, province, config, tooling) x every
CouchDB endpoint and method, each cell asserted allowed (with its success status) or denied
(401 anonymous, 403 signed in). The expected answers come from the rules written out below,
not from `server.access`. Real app, real SQLite store.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from gate_world import (
    TOOLING_DB,
    USERS,
    add_users,
    basic,
    seed_world,
    sheet,
    with_attachment,
)
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from scoring.ids import CONFIG_DB
from server.app import create_app
from server.settings import Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROLES = (*USERS, "anonymous")
#: label -> (database, commune whose unit a sheet written there uses)
TARGETS = {
    "own": ("c-89101", "89101"),
    "other": ("c-91101", "91101"),
    "province": ("p-89", "89102"),
    "config": (CONFIG_DB, "89101"),
    "tooling": (TOOLING_DB, "89101"),
}
_READERS = {  # who may read each target (admins read everything)
    "own": {"branch_reviewer", "office_reviewer", "scorer", "viewer"},
    "other": set(),
    "province": {"branch_reviewer", "viewer"},
    "config": {"branch_reviewer", "office_reviewer", "scorer", "viewer"},
    "tooling": set(),
}
_WRITERS = {  # who may write documents there
    "own": {"branch_reviewer", "office_reviewer", "scorer"},
    "other": set(),
    "province": {"branch_reviewer"},
    "config": set(),
    "tooling": set(),
}

Client = AsyncTestClient[Litestar]


# The rev goes in `If-Match`: httpx's ASGI transport puts the query string in `raw_path`,
# which `sync.http.params` reads document ids from.


class Cell:
    """What one request needs: the client, the auth headers, the target db and a seeded doc."""

    def __init__(self, client: Client, headers: dict[str, str], db: str, commune: str) -> None:
        self.client, self.headers, self.db, self.commune = client, headers, db, commune
        self.store = client.app.state.store

    async def seeded(self) -> dict[str, Any]:
        """A fresh sheet (with an attachment) written by the server itself."""
        doc = with_attachment(sheet(self.commune))
        [result] = await self.store.bulk_docs(self.db, [doc])
        return {**doc, "_rev": result.rev}

    def call(self, method: str, path: str, **kw: Any) -> Awaitable[Response]:
        kw.setdefault("headers", self.headers)
        return self.client.request(method, f"/db/{self.db}{path}", **kw)


async def _local_put(c: Cell) -> Response:
    return await c.call("PUT", f"/_local/{uuid.uuid4().hex}", json={"last_seq": 1})


async def _local_get(c: Cell) -> Response:
    await c.store.put_local(c.db, "probe", {"_id": "_local/probe", "last_seq": 1})
    return await c.call("GET", "/_local/probe")


async def _local_delete(c: Cell) -> Response:
    name = uuid.uuid4().hex
    await c.store.put_local(c.db, name, {"_id": f"_local/{name}"})
    return await c.call("DELETE", f"/_local/{name}")


async def _doc_get(c: Cell) -> Response:
    return await c.call("GET", f"/{(await c.seeded())['_id']}")


async def _att_get(c: Cell) -> Response:
    return await c.call("GET", f"/{(await c.seeded())['_id']}/scan.txt")


async def _bulk_get(c: Cell) -> Response:
    return await c.call("POST", "/_bulk_get", json={"docs": [{"id": (await c.seeded())["_id"]}]})


async def _revs_diff(c: Cell) -> Response:
    return await c.call("POST", "/_revs_diff", json={(await c.seeded())["_id"]: ["1-abc"]})


async def _bulk_docs(c: Cell) -> Response:
    answer = await c.call("POST", "/_bulk_docs", json={"docs": [sheet(c.commune)]})
    if answer.status_code == 201:
        assert answer.json()[0].get("ok"), answer.json()
    return answer


async def _doc_put(c: Cell) -> Response:
    doc = sheet(c.commune)
    return await c.call("PUT", f"/{doc['_id']}", json=doc)


async def _doc_post(c: Cell) -> Response:
    return await c.call("POST", "", json=sheet(c.commune))


async def _doc_delete(c: Cell) -> Response:
    doc = await c.seeded()
    return await c.call("DELETE", f"/{doc['_id']}", headers={**c.headers, "If-Match": doc["_rev"]})


async def _att_put(c: Cell) -> Response:
    doc = await c.seeded()
    headers = {**c.headers, "If-Match": doc["_rev"], "Content-Type": "image/jpeg"}
    return await c.call("PUT", f"/{doc['_id']}/photo.jpg", content=b"\xff\xd8", headers=headers)


async def _db_put(c: Cell) -> Response:
    name = f"x{uuid.uuid4().hex[:10]}"
    return await c.client.put(f"/db/{name}", headers=c.headers)


async def _db_delete(c: Cell) -> Response:
    name = f"x{uuid.uuid4().hex[:10]}"
    await c.store.create_db(name)
    return await c.client.delete(f"/db/{name}", headers=c.headers)


def _get(path: str) -> Callable[[Cell], Awaitable[Response]]:
    return lambda c: c.call("GET", path)


def _post(path: str, body: Any) -> Callable[[Cell], Awaitable[Response]]:
    return lambda c: c.call("POST", path, json=body)


#: name -> (action, needs: read | write | admin, success status)
ENDPOINTS: dict[str, tuple[Callable[[Cell], Awaitable[Response]], str, int]] = {
    "GET db": (_get(""), "read", 200),
    "HEAD db": (lambda c: c.call("HEAD", ""), "read", 200),
    "GET _changes": (_get("/_changes"), "read", 200),
    "GET _changes longpoll": (_get("/_changes?feed=longpoll&since=now&timeout=10"), "read", 200),
    "POST _changes": (_post("/_changes", {}), "read", 200),
    "POST _bulk_get": (_bulk_get, "read", 200),
    "GET doc": (_doc_get, "read", 200),
    "GET attachment": (_att_get, "read", 200),
    "GET _all_docs": (_get("/_all_docs"), "read", 200),
    "POST _all_docs": (_post("/_all_docs", {"keys": ["a"]}), "read", 200),
    "POST _revs_diff": (_revs_diff, "read", 200),
    "GET _local": (_local_get, "read", 200),
    "PUT _local": (_local_put, "read", 201),
    "DELETE _local": (_local_delete, "read", 200),
    "POST _bulk_docs": (_bulk_docs, "write", 201),
    "PUT doc": (_doc_put, "write", 201),
    "POST doc": (_doc_post, "write", 201),
    "DELETE doc": (_doc_delete, "write", 200),
    "PUT attachment": (_att_put, "write", 201),
    "PUT db": (_db_put, "admin", 201),
    "DELETE db": (_db_delete, "admin", 200),
}


def expected(role: str, target: str, needs: str, success: int) -> int:
    if role == "anonymous":
        return 401
    if role == "admin":
        return success
    allowed = {"read": _READERS, "write": _WRITERS}.get(needs, {}).get(target, set())
    return success if role in allowed else 403


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    data_dir: Path = tmp_path_factory.mktemp("matrix")
    settings = Settings(
        data_dir=data_dir, secret_key="matrix-secret-0123456789abcdef", log_level="WARNING"
    )

    add_users(settings)
    async with AsyncTestClient(create_app(settings)) as test_client:
        await seed_world(test_client.app.state.store)
        yield test_client


def _headers(role: str) -> dict[str, str]:
    return {} if role == "anonymous" else basic(role)


@pytest.mark.parametrize(
    ("role", "target", "endpoint"), list(itertools.product(ROLES, TARGETS, ENDPOINTS))
)
async def test_cell(client: Client, role: str, target: str, endpoint: str) -> None:
    action, needs, success = ENDPOINTS[endpoint]
    db, commune = TARGETS[target]
    answer = await action(Cell(client, _headers(role), db, commune))
    want = expected(role, target, needs, success)
    assert answer.status_code == want, (role, target, endpoint, answer.text)
    if want >= 400 and endpoint.split()[0] != "HEAD":
        body = answer.json()
        assert body["error"] == ("unauthorized" if want == 401 else "forbidden")
        assert body["reason"]


@pytest.mark.parametrize("role", ROLES)
async def test_all_dbs_lists_only_readable(client: Client, role: str) -> None:
    answer = await client.get("/db/_all_dbs", headers=_headers(role))
    if role == "anonymous":
        assert answer.status_code == 401
        return
    assert answer.status_code == 200
    listed = set(answer.json())
    for target, (db, _) in TARGETS.items():
        assert (db in listed) == (role == "admin" or role in _READERS[target]), (target, listed)


@pytest.mark.parametrize("role", ROLES)
async def test_session(client: Client, role: str) -> None:
    answer = await client.get("/db/_session", headers=_headers(role))
    assert answer.status_code == 200
    name = answer.json()["userCtx"]["name"]
    assert name == (None if role == "anonymous" else role)


async def test_territory_follows_the_directory(client: Client) -> None:
    """Moving a commune to the scorer's office in `config` gives the office reviewer its db."""
    store = client.app.state.store
    before = await client.get("/db/c-89201", headers=basic("office_reviewer"))
    assert before.status_code == 403
    doc = await store.get(CONFIG_DB, "commune:89201")
    await store.put(CONFIG_DB, {**doc, "office_code": "890100"})
    try:
        after = await client.get("/db/c-89201", headers=basic("office_reviewer"))
        assert after.status_code == 200
    finally:
        current = await store.get(CONFIG_DB, "commune:89201")
        await store.put(CONFIG_DB, {**current, "office_code": "890200"})
    again = await client.get("/db/c-89201", headers=basic("office_reviewer"))
    assert again.status_code == 403
