"""The update flow: a new build's service worker waits, the page says "Đã có phiên bản mới"
and its button activates the new version and reloads. Served by a plain static server from
a copy of pwa/dist (the app shell needs no API for this)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.pwa.browser import DIST, phone
from tests.replication.servers import free_port, wait_listening


def test_a_new_version_waits_then_reloads_on_request(browser: Browser, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(DIST, site)
    port = free_port()
    static = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(site)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    context = phone(browser)
    try:
        wait_listening(port, static)  # else the first page load may be refused
        page = context.new_page()
        url = f"http://127.0.0.1:{port}/"
        page.goto(url, wait_until="networkidle")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
        assert page.evaluate("navigator.serviceWorker.controller !== null")
        sw = site / "sw.js"
        sw.write_text(sw.read_text() + "\n// next build\n")
        page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
        banner = page.get_by_role("status").filter(has_text="Đã có phiên bản mới")
        expect(banner).to_be_visible(timeout=60_000)  # the new worker installs first
        with page.expect_event("load", timeout=60_000):
            banner.get_by_role("button", name="Tải lại").click()
        expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
        expect(banner).to_have_count(0)
    finally:
        context.close()
        static.terminate()
        static.wait(10)
