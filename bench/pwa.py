"""PWA benchmark in real headless Chromium, against the issue 13 budget.

Run: `.venv/bin/python bench/pwa.py [--repeat 5]`. Builds nothing: run `make setup` first.
Prints, beside each budget:
* all JavaScript shipped (the hashed bundle and the service worker), gzipped: <= 150 KB
  (PouchDB's own `dist/pouchdb.min.js` gzipped is printed for scale);
* the app shell loading offline from the service worker cache (reload until the app's
  header is rendered, median of `--repeat`): < 1 s; then, without a budget, until the
  territory screen shows its data read from IndexedDB;
* a scorer's first download after sign-in (`config` ~2,100 docs and one commune's sheets,
  into IndexedDB, with the progress bar) on loopback: < 5 s, from the sign-in click to the
  progress bar gone (argon2 sign-in and token issue included).
Server: `thidua demo` data, uvicorn, one worker, a real SQLite file in a temp dir.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pwa.browser import DIST, SCORER, demo_server, launch, phone  # noqa: E402

BUDGET_KB, SHELL_S, DOWNLOAD_S = 150, 1.0, 5.0


def gz_kb(path: Path) -> float:
    return len(gzip.compress(path.read_bytes(), 9)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    js = sorted(DIST.rglob("*.js"))
    shipped = sum(gz_kb(p) for p in js)
    pouch = gz_kb(ROOT / "node_modules" / "pouchdb" / "dist" / "pouchdb.min.js")
    print(f"JS shipped, gzipped: {shipped:.1f} KB ({', '.join(p.name for p in js)})"
          f"  budget <= {BUDGET_KB} KB: {'met' if shipped <= BUDGET_KB else 'NOT met'}"
          f"  [pouchdb.min.js alone: {pouch:.1f} KB]")
    with tempfile.TemporaryDirectory() as tmp:
        server = demo_server(Path(tmp) / "data")
        server.start()
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                downloads, shells, datas = [], [], []
                for _ in range(args.repeat):
                    context = phone(browser)
                    page = context.new_page()
                    page.goto(f"http://127.0.0.1:{server.port}/")
                    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
                    page.get_by_label("Tên đăng nhập").fill(SCORER[0])
                    page.get_by_label("Mật khẩu").fill(SCORER[1])
                    start = time.perf_counter()
                    page.get_by_role("button", name="Đăng nhập").click()
                    page.get_by_text("Đã chấm").first.wait_for(timeout=60_000)
                    page.wait_for_function("!document.querySelector('progress')", timeout=60_000,
                                           polling=20)
                    downloads.append(time.perf_counter() - start)
                    context.set_offline(True)
                    start = time.perf_counter()
                    page.reload()
                    page.locator("header.top h1").wait_for(timeout=30_000)
                    shells.append(time.perf_counter() - start)
                    page.get_by_text("Đã chấm").first.wait_for(timeout=30_000)
                    datas.append(time.perf_counter() - start)
                    context.close()
                browser.close()
        finally:
            server.stop()
    shell, download = statistics.median(shells), statistics.median(downloads)
    print(f"offline shell load (median of {args.repeat}): {shell * 1000:.0f} ms"
          f"  budget < {SHELL_S * 1000:.0f} ms: {'met' if shell < SHELL_S else 'NOT met'}"
          f"  [all: {', '.join(f'{s * 1000:.0f}' for s in shells)}]")
    data = statistics.median(datas)
    print(f"offline reload to the territory with its data from IndexedDB (median): {data * 1000:.0f} ms"
          f"  (no budget)  [all: {', '.join(f'{s * 1000:.0f}' for s in datas)}]")
    print(f"first download, sign-in to done (median of {args.repeat}): {download:.2f} s"
          f"  budget < {DOWNLOAD_S:.0f} s: {'met' if download < DOWNLOAD_S else 'NOT met'}"
          f"  [all: {', '.join(f'{s:.2f}' for s in downloads)}]")


if __name__ == "__main__":
    main()
