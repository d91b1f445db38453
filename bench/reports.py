"""Reports benchmark: the public page, the consolidated API and the national XLSX ranking.

1. `/public/rankings` of a province (the demo, every ready sheet locked) and its commune
   pages, served by our server process (uvicorn), at 50 concurrent clients: p50/p95
   (target p95 < 100 ms).
2. The consolidated API for that province (~1,200 groups; summary by commune, a sorted page
   of units, a ranking page): p50/p95 (target < 200 ms).
3. The XLSX export of the national ranking (~170,000 groups, results written straight into
   the results table from the national demo): wall time (target < 15 s); the same rows
   through openpyxl's ordinary (not write-only) workbook as the naive peer, on a sample.

Usage: `.venv/bin/python bench/reports.py [--clients 50] [--requests 2000] [--skip-national]`.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from replication.servers import Server, free_port  # noqa: E402

from tests.consolidated.world import PASSWORDS, make_world  # noqa: E402

PUBLIC_P95_MS, API_MS, XLSX_S = 100.0, 200.0, 15.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def serve(data: Path) -> Server:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "THIDUA_DATA_DIR": str(data),
           "THIDUA_LOG_LEVEL": "WARNING", "THIDUA_WORKER": "off"}
    command = [sys.executable, "-m", "uvicorn", "--factory", "server.app:create_app", "--host",
               "127.0.0.1", "--port", str(port := free_port()), "--log-level", "warning",
               "--no-access-log"]
    server = Server("ours", command, data, env, port, "/db/")
    server.start()
    return server


def lock_everything(base: str) -> int:
    with httpx.Client(base_url=base, auth=("chinhanh", PASSWORDS["chinhanh"]), timeout=300) as c:
        offices = {r["code"] for r in c.get("/api/results/summary",
                                           params={"level": "pgd"}).json()["rows"]}
        return sum(len(c.post("/api/workflow/lock", json={"scope": "office", "code": o})
                       .json()["locked"]) for o in sorted(offices))


async def hammer(base: str, paths: list[str], clients: int, requests: int) -> list[float]:
    times: list[float] = []
    queue = [paths[i % len(paths)] for i in range(requests)]

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while queue:
                path = queue.pop()
                t0 = time.perf_counter()
                answer = await http.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                assert answer.status_code == 200, (path, answer.status_code)

    await asyncio.gather(*(client() for _ in range(clients)))
    return times


def api_times(base: str, province: str, runs: int = 30) -> dict[str, list[float]]:
    calls = {
        "summary by commune": ("/api/results/summary", {"level": "commune", "province": province}),
        "units page (sorted)": ("/api/results/units", {"province": province, "sort": "-total",
                                                       "limit": 100, "offset": 200}),
        "ranking page": ("/api/results/rankings", {"unit_kind": "savings_group",
                                                   "scope_type": "province", "scope_id": province,
                                                   "limit": 100}),
    }
    out: dict[str, list[float]] = {}
    with httpx.Client(base_url=base, auth=("chinhanh", PASSWORDS["chinhanh"]), timeout=60) as c:
        for name, (path, params) in calls.items():
            c.get(path, params=params)  # warm
            out[name] = []
            for _ in range(runs):
                t0 = time.perf_counter()
                assert c.get(path, params=params).status_code == 200
                out[name].append((time.perf_counter() - t0) * 1000)
    return out


def province_part(clients: int, requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        make_world(Path(tmp) / "data")
        print(f"seeded and scored the demo province in {time.perf_counter() - t0:.1f} s")
        server = serve(Path(tmp) / "data")
        base = f"http://127.0.0.1:{server.port}"
        try:
            print(f"locked {lock_everything(base):,} sheets (every ready sheet, by office)")
            index = httpx.get(f"{base}/public/rankings").text
            import re

            paths = ["/public/rankings", *sorted(set(re.findall(
                r'href="(/public/rankings/[a-z]+/\d+)"', index)))]
            asyncio.run(hammer(base, paths, clients, len(paths)))  # fill the page cache
            times = asyncio.run(hammer(base, paths, clients, requests))
            p50, p95 = pct(times, 0.5), pct(times, 0.95)
            print(f"/public/rankings (+{len(paths) - 1} commune/office pages), {clients} clients, "
                  f"{requests} requests: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                  f"(target p95 < {PUBLIC_P95_MS:.0f} ms: {'met' if p95 < PUBLIC_P95_MS else 'NOT met'})")
            province = httpx.get(f"{base}/api/results/summary", params={"level": "province"},
                                 auth=("chinhanh", PASSWORDS["chinhanh"])).json()["rows"][0]["code"]
            for name, values in api_times(base, province).items():
                p50, p95 = statistics.median(values), pct(values, 0.95)
                print(f"consolidated API, {name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                      f"(target < {API_MS:.0f} ms: {'met' if p95 < API_MS else 'NOT met'})")
        finally:
            server.stop()


def national_results(engine: object) -> int:
    """The national demo's groups scored straight into `result_sheet` (no store)."""
    from sqlalchemy import insert

    from scoring import compile_set, load_shipped
    from scoring.adapt import sheet_input
    from scoring.demo import generate_province
    from scoring.demo_sheets import generate_sheets
    from server.results.build import build_result
    from server.results.tables import SheetResult, install_result_tables

    install_result_tables(engine)  # type: ignore[arg-type]
    demo = generate_province(1, "national")
    cset = load_shipped(demo.campaign.criteria_version)
    compiled = compile_set(cset)
    units = {u.unit_id: u for u in demo.units()}
    communes = {c.code: c for c in demo.communes}
    at = datetime(2026, 12, 1, tzinfo=UTC)
    rows = []
    for sheet in generate_sheets(demo):
        if sheet.unit_kind != "savings_group":
            continue
        given = sheet_input(sheet, units[sheet.unit_id], communes[sheet.commune_code])
        score = compiled.score(given.kind, given.inputs, given.manual, given.flags)
        row, _ = build_result(sheet, sheet_rev="1-x", scopes=dict(given.scopes),
                              cset=cset, score=score, scored_at=at)
        rows.append(row)
    table = SheetResult.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:  # type: ignore[attr-defined]
        for start in range(0, len(rows), 20000):
            conn.execute(insert(table), rows[start:start + 20000])
    return len(rows)


