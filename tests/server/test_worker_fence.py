"""Lease fencing with two `thidua worker` processes on PostgreSQL: the leader is paused
(SIGSTOP) past its lease while it scores, the standby takes over and moves on (sheets are
edited meanwhile), then the old leader resumes (SIGCONT). A watcher reading the tables all
along sees no checkpoint go backwards and no result replaced by an older computation, and
every result ends on its sheet's winning revision."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import Engine, create_engine, text

from sync.backends.sql import SqlStore
from tests.replication.servers import ROOT, _cli
from tests.server.test_worker_kill import _conflicts, _count
from tests.server.test_worker_lease import _holder

pytestmark = pytest.mark.slow
TTL = 3


class Watcher(threading.Thread):
    """Reads `worker_checkpoint` and `result_sheet` every 50 ms; records every checkpoint
    that went backwards and every result whose sheet revision went backwards."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(daemon=True)
        self.engine, self.stopping = engine, threading.Event()
        self.seqs: dict[str, int] = {}
        self.revs: dict[str, int] = {}
        self.backwards: list[str] = []

    def run(self) -> None:
        while not self.stopping.wait(0.05):
            try:
                with self.engine.connect() as conn:
                    seqs = conn.execute(text("SELECT db, seq FROM worker_checkpoint")).all()
                    revs = conn.execute(text("SELECT id, sheet_rev FROM result_sheet")).all()
            except Exception:  # noqa: BLE001 - tables not created yet
                continue
            for db, raw in seqs:
                seq = msgspec.json.decode(raw)
                if seq < self.seqs.get(db, seq):
                    self.backwards.append(f"checkpoint {db}: {self.seqs[db]} -> {seq}")
                self.seqs[db] = max(seq, self.seqs.get(db, seq))
            for rid, rev in revs:
                pos = int(str(rev).split("-")[0])
                if pos < self.revs.get(rid, pos):
                    self.backwards.append(f"result {rid}: {self.revs[rid]} -> {rev}")
                self.revs[rid] = max(pos, self.revs.get(rid, pos))


