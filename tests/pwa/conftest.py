"""Fixtures of the PWA tests: one demo-seeded server for the session, Chromium per module.

Playwright's sync API runs an asyncio loop while it is open: a browser kept for the whole
session would make every later `async` test fail ("cannot be called from a running event
loop"), so each module closes its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.pwa.browser import demo_server, launch
from tests.replication.servers import Server

# `expect` waits 5 s by default: a UI step after a round trip to a busy server may take longer
# (it returns as soon as the condition holds, so only a failure waits the whole time).
expect.set_options(timeout=30_000)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data: Path = tmp_path_factory.mktemp("pwa") / "data"
    srv = demo_server(data)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")  # see the module doc: never session-wide
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def url(server: Server) -> str:
    if server.proc is None or server.proc.poll() is not None:
        server.start()
    return f"http://127.0.0.1:{server.port}/"
