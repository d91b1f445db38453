"""The real app in real headless Chromium: a demo-seeded thidua server process, the browser
(system `chromium` through Python Playwright), and helpers the PWA tests share (sign-in,
axe-core, touch-target and 200%-font checks, screenshots at 360x740).

Also used by `bench/pwa.py`.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Playwright

from tests.replication.servers import ROOT, Server, free_port

DIST = ROOT / "pwa" / "dist"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
ADMIN = ("admin", "admin-demo")
SCORER = ("canbo1", "canbo1-demo")


def demo_server(data_dir: Path) -> Server:
    """`thidua demo --no-serve` into `data_dir`, then the app under uvicorn (not started)."""
    if not (DIST / "index.html").exists():
        raise RuntimeError("pwa/dist is missing: run `make setup` (or `node pwa/build.mjs`)")
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "THIDUA_DATA_DIR": str(data_dir),
           "THIDUA_LOG_LEVEL": "WARNING"}
    code = "import sys; from server.cli import main; sys.argv[0] = 'thidua'; main()"
    seeded = subprocess.run([sys.executable, "-c", code, "demo", "--no-serve"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    if seeded.returncode != 0:
        raise RuntimeError(f"thidua demo failed: {seeded.stderr[-2000:]}")
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "server.app:create_app", "--host",
               "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    return Server("thidua", command, data_dir, env, port, "/db/", auth=ADMIN)


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)


def phone(browser: Browser, **options: Any) -> BrowserContext:
    """A phone-sized context in Vietnamese (CSP bypassed only so axe-core can be injected)."""
    return browser.new_context(viewport=PHONE, locale="vi-VN", bypass_csp=True, **options)


def sign_in(page: Page, url: str, device: str = "", who: tuple[str, str] = SCORER) -> None:
    """Sign in as the demo scorer `who` and wait until the first download has finished."""
    page.goto(url)
    page.get_by_label("Tên đăng nhập").fill(who[0])
    page.get_by_label("Mật khẩu").fill(who[1])
    if device:
        page.get_by_label("Tên thiết bị").fill(device)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("Đã chấm").first.wait_for(timeout=30_000)
    page.wait_for_function("!document.querySelector('progress')", timeout=30_000)


def wait_service_worker(page: Page) -> None:
    """Until the service worker is active (the shell is precached; the next load uses it)."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")


def open_unit(page: Page, unit_id: str) -> None:
    page.evaluate("id => { location.hash = '#/u/' + id; }", unit_id)
    page.locator(f'main.sheet[data-unit="{unit_id}"] [data-testid=preview-total]').wait_for()


def shot(page: Page, name: str, at: str = "") -> Path:
    """A 360x740 screenshot in var/screenshots/, from the top or scrolled to selector `at`."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    if at:
        page.locator(at).first.scroll_into_view_if_needed()
    else:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path))
    return path


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    found = page.evaluate("async () => (await axe.run(document)).violations.map(v => ({id: v.id,"
                          " impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))")
    return [v for v in found if v["impact"] in ("serious", "critical")]


def small_targets(page: Page) -> list[str]:
    """Visible buttons, inputs, selects and list links less than 48 px tall."""
    return page.evaluate("""() => [...document.querySelectorAll(
        'button, input:not(.visually-hidden), select, textarea, a.item, a.back, summary, label.button')]
      .filter(e => e.offsetParent !== null)
      .filter(e => e.getBoundingClientRect().height < 47.5)
      .map(e => e.outerHTML.slice(0, 80))""")


def overflows_at_200_percent(page: Page) -> bool:
    """True when doubling the root font size makes the page scroll sideways."""
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    page.evaluate("document.documentElement.style.fontSize = ''")
    return bool(wide)


def big_png(path: Path, width: int = 2400, height: int = 1800) -> Path:
    """A real PNG photo stand-in larger than the 1600 px the app keeps."""
    row = b"\x00" + bytes([40, 120, 200]) * width
    raw = zlib.compress(row * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw)
                     + chunk(b"IEND", b""))
    return path


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame marker."""
    i = 2
    while i < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    raise ValueError("no JPEG frame header")


def unscored_units(server: Server, commune: str, kind: str, count: int) -> list[str]:
    """Unit ids (`kind:code`) of `commune` with no sheet yet, from the server's API."""
    with server.client() as client:
        rows = client.get("config/_all_docs", params={
            "include_docs": "true", "startkey": json.dumps(f"unit:{kind}:"),
            "endkey": json.dumps(f"unit:{kind}:\ufff0")}).json()["rows"]
        sheets = {r["id"] for r in client.get(f"c-{commune}/_all_docs").json()["rows"]}
    found = [f"{kind}:{r['doc']['code']}" for r in rows if r["doc"]["commune_code"] == commune]
    return [u for u in found if f"sheet:2026:{u}:2026" not in sheets][:count]


def scored_sheets(server: Server, commune: str, kind: str) -> list[dict[str, Any]]:
    """The seeded, submitted sheets of one unit kind in `commune`, from the server's API."""
    with server.client() as client:
        rows = client.get(f"c-{commune}/_all_docs", params={
            "include_docs": "true", "startkey": json.dumps(f"sheet:2026:{kind}:"),
            "endkey": json.dumps(f"sheet:2026:{kind}:\ufff0")}).json()["rows"]
    return [r["doc"] for r in rows if r["doc"]["status"] == "submitted"]


def submitted_sheets(server: Server, commune: str, kind: str, count: int) -> list[dict[str, Any]]:
    """`count` submitted sheets of one kind in `commune`: seeded drafts are submitted (as the
    admin, through the API) when the demo has fewer."""
    found = scored_sheets(server, commune, kind)
    if len(found) >= count:
        return found[:count]
    with server.client() as client:
        rows = client.get(f"c-{commune}/_all_docs", params={
            "include_docs": "true", "startkey": json.dumps(f"sheet:2026:{kind}:"),
            "endkey": json.dumps(f"sheet:2026:{kind}:\ufff0")}).json()["rows"]
        for row in [r for r in rows if r["doc"]["status"] == "draft"][: count - len(found)]:
            done = client.put(f"c-{commune}/{row['id']}", json={**row["doc"], "status": "submitted"})
            assert done.status_code == 201, done.text
    return scored_sheets(server, commune, kind)[:count]


def lock(server: Server, db: str, doc: dict[str, Any]) -> None:
    """Lock a sheet as a reviewer (the admin) through the API."""
    with server.client() as client:
        current = client.get(f"{db}/{doc['_id']}").json()
        done = client.put(f"{db}/{doc['_id']}", json={**current, "status": "locked"})
        assert done.status_code == 201, done.text
