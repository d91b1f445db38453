"""Real servers for the replication tests: ours (uvicorn + SQLite file), pouchdb-server and
Apache CouchDB 3.5 (the oracle, started once per session by `tests.couchdb`).

Each `Server` exposes `couch` (the CouchDB API root URL, trailing slash) and `auth`, so the
same test runs against all three. Ours can be SIGKILLed and restarted on the same port and data.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = ROOT / "node_modules" / ".bin"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "replication-test-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen[bytes], wait: float = 90) -> None:
    """Until `proc` accepts connections on 127.0.0.1:`port` (a busy machine starts slowly)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert proc.poll() is None, f"the process exited ({proc.returncode})"
            assert time.monotonic() < deadline, f"nothing listens on port {port} after {wait} s"
            time.sleep(0.1)


@dataclass
class Server:
    """A running CouchDB-API server process."""

    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    port: int
    prefix: str
    auth: tuple[str, str] | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    url: str = ""  # a server started elsewhere (CouchDB): its root URL

    @property
    def couch(self) -> str:
        return self.url or f"http://127.0.0.1:{self.port}{self.prefix}"

    @property
    def node_auth(self) -> dict[str, str] | None:
        return {"username": self.auth[0], "password": self.auth[1]} if self.auth else None

    def client(self, timeout: float = 30) -> httpx.Client:
        # PouchDB always sends Accept: application/json; without it CouchDB (and
        # pouchdb-server) label JSON answers text/plain.
        return httpx.Client(base_url=self.couch, auth=self.auth, timeout=timeout,
                            headers={"Accept": "application/json"})

    def start(self, wait: float = 90) -> None:
        log = open(self.cwd / f"{self.name}.log", "ab")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(
            self.command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_tail()}")
            try:
                if httpx.get(self.couch, timeout=1).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()  # reaped: a fixture whose start failed never reaches its stop
        raise RuntimeError(f"{self.name} did not answer on {self.couch}: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush (what a power cut does)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, size: int = 3000) -> str:
        path = self.cwd / f"{self.name}.log"
        return path.read_text(errors="replace")[-size:] if path.exists() else ""


def our_server(data_dir: Path, **env: str) -> Server:
    """Our app under uvicorn (one worker, no reload) on a real SQLite file in `data_dir`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    full_env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "THIDUA_DATA_DIR": str(data_dir),
        "THIDUA_LOG_LEVEL": "WARNING",
        **env,
    }
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "server.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]
    server = Server("ours", command, data_dir, full_env, port, "/db/")
    server.auth = provision_admin(full_env)
    return server


def provision_admin(env: dict[str, str]) -> tuple[str, str] | None:
    """Create the admin user with the `thidua user add` CLI once it exists; else no auth.

    Returns the credentials the tests send, or None while the server has no auth layer.
    """
    probe = _cli(["user", "add", "--help"], env)
    if probe.returncode != 0:
        return None
    done = _cli(["user", "add", ADMIN_USER, "--role", "admin", "--password-stdin"], env,
                ADMIN_PASSWORD + "\n")
    if done.returncode != 0:
        raise RuntimeError(f"thidua user add failed: {done.stderr}")
    return ADMIN_USER, ADMIN_PASSWORD


def _cli(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    code = "import sys; from server.cli import main; sys.argv[0] = 'thidua'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, input=stdin,
        capture_output=True, text=True, timeout=60,
    )


def pouchdb_server(work_dir: Path) -> Server:
    """`pouchdb-server -m` (in memory, no auth) in its own temp dir (it writes config/log)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [str(NODE_BIN / "pouchdb-server"), "-m", "-o", "127.0.0.1", "-p", str(port), "-n"]
    return Server("pouchdb-server", command, work_dir, dict(os.environ), port, "/")


def couchdb_server(url: str, auth: tuple[str, str]) -> Server:
    """Apache CouchDB, already running (started and stopped by its session fixture)."""
    return Server("couchdb", [], ROOT, {}, 0, "/", auth=auth, url=url)
