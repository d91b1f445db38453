"""Apache CouchDB 3.5 as the oracle: one single node, and a 3-node cluster, per test session.

`make setup` builds CouchDB from `../shared/couchdb` into
`${XDG_CACHE_HOME:-~/.cache}/thidua/couchdb-<16 hex of the tarball's sha256>`; this module finds
that build and starts one node with `nodes.sh` (fresh state dir, free port, admin credentials).
`THIDUA_TEST_COUCHDB_URL` (`http://user:pw@host:port`) points at any other CouchDB instead.
Without either, the tests skip with one message; in CI (`CI=true`) they fail instead.

`couchdb_cluster` starts three joined nodes from the same build (only when a test asks for it;
no external URL stands in for it): q=1 and n=3 as for the per-commune databases, and
`_global_changes` created so `_db_updates` answers. `CouchCluster.stop_node(i)` /
`start_node(i)` stop and restart one node by the PID nodes.sh recorded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.replication.servers import free_port

__all__ = [
    "CouchCluster", "CouchNode", "couchdb_cluster", "couchdb_node", "couchdb_prefix",
    "missing_couchdb", "require_couchdb", "start_cluster", "start_node",
]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "couchdb"
TARBALL = SHARED / "couchdb-3.5.0-src-with-deps.tar.gz"
ADMIN = ("admin", "couchdb-test-password")


class CouchNode:
    """A running CouchDB: `url` (no credentials, trailing slash) and `auth`."""

    def __init__(self, url: str, auth: tuple[str, str], state: Path | None = None) -> None:
        self.url, self.auth, self.state = url, auth, state

    @property
    def url_with_auth(self) -> str:
        parts = urlsplit(self.url)
        netloc = f"{self.auth[0]}:{self.auth[1]}@{parts.netloc}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", "")).rstrip("/")

    def stop(self) -> None:
        """Stop the node (by the PIDs nodes.sh recorded) and remove its state dir."""
        if self.state is not None:
            subprocess.run([str(SHARED / "nodes.sh"), "stop", str(self.state)],
                           capture_output=True, timeout=60, check=False)
            shutil.rmtree(self.state, ignore_errors=True)


def couchdb_prefix() -> Path | None:
    """The install `make setup` built for this tarball, if it exists."""
    if not TARBALL.exists():
        return None
    digest = hashlib.sha256(TARBALL.read_bytes()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    prefix = cache / "thidua" / f"couchdb-{digest}"
    return prefix if (prefix / "bin" / "couchdb").exists() else None


def missing_couchdb() -> str:
    """Why no CouchDB is available ("" when one is)."""
    if os.environ.get("THIDUA_TEST_COUCHDB_URL") or couchdb_prefix():
        return ""
    if TARBALL.exists():
        return f"Apache CouchDB is not built yet: run `make setup` (needs {TARBALL})"
    return ("no Apache CouchDB: neither ../shared/couchdb nor THIDUA_TEST_COUCHDB_URL "
            "(the CouchDB-oracle tests are skipped)")


def start_node(port: int, one_shard: bool = True) -> CouchNode:
    """Start one single node from the cached build on `port` (or use the URL).

    `one_shard` sets `[cluster] q = 1` (rows of `_changes` in write order, which the tests
    compare across servers); without it the node keeps CouchDB's defaults (the benchmark)."""
    external = os.environ.get("THIDUA_TEST_COUCHDB_URL", "")
    if external:
        parts = urlsplit(external)
        auth = (parts.username or "", parts.password or "")
        bare = urlunsplit((parts.scheme, f"{parts.hostname}:{parts.port}", "/", "", ""))
        return CouchNode(bare, auth)
    prefix = couchdb_prefix()
    assert prefix is not None, missing_couchdb()
    state = Path(tempfile.mkdtemp(prefix="thidua-couchdb-"))
    node = CouchNode(f"http://127.0.0.1:{port}/", ADMIN, state)
    try:
        done = subprocess.run(
            [str(SHARED / "nodes.sh"), "start", str(prefix), str(state), "1", str(port), *ADMIN],
            capture_output=True, text=True, timeout=120, check=False,
            env={**os.environ, "EPMD_PORT": str(free_port())},
        )
        if done.returncode != 0:
            raise RuntimeError(f"CouchDB did not start: {done.stderr[-2000:]}")
        if one_shard:
            httpx.put(f"{node.url}_node/_local/_config/cluster/q", json="1", auth=ADMIN,
                      timeout=30).raise_for_status()
    except BaseException:  # e.g. nodes.sh timed out: no node is left running
        node.stop()
        raise
    return node


def require_couchdb(reason: str | None = None) -> None:
    """Skip the test when no CouchDB is available; in CI (`CI=true`) fail it instead."""
    reason = missing_couchdb() if reason is None else reason
    if reason:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"CI needs Apache CouchDB: {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def couchdb_node() -> Iterator[CouchNode]:
    """One Apache CouchDB node for the whole session (skips, or fails in CI, if none)."""
    require_couchdb()
    node = start_node(free_port())
    try:
        yield node
    finally:
        node.stop()


