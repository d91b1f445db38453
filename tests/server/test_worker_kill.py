"""`thidua worker` SIGKILLed mid-run and restarted: no change skipped, no double effect."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from server.audit import Audit, AuditFilter
from sync import revtree
from sync.backends.sql import SqlStore
from tests.replication.servers import ROOT, _cli

pytestmark = pytest.mark.slow


def _branch(doc: dict[str, Any], **inputs: int) -> dict[str, Any]:
    body = {k: v for k, v in doc.items() if not k.startswith("_")}
    body = {**body, "inputs": {**body["inputs"], **inputs}}
    rev = revtree.new_rev(doc["_rev"], body, deleted=False)
    pos, digest = revtree.parse_rev(rev)
    return {**body, "_id": doc["_id"], "_rev": rev,
            "_revisions": {"start": pos, "ids": [digest, revtree.parse_rev(doc["_rev"])[1]]}}


async def _conflicts(url: str, count: int) -> tuple[int, list[tuple[str, str]]]:
    """Give `count` sheets two concurrent branches; (number of sheets, [(db, sheet id)])."""
    store = SqlStore(url)
    await store.initialize()
    try:
        made, total = [], 0
        for db in await store.list_dbs():
            if not db.startswith("c-"):
                continue
            rows = (await store.all_docs(db, startkey="sheet:", endkey="sheet:\uffff",
                                         include_docs=True))["rows"]
            total += len(rows)
            unlocked = [r for r in rows if r["doc"].get("status") != "locked"]  # locked: review
            for row in unlocked[: max(0, count - len(made))][:3]:
                doc = row["doc"]
                name = sorted(doc["inputs"])[0]
                await store.bulk_docs(db, [_branch(doc, **{name: 1}), _branch(doc, **{name: 2})],
                                      new_edits=False)
                made.append((db, doc["_id"]))
        return total, made
    finally:
        await store.close()


def test_sigkill_mid_run_then_restart(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "THIDUA_DATA_DIR": str(tmp_path),
           "THIDUA_LOG_LEVEL": "WARNING"}
    assert _cli(["seed-demo"], env).returncode == 0
    url = f"sqlite:///{tmp_path.resolve() / 'thidua.sqlite3'}"
    sheets, conflicted = asyncio.run(_conflicts(url, 30))
    engine = create_engine(url)
    code = "import sys; from server.cli import main; sys.argv[0] = 'thidua'; main()"
    for _ in range(2):  # kill it twice, at different points
        proc = subprocess.Popen([sys.executable, "-c", code, "worker"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        before = _count(engine)
        while time.monotonic() < deadline and _count(engine) < before + 100:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    done = subprocess.run([sys.executable, "-c", code, "worker", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, sheet_rev, db FROM result_sheet")).all()
        failures = conn.execute(text("SELECT count(*) FROM worker_failure")).scalar_one()
    assert len(rows) == sheets and failures == 0  # nothing skipped
    asyncio.run(_check_docs(url, rows, conflicted))
    merges = Audit(engine).query(AuditFilter(action="merge"))
    assert sorted(e.doc_id for e in merges) == sorted(d for _, d in conflicted)  # once each
    engine.dispose()


def _count(engine: Any) -> int:
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM result_sheet")).scalar_one())
    except Exception:  # noqa: BLE001 - tables not created yet
        return 0


async def _check_docs(url: str, rows: list[Any], conflicted: list[tuple[str, str]]) -> None:
    store = SqlStore(url)
    await store.initialize()
    try:
        for rid, sheet_rev, db in rows:
            doc = await store.get(db, rid)
            assert doc["sheet_rev"] == sheet_rev
            sheet = await store.get(db, "sheet:" + rid.removeprefix("result:"), conflicts=True)
            assert sheet["_rev"] == sheet_rev and not sheet.get("_conflicts")
            # written once: a conflicted sheet's result may be rescored after its merge
            assert doc["_rev"].startswith("1-") or (db, sheet["_id"]) in conflicted, doc["_rev"]
    finally:
        await store.close()
