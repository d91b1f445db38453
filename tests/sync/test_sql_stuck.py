"""A process paused inside a write transaction (SIGSTOP) does not block a PostgreSQL database
for good: the next writer's lock wait gives up after `lock_wait`, ends the stuck session and
writes; the paused process's own write is rolled back and refused when it wakes up.

Two ways to be stuck: idle between two statements (PostgreSQL's idle timeout would end it, but
the store sets none), and `active` in a half-sent pipeline, which no PostgreSQL 15 timeout ends.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from sync.backends.sql import SqlStore

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DB = "c-stuck"

#: Writes "from-paused" to `DB` and stops itself inside the write, under the database lock.
_PAUSED_IN_STORE_WRITE = """
import asyncio, os, signal, sys
from sync.backends.sql import SqlStore

def pause(index, doc, stored):
    os.kill(os.getpid(), signal.SIGSTOP)

async def main():
    store = SqlStore(sys.argv[1])
    await store.initialize()
    try:
        await store.bulk_docs(sys.argv[2], [{"_id": "from-paused"}], validate=pause)
        print("written", flush=True)
    except Exception as exc:
        print("refused", type(exc).__name__, flush=True)
    finally:
        await store.close()

asyncio.run(main())
"""

#: Locks `DB`'s row in a pipeline (psycopg's `executemany` way), then stops itself, the
#: pipeline not synced: the session stays `active`, waiting for its client.
_PAUSED_IN_PIPELINE = """
import os, signal, sys
import psycopg

conn = psycopg.connect(sys.argv[1])
try:
    with conn.pipeline():
        cur = conn.execute("SELECT id FROM sync_databases WHERE name = %s FOR UPDATE",
                           (sys.argv[2],))
        cur.fetchone()
        conn.execute("UPDATE sync_databases SET update_seq = update_seq WHERE name = %s",
                     (sys.argv[2],))
        os.kill(os.getpid(), signal.SIGSTOP)
    conn.commit()
    print("written", flush=True)
except psycopg.Error as exc:
    print("refused", type(exc).__name__, flush=True)
"""


def _stopped(proc: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while Path(f"/proc/{proc.pid}/stat").read_text().split()[2] != "T":
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the child never paused itself"
        time.sleep(0.02)


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.mark.parametrize("where", ["store write", "pipeline"])
def test_a_writer_paused_holding_the_lock_is_ended_by_the_next_one(
        fresh_postgres_url: str, where: str) -> None:
    async def run() -> None:
        store = SqlStore(fresh_postgres_url, lock_wait=1.0)
        await store.initialize()
        await store.create_db(DB)
        code, target = ((_PAUSED_IN_STORE_WRITE, fresh_postgres_url) if where == "store write"
                        else (_PAUSED_IN_PIPELINE, _dsn(fresh_postgres_url)))
        child = subprocess.Popen([sys.executable, "-c", code, target, DB], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            _stopped(child)
            started = time.monotonic()
            # without the stuck-session check this waits for as long as the child sleeps
            written = await asyncio.wait_for(
                store.bulk_docs(DB, [{"_id": "from-live"}]), timeout=30)
            assert written[0].ok, written
            assert time.monotonic() - started < 20
        finally:
            child.send_signal(signal.SIGCONT)
            out, _ = child.communicate(timeout=60)
        assert out.startswith("refused"), out  # its session was ended: nothing committed
        ids = {row["id"] for row in (await store.all_docs(DB))["rows"]}
        assert ids == {"from-live"}
        await store.close()

    asyncio.run(run())
