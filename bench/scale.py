"""Scale-out benchmark (issue 16): thidua over a 3-node Apache CouchDB 3.5 cluster.

Run: `.venv/bin/python bench/scale.py [--count 5000] [--initial 1000] [--repeat 3]
[--communes 3321] [--commune-docs 2000] [--clients 16] [--seconds 20]`.

Starts its own cluster (`../shared/couchdb/nodes.sh`, 3 nodes on free loopback ports, q=1,
n=3) and thidua servers (uvicorn, one worker each, CouchDB backend = the cluster, accounts
in one SQLite file they share), then measures, each figure beside its peer in the same run:

1. **Gatekeeper overhead**: PouchDB 9 (Node, memory adapter) push of `--count` sheets, pull
   of them, initial pull of `--initial` (bench/js/replication_bench.js), through thidua and
   straight to the cluster, rounds interleaved, median of `--repeat`. Target <= 1.3x. These go
   to `bench-*` databases (no validation); the territory path follows: a phone's push of
   `--count` real score sheets into an empty `c-` database (the gatekeeper's validation and
   `couch_guard`'s reads), with the PWA's live-sync batch size, beside the same push
   straight into another empty `c-` database.
2. **Commune databases**: `--communes` `c-` databases created on the cluster through the
   store (16 at a time), the national directory in `config`; then a phone's initial pull of
   one commune of `--commune-docs` score sheets through thidua and straight (median of
   `--repeat`) as the PWA does it (`pwa/src/firstload.mjs`: `_changes` with the documents,
   then a replication from its last seq; options from `pwa/src/replication.json`, read by
   bench/js/scale_bench.js), and the same by replication alone. Target < 1 s through thidua.
3. **Two servers against one**: `--clients` phones on a mixed replication load for
   `--seconds` (write 5 sheets, push, pull, again) on their communes, all on one thidua
   server, then split over two: requests/s and p95 per HTTP request.

The in-server worker runs (`THIDUA_WORKER=on`, the default) unless `--worker off`; each
measured run starts once the server is idle (its worker has scored the last run's sheets).
Push and pull runs also print where their time goes: the phone's own CPU (PouchDB in
Node), thidua's CPU, and the phone's wait per request kind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import load as load_bench  # noqa: E402
from replication import run_js  # noqa: E402

from scoring.ids import CONFIG_DB, commune_db  # noqa: E402
from sync.backends.couchdb import CouchStore  # noqa: E402
from tests.couchdb import SHARED, couchdb_prefix, missing_couchdb  # noqa: E402
from tests.replication.servers import Server, couchdb_server, free_port, our_server  # noqa: E402

DRIVER = ROOT / "bench" / "js" / "scale_bench.js"
ADMIN = ("admin", "scale-bench-password")
STEPS = ("push", "pull", "initial")
GROUPS = 20  # savings groups of each commune the benchmark writes sheets for


# -- the cluster and the servers -----------------------------------------------------------
def _free_base() -> int:
    """A port P with P, P+1, P+2 (the nodes) and P+100 (their epmd) free."""
    for _ in range(200):
        base = free_port()
        if base > 65_000:
            continue
        try:
            for port in (base, base + 1, base + 2, base + 100):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise SystemExit("no free ports for a CouchDB cluster")


@contextmanager
def cluster() -> Iterator[str]:
    """Three joined CouchDB 3.5 nodes (q=1, n=3); yields node 1's URL with credentials."""
    prefix = couchdb_prefix()
    if prefix is None:
        raise SystemExit(f"bench/scale.py needs Apache CouchDB: {missing_couchdb()}")
    state = Path(tempfile.mkdtemp(prefix="thidua-scale-cluster-"))
    base = _free_base()
    subprocess.run([str(SHARED / "nodes.sh"), "start", str(prefix), str(state), "3", str(base),
                    *ADMIN], check=True, capture_output=True, timeout=180)
    try:
        for port in range(base, base + 3):
            httpx.put(f"http://127.0.0.1:{port}/_node/_local/_config/cluster/q", json="1",
                      auth=ADMIN, timeout=30).raise_for_status()
        yield f"http://{ADMIN[0]}:{ADMIN[1]}@127.0.0.1:{base}"
    finally:
        subprocess.run([str(SHARED / "nodes.sh"), "stop", str(state)], capture_output=True,
                       timeout=120, check=False)
        shutil.rmtree(state, ignore_errors=True)


