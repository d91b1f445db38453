"""`/api/me`: a signed-in user's databases, and device tokens they add and revoke themselves."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from gate_world import seed_world
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.accounts import Accounts

Client = AsyncTestClient[Litestar]
Basic = Callable[[str, str], dict[str, str]]


@pytest.fixture
async def accounts(app: Litestar, client: Client) -> Accounts:
    store: Accounts = app.state.accounts
    store.hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    store.add("canbo1", "canbo1-password", ["scorer"], ["890100"])
    await seed_world(app.state.store)
    return store


async def test_a_device_token_signs_in_lists_the_territory_and_is_revoked(
    client: Client, accounts: Accounts, basic: Basic
) -> None:
    issued = await client.post(
        "/api/me/tokens", json={"device": "Điện thoại Lan"}, headers=basic("canbo1", "canbo1-password")
    )
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["device"] == "Điện thoại Lan" and body["secret"]
    bearer = {"Authorization": f"Bearer {body['secret']}"}
    me = (await client.get("/api/me", headers=bearer)).json()
    assert me["name"] == "canbo1" and me["dbs"][0] == "config"
    assert set(me["dbs"][1:]) == {"c-89101", "c-89102"}  # the office's communes
    again = await client.post("/api/me/tokens", json={"device": "x"}, headers=bearer)
    assert again.status_code == 403  # a token cannot mint another
    assert (await client.delete("/api/me/token", headers=bearer)).json() == {"ok": True}
    assert (await client.get("/api/me", headers=bearer)).status_code == 401
    (token,) = accounts.list_tokens("canbo1")
    assert token.device == "Điện thoại Lan" and token.revoked_at is not None


async def test_refusals(client: Client, accounts: Accounts, basic: Basic) -> None:
    assert (await client.get("/api/me")).status_code == 401
    wrong = await client.post("/api/me/tokens", json={"device": "x"}, headers=basic("canbo1", "no"))
    assert wrong.status_code == 401
    password = basic("canbo1", "canbo1-password")
    assert (await client.post("/api/me/tokens", json={"device": ""}, headers=password)).status_code == 400
    assert (await client.delete("/api/me/token", headers=password)).status_code == 400
