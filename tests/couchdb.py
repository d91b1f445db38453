"""Apache CouchDB 3.5 as the oracle: one single node per test session.

`make setup` builds CouchDB from `../shared/couchdb` into
`${XDG_CACHE_HOME:-~/.cache}/thidua/couchdb-<16 hex of the tarball's sha256>`; this module finds
that build and starts one node with `nodes.sh` (fresh state dir, free port, admin credentials).
`THIDUA_TEST_COUCHDB_URL` (`http://user:pw@host:port`) points at any other CouchDB instead.
Without either, the tests skip with one message; in CI (`CI=true`) they fail instead.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.replication.servers import free_port

__all__ = [
    "CouchNode", "couchdb_node", "couchdb_prefix", "missing_couchdb", "require_couchdb",
    "start_node",
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
    done = subprocess.run(
        [str(SHARED / "nodes.sh"), "start", str(prefix), str(state), "1", str(port), *ADMIN],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "EPMD_PORT": str(free_port())},
    )
    node = CouchNode(f"http://127.0.0.1:{port}/", ADMIN, state)
    if done.returncode != 0:
        node.stop()
        raise RuntimeError(f"CouchDB did not start: {done.stderr[-2000:]}")
    if one_shard:
        httpx.put(f"{node.url}_node/_local/_config/cluster/q", json="1", auth=ADMIN,
                  timeout=30).raise_for_status()
    return node


def require_couchdb() -> None:
    """Skip the test when no CouchDB is available; in CI (`CI=true`) fail it instead."""
    reason = missing_couchdb()
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