def thidua(data: Path, couch: str, shared_sql: Path, worker: str) -> Server:
    """A thidua server over the cluster; accounts, leases and results in `shared_sql`."""
    return our_server(data, THIDUA_COUCHDB_URL=couch, THIDUA_WORKER=worker,
                      THIDUA_DATABASE_URL=f"sqlite:///{shared_sql}",
                      THIDUA_SECRET_KEY="scale-bench-secret-key-0123456789abcdef")


def twin(server: Server, data: Path) -> Server:
    """Another server like `server` (same accounts and CouchDB) on its own port and data dir."""
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [str(port) if arg == str(server.port) else arg for arg in server.command]
    return Server("ours", command, data, {**server.env, "THIDUA_DATA_DIR": str(data)}, port,
                  server.prefix, auth=server.auth)


def node_auth(server: Server) -> dict[str, str]:
    auth = server.node_auth
    assert auth is not None
    return auth


def driver(spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(["node", str(DRIVER)], input=json.dumps(spec).encode(),
                          capture_output=True, cwd=ROOT, timeout=1800, check=False)
    if done.returncode != 0:
        raise SystemExit(f"scale driver failed: {done.stderr.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def idle(server: Server, timeout: float = 120.0) -> None:
    """Wait until `server` has used under 5% of a core for a second (its in-server worker has
    scored what the last round wrote), so that no round pays for the one before it."""
    deadline = time.monotonic() + timeout
    last = cpu_seconds(server)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = cpu_seconds(server)
        if now - last < 0.05:
            return
        last = now
    print(f"the server stayed busy for {timeout:.0f} s; measuring anyway", file=sys.stderr)


def cpu_seconds(server: Server) -> float:
    """User + system CPU the server process has used (for sizing: CPU per document)."""
    assert server.proc is not None
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- 1. gatekeeper overhead ---------------------------------------------------------------
def overhead(ours: Server, direct: Server, args: argparse.Namespace) -> dict[str, dict]:
    """Median seconds per step for each, and thidua's median CPU seconds for one round."""
    runs: dict[str, list[dict[str, float]]] = {"thidua": [], "cluster": []}
    cpu: list[float] = []
    for round_no in range(args.repeat):
        for name, server in (("thidua", ours), ("cluster", direct)):
            print(f"overhead round {round_no + 1}: {name} ...", file=sys.stderr, flush=True)
            idle(ours)
            before = cpu_seconds(ours)
            runs[name].append(run_js(server, args.count, args.initial, True))
            if name == "thidua":
                cpu.append(cpu_seconds(ours) - before)
    medians: dict[str, dict] = {name: {s: median(t[s] for t in times) for s in STEPS}
                             for name, times in runs.items()}
    medians["cpu"] = {"round": median(cpu)}
    return medians


def rounds(ours: Server, direct: Server, specs: list[dict[str, Any]]) -> dict[str, Any]:
    """Run the driver on each spec, thidua and straight interleaved (`spec["server"]` names
    which; the driver gets its URL and credentials): per side the median seconds, the
    phone's median CPU seconds, and per request kind the median milliseconds and count; for
    thidua also its median CPU seconds."""
    seen: dict[str, list[dict[str, Any]]] = {"thidua": [], "cluster": []}
    cpu: list[float] = []
    for spec in specs:
        name = spec.pop("server")
        server = ours if name == "thidua" else direct
        idle(ours)
        before = cpu_seconds(ours)
        seen[name].append(driver({**spec, "couch": server.couch, "auth": node_auth(server)}))
        if name == "thidua":
            cpu.append(cpu_seconds(ours) - before)
    out: dict[str, Any] = {"cpu": median(cpu)}
    for name, answers in seen.items():
        kinds = sorted({kind for answer in answers for kind in answer["steps"]})
        out[name] = median(answer["seconds"] for answer in answers)
        out[f"{name}_docs"] = median(answer["docs"] for answer in answers)
        out[f"{name}_phone_cpu"] = median(answer["cpu"] for answer in answers)
        out[f"{name}_steps"] = {kind: (median(a["steps"].get(kind, {}).get("count", 0)
                                              for a in answers),
                                       median(a["steps"].get(kind, {}).get("ms", 0.0)
                                              for a in answers)) for kind in kinds}
    return out


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def territory_push(ours: Server, direct: Server, codes: list[str],
                   args: argparse.Namespace) -> dict[str, Any]:
    """A phone's push of `--count` sheets into an empty commune database (through thidua:
    validated and guarded; straight into another), each round on a fresh pair."""
    specs = [{"server": name, "mode": "push", "db": commune_db(code),
              "docs": commune_sheets(code, args.count)}
             for round_no in range(args.repeat)
             for name, code in zip(("thidua", "cluster"), codes[2 * round_no:2 * round_no + 2],
                                   strict=True)]
    return rounds(ours, direct, specs)


# -- 2. commune databases -----------------------------------------------------------------
async def create_communes(couch: str, codes: list[str], periods: int, busy: list[str]) -> float:
    """Seconds to create `config` and every `c-` database (16 at a time), directory in
    (the `busy` communes, which the benchmark writes sheets for, with `GROUPS` groups)."""
    store = CouchStore(couch, timeout=120)
    await store.initialize()
    try:
        await store.create_db(CONFIG_DB)
        gate = asyncio.Semaphore(16)

        async def one(code: str) -> None:
            async with gate:
                await store.create_db(commune_db(code))

        start = time.perf_counter()
        await asyncio.gather(*(one(code) for code in codes))
        seconds = time.perf_counter() - start
        docs = load_bench.directory(codes, periods) + [
            {**unit, "_id": unit["_id"][:-2] + f"{n:02d}", "code": unit["code"][:-2] + f"{n:02d}"}
            for unit in load_bench.directory(busy, 1) if unit.get("type") == "unit"
            for n in range(2, GROUPS + 1)]
        for i in range(0, len(docs), 2000):
            results = await store.bulk_docs(CONFIG_DB, docs[i:i + 2000])
            assert not [r for r in results if r.error], results[:3]
        return seconds
    finally:
        await store.close()


def commune_sheets(code: str, count: int) -> list[dict[str, Any]]:
    """`count` score sheets of one commune (`GROUPS` groups x periods)."""
    periods = load_bench.period_ids(-(-count // GROUPS))
    return [{**sheet, "unit_code": unit, "_id": sheet["_id"].replace(f"{code}01", unit)}
            for sheet in load_bench.sheets(code, periods)
            for unit in (f"{code}{group:02d}" for group in range(1, GROUPS + 1))][:count]


async def fill_commune(couch: str, code: str, count: int) -> None:
    """`count` score sheets of one commune, written straight."""
    docs = commune_sheets(code, count)
    store = CouchStore(couch, timeout=120)
    await store.initialize()
    try:
        for i in range(0, len(docs), 1000):
            results = await store.bulk_docs(commune_db(code), docs[i:i + 1000])
            assert not [r for r in results if r.error], results[:3]
    finally:
        await store.close()


def commune_pull(ours: Server, direct: Server, db: str, repeat: int,
                 replicate: bool = False) -> dict[str, Any]:
    """A phone's first download of `db` as the PWA does it (or, `replicate`, by replication
    alone), thidua and straight interleaved, `repeat` each."""
    return rounds(ours, direct, [{"server": name, "mode": "pull", "db": db, "replicate": replicate}
                                 for _ in range(repeat) for name in ("thidua", "cluster")])


# -- 3. two servers against one -----------------------------------------------------------
def mixed(servers: list[Server], codes: list[str], args: argparse.Namespace) -> dict[str, Any]:
    answer = driver({"mode": "mixed", "couches": [s.couch for s in servers],
                     "auth": node_auth(servers[0]), "dbs": [commune_db(c) for c in codes],
                     "clients": args.clients, "seconds": args.seconds, "batch": 5,
                     "docs": mixed_sheets(codes, args)})
    latencies = answer["latencies"]
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    return {"rps": answer["requests"] / answer["seconds"], "p95": p95,
            "requests": answer["requests"], "errors": answer["errors"],
            "syncs": answer["syncs"], "failures": answer["failures"]}


def mixed_sheets(codes: list[str], args: argparse.Namespace) -> list[list[dict[str, Any]]]:
    """Per phone, the sheets it writes in order: its commune's group, one period each."""
    periods = load_bench.period_ids(args.periods)
    return [load_bench.sheets(codes[i % len(codes)], periods) for i in range(args.clients)]


# -- the report ----------------------------------------------------------------------------
def report(console: Console, figures: dict[str, Any], args: argparse.Namespace) -> None:
    sizes = {"push": args.count, "pull": args.count, "initial": args.initial}
    table = Table(title=f"1. Gatekeeper overhead (PouchDB 9, median of {args.repeat}, "
                        f"worker {args.worker})")
    table.add_column("step")
    for name in ("thidua", "cluster"):
        table.add_column(f"{name} s", justify="right")
        table.add_column(f"{name} doc/s", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column("target <= 1.3x")
    best = figures["overhead"]
    for step in STEPS:
        ours, peer = best["thidua"][step], best["cluster"][step]
        ratio = ours / peer
        table.add_row(f"{step} ({sizes[step]:,})", f"{ours:.2f}", f"{sizes[step] / ours:,.0f}",
                      f"{peer:.2f}", f"{sizes[step] / peer:,.0f}", f"{ratio:.2f}x",
                      "met" if ratio <= 1.3 else "NOT met")
    push = figures["territory_push"]
    ratio = push["thidua"] / push["cluster"]
    table.add_row(f"push into c- ({args.count:,}, validated)", f"{push['thidua']:.2f}",
                  f"{args.count / push['thidua']:,.0f}", f"{push['cluster']:.2f}",
                  f"{args.count / push['cluster']:,.0f}", f"{ratio:.2f}x",
                  "met" if ratio <= 1.3 else "NOT met")
    console.print(table)
    docs = 2 * args.count + args.initial
    cpu = best["cpu"]["round"]
    console.print(f"thidua CPU for one round ({docs:,} docs replicated, worker {args.worker}): "
                  f"{cpu:.1f} s = {1000 * cpu / docs:.2f} ms per document; for the push into "
                  f"c-: {push['cpu']:.1f} s = {1000 * push['cpu'] / args.count:.2f} ms per "
                  f"document; peak RSS {figures['rss'] / 2**20:.0f} MiB")

    table = Table(title=f"2. {args.communes:,} commune databases on the cluster")
    table.add_column("measure")
    table.add_column("thidua", justify="right")
    table.add_column("cluster", justify="right")
    table.add_column("target")
    table.add_row("create the databases (16 at a time)", f"{figures['create']:.1f} s", "",
                  f"{args.communes / figures['create']:,.0f} db/s")
    pull = figures["commune_pull"]
    table.add_row(f"phone's first download, {args.commune_docs:,} sheets = "
                  f"{pull['thidua_docs']:,.0f} docs with results (PWA: first load)",
                  f"{pull['thidua']:.2f} s", f"{pull['cluster']:.2f} s",
                  "< 1 s: " + ("met" if pull["thidua"] < 1 else "NOT met"))
    plain = figures["commune_replicate"]
    table.add_row("  the same by replication alone (replication.json `initial`)",
                  f"{plain['thidua']:.2f} s", f"{plain['cluster']:.2f} s", "")
    console.print(table)
    console.print(f"commune pull: thidua CPU {pull['cpu']:.2f} s = "
                  f"{1000 * pull['cpu'] / args.commune_docs:.2f} ms per document")
    console.print(where_time_goes(push, pull))

    table = Table(title=f"3. Mixed replication load: {args.clients} phones, {args.seconds} s")
    for column in ("servers", "requests/s", "p95 ms", "requests", "syncs", "errors"):
        table.add_column(column, justify="right")
    for name, run in figures["mixed"].items():
        table.add_row(name, f"{run['rps']:,.0f}", f"{run['p95']:.0f}", f"{run['requests']:,}",
                      f"{run['syncs']:,}", f"{run['errors'] + run['failures']}")
    one, two = figures["mixed"]["one"], figures["mixed"]["two"]
    console.print(table)
    console.print(f"two servers / one: {two['rps'] / one['rps']:.2f}x requests/s, "
                  f"p95 {two['p95'] / one['p95']:.2f}x (all on one {os.cpu_count()}-core "
                  "machine with the cluster and the phones)")


def where_time_goes(push: dict[str, Any], pull: dict[str, Any]) -> Table:
    """The validated push and the commune pull split: the phone's own CPU, thidua's CPU, and
    the time the phone waited per request kind (medians of the rounds)."""
    table = Table(title="Where the time goes (medians; request ms = the phone's wait, summed "
                        "over the requests of one kind)")
    table.add_column("measure")
    for name in ("push thidua", "push cluster", "pull thidua", "pull cluster"):
        table.add_column(name, justify="right")
    sides = [(push, "thidua"), (push, "cluster"), (pull, "thidua"), (pull, "cluster")]
    table.add_row("wall s", *(f"{run[side]:.2f}" for run, side in sides))
    table.add_row("phone CPU s", *(f"{run[f'{side}_phone_cpu']:.2f}" for run, side in sides))
    table.add_row("thidua CPU s", *(f"{run['cpu']:.2f}" if side == "thidua" else ""
                                    for run, side in sides))
    kinds = sorted({kind for run, side in sides for kind in run[f"{side}_steps"]})
    for kind in kinds:
        cells = []
        for run, side in sides:
            count, ms = run[f"{side}_steps"].get(kind, (0, 0.0))
            cells.append(f"{ms:,.0f} ({count:g})" if count else "")
        table.add_row(f"{kind} ms (requests)", *cells)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5_000)
    parser.add_argument("--initial", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--communes", type=int, default=3_321)
    parser.add_argument("--commune-docs", type=int, default=2_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--periods", type=int, default=400,
                        help="campaign periods (one sheet each per phone in the mixed load)")
    parser.add_argument("--worker", choices=("on", "off"), default="on")
    args = parser.parse_args()
    console = Console(width=120)
    figures: dict[str, Any] = {}
    codes = [str(10_001 + n) for n in range(args.communes)]  # 5-digit commune codes
    busy = codes[1:1 + 2 * args.clients]  # the mixed load's: each run on communes of its own
    pushed = codes[-2 * args.repeat:]  # the territory push's: an empty pair per round
    if len(codes) < 1 + len(busy) + len(pushed):
        raise SystemExit(f"--communes must be at least {1 + len(busy) + len(pushed)}")
    with tempfile.TemporaryDirectory() as tmp, cluster() as couch:
        shared = Path(tmp) / "shared.sqlite3"
        first = thidua(Path(tmp) / "one", couch, shared, args.worker)
        second = twin(first, Path(tmp) / "two")
        bare = couch.split("@", 1)[1]
        direct = couchdb_server(f"http://{bare}/", ADMIN)
        print("creating the commune databases ...", file=sys.stderr, flush=True)
        figures["create"] = asyncio.run(create_communes(couch, codes, args.periods,
                                                        [codes[0], *pushed]))
        asyncio.run(fill_commune(couch, codes[0], args.commune_docs))
        first.start(wait=120)
        try:
            figures["overhead"] = overhead(first, direct, args)
            print("push into commune databases ...", file=sys.stderr, flush=True)
            figures["territory_push"] = territory_push(first, direct, pushed, args)
            print("commune pull ...", file=sys.stderr, flush=True)
            figures["commune_pull"] = commune_pull(first, direct, commune_db(codes[0]),
                                                   args.repeat)
            figures["commune_replicate"] = commune_pull(first, direct, commune_db(codes[0]),
                                                        args.repeat, replicate=True)
            print("mixed load, one server ...", file=sys.stderr, flush=True)
            figures["mixed"] = {"one": mixed([first], busy[:args.clients], args)}
            second.start(wait=120)
            try:
                print("mixed load, two servers ...", file=sys.stderr, flush=True)
                figures["mixed"]["two"] = mixed([first, second], busy[args.clients:], args)
            finally:
                second.stop()
            assert first.proc is not None
            figures["rss"] = load_bench.peak_rss(first.proc.pid)
        finally:
            first.stop()
    report(console, figures, args)


if __name__ == "__main__":
    main()
