"""The worker lease: one holder at a time (SQLite), and two `thidua worker` processes on
PostgreSQL where the leader is SIGKILLed mid-batch and the other takes over."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from server.audit import Audit, AuditFilter
from server.worker.lease import Lease, LeaseLost
from tests.replication.servers import ROOT, _cli
from tests.server.test_worker_kill import _check_docs, _conflicts, _count
from tests.sync.test_sql_stuck import _stopped

TTL = 3


def test_one_holder_at_a_time_and_expiry(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'lease.sqlite3'}")
    first, second = Lease(engine, ttl=2, holder="a"), Lease(engine, ttl=2, holder="b")
    first.install()
    assert first.acquire_now() and not second.acquire_now()
    assert first.acquire_now() and first.holder_now() == "a"  # renewed by its holder
    with engine.begin() as conn:  # the lease runs out (without waiting for it)
        conn.execute(text("UPDATE worker_lease SET expires_at = expires_at - 5"))
    assert first.holder_now() is None
    assert second.acquire_now() and not first.acquire_now() and second.holder_now() == "b"
    second.release_now()
    assert first.acquire_now()
    engine.dispose()


def test_a_takeover_fences_the_old_holder(tmp_path: Path) -> None:
    """Each takeover is a new generation; the old holder's fenced transaction writes
    nothing; a holder renewing keeps its generation; a table made before fencing gains the
    column."""
    engine = create_engine(f"sqlite:///{tmp_path / 'fence.sqlite3'}")
    with engine.begin() as conn:  # the table as it was before fencing
        conn.execute(text("CREATE TABLE worker_lease (name VARCHAR(64) PRIMARY KEY, "
                          "holder VARCHAR(200) NOT NULL, expires_at FLOAT NOT NULL)"))
        conn.execute(text("CREATE TABLE probe (n INTEGER)"))
    old, new = Lease(engine, ttl=2, holder="old"), Lease(engine, ttl=2, holder="new")
    old.install()
    assert old.acquire_now() and old.acquire_now() and old.generation == 1
    with engine.begin() as conn:
        old.fence(conn)
        conn.execute(text("INSERT INTO probe VALUES (1)"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE worker_lease SET expires_at = expires_at - 5"))
    assert new.acquire_now() and new.generation == 2
    with pytest.raises(LeaseLost), engine.begin() as conn:
        conn.execute(text("INSERT INTO probe VALUES (2)"))
        old.fence(conn)
    with engine.begin() as conn:
        new.fence(conn)
        assert [r[0] for r in conn.execute(text("SELECT n FROM probe"))] == [1]
    new.release_now()
    assert old.acquire_now() and old.generation == 3  # held again: a new generation
    with pytest.raises(LeaseLost), engine.begin() as conn:
        new.fence(conn)
    engine.dispose()


def _holder(engine: object) -> str | None:
    try:
        return Lease(engine, name="worker").holder_now()  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - table not created yet
        return None


@pytest.mark.slow
def test_two_workers_sigkill_the_leader(tmp_path: Path, fresh_postgres_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "THIDUA_DATA_DIR": str(tmp_path),
           "THIDUA_LOG_LEVEL": "WARNING", "THIDUA_DATABASE_URL": fresh_postgres_url,
           "THIDUA_WORKER_LEASE": str(TTL), "PYTHONUNBUFFERED": "1"}
    seeded = _cli(["seed-demo"], env)
    assert seeded.returncode == 0, seeded.stderr
    sheets, conflicted = asyncio.run(_conflicts(fresh_postgres_url, 30))
    engine = create_engine(fresh_postgres_url)
    code = "import sys; from server.cli import main; sys.argv[0] = 'thidua'; main()"
    procs, logs = {}, []
    killed: subprocess.Popen[bytes] | None = None
    for n in range(2):
        log = tmp_path / f"worker{n}.log"
        logs.append(log)
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-c", code, "worker"], cwd=ROOT, env=env,
                                    stdout=out, stderr=subprocess.STDOUT)
        procs[proc.pid] = proc
    try:
        deadline = time.monotonic() + 120
        while not all("following every database" in log.read_text() for log in logs):
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs.values()), \
                [log.read_text()[-2000:] for log in logs]
            time.sleep(0.05)  # both are up (a loaded machine may start one much later)
        while time.monotonic() < deadline and _holder(engine) is None:
            time.sleep(0.02)
        leader = int(str(_holder(engine)).split(":")[1])
        assert leader in procs
        killed = procs.pop(leader)
        # Let the leader run in short slices, stopped while we look, so it is caught mid-run
        # however fast it scores and however late this process is scheduled.
        killed.send_signal(signal.SIGSTOP)
        while time.monotonic() < deadline and _count(engine) < 100:
            killed.send_signal(signal.SIGCONT)
            time.sleep(0.005)
            killed.send_signal(signal.SIGSTOP)
        assert 100 <= _count(engine) < sheets  # mid-run
        killed.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        (standby,) = procs
        while time.monotonic() < killed_at + 3 * TTL:
            holder = _holder(engine)
            if holder is not None and int(holder.split(":")[1]) == standby:
                break
            time.sleep(0.05)
        took = time.monotonic() - killed_at
        assert took <= TTL + TTL / 3 + 1.0, (f"takeover after {took:.1f} s",
                                             [log.read_text()[-2000:] for log in logs])
        while time.monotonic() < deadline and _count(engine) < sheets:
            time.sleep(0.1)
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)
        if killed is not None:
            killed.wait(15)  # reaped: no "subprocess is still running" ResourceWarning
    with engine.connect() as conn:
        rows = list(conn.execute(text("SELECT id, sheet_rev, db FROM result_sheet")).all())
        failures = conn.execute(text("SELECT count(*) FROM worker_failure")).scalar_one()
    assert len(rows) == sheets and failures == 0  # nothing lost
    asyncio.run(_check_docs(fresh_postgres_url, rows, conflicted))  # results written once
    merges = Audit(engine).query(AuditFilter(action="merge"))
    assert sorted(str(e.doc_id) for e in merges) == sorted(d for _, d in conflicted)  # once each
    engine.dispose()


def test_a_holder_paused_inside_its_renewal_cannot_block_a_takeover(
        fresh_postgres_url: str) -> None:
    """The holder stops (as under SIGSTOP) right after its renewal's UPDATE, with the lease
    row locked and the transaction open: PostgreSQL ends that transaction after the lease
    time, the standby takes over, and the paused holder's renewal fails when it wakes."""
    ttl = 1.0
    paused_engine, engine = create_engine(fresh_postgres_url), create_engine(fresh_postgres_url)
    holder, standby = Lease(paused_engine, ttl=ttl, holder="a"), Lease(engine, ttl=ttl, holder="b")
    holder.install()
    assert holder.acquire_now()
    locked, wake = threading.Event(), threading.Event()

    @event.listens_for(paused_engine, "after_cursor_execute")
    def pause(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("UPDATE worker_lease SET holder"):
            locked.set()
            wake.wait(60)

    outcome: list[object] = []

    def renew() -> None:
        try:
            outcome.append(holder.acquire_now())
        except DBAPIError as exc:  # the server ended the transaction
            outcome.append(exc)

    renewing = threading.Thread(target=renew, daemon=True)
    renewing.start()
    try:
        assert locked.wait(10)
        _takes_over(standby, within=8 * ttl)
    finally:
        wake.set()
        renewing.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], DBAPIError), outcome
    with pytest.raises(LeaseLost), engine.begin() as conn:
        holder.fence(conn)
    paused_engine.dispose()
    engine.dispose()


