"""Nothing thidua serves loads from another host: the API reference (`/schema`) and the app
work offline. Two checks: every HTML, CSS and JS answer of every GET route (and every static
file) is scanned for resource references to absolute URLs, and headless Chromium opens the
HTML pages of a real `thidua serve` and must not ask any host but the server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.api_docs import ASSET_PATH, ASSETS_DIR
from server.app import create_app
from server.plugin import PWA_DIR
from server.settings import Settings
from tests.server.served import thidua_serve

ROOT = Path(__file__).resolve().parents[2]
THIDUA = ROOT / ".venv" / "bin" / "thidua"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
#: A URL with a host where a page, a style sheet or a script would load it from.
LOADS = re.compile(
    r"""(?:\b(?:src|href|action|poster|data)\s*=\s*|url\(\s*|@import\s+|"""
    r"""\bimport\s*\(\s*|\bfrom\s+|\bimportScripts\s*\(\s*|\bfetch\s*\(\s*|"""
    r"""\bWorker\s*\(\s*|\.src\s*=\s*)["'`]?((?:https?:)?//[^"'`\s)>]+)""",
    re.IGNORECASE,
)
TEXT_TYPES = ("text/html", "text/css", "javascript")


def outside_references(text: str) -> list[str]:
    return [m.group(1) for m in LOADS.finditer(text)]


def test_the_scanner_sees_outside_references() -> None:
    page = (
        '<link href="https://fonts.googleapis.com/css?family=X" rel="stylesheet">'
        "<script src='//cdn.jsdelivr.net/npm/redoc/bundles/redoc.standalone.js'></script>"
        "<style>@font-face { src: url(https://fonts.gstatic.com/x.woff2) }</style>"
        '<script>import("https://esm.sh/lit"); fetch(`https://api.example.com/x`)</script>'
        '<a href="/local">ok</a><img src="data:image/png;base64,AAAA">'
    )
    assert len(outside_references(page)) == 5


def _get_paths(app: Litestar) -> list[str]:
    """Every GET route without parameters (not the JSON APIs), every static file of the app
    and every API reference asset."""
    paths = {
        route.path
        for route in app.routes
        if "GET" in getattr(route, "methods", ())
        and "{" not in route.path
        and not route.path.startswith(("/db", "/api"))
    }
    paths |= {"/" + str(path.relative_to(PWA_DIR)) for path in PWA_DIR.rglob("*") if path.is_file()}
    paths |= {f"{ASSET_PATH}/{name}" for name in ("swagger-ui-bundle.js", "swagger-ui.css",
                                                  "swagger-ui-standalone-preset.js")}  # fmt: skip
    return sorted(paths)


def test_no_served_html_css_or_js_references_an_outside_host(settings: Settings) -> None:
    assert ASSETS_DIR.is_dir(), "run `make setup` (npm ci installs swagger-ui-dist)"
    with TestClient(create_app(settings)) as client:
        paths = _get_paths(client.app)
        assert {"/", "/schema", "/schema/swagger", f"{ASSET_PATH}/swagger-ui.css"} <= set(paths)
        found, scanned = {}, []
        for path in paths:
            answer = client.get(path)
            kind = answer.headers.get("content-type", "")
            if answer.status_code != 200 or not any(t in kind for t in TEXT_TYPES):
                continue
            scanned.append(path)
            if refs := outside_references(answer.text):
                found[path] = refs[:5]
    assert "/schema" in scanned and "/" in scanned
    assert not found, found


@pytest.fixture
def served(tmp_path: Path, free_port: int) -> Iterator[str]:
    with thidua_serve(tmp_path / "data", free_port) as base:
        yield base


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_chromium_loads_the_pages_from_the_server_alone(served: str) -> None:
    from playwright.sync_api import sync_playwright

    own = urlsplit(served).netloc
    asked: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.on("request", lambda request: asked.append(request.url))
            for path in ("/", "/schema", "/schema/swagger"):
                page.goto(served + path, wait_until="networkidle")
            page.goto(served + "/schema", wait_until="networkidle")
            page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
            title = page.inner_text(".swagger-ui .info .title")
        finally:
            browser.close()
    assert title.startswith("thidua"), title  # the reference rendered, offline
    outside = sorted({url for url in asked if urlsplit(url).scheme in ("http", "https")
                      and urlsplit(url).netloc != own})  # fmt: skip
    assert not outside, outside
    assert any(url.endswith("swagger-ui-bundle.js") for url in asked)
