"""Many phones at once, and a sign-in storm, against a real `thidua serve` (one process).

Run: `.venv/bin/python bench/load.py [--sizes 50,100,200] [--sheets 50] [--storm 200]
[--modes token,basic] [--node-processes 1] [--pin]`.

* **Sign-in storm**: `--storm` concurrent sign-ins (half HTTP Basic, half `POST /db/_session`)
  with unknown names and wrong passwords, each from its own address (behind a trusted proxy,
  so the per-address limits do not hide the password-check bound). Target: peak RSS of the
  server under 600 MiB, no answer other than 401, 429 or 503.
* **Devices**: for N in `--sizes`, N real PouchDB 9 clients (Node, memory adapter), each a
  distinct scorer of its own commune, push `--sheets` new score sheets into `c-<commune>` and
  then pull it, all at once; first with device tokens (`Authorization: Bearer`), then with
  HTTP Basic. Printed per run: p50, p95 and max seconds per sync (push + pull), errors
  (each also on stderr, with the status, request and reason of the last answer >= 400 the
  phone got before it: PouchDB's own message may name none), every answer >= 400 the phones
  got counted by status, request and reason (but a first sync's 404 checkpoint reads),
  sheets missing on the server afterwards, 503/429 retries (after ~1 s, for up to 10
  minutes: the PWA's live sync retries), argon2 checks, documents pulled per device, the
  server's peak RSS, the CPU seconds of the server and of the Node clients
  while the phones sync, and when the server's worker had scored every sheet (with the
  server's CPU seconds by then). Targets with tokens: 0 errors, 0 missing, p95 < 3 s at 200
  devices, RSS < 600 MiB; with Basic: 0 errors, and no device pays argon2 more than once.

The phones run in `--node-processes` Node processes (phone i in process i mod that number):
phones are separate devices with their own CPUs, while one Node process emulating 200 of
them needs about as much CPU as the server (docs/benchmarks.md), so on a small machine the
clients are part of what is timed; the CPU seconds printed say how much. `--pin` (an extra
view; the target is judged unpinned) runs the server on the first core and the phones on the
others (`taskset`), as separate devices would not take the server's CPU. Every process
first loads its phones' sheets, then all start syncing on one signal (loading is not timed).
They replicate as the PWA's live sync does (`batch_size: 200`), with PouchDB's own HTTP
client (node-fetch) and no cookie jar for tokens.

Peak RSS is the kernel's high-water mark (`VmHWM`) of the server process, which is restarted
for every run. Argon2 checks are counted from the server's DEBUG log. CPU seconds come from
`/proc/<pid>/stat` (server) and `process.cpuUsage()` (each Node process, syncing only).
Profiling aids: `BENCH_PROFILE=<file>` records the server with py-spy while the phones sync
(`.venv/bin/uv pip install py-spy`, not a project dependency); `BENCH_NODE_FLAGS="--cpu-prof"`
passes flags to the Node processes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scoring.campaign import Campaign, Period  # noqa: E402
from scoring.ids import CONFIG_DB, commune_db  # noqa: E402
from scoring.places import Commune, TransactionOffice  # noqa: E402
from scoring.sheet import ScoreSheet  # noqa: E402
from scoring.units import SavingsGroup  # noqa: E402
from server.accounts import Accounts  # noqa: E402
from server.settings import Settings  # noqa: E402
from sync.backends import load_store  # noqa: E402

THIDUA = ROOT / ".venv" / "bin" / "thidua"
DRIVER = ROOT / "bench" / "js" / "load_bench.js"
PASSWORD = "bench-scorer-password"
ADMIN = ("bench-admin", "bench-admin-password")
CAMPAIGN = "2026"
MIB = 1024 * 1024
#: Extra `node` flags for the drivers, e.g. `--cpu-prof` (Node refuses it in NODE_OPTIONS).
NODE_FLAGS = os.environ.get("BENCH_NODE_FLAGS", "").split()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (all its threads), from `/proc`."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss(pid: int) -> int:
    """The process's peak resident set (bytes), from the kernel's `VmHWM`."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


