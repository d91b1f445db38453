"""kill -9 during a large `_bulk_docs`: the SQLite store stays consistent and the batch is
either fully there or fully absent; another process can then write again."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sync.backends.sql import SqlStore

ROOT = Path(__file__).resolve().parents[2]
BATCH = 20_000
BASE = 100

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from sync.backends.sql import SqlStore

    async def main(url, prefix, count):
        store = SqlStore(url)
        await store.initialize()
        rows = (await store.all_docs("crash", startkey="base-", endkey="base-\\uffff"))["rows"]
        docs = [{"_id": r["id"], "_rev": r["value"]["rev"], "round": prefix} for r in rows]
        docs += [{"_id": f"{prefix}-{i:05d}", "unit": "PGD", "n": i, "pad": "x" * 200}
                 for i in range(count - len(docs))]
        print("go", flush=True)
        results = await store.bulk_docs("crash", docs)
        print("done", flush=True)
        assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
        await store.close()

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    """
)


def _start(url: str, prefix: str, count: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, url, prefix, str(count)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )


def _check_file(path: Path) -> dict[str, int]:
    """Integrity and counter consistency, read with plain sqlite3 (no store code)."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        db_id, update_seq, doc_count, del_count = conn.execute(
            "SELECT id, update_seq, doc_count, del_count FROM sync_databases WHERE name='crash'"
        ).fetchone()
        max_seq, live, dead = conn.execute(
            "SELECT max(seq), sum(deleted = 0), sum(deleted = 1) FROM sync_documents "
            "WHERE db_id = ?", (db_id,)
        ).fetchone()
        assert max_seq == update_seq
        assert (live, dead or 0) == (doc_count, del_count)
        orphans = conn.execute(
            "SELECT count(*) FROM sync_documents d LEFT JOIN sync_revisions r ON "
            "r.db_id = d.db_id AND r.doc_id = d.doc_id AND r.rev = d.winner WHERE r.rev IS NULL"
        ).fetchone()[0]
        assert orphans == 0
        return {"update_seq": update_seq, "doc_count": doc_count}
    finally:
        conn.close()


async def _round_state(store: SqlStore, prefix: str, size: int = BATCH) -> str:
    new = await store.all_docs("crash", startkey=f"{prefix}-", endkey=f"{prefix}-\uffff")
    base = await store.all_docs("crash", startkey="base-", endkey="base-\uffff",
                                include_docs=True)
    updated = sum(row["doc"].get("round") == prefix for row in base["rows"])
    if len(new["rows"]) == size - BASE and updated == BASE:
        return "present"
    assert (len(new["rows"]), updated) == (0, 0), "a partial batch is visible"
    return "absent"


@pytest.mark.slow
async def test_kill_during_bulk_docs(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite3"
    url = f"sqlite:///{path}"
    store = SqlStore(url)
    await store.initialize()
    await store.create_db("crash")
    await store.bulk_docs("crash", [{"_id": f"base-{i:03d}", "n": i} for i in range(BASE)])
    await store.close()

    # A first, unkilled round measures how long the batch takes on this machine; the kills
    # then land at fractions of it: early, mid-transaction, around the commit, after it.
    timed = _start(url, "r0", BATCH)
    assert timed.stdout is not None
    assert timed.stdout.readline().strip() == "go"
    started = time.monotonic()
    assert timed.stdout.readline().strip() == "done"
    duration = time.monotonic() - started
    _, err = timed.communicate(timeout=300)
    assert timed.returncode == 0, err
    outcomes = ["present"]
    for number, fraction in enumerate((0.15, 0.5, 0.8, 0.95, 1.1), start=1):
        proc = _start(url, f"r{number}", BATCH)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "go", proc.stderr.read() if proc.stderr else line
        time.sleep(duration * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        _check_file(path)
        store = SqlStore(url)
        try:
            outcomes.append(await _round_state(store, f"r{number}"))
            info = await store.db_info("crash")
            assert info.doc_count == BASE + (BATCH - BASE) * outcomes.count("present")
        finally:
            await store.close()
    print(f"batch of {BATCH} took {duration:.2f}s; outcomes {outcomes}")
    assert "absent" in outcomes[1:], f"no kill landed inside the write: {outcomes}"

    survivor = _start(url, "after", 500)
    out, err = survivor.communicate(timeout=120)
    assert survivor.returncode == 0, err
    assert out.split() == ["go", "done"]
    counters = _check_file(path)
    store = SqlStore(url)
    try:
        assert await _round_state(store, "after", 500) == "present"
        page = await store.changes("crash", since=0)
        assert len(page.results) == counters["doc_count"]
        assert page.last_seq == counters["update_seq"]
    finally:
        await store.close()