def national_directory() -> object:
    from scoring.demo import generate_province
    from server.territory import _entry, build_directory

    demo = generate_province(1, "national")
    entries = {}
    for doc in demo.directory_docs():
        entry = _entry(doc)
        if entry is not None:
            entries[str(doc["_id"])] = entry
    return build_directory(entries)


def national_part() -> None:
    from openpyxl import Workbook
    from sqlalchemy import create_engine

    from server.consolidated.exports import ranking_report, render
    from server.consolidated.query import Filters

    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/results.sqlite3")
        t0 = time.perf_counter()
        n = national_results(engine)
        directory = national_directory()
        print(f"national results: {n:,} groups scored and stored in {time.perf_counter() - t0:.1f} s")
        f = Filters(campaign="2026", period="2026", unit_kind="savings_group")
        t0 = time.perf_counter()
        report = ranking_report(engine, directory, f, "national", None, date(2026, 12, 1))  # type: ignore[arg-type]
        data = render(report, "xlsx")
        took = time.perf_counter() - t0
        print(f"XLSX national ranking: {n:,} rows, {len(data) / 1e6:.1f} MB in {took:.1f} s "
              f"(target < {XLSX_S:.0f} s: {'met' if took < XLSX_S else 'NOT met'})")
        sample = 20000
        report = ranking_report(engine, directory, f, "national", None, date(2026, 12, 1))  # type: ignore[arg-type]
        rows = [r for _, r in zip(range(sample), report.tables[0].rows, strict=False)]
        t0 = time.perf_counter()
        wb = Workbook()
        ws = wb.active
        for row in rows:
            ws.append(list(row))
        wb.save(io.BytesIO())
        naive = (time.perf_counter() - t0) * n / sample
        print(f"peer: openpyxl ordinary workbook, same rows unstyled, {sample:,}-row sample "
              f"scaled to {n:,}: {naive:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--skip-national", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    province_part(args.clients, args.requests)
    if not args.skip_national:
        national_part()


if __name__ == "__main__":
    main()
