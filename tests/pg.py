"""A throwaway PostgreSQL cluster for tests: find the server binaries, start one, stop it.

`throwaway_cluster()` runs `initdb` in a fresh temp dir and starts the server with
`pg_ctl -w`, listening only on 127.0.0.1 (a free port) and on a unix socket inside that dir,
with trust auth and durability off for speed. On exit it stops the server with
`pg_ctl -m immediate stop` and removes the dir; a watchdog process does the same if this
process dies first (e.g. killed by `timeout`). `initdb` refuses to run as root, so as root
the binaries run as the `postgres` system user, which then owns the temp dir.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

__all__ = [
    "PgCluster",
    "PgUnavailable",
    "create_database",
    "drop_database",
    "find_bin_dir",
    "throwaway_cluster",
]

SUPERUSER = "thidua"
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "max_connections": "200",
    "shared_buffers": "32MB",
    "log_min_messages": "warning",
}
SHM, SHM_NEEDED = "/dev/shm", 1 << 30  # a cluster is ~40 MB, each test database ~8 MB
START_ATTEMPTS = 3  # a free port can be taken by someone else before the server binds it


class PgUnavailable(RuntimeError):
    """PostgreSQL cannot run here (no binaries, no `postgres` user when root)."""


@dataclass(frozen=True)
class PgCluster:
    """A running cluster; `url(db)` is a SQLAlchemy URL for one of its databases."""

    data_dir: Path
    port: int
    user: str = SUPERUSER
    host: str = "127.0.0.1"

    def url(self, db: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{db}"


def find_bin_dir() -> Path:
    """The dir holding `initdb` and `pg_ctl`: newest /usr/lib/postgresql/*/bin, else PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit()
                        else 0, reverse=True)
    for directory in candidates:
        if all(os.access(Path(directory, tool), os.X_OK) for tool in ("initdb", "pg_ctl")):
            return Path(directory)
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    raise PgUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found in "
                        "/usr/lib/postgresql/*/bin or PATH; install the `postgresql` package")


def _run_as() -> pwd.struct_passwd | None:
    """The account to run the server as: `postgres` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise PgUnavailable("running as root and there is no `postgres` user "
                            "to run initdb as") from None


def _fast_tmp() -> str | None:
    """/dev/shm when it is a roomy tmpfs (files there never touch the disk), else the default."""
    with contextlib.suppress(OSError):
        if os.access(SHM, os.W_OK | os.X_OK) and shutil.disk_usage(SHM).free >= SHM_NEEDED:
            return SHM
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Runner:
    """Runs the server binaries of `bin_dir` as `account` (None: as ourselves)."""

    def __init__(self, bin_dir: Path, account: pwd.struct_passwd | None, cwd: Path) -> None:
        self.bin_dir, self.account, self.cwd = bin_dir, account, cwd

    def __call__(self, tool: str, *args: str, timeout: float = 60) -> None:
        acct = self.account
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
        done = subprocess.run([str(self.bin_dir / tool), *args], cwd=self.cwd, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, check=False,
                              user=None if acct is None else acct.pw_uid,
                              group=None if acct is None else acct.pw_gid,
                              extra_groups=None if acct is None else [])
        if done.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed ({done.returncode}):\n"
                               f"{done.stdout}{done.stderr}")


def _init(run: _Runner, root: Path) -> Path:
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    if run.account is not None:
        for path in (root, sockets):
            os.chown(path, run.account.pw_uid, run.account.pw_gid)
    run("initdb", "-D", str(data), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
        "--locale=C", "--no-sync", "--no-instructions")
    settings = {**SERVER_SETTINGS, "unix_socket_directories": f"'{sockets}'"}
    with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
    return data


def _start(run: _Runner, data: Path) -> int:
    """Start the server on a free port; returns the port."""
    error: RuntimeError | None = None
    for _ in range(START_ATTEMPTS):
        port = _free_port()
        try:
            run("pg_ctl", "-D", str(data), "-l", str(data.parent / "server.log"), "-w",
                "-t", "60", "-o", f"-p {port}", "start", timeout=90)
        except RuntimeError as exc:
            error = exc
            continue
        return port
    log = data.parent / "server.log"
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"PostgreSQL did not start: {error}\n{tail}")


def _stop(run: _Runner, data: Path) -> None:
    """Immediate stop; kill the postmaster ourselves if `pg_ctl` cannot."""
    pid_file = data / "postmaster.pid"
    if not pid_file.exists():
        return
    try:
        run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop", timeout=60)
    except (RuntimeError, subprocess.TimeoutExpired):
        with contextlib.suppress(OSError, ValueError, IndexError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)


def _watchdog(root: Path, bin_dir: Path) -> subprocess.Popen[bytes]:
    """A process that stops the cluster and removes `root` once our end of its stdin closes,
    which also happens when this process is killed (e.g. by `timeout`) before cleaning up."""
    return subprocess.Popen([sys.executable, __file__, str(root), str(bin_dir)],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _cleanup(run: _Runner, root: Path) -> None:
    try:
        _stop(run, root / "data")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[PgCluster]:
    """A fresh cluster for the duration of the `with` block. :raises PgUnavailable:"""
    bin_dir, account = find_bin_dir(), _run_as()
    root = Path(tempfile.mkdtemp(prefix="thidua-pg-", dir=_fast_tmp()))
    run = _Runner(bin_dir, account, root)
    watchdog = _watchdog(root, bin_dir)
    try:
        data = _init(run, root)
        yield PgCluster(data_dir=data, port=_start(run, data))
    finally:
        try:
            _cleanup(run, root)
        finally:
            assert watchdog.stdin is not None
            watchdog.stdin.close()
            watchdog.wait(timeout=60)


def _admin(url: str) -> psycopg.Connection:
    """An autocommit connection for a SQLAlchemy `postgresql+psycopg://` URL."""
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(libpq, autocommit=True, connect_timeout=30)


def create_database(server_url: str, name: str) -> str:
    """Create database `name` on the server of `server_url`; returns a URL for it.

    On PostgreSQL 15+ it copies the template's files (`STRATEGY FILE_COPY`), which with fsync
    off is faster than the default WAL-logged copy of a small template (~20 ms vs ~40 ms)."""
    with _admin(server_url) as conn:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if conn.info.server_version >= 150000:
            query = sql.SQL("{} STRATEGY FILE_COPY").format(query)
        conn.execute(query)
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    """Drop database `name` (closing any session still connected to it)."""
    with _admin(server_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                     .format(sql.Identifier(name)))


if __name__ == "__main__":  # the watchdog: `python pg.py ROOT BIN_DIR`, see `_watchdog`
    sys.stdin.buffer.read()
    _cleanup(_Runner(Path(sys.argv[2]), _run_as(), Path(sys.argv[1])), Path(sys.argv[1]))
