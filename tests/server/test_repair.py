"""Malformed revision ids: refused from non-admins, and `thidua repair` heals a database that
holds them so that PouchDB 9 pulls it again (real server, real PouchDB)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import Any

import httpx
import pytest
from gate_world import PASSWORD, PERIODS, sheet
from replication.node import run_pouch
from replication.servers import ROOT, Server

from sync.revrepair import repaired_hash

DB = "c-89101"
ADMIN = ("admin", "replication-test-password")
GOOD = "1-" + "a" * 32


@pytest.fixture(scope="module")
def served(world_server: Server) -> Server:
    return world_server


def replicated(doc: dict[str, Any], rev: str, *ids: str) -> dict[str, Any]:
    out = {**doc, "_rev": rev}
    if ids:
        out["_revisions"] = {"start": int(rev.split("-")[0]), "ids": list(ids)}
    return out


def push(http: httpx.Client, auth: tuple[str, str], docs: list[dict[str, Any]]) -> list[Any]:
    answer = http.post(f"{DB}/_bulk_docs", auth=auth, json={"docs": docs, "new_edits": False})
    assert answer.status_code == 201, answer.text
    return list(answer.json())


def repair(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from server.cli import main; sys.argv[0] = 'thidua'; main()"
    return subprocess.run([sys.executable, "-c", code, "repair", "--db", DB, *args], cwd=ROOT,
                          env=server.env, capture_output=True, text=True, timeout=120)


def pull(server: Server) -> list[Any]:
    scorer = dataclasses.replace(server, auth=("scorer", PASSWORD), proc=None)
    return run_pouch(scorer, [{"op": "replicate", "from": f"remote:{DB}", "to": "phone"},
                              {"op": "all_docs", "db": "phone"}])


@pytest.mark.slow
def test_malformed_revision_ids_are_refused_then_repaired(served: Server) -> None:
    a, b, c, ok = (sheet("89101", PERIODS[n]) for n in (1990, 1991, 1992, 1993))
    bad = [replicated(a, "1-xyz"), replicated(b, "1-a-b"),
           replicated(c, "2-" + "b" * 32, "b" * 32, "not-hex")]
    with served.client() as http:
        answer = push(http, ("scorer", PASSWORD), [*bad, replicated(ok, GOOD)])
        assert [r["id"] for r in answer] == [a["_id"], b["_id"], c["_id"]]
        assert all(r["error"] == "forbidden" for r in answer)
        assert "'1-xyz' in _rev" in answer[0]["reason"] and "'1-a-b'" in answer[1]["reason"]
        assert "_revisions.ids[1]" in answer[2]["reason"]
        assert http.get(f"{DB}/{ok['_id']}", auth=ADMIN).status_code == 200
        assert http.get(f"{DB}/{a['_id']}", auth=ADMIN).status_code == 404
        # An admin is not restricted (tools, migrations): what poisoned databases before.
        assert push(http, ADMIN, bad) == []
        before = http.get(f"{DB}/{a['_id']}", auth=ADMIN).json()
    broken = pull(served)[0]
    assert broken.get("ok") is not True, broken  # PouchDB 9 cannot pull the database
    assert "Invalid rev format" in str(broken), broken

    dry = repair(served)
    assert dry.returncode == 1, dry.stdout + dry.stderr
    assert "1-xyz" in dry.stdout and "Dry run" in dry.stdout
    with served.client() as http:  # a dry run changes nothing
        assert http.get(f"{DB}/{a['_id']}", auth=ADMIN).json() == before

    done = repair(served, "--apply")
    assert done.returncode == 0, done.stdout + done.stderr
    with served.client() as http:
        after = http.get(f"{DB}/{a['_id']}", auth=ADMIN).json()
        assert after["_rev"] == f"1-{repaired_hash('xyz')}"
        assert {k: v for k, v in after.items() if k != "_rev"} == {
            k: v for k, v in before.items() if k != "_rev"}
        audit = httpx.get(f"http://127.0.0.1:{served.port}/api/admin/audit",
                          params={"action": "repair"}, auth=ADMIN).json()
    pulled, listing = pull(served)
    assert pulled["ok"] and pulled["docs_written"] >= 4, pulled
    ids = {row["id"]: row["value"]["rev"] for row in listing["rows"]}
    assert ids[a["_id"]] == f"1-{repaired_hash('xyz')}"
    assert ids[b["_id"]] == f"1-{repaired_hash('a-b')}"
    assert ids[c["_id"]] == "2-" + "b" * 32
    events = audit["events"]
    assert sorted(e["doc_id"] for e in events) == sorted([a["_id"], b["_id"], c["_id"]])
    assert {e["detail"].split(";")[0] for e in events} == {
        f"1-xyz -> 1-{repaired_hash('xyz')}", f"1-a-b -> 1-{repaired_hash('a-b')}",
        f"1-not-hex -> 1-{repaired_hash('not-hex')}"}  # an ancestor of c's stored leaf
    assert all(e["user"].startswith("local") and e["db"] == DB for e in events)
