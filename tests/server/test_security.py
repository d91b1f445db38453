"""Security headers and CSRF protection of cookie-authenticated changes (real app)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from gate_world import PASSWORD, add_users, basic, seed_world, sheet
from litestar import Litestar
from litestar.datastructures import Headers
from litestar.testing import AsyncTestClient

from server.accounts import Accounts
from server.app import create_app
from server.security import CSP, csrf_refusal
from server.settings import Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")
Client = AsyncTestClient[Litestar]
DB = "c-89101"
ALLOWED_ORIGIN = "https://app.example.org"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("sec"),
        log_level="WARNING",
        secret_key="sec-secret-0123456789abcdef",
        cors_origins=(ALLOWED_ORIGIN,),
    )
    add_users(settings)
    async with AsyncTestClient(create_app(settings), base_url="http://thidua.test") as test:
        await seed_world(test.app.state.store)
        yield test


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cookie(client: Client) -> str:
    answer = await client.post("/db/_session", json={"name": "scorer", "password": PASSWORD})
    assert answer.status_code == 200
    return answer.headers["set-cookie"].split(";")[0]


@pytest.mark.parametrize("path", ["/", "/healthz", "/db/", f"/db/{DB}", "/db/nope/x/y/z"])
async def test_security_headers_on_every_answer(client: Client, path: str) -> None:
    answer = await client.get(path)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "same-origin"
    csp = answer.headers["content-security-policy"]
    assert csp == CSP and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp


async def test_openapi_pages_have_no_csp(client: Client) -> None:
    answer = await client.get("/schema/openapi.json")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in answer.headers


def _cookie(cookie: str, **extra: str) -> dict[str, str]:
    return {"Cookie": cookie, **extra}


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ({"Content-Type": "text/plain"}, "application/json"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, "application/json"),
        ({"Content-Type": "multipart/form-data; boundary=x"}, "application/json"),
        ({"Content-Type": "application/json", "Origin": "https://evil.example"}, "Origin"),
        ({"Content-Type": "application/json", "Origin": "null"}, "Origin"),
        ({"Content-Type": "application/json", "Referer": "https://evil.example/x"}, "Origin"),
    ],
)
async def test_cookie_changes_need_json_from_the_same_site(
    client: Client, cookie: str, headers: dict[str, str], refused: str
) -> None:
    body = b'{"docs": []}'
    answer = await client.post(
        f"/db/{DB}/_bulk_docs", content=body, headers=_cookie(cookie, **headers)
    )
    assert answer.status_code == 403
    assert answer.json()["error"] == "forbidden" and refused in answer.json()["reason"]
    assert answer.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"Origin": "http://thidua.test"},
        {"Origin": ALLOWED_ORIGIN},
        {"Referer": "http://thidua.test/app"},
    ],
)
async def test_cookie_changes_with_json_from_the_same_site_pass(
    client: Client, cookie: str, extra: dict[str, str]
) -> None:
    doc = sheet("89101")
    answer = await client.post(
        f"/db/{DB}/_bulk_docs", json={"docs": [doc]}, headers=_cookie(cookie, **extra)
    )
    assert answer.status_code == 201 and answer.json()[0]["ok"], answer.text


async def test_attachment_upload_by_cookie_is_origin_checked(client: Client, cookie: str) -> None:
    doc = sheet("89101")
    created = await client.put(f"/db/{DB}/{doc['_id']}", json=doc, headers=_cookie(cookie))
    rev = created.json()["rev"]
    put = _cookie(cookie, **{"Content-Type": "image/jpeg", "If-Match": rev})
    foreign = await client.put(
        f"/db/{DB}/{doc['_id']}/a.jpg",
        content=b"\xff\xd8",
        headers={**put, "Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    same = await client.put(
        f"/db/{DB}/{doc['_id']}/a.jpg",
        content=b"\xff\xd8",
        headers={**put, "Origin": "http://thidua.test"},
    )
    assert same.status_code == 201, same.text


async def test_sign_in_form_is_allowed_but_not_cross_site(client: Client) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = f"name=scorer&password={PASSWORD}"
    ok = await client.post("/db/_session", content=body, headers=form)
    assert ok.status_code == 200
    cookie = ok.headers["set-cookie"].split(";")[0]
    again = await client.post("/db/_session", content=body, headers=_cookie(cookie, **form))
    assert again.status_code == 200
    cross = await client.post(
        "/db/_session", content=body, headers=_cookie(cookie, **form, Origin="https://evil.example")
    )
    assert cross.status_code == 403


async def test_basic_and_bearer_are_not_subject_to_csrf(client: Client, cookie: str) -> None:
    accounts: Accounts = client.app.state.accounts
    _, secret = accounts.create_token("scorer", "phone")
    evil = {"Content-Type": "text/plain", "Origin": "https://evil.example", "Cookie": cookie}
    for auth in (basic("scorer"), {"Authorization": f"Bearer {secret}"}):
        answer = await client.post(
            f"/db/{DB}/_bulk_docs", content=b'{"docs": []}', headers={**evil, **auth}
        )
        assert answer.status_code == 201, answer.text


async def test_csrf_rules_without_a_server() -> None:
    def refusal(method: str, path: str, **headers: str) -> str | None:
        return csrf_refusal(method, path, Headers({"host": "h", **headers}))

    cookie = "AuthSession=abc"
    assert refusal("GET", "/db/x", cookie=cookie, origin="https://evil") is None
    assert refusal("POST", "/db/x", origin="https://evil") is None  # no cookie: nothing to ride
    assert refusal("DELETE", "/db/x/d", cookie=cookie) is None  # no body
    assert refusal("DELETE", "/db/x/d", cookie=cookie, origin="https://evil")
    assert refusal(
        "PUT",
        "/db/x/_local/c",
        cookie=cookie,
        **{"content-type": "text/plain", "content-length": "2"},
    )
    assert (
        refusal(
            "PUT",
            "/db/x/d/att",
            cookie=cookie,
            **{"content-type": "text/plain", "content-length": "2"},
        )
        is None
    )