#: Takes the lease as "a", then stops itself in its fenced write's half-sent pipeline (the
#: lease row locked, the session `active` waiting for its client: no PostgreSQL timeout).
_PAUSED_IN_PIPELINE = """
import os, signal, sys
import psycopg
from sqlalchemy import create_engine
from server.worker.lease import Lease

lease = Lease(create_engine(sys.argv[1]), ttl=float(sys.argv[3]), holder="a")
lease.install()
assert lease.acquire_now()
conn = psycopg.connect(sys.argv[2])
try:
    with conn.pipeline():
        cur = conn.execute("UPDATE worker_lease SET generation = generation "
                           "WHERE holder = 'a' RETURNING generation")
        cur.fetchone()
        os.kill(os.getpid(), signal.SIGSTOP)
    conn.commit()
    print("written", flush=True)
except psycopg.Error as exc:
    print("refused", type(exc).__name__, flush=True)
"""


@pytest.mark.slow
def test_a_holder_stuck_in_a_pipeline_cannot_block_a_takeover(fresh_postgres_url: str) -> None:
    """The standby's lock wait on the lease row gives up after the lease time; it then ends
    the session stuck on its client and takes the lease on a next try."""
    ttl = 1.0
    dsn = make_url(fresh_postgres_url).set(drivername="postgresql").render_as_string(
        hide_password=False)
    child = subprocess.Popen([sys.executable, "-c", _PAUSED_IN_PIPELINE, fresh_postgres_url,
                              dsn, str(ttl)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    engine = create_engine(fresh_postgres_url)
    standby = Lease(engine, ttl=ttl, holder="b")
    try:
        _stopped(child)
        _takes_over(standby, within=15 * ttl)
    finally:
        child.send_signal(signal.SIGCONT)
        out, _ = child.communicate(timeout=60)
    assert out.startswith("refused"), out
    engine.dispose()


def _takes_over(standby: Lease, *, within: float) -> None:
    """`standby` ("b") tries as the worker does, every third of the lease, until it holds
    the lease as its second generation (fails after `within` seconds)."""
    started, took = time.monotonic(), False
    while not took and time.monotonic() - started < within:
        with contextlib.suppress(OperationalError):  # the lock wait gave up: retry
            took = standby.acquire_now()
        if not took:
            time.sleep(standby.ttl / 3)
    assert took and standby.holder_now() == "b" and standby.generation == 2
