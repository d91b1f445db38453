"""Replication benchmark: PouchDB 9 push/pull against our server, pouchdb-server, Apache
CouchDB 3.5 and memory.

Run: `.venv/bin/python bench/replication.py [--count 10000] [--initial 2000] [--repeat 2]`.
Prints docs/s per server and the ratios to the targets of issues 3 and 10 (see
docs/benchmarks.md): push and pull >= 1.5x pouchdb-server and >= 1.5x Apache CouchDB 3.5
(single node, default settings, the build `make setup` made), within 1.3x of the in-process
limit (memory to memory, same PouchDB client, no server), 2,000-doc initial pull into a fresh
PouchDB < 1 s. `--worker-off` adds our server with `THIDUA_WORKER=off` to the same rounds, so
the in-server worker's cost is measured beside it (issue 11).
Each figure is the best of `--repeat` rounds. Our server: uvicorn, one worker, no reload,
log level warning, a real SQLite file in a temp dir. The client reuses HTTP connections, as
browsers do (`--no-keepalive`: one connection per request, node-fetch's default).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.couchdb import CouchNode, missing_couchdb, start_node  # noqa: E402
from tests.replication.servers import (  # noqa: E402
    Server,
    couchdb_server,
    free_port,
    our_server,
    pouchdb_server,
)

SCRIPT = ROOT / "bench" / "js" / "replication_bench.js"
STEPS = ("push", "pull", "initial")
WORKER_OFF = "ours, worker off"


def run_js(server: Server | None, count: int, initial: int, keepalive: bool) -> dict[str, float]:
    """Seconds per step for one round (server None = the in-process limit)."""
    spec = {
        "couch": server.couch if server else None,
        "auth": server.node_auth if server else None,
        "count": count, "initial": initial, "repeat": 1, "keepalive": keepalive,
    }
    done = subprocess.run(["node", str(SCRIPT)], input=json.dumps(spec).encode(),
                          capture_output=True, cwd=ROOT, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"benchmark driver failed: {done.stderr.decode()[-2000:]}")
    [round_] = json.loads(done.stdout)["rounds"]
    return {step: round_[step]["seconds"] for step in STEPS}


def measure_all(servers: dict[str, Server | None], args: argparse.Namespace) -> dict[str, Any]:
    """Best of `repeat` rounds per target; rounds interleave the targets so that load from
    other processes on the machine hits them alike."""
    best: dict[str, dict[str, float]] = {}
    for server in servers.values():
        if server is not None and server.command:  # CouchDB runs already (nodes.sh)
            server.start()
    try:
        for round_no in range(args.repeat):
            for name, server in servers.items():
                print(f"round {round_no + 1}: {name} ...", file=sys.stderr, flush=True)
                times = run_js(server, args.count, args.initial, args.keepalive)
                best[name] = {s: min(times[s], best.get(name, times)[s]) for s in STEPS}
    finally:
        for server in servers.values():
            if server is not None:
                server.stop()
    return best


def report(results: dict[str, dict[str, float]], args: argparse.Namespace) -> list[str]:
    sizes = {"push": args.count, "pull": args.count, "initial": args.initial}
    lines = [f"{'':16}" + "".join(f"{f'{s} ({sizes[s]:,})':>26}" for s in STEPS)]
    for name, times in results.items():
        cells = "".join(f"{times[s]:>9.2f} s {sizes[s] / times[s]:>8,.0f} doc/s" for s in STEPS)
        lines.append(f"{name:16}{cells}")
    ours, limit = results["ours"], results["in-process"]
    peers = [name for name in ("pouchdb-server", "couchdb") if name in results]
    verdicts: list[tuple[str, float, str, bool]] = []
    for step in ("push", "pull"):
        for peer in peers:
            speedup = results[peer][step] / ours[step]
            verdicts.append((f"{step}: ours vs {peer}", speedup, ">= 1.5x", speedup >= 1.5))
        overhead = ours[step] / limit[step]
        verdicts.append((f"{step}: ours / in-process", overhead, "<= 1.3x", overhead <= 1.3))
    verdicts.append((f"initial pull of {args.initial:,}", ours["initial"], "< 1 s",
                     ours["initial"] < 1.0))
    if (off := results.get(WORKER_OFF)) is not None:  # what the in-server worker costs
        for step in ("push", "pull"):
            cost = ours[step] / off[step]
            verdicts.append((f"{step}: worker on / worker off", cost, "<= 1.05x", cost <= 1.05))
    lines.append("")
    for label, value, target, met in verdicts:
        lines.append(f"{label:34} {value:6.2f}  target {target:8} {'met' if met else 'NOT met'}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--initial", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-keepalive", dest="keepalive", action="store_false",
                        help="a TCP connection per request (PouchDB's node-fetch default) "
                             "instead of reused connections (what browsers do)")
    parser.add_argument("--worker-off", action="store_true",
                        help="also run our server with THIDUA_WORKER=off in the same rounds "
                             "(what the in-server worker costs replication)")
    args = parser.parse_args()
    node: CouchNode | None = None
    if missing := missing_couchdb():
        print(f"without Apache CouchDB: {missing}", file=sys.stderr)
    else:
        node = start_node(free_port(), one_shard=False)
    with tempfile.TemporaryDirectory() as tmp:
        servers: dict[str, Server | None] = {
            "ours": our_server(Path(tmp) / "ours"),
            **({WORKER_OFF: our_server(Path(tmp) / "ours-off", THIDUA_WORKER="off")}
               if args.worker_off else {}),
            "pouchdb-server": pouchdb_server(Path(tmp) / "pouchdb-server"),
            **({"couchdb": couchdb_server(node.url, node.auth)} if node else {}),
            "in-process": None,
        }
        try:
            results = measure_all(servers, args)
        finally:
            if node:
                node.stop()
    print(f"HTTP connections: {'reused (keep-alive)' if args.keepalive else 'one per request'}")
    print("\n".join(report(results, args)))


if __name__ == "__main__":
    main()