class CouchCluster(CouchNode):
    """Joined nodes from `nodes.sh`; `url` is node 1, `node_url(i)` any node (1-based)."""

    def __init__(self, base_port: int, size: int, epmd_port: int, state: Path) -> None:
        super().__init__(f"http://127.0.0.1:{base_port}/", ADMIN, state)
        self.base_port, self.size, self.epmd_port = base_port, size, epmd_port
        self._procs: dict[int, subprocess.Popen[bytes]] = {}  # nodes started again here

    def node_url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.base_port + i - 1}/"

    def _node_dir(self, i: int) -> Path:
        assert self.state is not None and 1 <= i <= self.size
        return self.state / f"node{i}"

    def stop(self) -> None:
        """SIGKILL every node (their data is thrown away), then nodes.sh stops epmd."""
        for i in range(1, self.size + 1):
            with contextlib.suppress(OSError, ValueError):
                os.kill(int((self._node_dir(i) / "pid").read_text()), signal.SIGKILL)
        for proc in self._procs.values():
            proc.wait(30)  # reaped: no zombie for nodes.sh to wait on
        super().stop()

    def stop_node(self, i: int) -> None:
        """SIGTERM node `i` (by its recorded PID) and wait until it is gone."""
        pid_file = self._node_dir(i) / "pid"
        pid = int(pid_file.read_text())
        proc = self._procs.pop(i, None)
        try:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if proc is not None and proc.poll() is not None:
                    break
                os.kill(pid, 0)
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if proc is not None:
            proc.wait(30)
        pid_file.unlink()

    def start_node(self, i: int, wait: float = 90) -> None:
        """Start node `i` again on its own data, config and port (as nodes.sh did)."""
        prefix = couchdb_prefix()
        assert prefix is not None, missing_couchdb()
        folder = self._node_dir(i)
        env = {**os.environ, "ERL_EPMD_ADDRESS": "127.0.0.1", "ERL_EPMD_PORT": str(self.epmd_port),
               "COUCHDB_ARGS_FILE": str(folder / "vm.args"),
               "COUCHDB_INI_FILES": f"{prefix / 'etc' / 'default.ini'} {folder / 'local.ini'}"}
        with (folder / "couchdb.log").open("ab") as log:
            proc = subprocess.Popen([str(prefix / "bin" / "couchdb")], env=env, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        (folder / "pid").write_text(f"{proc.pid}\n")
        self._procs[i] = proc
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.node_url(i)}_up", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"CouchDB node{i} exited: see {folder / 'couchdb.log'}")
            time.sleep(0.2)
        raise RuntimeError(f"CouchDB node{i} did not come up in {wait} s")


def _free_run(count: int) -> int:
    """A base port with `count` free ports in a row (and one for epmd), on 127.0.0.1."""
    for _ in range(50):
        base = free_port()
        if base + count >= 65535:
            continue
        try:
            for port in range(base, base + count + 1):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no {count + 1} free ports in a row")


def missing_cluster() -> str:
    """Why no cluster can be started ("" when it can): it needs the local build."""
    if couchdb_prefix():
        return ""
    if TARBALL.exists():
        return f"Apache CouchDB is not built yet: run `make setup` (needs {TARBALL})"
    return "no Apache CouchDB build (../shared/couchdb): the cluster tests are skipped"


def start_cluster(size: int = 3) -> CouchCluster:
    """Start `size` joined nodes on free ports: q=1, n=3, `_global_changes` created."""
    prefix = couchdb_prefix()
    assert prefix is not None, missing_cluster()
    base = _free_run(size)
    epmd = base + size
    state = Path(tempfile.mkdtemp(prefix="thidua-couchdb-cluster-"))
    cluster = CouchCluster(base, size, epmd, state)
    try:
        done = subprocess.run(
            [str(SHARED / "nodes.sh"), "start", str(prefix), str(state), str(size), str(base),
             *ADMIN], capture_output=True, text=True, timeout=180, check=False,
            env={**os.environ, "EPMD_PORT": str(epmd)})
        if done.returncode != 0:
            raise RuntimeError(f"the CouchDB cluster did not start: {done.stderr[-2000:]}")
        with httpx.Client(auth=ADMIN, timeout=30) as http:
            for i in range(1, size + 1):
                http.put(f"{cluster.url}_node/node{i}@127.0.0.1/_config/cluster/q",
                         json="1").raise_for_status()
            answer = http.put(f"{cluster.url}_global_changes")
            if answer.status_code != 412:  # 412: it exists already
                answer.raise_for_status()
    except BaseException:  # e.g. nodes.sh timed out: no node is left running
        cluster.stop()
        raise
    return cluster


@pytest.fixture(scope="session")
def couchdb_cluster() -> Iterator[CouchCluster]:
    """A 3-node Apache CouchDB cluster for the session, started on first use (skips, or
    fails in CI, without the build)."""
    require_couchdb(missing_cluster())
    cluster = start_cluster(3)
    try:
        yield cluster
    finally:
        cluster.stop()
