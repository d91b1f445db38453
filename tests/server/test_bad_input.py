"""Bad input is a 400 `{error, reason}`, never a 5xx: deep JSON, bytes that are not UTF-8,
a `_rev` that is not a string, integers beyond 64 bits. Nothing is stored and the server
keeps answering."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.accounts import Accounts
from server.app import create_app
from server.settings import Settings

ADMIN, PASSWORD = "bad-input-admin", "bad-input-password"
DB = "scratch"
DEEP = b'{"a":' * 1000 + b"1" + b"}" * 1000
DEEP_ARRAY = b"[" * 1200 + b"]" * 1200
REV = b'"1-' + b"a" * 32 + b'"'
HUGE = "9" * 30
JSON = {"Content-Type": "application/json"}

#: (what, method, path, body) — each answered 500 on main at f404b9e.
CASES = [
    ("deep PUT", "PUT", f"/db/{DB}/d", DEEP),
    ("deep field PUT", "PUT", f"/db/{DB}/d", b'{"a":' + DEEP_ARRAY + b"}"),
    ("deep _bulk_docs", "POST", f"/db/{DB}/_bulk_docs", b'{"docs":[' + DEEP + b"]}"),
    (
        "deep _bulk_docs new_edits=false",
        "POST",
        f"/db/{DB}/_bulk_docs",
        b'{"new_edits":false,"docs":[{"_id":"d","_rev":' + REV + b',"a":' + DEEP_ARRAY + b"}]}",
    ),
    ("deep _bulk_get", "POST", f"/db/{DB}/_bulk_get", DEEP),
    ("deep _local", "PUT", f"/db/{DB}/_local/d", DEEP),
    ("deep keys=", "GET", f"/db/{DB}/_all_docs?keys=" + "[" * 1200 + "]" * 1200, None),
    ("not UTF-8 PUT", "PUT", f"/db/{DB}/d", b'{"a":"\xff\xfe"}'),
    ("not UTF-8 _bulk_docs", "POST", f"/db/{DB}/_bulk_docs", b'{"docs":[{"_id":"d","a":"\xff"}]}'),
    (
        "not UTF-8 replicated field",
        "POST",
        f"/db/{DB}/_bulk_docs",
        b'{"new_edits":false,"docs":[{"_id":"d","_rev":' + REV + b',"a":"\xc3\x28"}]}',
    ),
    ("_rev object", "PUT", f"/db/{DB}/d", b'{"_rev":{"a":1}}'),
    ("_rev array", "PUT", f"/db/{DB}/d", b'{"_rev":["1-a"]}'),
    ("_changes since", "GET", f"/db/{DB}/_changes?since={HUGE}", None),
    ("_changes since 2^63", "GET", f"/db/{DB}/_changes?since={2**63}", None),
    ("_changes limit", "GET", f"/db/{DB}/_changes?limit={HUGE}", None),
    ("_all_docs limit", "GET", f"/db/{DB}/_all_docs?limit={HUGE}", None),
    ("_all_docs skip", "GET", f"/db/{DB}/_all_docs?skip={2**63}", None),
]


@pytest.fixture
async def admin_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    accounts = Accounts.from_settings(settings)
    accounts.hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    accounts.initialize()
    accounts.add(ADMIN, PASSWORD, ["admin"])
    accounts.close()
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


async def test_bad_input_is_a_400_and_stores_nothing(
    admin_client: AsyncTestClient[Litestar], basic: Callable[[str, str], dict[str, str]]
) -> None:
    auth = {**basic(ADMIN, PASSWORD), **JSON}
    assert (await admin_client.put(f"/db/{DB}", headers=auth)).status_code == 201
    wrong = {}
    for what, method, path, body in CASES:
        answer = await admin_client.request(method, path, content=body, headers=auth)
        error = answer.json()
        if answer.status_code != 400 or error.get("error") != "bad_request" or not error["reason"]:
            wrong[what] = (answer.status_code, answer.text[:200])
    assert not wrong, wrong
    listing = (await admin_client.get(f"/db/{DB}/_all_docs", headers=auth)).json()
    assert listing["rows"] == []
    assert (await admin_client.get(f"/db/{DB}/_local/d", headers=auth)).status_code == 404
    assert (await admin_client.get("/db/", headers=auth)).status_code == 200


@pytest.mark.parametrize(
    "body",
    [DEEP, b'{"name":' + DEEP_ARRAY + b',"password":"x"}', b'{"name":"a\xff","password":"x"}'],
    ids=["deep", "deep-field", "not-utf8"],
)
async def test_anonymous_sign_in_with_bad_json_is_a_400(
    admin_client: AsyncTestClient[Litestar], body: bytes
) -> None:
    answer = await admin_client.post("/db/_session", content=body, headers=JSON)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "bad_request"


async def test_a_form_sign_in_that_is_not_utf8_is_a_400(
    admin_client: AsyncTestClient[Litestar],
) -> None:
    answer = await admin_client.post(
        "/db/_session",
        content=b"name=%FF%FE&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code in (400, 401), answer.text
