"""Authentication on the real app: Basic, `_session` cookies, device tokens, rate limit."""

from __future__ import annotations

import time
from collections.abc import Callable

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.accounts import Accounts

Client = AsyncTestClient[Litestar]
Basic = Callable[[str, str], dict[str, str]]



async def test_welcome_is_public_everything_else_needs_a_user(client: Client) -> None:
    assert (await client.get("/db/")).json()["couchdb"] == "Welcome"
    response = await client.get("/db/_all_dbs")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="thidua"'
    assert (await client.get("/db/somedb/_changes")).status_code == 401
    assert (await client.post("/db/somedb/_bulk_docs", json={"docs": []})).status_code == 401


async def test_basic_auth(client: Client, accounts: Accounts, basic: Basic) -> None:
    ok = await client.get("/db/_all_dbs", headers=basic("canbo1", "canbo1-password"))
    assert ok.status_code == 200 and ok.json() == []
    wrong = await client.get("/db/_all_dbs", headers=basic("canbo1", "wrong-password"))
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "unauthorized", "reason": "Name or password is incorrect."}
    assert "www-authenticate" not in wrong.headers  # credentials were sent
    garbled = await client.get("/db/_all_dbs", headers={"Authorization": "Basic !!!"})
    assert garbled.status_code == 401


async def test_only_admins_create_and_delete_databases(
    client: Client, accounts: Accounts, basic: Basic
) -> None:
    scorer, admin = basic("canbo1", "canbo1-password"), basic("admin", "admin-password")
    assert (await client.put("/db/plain", headers=scorer)).status_code == 403
    assert (await client.put("/db/plain", headers=admin)).status_code == 201
    # Databases outside the territory prefixes are admin-only (tooling, conformance).
    assert (await client.put("/db/plain/doc1", json={"x": 1}, headers=scorer)).status_code == 403
    put = await client.put("/db/plain/doc1", json={"x": 1}, headers=admin)
    assert put.status_code == 201, put.text
    assert (await client.get("/db/plain/doc1", headers=scorer)).status_code == 403
    assert (await client.get("/db/plain/doc1", headers=admin)).json()["x"] == 1
    assert (await client.delete("/db/plain", headers=scorer)).status_code == 403
    assert (await client.delete("/db/plain", headers=admin)).status_code == 200


async def test_session_cookie_flow(client: Client, accounts: Accounts) -> None:
    anonymous = (await client.get("/db/_session")).json()
    assert anonymous["userCtx"] == {"name": None, "roles": []}
    signed = await client.post(
        "/db/_session", json={"name": "canbo1", "password": "canbo1-password"}
    )
    assert signed.status_code == 200
    assert signed.json() == {"ok": True, "name": "canbo1", "roles": ["scorer"]}
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("AuthSession=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    info = (await client.get("/db/_session")).json()
    assert info["userCtx"] == {"name": "canbo1", "roles": ["scorer"]}
    assert info["info"]["authenticated"] == "cookie"
    assert (await client.get("/db/_all_dbs")).status_code == 200
    out = await client.delete("/db/_session")
    assert out.json() == {"ok": True} and "Max-Age=0" in out.headers["set-cookie"]
    assert (await client.get("/db/_all_dbs")).status_code == 401


async def test_form_sign_in_and_bad_password(client: Client, accounts: Accounts) -> None:
    form = await client.post(
        "/db/_session",
        content=b"name=admin&password=admin-password",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 200 and form.json()["roles"] == ["admin"]
    client.cookies.clear()
    bad = await client.post("/db/_session", json={"name": "admin", "password": "nope-nope"})
    assert bad.status_code == 401 and "set-cookie" not in bad.headers


async def test_cookie_expires_refreshes_and_dies_with_password_change(
    app: Litestar, client: Client, accounts: Accounts
) -> None:
    auth = app.state.auth
    start = time.time()
    auth.clock = lambda: start
    await client.post("/db/_session", json={"name": "canbo1", "password": "canbo1-password"})
    timeout = app.state.settings.session_timeout
    auth.clock = lambda: start + timeout / 5  # used after a fifth of its life: re-issued
    refreshed = await client.get("/db/_all_dbs")
    assert refreshed.status_code == 200 and "AuthSession=" in refreshed.headers["set-cookie"]
    auth.clock = lambda: start + timeout / 5 + timeout + 1
    expired = await client.get("/db/_all_dbs")
    assert expired.status_code == 401 and expired.json()["reason"] == "Your session has expired."
    auth.clock = time.time
    await client.post("/db/_session", json={"name": "canbo1", "password": "canbo1-password"})
    assert (await client.get("/db/_all_dbs")).status_code == 200
    accounts.set_password("canbo1", "another-password")
    assert (await client.get("/db/_all_dbs")).status_code == 401


async def test_bearer_device_token(client: Client, accounts: Accounts) -> None:
    token, secret = accounts.create_token("canbo1", "Điện thoại 1")
    bearer = {"Authorization": f"Bearer {secret}"}
    ok = await client.get("/db/_session", headers=bearer)
    assert (
        ok.json()["userCtx"]["name"] == "canbo1" and ok.json()["info"]["authenticated"] == "token"
    )
    assert (await client.get("/db/_all_dbs", headers=bearer)).status_code == 200
    accounts.revoke_token(token.id)
    revoked = await client.get("/db/_all_dbs", headers=bearer)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["reason"]
    unknown = await client.get("/db/_all_dbs", headers={"Authorization": "Bearer thd_nope"})
    assert unknown.status_code == 401


async def test_disabled_account_is_refused_everywhere(
    client: Client, accounts: Accounts, basic: Basic
) -> None:
    _, secret = accounts.create_token("canbo1", "phone")
    await client.post("/db/_session", json={"name": "canbo1", "password": "canbo1-password"})
    accounts.disable("canbo1")
    assert (await client.get("/db/_all_dbs")).status_code == 401  # cookie
    client.cookies.clear()
    assert (
        await client.get("/db/_all_dbs", headers=basic("canbo1", "canbo1-password"))
    ).status_code == 401
    bearer = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/db/_all_dbs", headers=bearer)).status_code == 401
    sign_in = await client.post(
        "/db/_session", json={"name": "canbo1", "password": "canbo1-password"}
    )
    assert sign_in.status_code == 401


async def test_sign_in_rate_limit(client: Client, accounts: Accounts, basic: Basic) -> None:
    for _ in range(10):
        response = await client.post(
            "/db/_session", json={"name": "admin", "password": "guess-guess"}
        )
        assert response.status_code == 401
    limited = await client.post(
        "/db/_session", json={"name": "admin", "password": "admin-password"}
    )
    assert limited.status_code == 429
    assert limited.json()["error"] == "too_many_requests"
    assert int(limited.headers["retry-after"]) > 0
    via_basic = await client.get("/db/_all_dbs", headers=basic("admin", "admin-password"))
    assert via_basic.status_code == 429
    other = await client.get("/db/_all_dbs", headers=basic("canbo1", "canbo1-password"))
    assert other.status_code == 200  # the limit is per user name and address


async def test_all_dbs_goes_through_the_access_filter(
    app: Litestar, client: Client, accounts: Accounts, basic: Basic
) -> None:
    from server.access import visible_dbs

    assert app.state.db_filter is visible_dbs
    admin = basic("admin", "admin-password")
    for name in ("config", "c-26734", "c-89102"):
        assert (await client.put(f"/db/{name}", headers=admin)).status_code == 201
    listed = await client.get("/db/_all_dbs", headers=basic("canbo1", "canbo1-password"))
    assert listed.json() == ["c-26734", "config"]  # canbo1's commune only, not c-89102
