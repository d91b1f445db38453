"""The app factory: health, OpenAPI, the static landing page, JSON logs, clean shutdown."""

from __future__ import annotations

import io
import json
import logging

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server import __version__
from server.app import create_app
from server.logs import JsonFormatter
from server.settings import Settings

Client = AsyncTestClient[Litestar]


async def test_healthz_ok(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body.pop("worker") == {"state": "off", "lag": 0, "errors": 0}  # tests turn it off
    assert body == {
        "status": "ok",
        "version": __version__,
        "store": "reachable",
        "backend": "SqlStore",
    }


async def test_healthz_503_when_the_store_is_gone(app: Litestar, client: Client) -> None:
    await app.state.store.close()
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


async def test_openapi_schema(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert schema["info"] == {"title": "thidua", "version": __version__}
    assert "/healthz" in schema["paths"] and "/db/_session" in schema["paths"]
    assert (await client.get("/schema")).status_code == 200


async def test_landing_page_and_pwa_files(client: Client) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "Thi đua tín dụng chính sách" in page.text and "/healthz" in page.text
    manifest = (await client.get("/manifest.webmanifest")).json()
    assert manifest["lang"] == "vi"
    assert (await client.get("/sw.js")).status_code == 200


async def test_access_log_is_one_json_line_per_request(settings: Settings) -> None:
    app = create_app(settings)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("thidua.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        async with AsyncTestClient(app) as client:
            await client.get("/healthz")
            await client.get("/db/_all_dbs")
            await client.get("/missing-page")
    finally:
        access.removeHandler(handler)
        access.setLevel(logging.NOTSET)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["method"], e["path"], e["status"]) for e in lines] == [
        ("GET", "/healthz", 200),
        ("GET", "/db/_all_dbs", 401),
        ("GET", "/missing-page", 404),
    ]
    for entry in lines:
        assert entry["msg"] == "request" and entry["level"] == "INFO"
        assert entry["duration_ms"] >= 0 and "user" in entry and entry["ts"].endswith("+00:00")


async def test_shutdown_closes_the_stores(settings: Settings) -> None:
    app = create_app(settings)
    async with AsyncTestClient(app) as client:
        assert (await client.get("/healthz")).status_code == 200
        store = app.state.store
    try:
        alive = await store.ping()
    except Exception:  # noqa: BLE001 - a closed store may also raise
        alive = False
    assert not alive
