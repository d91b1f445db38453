"""`/api/admin` on the real app: admins only, accounts, passwords, device tokens end to end."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.accounts import Accounts

Client = AsyncTestClient[Litestar]
Basic = Callable[[str, str], dict[str, str]]



@pytest.fixture
def admin(accounts: Accounts, basic: Basic) -> dict[str, str]:
    return basic("admin", "admin-password")


def error_of(response: object, status: int) -> str:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error", "reason"} and body["reason"]
    return str(body["reason"])


ENDPOINTS = [
    ("GET", "/api/admin/accounts", None),
    ("POST", "/api/admin/accounts", {"name": "x1", "password": "12345678", "roles": ["viewer"]}),
    ("GET", "/api/admin/accounts/canbo1", None),
    ("PATCH", "/api/admin/accounts/canbo1", {"disabled": True}),
    ("PUT", "/api/admin/accounts/canbo1/password", {"password": "another-one"}),
    ("GET", "/api/admin/tokens", None),
    ("POST", "/api/admin/tokens", {"account": "canbo1", "device": "phone"}),
    ("DELETE", "/api/admin/tokens/abc", None),
    ("GET", "/api/admin/audit", None),
    ("GET", "/api/admin/audit/export", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_admins_only(
    client: Client, accounts: Accounts, basic: Basic, method: str, path: str, body: object
) -> None:
    anonymous = await client.request(method, path, json=body)
    assert error_of(anonymous, 401) == "You are not signed in."
    scorer = await client.request(
        method, path, json=body, headers=basic("canbo1", "canbo1-password")
    )
    assert error_of(scorer, 403) == "Only admins may use /api/admin."
    assert accounts.get("canbo1") is not None and not accounts.get("canbo1").disabled  # type: ignore[union-attr]


async def test_create_get_list_accounts(client: Client, admin: dict[str, str]) -> None:
    new = {"name": "tdv.hoa", "password": "mật-khẩu-dài", "roles": ["office_reviewer"]}
    created = await client.post(
        "/api/admin/accounts", json={**new, "territories": ["PGD-01"]}, headers=admin
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "tdv.hoa" and body["roles"] == ["office_reviewer"]
    assert body["territories"] == ["PGD-01"] and body["disabled"] is False
    assert "password" not in body and "password_hash" not in body
    got = await client.get("/api/admin/accounts/tdv.hoa", headers=admin)
    assert got.json() == body
    listed = await client.get("/api/admin/accounts", headers=admin)
    assert [a["name"] for a in listed.json()] == ["admin", "canbo1", "tdv.hoa"]
    signed_in = await client.post(
        "/db/_session", json={"name": "tdv.hoa", "password": "mật-khẩu-dài"}
    )
    assert signed_in.status_code == 200
    error_of(await client.get("/api/admin/accounts/nobody", headers=admin), 404)


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"name": "canbo1", "password": "12345678", "roles": ["viewer"]}, 409, "already exists"),
        ({"name": "u2", "password": "12345678", "roles": ["boss"]}, 400, "unknown role 'boss'"),
        ({"name": "u2", "password": "12345678", "roles": []}, 400, "at least one role"),
        (
            {"name": "u2", "password": "12345678", "roles": ["viewer"], "territories": ["a b"]},
            400,
            "bad territory code 'a b'",
        ),
        ({"name": "u2", "password": "short", "roles": ["viewer"]}, 400, "at least 8 characters"),
        ({"name": "u2", "password": "", "roles": ["viewer"]}, 400, "at least 8 characters"),
        ({"name": "u2", "password": "tab\tinside", "roles": ["viewer"]}, 400, "control char"),
        ({"name": "bad name", "password": "12345678", "roles": ["viewer"]}, 400, "bad user name"),
        ({"name": "u2", "roles": ["viewer"]}, 400, "password"),
        ({"name": "u2", "password": "12345678", "roles": ["viewer"], "x": 1}, 400, "x"),
    ],
)
async def test_create_account_refusals(
    client: Client, admin: dict[str, str], body: dict[str, object], status: int, reason: str
) -> None:
    response = await client.post("/api/admin/accounts", json=body, headers=admin)
    assert reason in error_of(response, status)


async def test_update_disable_enable(
    client: Client, accounts: Accounts, admin: dict[str, str], basic: Basic
) -> None:
    scorer = basic("canbo1", "canbo1-password")
    changed = await client.patch(
        "/api/admin/accounts/canbo1",
        json={"roles": ["scorer", "viewer"], "territories": ["26734", "26735"]},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["roles"] == ["scorer", "viewer"]
    assert changed.json()["territories"] == ["26734", "26735"]
    only_territories = await client.patch(
        "/api/admin/accounts/canbo1", json={"territories": ["26736"]}, headers=admin
    )
    assert only_territories.json()["roles"] == ["scorer", "viewer"]
    assert only_territories.json()["territories"] == ["26736"]
    disabled = await client.patch(
        "/api/admin/accounts/canbo1", json={"disabled": True}, headers=admin
    )
    assert disabled.json()["disabled"] is True
    assert (await client.get("/db/_all_dbs", headers=scorer)).status_code == 401
    await client.patch("/api/admin/accounts/canbo1", json={"disabled": False}, headers=admin)
    assert (await client.get("/db/_all_dbs", headers=scorer)).status_code == 200
    bad = {"roles": ["boss"]}
    assert "unknown role" in error_of(
        await client.patch("/api/admin/accounts/canbo1", json=bad, headers=admin), 400
    )
    assert "nothing to change" in error_of(
        await client.patch("/api/admin/accounts/canbo1", json={}, headers=admin), 400
    )
    error_of(await client.patch("/api/admin/accounts/nobody", json=bad, headers=admin), 404)
    error_of(
        await client.patch("/api/admin/accounts/nobody", json={"disabled": True}, headers=admin),
        404,
    )
    for self_harm in ({"disabled": True}, {"roles": ["viewer"]}):
        response = await client.patch("/api/admin/accounts/admin", json=self_harm, headers=admin)
        assert "your own account" in error_of(response, 409)
    assert accounts.get("admin").is_admin  # type: ignore[union-attr]


async def test_set_password(client: Client, admin: dict[str, str], basic: Basic) -> None:
    url = "/api/admin/accounts/canbo1/password"
    done = await client.put(url, json={"password": "mới-mật-khẩu"}, headers=admin)
    assert done.status_code == 204, done.text
    old = await client.get("/db/_all_dbs", headers=basic("canbo1", "canbo1-password"))
    assert old.status_code == 401
    new = await client.get("/db/_all_dbs", headers=basic("canbo1", "mới-mật-khẩu"))
    assert new.status_code == 200
    assert "at least 8" in error_of(
        await client.put(url, json={"password": "x"}, headers=admin), 400
    )
    unknown = "/api/admin/accounts/nobody/password"
    error_of(await client.put(unknown, json={"password": "long-enough"}, headers=admin), 404)


async def test_device_token_create_list_revoke_end_to_end(
    client: Client, admin: dict[str, str]
) -> None:
    created = await client.post(
        "/api/admin/tokens", json={"account": "canbo1", "device": "Điện thoại 1"}, headers=admin
    )
    assert created.status_code == 201, created.text
    token, secret = created.json()["token"], created.json()["secret"]
    assert token["account"] == "canbo1" and token["device"] == "Điện thoại 1"
    assert token["revoked_at"] is None and secret.startswith("thd_")
    bearer = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/db/_all_dbs", headers=bearer)).status_code == 200
    listed = await client.get("/api/admin/tokens", params={"account": "canbo1"}, headers=admin)
    assert [t["id"] for t in listed.json()] == [token["id"]]
    assert secret not in listed.text
    assert (
        await client.get("/api/admin/tokens", params={"account": "x"}, headers=admin)
    ).json() == []
    revoked = await client.delete(f"/api/admin/tokens/{token['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    refused = await client.get("/db/_all_dbs", headers=bearer)
    assert "revoked" in error_of(refused, 401)
    again = await client.delete(f"/api/admin/tokens/{token['id']}", headers=admin)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    error_of(await client.delete("/api/admin/tokens/nope", headers=admin), 404)
    unknown = {"account": "nobody", "device": "phone"}
    error_of(await client.post("/api/admin/tokens", json=unknown, headers=admin), 404)
    empty = {"account": "canbo1", "device": ""}
    error_of(await client.post("/api/admin/tokens", json=empty, headers=admin), 400)


async def test_admin_by_device_token(client: Client, accounts: Accounts) -> None:
    _, secret = accounts.create_token("admin", "laptop")
    listed = await client.get("/api/admin/accounts", headers={"Authorization": f"Bearer {secret}"})
    assert listed.status_code == 200
