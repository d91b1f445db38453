"""Worker benchmark: sync-to-ranking latency and the backfill of a seeded store.

Run: `.venv/bin/python bench/worker.py [--sheets 1000] [--scale province|national]
[--only latency|backfill] [--seeded DIR]`.

1. Latency (target p95 < 1 s): our server (uvicorn, worker on, SQLite file) with the seeded
   demo; for each of `--sheets` sheets a device-style `_bulk_docs` (`new_edits=false`, a new
   child revision) is sent, and the clock runs from its answer until the SQL ranking of the
   unit's commune (`server.results.read.ranking`, what the API serves) shows that revision.
2. Backfill (target < 60 s for `--scale national`, ~170,000 sheets, on one core): the worker
   (`thidua worker --once` code path) scores the seeded store from checkpoint 0; beside it,
   the engine alone (scoring every sheet in memory) and the engine with explanations.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine  # noqa: E402

from scoring import compile_set, explain, load_shipped  # noqa: E402
from scoring.adapt import sheet_input  # noqa: E402
from scoring.demo import generate_province  # noqa: E402
from scoring.demo_sheets import generate_sheets  # noqa: E402
from server.results.read import ranking  # noqa: E402
from sync import revtree  # noqa: E402
from tests.replication.servers import _cli, our_server  # noqa: E402


def _child(doc: dict[str, Any], n: int) -> dict[str, Any]:
    body = {k: v for k, v in doc.items() if not k.startswith("_")}
    name = sorted(body["inputs"])[0]
    body["inputs"] = {**body["inputs"], name: n}
    body["updated_at"] = "2026-11-30T08:00:00Z"
    rev = revtree.new_rev(doc["_rev"], body, deleted=False)
    pos, digest = revtree.parse_rev(rev)
    return {**body, "_id": doc["_id"], "_rev": rev,
            "_revisions": {"start": pos, "ids": [digest, revtree.parse_rev(doc["_rev"])[1]]}}


def latency(count: int) -> list[float]:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-worker-"))
    server = our_server(data_dir)
    assert _cli(["seed-demo"], server.env).returncode == 0
    server.start()
    engine = create_engine(f"sqlite:///{(data_dir / 'thidua.sqlite3').resolve()}")
    try:
        with server.client() as client:
            dbs = [d for d in client.get("_all_dbs").json() if d.startswith("c-")]
            sheets = []
            for db in dbs:
                rows = client.get(f"{db}/_all_docs", params={
                    "include_docs": "true", "startkey": '"sheet:"',
                    "endkey": '"sheet:\uffff"'}).json()["rows"]
                sheets.extend((db, r["doc"]) for r in rows if r["doc"].get("status") != "locked")
            _wait_scored(engine, len(sheets))
            times = []
            for i in range(count):
                db, doc = sheets[i % len(sheets)]
                child = _child(doc, 1000 + i)
                sheets[i % len(sheets)] = (db, child)
                answer = client.post(f"{db}/_bulk_docs",
                                     json={"docs": [child], "new_edits": False})
                start = time.perf_counter()
                assert answer.status_code == 201, answer.text
                times.append(_until_ranked(engine, child, start))
            return times
    finally:
        server.stop()
        engine.dispose()


def _wait_scored(engine: Any, count: int, timeout: float = 600) -> None:
    from sqlalchemy import text

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with engine.connect() as conn:
                if conn.execute(text("SELECT count(*) FROM result_sheet")).scalar_one() >= count:
                    return
        except Exception:  # noqa: BLE001 - tables not there yet
            pass
        time.sleep(0.2)
    raise SystemExit("the worker did not score the seeded sheets in time")


def _until_ranked(engine: Any, doc: dict[str, Any], start: float, timeout: float = 30) -> float:
    unit = f"{doc['unit_kind']}:{doc['unit_code']}"
    while time.perf_counter() - start < timeout:
        rows = ranking(engine, campaign=doc["campaign"], period=doc["period"],
                       unit_kind=doc["unit_kind"], scope_type="commune",
                       scope_id=doc["commune_code"])
        if any(r.result.unit == unit and r.result.sheet_rev == doc["_rev"] for r in rows):
            return time.perf_counter() - start
        time.sleep(0.005)
    raise SystemExit(f"{doc['_id']} not ranked after {timeout} s")


def backfill(scale: str, seeded_dir: Path | None = None) -> tuple[int, float, float]:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-backfill-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "THIDUA_DATA_DIR": str(data_dir),
           "THIDUA_LOG_LEVEL": "WARNING"}
    if seeded_dir is not None:  # a store seeded once (`seed-demo`, never scored), copied
        for item in seeded_dir.iterdir():
            shutil.copy(item, data_dir / item.name)
    else:
        code = "import sys; from server.cli import main; sys.argv[0] = 'thidua'; main()"
        seeded = subprocess.run([sys.executable, "-c", code, "seed-demo", "--scale", scale],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
        assert seeded.returncode == 0, seeded.stderr  # national: ~80 s, so not `_cli` (60 s)
    from server.settings import load_settings
    from server.worker.standalone import open_worker

    async def run() -> tuple[int, float, float]:
        async with open_worker(load_settings(env)) as worker:
            start, cpu = time.perf_counter(), time.process_time()
            await worker.drain()
            return (worker.scorer.written, time.perf_counter() - start,
                    time.process_time() - cpu)

    return asyncio.run(run())


def engine_alone(scale: str) -> tuple[int, float, float]:
    demo = generate_province(1, scale)
    cset = load_shipped(demo.campaign.criteria_version)
    compiled = compile_set(cset)
    units = {u.unit_id: u for u in demo.units()}
    communes = {c.code: c for c in demo.communes}
    given = [sheet_input(s, units[s.unit_id], communes[s.commune_code])
             for s in generate_sheets(demo)]
    start = time.perf_counter()
    scores = [compiled.score(g.kind, g.inputs, g.manual, g.flags) for g in given]
    scored = time.perf_counter() - start
    start = time.perf_counter()
    for score in scores:
        explain(cset, score)
    return len(given), scored, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sheets", type=int, default=1000)
    parser.add_argument("--scale", choices=["province", "national"], default="national")
    parser.add_argument("--only", choices=["latency", "backfill"], default=None)
    parser.add_argument("--seeded", type=Path, default=None,
                        help="a data folder `seed-demo --scale` made (not yet scored): copied "
                             "for the backfill instead of seeding again")
    args = parser.parse_args()
    if args.only != "backfill":
        times = sorted(latency(args.sheets))
        p50 = statistics.median(times)
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"sync-to-ranking latency over {len(times):,} sheets: p50 {p50 * 1000:.0f} ms, "
              f"p95 {p95 * 1000:.0f} ms (target p95 < 1000 ms: "
              f"{'met' if p95 < 1 else 'NOT met'})")
    if args.only == "latency":
        return
    sheets, scored, explained = engine_alone(args.scale)
    written, seconds, cpu = backfill(args.scale, args.seeded)
    verdict = ("met" if cpu < 60 else "NOT met") + " by CPU time" if args.scale == "national" else (
        f"not judged at this scale; at this rate 170,000 sheets take "
        f"{170_000 / (written / seconds):,.0f} s")
    print(f"backfill ({args.scale}, {written:,} results of {sheets:,} sheets, from checkpoint 0): "
          f"{seconds:.1f} s wall, {cpu:.1f} s CPU (the one-core figure on a shared machine), "
          f"{written / seconds:,.0f} sheets/s (target < 60 s for national: {verdict})")
    print(f"engine alone: {scored:.2f} s ({sheets / scored:,.0f} sheets/s); "
          f"explanations: {explained:.2f} s more")


if __name__ == "__main__":
    main()
