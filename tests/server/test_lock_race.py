"""A lock holds against a scorer's replicated write sent at the same moment (real server).

The reviewer locks revision 1 of a sheet with `PUT`, the scorer's phone pushes a branch of a
higher generation (`_bulk_docs new_edits=false`) from the same revision; both requests race.
Whatever the order, a lock answered 201 must leave the sheet locked: the scorer's branch is
refused, or it landed first and the lock is a 409 conflict. The push carries 500 sheets the
server already has (a phone's full batch), so that reading them takes a while: the window in
which a gatekeeper that reads, then writes, lets the lock slip in between.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from gate_world import PASSWORD, PERIODS, served_world, sheet
from replication.servers import Server

DB = "c-89101"
TRIES = 40
ADMIN = ("admin", "replication-test-password")
FILLER = [
    {**sheet("89101", period), "_rev": f"1-{hashlib.md5(period.encode()).hexdigest()}"}
    for period in PERIODS[1000:1500]
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = served_world(tmp_path_factory.mktemp("lock-race"))
    server.start()
    with server.client() as http:
        answer = http.post(f"{DB}/_bulk_docs", auth=ADMIN,
                           json={"docs": FILLER, "new_edits": False})
        assert answer.status_code == 201 and answer.json() == [], answer.text
    yield server
    server.stop()


def scorer_branch(doc: dict[str, Any], rev: str) -> dict[str, Any]:
    """A replicated edit two generations above `rev` (what a phone pushes)."""
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    return {**doc, "_rev": f"3-{second}", "inputs": {"du_no": 7},
            "_revisions": {"start": 3, "ids": [second, first, rev.split("-")[1]]}}


async def race(http: httpx.AsyncClient, n: int) -> tuple[int, bool, dict[str, Any]]:
    """Try `n`: (lock status, scorer's write accepted, the stored winner)."""
    doc = sheet("89101", PERIODS[1500 + n])
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
