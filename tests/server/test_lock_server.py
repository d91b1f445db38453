"""Locks against a real server: a race with a scorer's push, and PouchDB devices converging
on a sheet locked on a losing branch.

A lock holds against a scorer's replicated write sent at the same moment:

The reviewer locks revision 1 of a sheet with `PUT`, the scorer's phone pushes a branch of a
higher generation (`_bulk_docs new_edits=false`) from the same revision; both requests race.
Whatever the order, a lock answered 201 must leave the sheet locked: the scorer's branch is
refused, or it landed first and the lock is a 409 conflict. The push carries 500 sheets the
server already has (a phone's full batch), so that reading them takes a while: the window in
which a gatekeeper that reads, then writes, lets the lock slip in between.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import uuid
from typing import Any

import httpx
import pytest
from gate_world import PASSWORD, PERIODS, sheet
from replication.node import run_pouch
from replication.servers import Server

DB = "c-89101"
TRIES = 40
ADMIN = ("admin", "replication-test-password")
FILLER = [
    {**sheet("89101", period, status="submitted"), "_rev": f"1-{hashlib.md5(period.encode()).hexdigest()}"}
    for period in PERIODS[1000:1500]
]


@pytest.fixture(scope="module")
def served(world_server: Server) -> Server:
    """The shared server, holding the filler sheets every race pushes again."""
    with world_server.client() as http:
        answer = http.post(f"{DB}/_bulk_docs", auth=ADMIN,
                           json={"docs": FILLER, "new_edits": False})
        assert answer.status_code == 201 and answer.json() == [], answer.text
    return world_server


def scorer_branch(doc: dict[str, Any], rev: str) -> dict[str, Any]:
    """A replicated edit two generations above `rev` (what a phone pushes)."""
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    return {**doc, "_rev": f"3-{second}", "inputs": {"du_no": 7},
            "_revisions": {"start": 3, "ids": [second, first, rev.split("-")[1]]}}


async def race(http: httpx.AsyncClient, n: int) -> tuple[int, bool, dict[str, Any]]:
    """Try `n`: (lock status, scorer's write accepted, the stored winner)."""
    doc = sheet("89101", PERIODS[1500 + n], status="submitted")
    created = await http.put(f"{DB}/{doc['_id']}", json=doc, auth=("scorer", PASSWORD))
    assert created.status_code == 201, created.text
    rev = created.json()["rev"]
    lock, push = await asyncio.gather(
        http.put(f"{DB}/{doc['_id']}", json={**doc, "_rev": rev, "status": "locked"},
                 auth=("office_reviewer", PASSWORD)),
        http.post(f"{DB}/_bulk_docs", auth=("scorer", PASSWORD),
                  json={"docs": [*FILLER, scorer_branch(doc, rev)], "new_edits": False}),
    )
    assert lock.status_code in (201, 409), lock.text
    assert push.status_code == 201, push.text
    refused = [entry for entry in push.json() if "error" in entry]  # as CouchDB: errors only
    assert all(entry["error"] == "forbidden" for entry in refused), refused
    final = await http.get(f"{DB}/{doc['_id']}", auth=ADMIN)
    return lock.status_code, not refused, final.json()


@pytest.mark.slow
async def test_a_lock_answered_201_always_leaves_the_sheet_locked(served: Server) -> None:
    async with httpx.AsyncClient(base_url=served.couch, timeout=30) as http:
        outcomes = [await race(http, n) for n in range(TRIES)]
    broken = [(lock, pushed, final.get("status"), final["_rev"])
              for lock, pushed, final in outcomes
              if lock == 201 and final.get("status") != "locked"]
    assert not broken, f"{len(broken)} of {TRIES} locks answered 201 left the sheet unlocked"
    # Each try ends one way or the other: locked (the push refused) or the push won first.
    for lock, pushed, final in outcomes:
        assert (final.get("status") == "locked") == (lock == 201)
        assert pushed or lock == 201


@pytest.mark.slow
def test_pouchdb_devices_converge_on_a_sheet_locked_on_a_losing_branch(served: Server) -> None:
    """The scorer's phone edits twice offline, the reviewer's phone locks the first revision
    offline; the scorer syncs first (its branch is higher), then the reviewer: the lock wins on
    the server, and every device, a fresh one too, reads the locked sheet without conflicts."""
    doc = sheet("89101", PERIODS[1999], status="submitted")
    doc_id = doc["_id"]
    as_scorer, as_reviewer = f"remote:{DB}~scorer", f"remote:{DB}~office_reviewer"
    steps: list[dict[str, Any]] = [
        {"op": "put", "db": "scorer", "doc": doc},
        {"op": "replicate", "from": "scorer", "to": as_scorer},
        {"op": "replicate", "from": as_reviewer, "to": "reviewer",
         "opts": {"doc_ids": [doc_id]}},
        # offline
        {"op": "update", "db": "scorer", "id": doc_id, "set": {"inputs": {"du_no": 7}}},
        {"op": "update", "db": "scorer", "id": doc_id, "set": {"inputs": {"du_no": 8}}},
        {"op": "update", "db": "reviewer", "id": doc_id, "set": {"status": "locked"}},
        # back online: the scorer first
        {"op": "replicate", "from": "scorer", "to": as_scorer},
        {"op": "get", "db": as_scorer, "id": doc_id},
        {"op": "replicate", "from": "reviewer", "to": as_reviewer},
        *({"op": "replicate", "from": as_scorer if device == "scorer" else as_reviewer,
           "to": device, "opts": {"doc_ids": [doc_id]}}
          for device in ("scorer", "reviewer", "fresh")),
        *({"op": "get", "db": device, "id": doc_id, "opts": {"conflicts": True}}
          for device in ("scorer", "reviewer", "fresh")),
        {"op": "get", "db": as_reviewer, "id": doc_id, "opts": {"conflicts": True}},
    ]
    r = run_pouch(dataclasses.replace(served, auth=("scorer", PASSWORD), proc=None), steps)
    scorer_push, before_lock, lock_push = r[6], r[7], r[8]
    assert scorer_push["ok"] and scorer_push["docs_written"] == 1, scorer_push
    assert before_lock["_rev"].startswith("3-") and before_lock.get("status") != "locked"
    assert lock_push["ok"] and lock_push["docs_written"] == 1, lock_push
    lock_rev = r[5]["rev"]
    assert lock_rev.startswith("2-")
    *devices, server = r[-4:]
    for seen in (*devices, server):
        assert seen["_rev"] == lock_rev and seen["status"] == "locked", seen
        assert "_conflicts" not in seen, seen
    assert server["inputs"] == {"du_no": 100}  # the locked content, not the scorer's edits