class Served:
    """`thidua serve` on a free port; `peak` is read just before it stops."""

    def __init__(self, data_dir: Path, pin: bool = False) -> None:
        self.data_dir, self.port, self.peak, self.pid = data_dir, free_port(), 0, 0
        self.pin, self.phones_pin = pinning(pin)  # `taskset -c CORES` prefixes, or none
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "server.log"

    @contextmanager
    def running(self) -> Iterator[Served]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("THIDUA_")}
        env.update(
            THIDUA_DATA_DIR=str(self.data_dir),
            THIDUA_LOG_LEVEL="DEBUG",  # "password checked" lines count the argon2 checks
            THIDUA_TRUSTED_PROXIES="127.0.0.1",  # the storm's X-Forwarded-For addresses
        )
        with self.log.open("w") as log:
            process = subprocess.Popen(
                [*self.pin, str(THIDUA), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=env, stdout=log, stderr=log,
            )  # fmt: skip
        self.pid = process.pid
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(self.base + "/healthz", timeout=2)
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(  # noqa: B904 - not a consequence of this error
                            f"the server did not start: {self.log.read_text()[-2000:]}"
                        )
                    time.sleep(0.2)
            yield self
            self.peak = peak_rss(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)

    def password_checks(self) -> int:
        return self.log.read_text(errors="replace").count('"password checked"')


# -- the world ---------------------------------------------------------------------------
def communes(count: int) -> list[str]:
    return [f"89{n:03d}" for n in range(1, count + 1)]


def directory(codes: list[str], periods: int) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    offices: dict[str, list[str]] = {}
    for index, code in enumerate(codes):
        office = f"89{index // 50 + 1:02d}00"
        offices.setdefault(office, []).append(code)
        docs.append(Commune(code=code, name=f"Xã {code}", kind="xa", province_code="89",
                            office_code=office).to_doc())  # fmt: skip
        docs.append(SavingsGroup(
            code=f"{code}01", name=f"Tổ {code}", commune_code=code, leader_name="Lan",
            hamlet_code=f"{code}-1", association="PN", point_code=f"{code}-P",
            office_code=office, members=20, months_operating=12,
        ).to_doc())  # fmt: skip
    for office, members in offices.items():
        docs.append(TransactionOffice(code=office, name=f"PGD {office}", branch_code="890000",
                                      seat_commune_code=members[0],
                                      commune_codes=tuple(members)).to_doc())  # fmt: skip
    docs.append(Campaign(
        id=CAMPAIGN, year=2026, name="Thi đua 2026", criteria_version="vbsp-2026",
        periods=tuple(Period(id=p, label=p, start="2026-01-01", end="2026-12-31")
                      for p in period_ids(periods)),
    ).to_doc())  # fmt: skip
    return docs


def period_ids(count: int) -> list[str]:
    return [f"2026-{n:04d}" for n in range(1, count + 1)]


def sheets(commune: str, periods: list[str]) -> list[dict[str, Any]]:
    return [
        ScoreSheet(campaign=CAMPAIGN, period=period, unit_kind="savings_group",
                   unit_code=f"{commune}01", commune_code=commune,
                   inputs={"du_no": 100 + n}).to_doc()
        for n, period in enumerate(periods)
    ]  # fmt: skip


class OneHashPerPassword(PasswordHasher):
    """The default argon2 parameters, but one hash per password: every scorer shares the
    bench's password, and the server's checks cost what the stored hash's parameters say,
    so seeding 200 scorers takes one argon2 run instead of 200."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, str] = {}

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        key = password if isinstance(password, str) else password.decode()
        if key not in self._made:
            self._made[key] = super().hash(password)
        return self._made[key]


def seed(data_dir: Path, codes: list[str], periods: int) -> dict[str, str]:
    """Databases, the directory, one scorer per commune and a device token each."""
    settings = Settings(data_dir=data_dir, log_level="WARNING")

    async def documents() -> None:
        store = load_store(settings)
        await store.initialize()
        try:
            for name in (CONFIG_DB, *(commune_db(c) for c in codes)):
                await store.create_db(name)
            results = await store.bulk_docs(CONFIG_DB, directory(codes, periods))
            assert not [r for r in results if r.error], results
        finally:
            await store.close()

    asyncio.run(documents())
    accounts = Accounts.from_settings(settings)
    accounts.hasher = OneHashPerPassword()
    accounts.initialize()
    try:
        accounts.add(ADMIN[0], ADMIN[1], ["admin"])

        def scorer(code: str) -> tuple[str, str]:
            accounts.add(f"canbo{code}", PASSWORD, ["scorer"], [code])
            return code, accounts.create_token(f"canbo{code}", "bench phone")[1]

        with ThreadPoolExecutor(4) as pool:
            return dict(pool.map(scorer, codes))
    finally:
        accounts.close()


# -- the sign-in storm -------------------------------------------------------------------
async def storm(base: str, count: int) -> Counter[int]:
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def one(n: int) -> int:
            forwarded = {"X-Forwarded-For": f"10.{n // 250}.{n % 250}.7"}
            if n % 2:
                secret = base64.b64encode(f"ghost{n}:wrong-{n}".encode()).decode()
                headers = {**forwarded, "Authorization": f"Basic {secret}"}
                return (await client.get("/db/_all_dbs", headers=headers)).status_code
            body = {"name": f"ghost{n}", "password": f"wrong-{n}"}
            return (await client.post("/db/_session", json=body, headers=forwarded)).status_code

        return Counter(await asyncio.gather(*(one(n) for n in range(count))))


# -- the devices -------------------------------------------------------------------------
def sync_devices(
    served: Served, tokens: dict[str, str], mode: str, periods: list[str], processes: int
) -> dict[str, Any]:
    clients = []
    for code, token in tokens.items():
        auth = (
            {"bearer": token}
            if mode == "token"
            else {"username": f"canbo{code}", "password": PASSWORD}
        )
        clients.append({"db": commune_db(code), "auth": auth, "docs": sheets(code, periods)})
    checks_before = served.password_checks()
    server_cpu, started = cpu_seconds(served.pid), time.monotonic()
    with profiled(served.pid):
        outputs = drive(served.base + "/db/", clients, processes, served.phones_pin)
    synced_cpu = cpu_seconds(served.pid) - server_cpu
    scored_after = scored(served.base) - started
    scored_cpu = cpu_seconds(served.pid) - server_cpu
    results = [client for out in outputs for client in out["clients"]]
    checks = served.password_checks() - checks_before  # before the admin's own check below
    seconds = sorted(r["seconds"] for r in results)
    errors = [explained(r) for r in results if r["error"]]
    refused = [refusal(f) for r in results for f in r["failures"] if not _checkpoint_missing(f)]
    for error in errors:
        print(f"{mode} x{len(clients)} error: {error}", file=sys.stderr)
    return {
        "p50": statistics.median(seconds),
        "p95": seconds[max(0, round(0.95 * len(seconds)) - 1)],
        "max": seconds[-1],
        "errors": len(errors),
        "error_kinds": dict(Counter(errors).most_common(3)),
        "refusals": dict(Counter(refused).most_common()),
        "retries": sum(r.get("retries", 0) for r in results),
        "pulled": statistics.mean(r.get("pulled", 0) for r in results),
        "missing": missing(served.base, clients),
        "argon2": checks,
        "server_cpu": synced_cpu,
        "scored_cpu": scored_cpu,
        "scored_after": scored_after,
        "node_cpu": sum(out["cpu"]["sync"] for out in outputs),
    }


def refusal(failure: dict[str, Any]) -> str:
    """`status METHOD kind: reason` of an answer >= 400 a phone got (numbers as N)."""
    path = failure["path"]
    kind = path.split("/")[0] if path.startswith("_") else ("doc" if path else "db")
    try:
        reason = json.loads(failure["body"]).get("reason", "")
    except ValueError:
        reason = failure["body"][:80]
    return f"{failure['status']} {failure['method']} {kind}: {re.sub(r'[0-9]+', 'N', reason)}"


def _checkpoint_missing(failure: dict[str, Any]) -> bool:
    """A first sync's checkpoint read: 404 is the expected answer."""
    return failure["status"] == 404 and failure["path"].startswith("_local/")


def explained(result: dict[str, Any]) -> str:
    """A phone's error, with the last refused request before it (PouchDB's own message may
    name no status, e.g. "There was a problem getting docs.")."""
    refused = [f for f in result["failures"] if not _checkpoint_missing(f)]
    return result["error"] + (f" (after {refusal(refused[-1])})" if refused else "")


def scored(base: str, timeout: float = 600) -> float:
    """When the server's worker has handled every change (its lag read 0 three times in a
    row, a second apart; the follower looks at every database every 2 s)."""
    deadline, calm, at = time.monotonic() + timeout, 0, time.monotonic()
    while calm < 3 and time.monotonic() < deadline:
        worker = httpx.get(base + "/healthz", timeout=30).json().get("worker", {})
        calm = calm + 1 if worker.get("lag") == 0 else 0
        if calm == 1:
            at = time.monotonic()
        time.sleep(1)
    return at


@contextmanager
def profiled(pid: int) -> Iterator[None]:
    """With `BENCH_PROFILE=<file>`: py-spy (installed by hand, not a project dependency)
    samples the server while the phones sync, into `<file>` (raw collapsed stacks)."""
    out = os.environ.get("BENCH_PROFILE")
    if not out:
        yield
        return
    spy = subprocess.Popen([str(THIDUA.parent / "py-spy"), "record", "--pid", str(pid),
                            "--rate", "100", "--threads", "--format", "raw", "-o", out],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        time.sleep(1)  # attached
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)


def drive(
    couch: str, clients: list[dict[str, Any]], processes: int, pin: list[str]
) -> list[dict[str, Any]]:
    """Run the phones in `processes` Node processes (phone i in process i mod `processes`),
    after the `pin` prefix (`taskset -c CORES` or none): each loads its phones' sheets, says
    `ready`, and all start syncing on one `go`."""
    with ExitStack() as files:
        drivers = [
            subprocess.Popen([*pin, "node", *NODE_FLAGS, str(DRIVER)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE,
                             stderr=files.enter_context(tempfile.TemporaryFile()), cwd=ROOT)
            for _ in range(processes)
        ]  # fmt: skip
        try:
            return _run_drivers(drivers, couch, clients)
        finally:
            for driver in drivers:
                if driver.poll() is None:
                    driver.kill()
                    driver.wait()


def _run_drivers(
    drivers: list[subprocess.Popen[bytes]], couch: str, clients: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    for n, driver in enumerate(drivers):
        assert driver.stdin is not None
        share = {"couch": couch, "clients": clients[n :: len(drivers)]}
        driver.stdin.write(json.dumps(share).encode() + b"\n")
        driver.stdin.flush()
    for driver in drivers:
        assert driver.stdout is not None
        if driver.stdout.readline().strip() != b"ready":
            raise SystemExit(f"a Node driver failed: {_stderr(driver)}")
    for driver in drivers:  # every phone holds its sheets: start all syncs together
        assert driver.stdin is not None
        driver.stdin.write(b"go\n")
        driver.stdin.close()
    outputs = []
    for driver in drivers:
        assert driver.stdout is not None
        line = driver.stdout.readline()
        if driver.wait(timeout=1800) != 0 or not line:
            raise SystemExit(f"a Node driver failed: {_stderr(driver)}")
        outputs.append(json.loads(line))
    return outputs


def _stderr(driver: subprocess.Popen[bytes]) -> str:
    if driver.poll() is None:
        driver.kill()
    driver.wait()
    assert driver.stderr is not None
    driver.stderr.seek(0)
    return driver.stderr.read().decode(errors="replace")[-2000:]


def missing(base: str, clients: list[dict[str, Any]]) -> int:
    """Sheets a client pushed that the server does not have."""
    gone = 0
    with httpx.Client(base_url=base, auth=ADMIN, timeout=60) as client:
        for entry in clients:
            keys = [doc["_id"] for doc in entry["docs"]]
            rows = client.post(f"/db/{entry['db']}/_all_docs", json={"keys": keys}).json()["rows"]
            gone += sum(1 for row in rows if "error" in row or row.get("value", {}).get("deleted"))
    return gone


def pinning(pin: bool) -> tuple[list[str], list[str]]:
    """The `taskset` prefixes of the server (first core) and the phones (the others)."""
    cores = sorted(os.sched_getaffinity(0))
    if not pin or len(cores) < 2:
        return [], []
    return ["taskset", "-c", str(cores[0])], ["taskset", "-c", ",".join(map(str, cores[1:]))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,100,200")
    parser.add_argument("--sheets", type=int, default=50)
    parser.add_argument("--storm", type=int, default=200)
    parser.add_argument("--modes", default="token,basic")
    parser.add_argument(
        "--node-processes", type=int, default=1, help="Node processes the phones are spread over"
    )
    parser.add_argument(
        "--pin", action="store_true", help="server on core 0, phones on the other cores"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    modes = args.modes.split(",")
    runs = len(sizes) * len(modes)
    with tempfile.TemporaryDirectory(prefix="thidua-load-") as tmp:
        data_dir = Path(tmp)
        print(f"seeding {max(sizes)} scorers ...", file=sys.stderr, flush=True)
        tokens = seed(data_dir, communes(max(sizes)), args.sheets * runs)
        load = f"load average {os.getloadavg()[0]:.1f} at the start"
        lines = [f"machine: {os.cpu_count()} cores, {load}; one server process (thidua serve)"]
        if args.pin:
            lines.append("pinned: server `{}`, phones `{}`".format(*map(" ".join, pinning(True))))
        if args.storm:
            with Served(data_dir).running() as served:
                statuses = asyncio.run(storm(served.base, args.storm))
            ok = set(statuses) <= {401, 429, 503} and served.peak < 600 * MIB
            lines.append(
                f"sign-in storm x{args.storm}: answers {dict(sorted(statuses.items()))}, "
                f"peak RSS {served.peak / MIB:.0f} MiB -> {'MET' if ok else 'NOT MET'} "
                "(target < 600 MiB, only 401/429/503)"
            )
        all_periods = period_ids(args.sheets * runs)
        run = 0
        for mode in modes:
            for size in sizes:
                periods = all_periods[run * args.sheets : (run + 1) * args.sheets]
                run += 1
                chosen = dict(list(tokens.items())[:size])
                print(f"{mode} x{size} ...", file=sys.stderr, flush=True)
                with Served(data_dir, args.pin).running() as served:
                    r = sync_devices(served, chosen, mode, periods, args.node_processes)
                rss = served.peak / MIB
                if mode == "token":
                    met = not r["errors"] and not r["missing"] and rss < 600
                    met = met and (size < 200 or r["p95"] < 3)
                else:
                    met = not r["errors"] and r["argon2"] <= size
                lines.append(
                    f"{mode:5} N={size:3}: p50 {r['p50']:.2f} s, p95 {r['p95']:.2f} s, "
                    f"max {r['max']:.2f} s; errors {r['errors']} {r['error_kinds'] or ''}; "
                    f"refused answers {r['refusals'] or 'none'}; "
                    f"missing {r['missing']}; retries {r['retries']}; argon2 checks "
                    f"{r['argon2']}; pulled {r['pulled']:.0f} docs per device; peak RSS {rss:.0f} MiB; "
                    f"CPU s while syncing: server {r['server_cpu']:.1f}, Node {r['node_cpu']:.1f}; "
                    f"all scored after {r['scored_after']:.1f} s, server CPU s by then "
                    f"{r['scored_cpu']:.1f} -> {'MET' if met else 'NOT MET'}"
                )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