def _unsaved(engine: Engine) -> list[tuple[str, str]]:
    """Sheets scored in databases whose checkpoint is not written yet: the paused leader
    holds their checkpoint (and maybe their page) in memory."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(  # type: ignore[misc]
            "SELECT db, sheet_id FROM result_sheet WHERE db NOT IN "
            "(SELECT db FROM worker_checkpoint) ORDER BY id"))]


async def _edit(url: str, scored: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """A new revision of each sheet of `scored` (a score changed): {(db, sheet id): rev}."""
    store = SqlStore(url)
    await store.initialize()
    try:
        edited = {}
        for db, sheet_id in scored:
            doc = await store.get(db, sheet_id)
            name = sorted(doc["inputs"])[0]
            doc["inputs"][name] = 7
            edited[(db, sheet_id)] = str((await store.put(db, doc)).rev)
        return edited
    finally:
        await store.close()


async def _winners(url: str, rows: list[Any]) -> list[str]:
    store = SqlStore(url)
    await store.initialize()
    try:
        return [f"{sheet_id}: {rev} != {(await store.get(db, sheet_id))['_rev']}"
                for db, sheet_id, rev in rows
                if rev != (await store.get(db, sheet_id))["_rev"]]
    finally:
        await store.close()


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    code = "import sys; from server.cli import main; sys.argv[0] = 'thidua'; main()"
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-c", code, "worker"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def _wait(what: str, until: Any, seconds: float, why: Any) -> None:
    """Poll `until` for at most `seconds`; on a timeout, say what was awaited, with `why()`."""
    deadline = time.monotonic() + seconds
    while not until():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {seconds} s:\n" + "\n".join(why()), pytrace=False)
        time.sleep(0.05)


def test_a_paused_leader_cannot_write_after_a_takeover(tmp_path: Path,
                                                       fresh_postgres_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "THIDUA_DATA_DIR": str(tmp_path),
           "THIDUA_LOG_LEVEL": "INFO", "THIDUA_DATABASE_URL": fresh_postgres_url,
           "THIDUA_WORKER_LEASE": str(TTL), "PYTHONUNBUFFERED": "1"}
    seeded = _cli(["seed-demo"], env)
    assert seeded.returncode == 0, seeded.stderr
    sheets, _ = asyncio.run(_conflicts(fresh_postgres_url, 0))
    engine = create_engine(fresh_postgres_url)
    watcher = Watcher(engine)
    watcher.start()
    logs = {n: tmp_path / f"worker{n}.log" for n in range(2)}
    procs = {proc.pid: (proc, logs[n]) for n in range(2) if (proc := _start(env, logs[n]))}
    tails = lambda: ([log.read_text()[-2000:] for _, log in procs.values()]  # noqa: E731
                     + _sessions(engine))
    paused = None
    try:
        _wait("leader with 100 sheets scored",
              lambda: _holder(engine) is not None and _count(engine) >= 100, 240, tails)
        leader = int(str(_holder(engine)).split(":")[1])
        sheets_done = _count(engine)
        paused, paused_log = procs[leader]
        paused.send_signal(signal.SIGSTOP)
        unsaved = _unsaved(engine)
        # expiry, then PostgreSQL ending a transaction the paused leader left open, then a
        # standby's next try: a few lease times at most
        _wait("takeover", lambda: str(_holder(engine)).split(":")[1:2] not in ([], [str(leader)]),
              10 * TTL, tails)
        edited = asyncio.run(_edit(fresh_postgres_url, unsaved))
        # the new holder scores the edits and writes those databases' checkpoints, and moves
        # on (50 more sheets, or all of them when fewer were left: a fast leader on a slow
        # poll may have scored nearly all before the pause)
        dbs = {db for db, _ in unsaved}
        more = min(sheets, sheets_done + 50)
        _wait("progress of the new holder",
              lambda: _count(engine) >= more and _edited_done(engine, edited)
              and dbs <= set(watcher.seqs), 240, tails)
        paused.send_signal(signal.SIGCONT)
        paused = None
        # "lost; stopping", or "not renewed (...); stopping" when paused inside its renewal
        _wait("stop of the resumed leader", lambda: "; stopping" in paused_log.read_text(),
              10 * TTL, tails)
        # It held checkpoints in memory: writing them was refused, by the fence (LeaseLost)
        # or, paused inside a transaction, by PostgreSQL ending the idle transaction or by the
        # new holder ending the session stuck on its client (`sync.backends.sql_stuck`).
        refused = ("was taken over", "server closed the connection", "idle-in-transaction",
                   "the connection is lost", "terminating connection")
        assert not unsaved or any(r in paused_log.read_text() for r in refused), tails()
        _wait("every sheet scored",
              lambda: _count(engine) == sheets and _edited_done(engine, edited), 240, tails)
    finally:
        if paused is not None:
            paused.send_signal(signal.SIGCONT)
        for proc, _ in procs.values():
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)
        watcher.stopping.set()
        watcher.join(5)
    assert watcher.backwards == [], watcher.backwards[:10]
    with engine.connect() as conn:
        rows = list(conn.execute(text("SELECT db, sheet_id, sheet_rev FROM result_sheet")).all())
        failures = conn.execute(text("SELECT count(*) FROM worker_failure")).scalar_one()
    assert len(rows) == sheets and failures == 0
    assert asyncio.run(_winners(fresh_postgres_url, rows)) == []
    engine.dispose()


def _sessions(engine: Engine) -> list[str]:
    """What every other session on the test database is doing (a lock wait shows here)."""
    with engine.connect() as conn:
        return [" | ".join(map(str, row)) for row in conn.execute(text(
            "SELECT pid, state, wait_event_type, wait_event, left(query, 120) "
            "FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"))]


def _edited_done(engine: Engine, edited: dict[tuple[str, str], str]) -> bool:
    with engine.connect() as conn:
        found = {(db, sid): rev for db, sid, rev in conn.execute(text(
            "SELECT db, sheet_id, sheet_rev FROM result_sheet"))}
    return all(found.get(key) == rev for key, rev in edited.items())

