"""Pins the one JSON error envelope: `{"error": <couch name>, "reason": <text>}`, never HTML."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]


def assert_envelope(response: Any, status: int, error: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "reason"}
    assert body["error"] == error
    assert isinstance(body["reason"], str) and body["reason"]
    assert "Traceback" not in response.text and "<html" not in response.text.lower()
    return body


async def test_unknown_route_404(client: Client) -> None:
    assert_envelope(await client.get("/no/such/page"), 404, "not_found")
    assert_envelope(await client.get("/schema/nope/nope"), 404, "not_found")


async def test_wrong_method_405(client: Client) -> None:
    assert_envelope(await client.post("/healthz"), 405, "method_not_allowed")
    assert_envelope(await client.patch("/db/_session", json={}), 405, "method_not_allowed")


async def test_unhandled_exception_500_is_logged(
    app: Litestar, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    @get("/explode", include_in_schema=False)
    async def explode() -> None:
        raise RuntimeError("secret internal detail")

    app.register(explode)
    with caplog.at_level(logging.ERROR, logger="thidua.errors"):
        body = assert_envelope(await client.get("/explode"), 500, "internal_error")
    assert "secret internal detail" not in body["reason"]
    [record] = [r for r in caplog.records if r.name == "thidua.errors"]
    assert record.exc_info is not None and "secret internal detail" in str(record.exc_info[1])


async def test_body_too_large_413(client: Client) -> None:
    response = await client.post(
        "/db/_session", content=b"x" * 20_000, headers={"Content-Type": "application/json"}
    )
    assert_envelope(response, 413, "too_large")


async def test_sign_in_errors(client: Client) -> None:
    assert_envelope(
        await client.post(
            "/db/_session", content=b"{not json", headers={"Content-Type": "application/json"}
        ),
        400,
        "bad_request",
    )
    assert_envelope(
        await client.post("/db/_session", content=b"x", headers={"Content-Type": "text/plain"}),
        415,
        "bad_content_type",
    )
    assert_envelope(
        await client.post("/db/_session", json={"name": "ghost", "password": "whatever"}),
        401,
        "unauthorized",
    )


async def test_auth_and_store_errors_share_the_envelope(
    app: Litestar, client: Client, basic: Callable[[str, str], dict[str, str]]
) -> None:
    assert_envelope(await client.get("/db/_all_dbs"), 401, "unauthorized")
    app.state.accounts.add("xem", "xem-password", ["viewer"])
    assert_envelope(
        await client.put("/db/newdb", headers=basic("xem", "xem-password")), 403, "forbidden"
    )
    assert_envelope(
        await client.get("/db/missing", headers=basic("xem", "xem-password")), 404, "not_found"
    )
