"""Locking a commune or an office in one action, and closing a campaign, over HTTP."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.consolidated.conftest import auth

Client = AsyncTestClient[Any]


async def _communes(client: Client, user: str) -> list[dict[str, Any]]:
    answer = await client.get("/api/results/summary", params={"level": "commune"},
                              headers=auth(user))
    return answer.json()["rows"]


async def _sheets(client: Client, commune: str) -> list[dict[str, Any]]:
    answer = await client.get(f"/db/c-{commune}/_all_docs", params={"include_docs": "true"},
                              headers=auth("admin"))
    return [r["doc"] for r in answer.json()["rows"] if r["id"].startswith("sheet:")]


async def test_office_reviewer_locks_a_commune_and_drafts_are_listed(client: Client) -> None:
    commune = (await _communes(client, "canbo1"))[0]["code"]
    before = {d["_id"]: d["status"] for d in await _sheets(client, commune)}
    answer = await client.post("/api/workflow/lock", json={"scope": "commune", "code": commune},
                               headers=auth("phonggd"))
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert set(out["locked"]) == {i for i, s in before.items() if s in ("submitted", "reviewed")}
    assert set(out["already"]) == {i for i, s in before.items() if s == "locked"}
    assert {r["id"] for r in out["refused"]} == {i for i, s in before.items() if s == "draft"}
    assert all("draft" in r["reason"] for r in out["refused"])
    after = {d["_id"]: d["status"] for d in await _sheets(client, commune)}
    assert all(after[i] == "locked" for i in out["locked"])
    # the results stay current and show the lock
    locked = await client.get("/api/results/units", params={
        "commune": commune, "status": "locked", "limit": 500}, headers=auth("phonggd"))
    assert locked.json()["total"] == len(out["locked"]) + len(out["already"])
    # the scorer cannot change a locked sheet any more
    doc = next(d for d in await _sheets(client, commune) if d["_id"] == out["locked"][0])
    edit = await client.put(f"/db/c-{commune}/{doc['_id']}",
                            json={**doc, "inputs": {**doc["inputs"]}, "status": "draft"},
                            headers=auth("canbo1"))
    assert edit.status_code == 403 and "is locked" in edit.json()["reason"]
    # one audited batch, plus one audit entry per locked sheet
    audit = await client.get("/api/admin/audit", params={"action": "lock*", "limit": 1000},
                             headers=auth("admin"))
    events = audit.json()["events"]
    batch = [e for e in events if e["action"] == "lock.batch"]
    assert len(batch) == 1 and batch[0]["user"] == "phonggd" and out["batch"] in batch[0]["detail"]
    assert {e["doc_id"] for e in events if e["action"] == "lock"} == set(out["locked"])


async def test_only_the_branch_locks_an_office_and_territory_holds(client: Client) -> None:
    office = (await client.get("/api/results/summary", params={"level": "pgd"},
                               headers=auth("phonggd"))).json()["rows"][0]["code"]
    refused = await client.post("/api/workflow/lock", json={"scope": "office", "code": office},
                                headers=auth("phonggd"))
    assert refused.status_code == 403 and "only the branch" in refused.json()["reason"]
    scorer = await client.post("/api/workflow/lock", json={"scope": "commune", "code": "00000"},
                               headers=auth("canbo1"))
    assert scorer.status_code == 403
    unknown = await client.post("/api/workflow/lock", json={"scope": "office", "code": "999999"},
                                headers=auth("chinhanh"))
    assert unknown.status_code == 404
    done = await client.post("/api/workflow/lock", json={"scope": "office", "code": office},
                             headers=auth("chinhanh"))
    assert done.status_code == 200 and done.json()["locked"]
    mine = {r["code"] for r in await _communes(client, "phonggd")}
    outside = next(c["code"] for c in await _communes(client, "chinhanh") if c["code"] not in mine)
    foreign = await client.post("/api/workflow/lock", json={"scope": "commune", "code": outside},
                                headers=auth("phonggd"))
    assert foreign.status_code == 403
    bad = await client.post("/api/workflow/lock", json={"scope": "hamlet", "code": office},
                            headers=auth("chinhanh"))
    assert bad.status_code == 400


async def test_closing_a_campaign_freezes_it(client: Client) -> None:
    assert (await client.post("/api/workflow/campaigns/2026/close",
                              headers=auth("phonggd"))).status_code == 403
    closed = await client.post("/api/workflow/campaigns/2026/close", headers=auth("chinhanh"))
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["criteria_version"] == "vbsp-2026" and body["results"] > body["locked"] > 0
    again = await client.post("/api/workflow/campaigns/2026/close", headers=auth("chinhanh"))
    assert again.status_code == 409
    commune = (await _communes(client, "canbo1"))[0]["code"]
    draft = next(d for d in await _sheets(client, commune) if d["status"] == "draft")
    edit = await client.put(f"/db/c-{commune}/{draft['_id']}", json={**draft, "status": "submitted"},
                            headers=auth("canbo1"))
    assert edit.status_code == 403 and "campaign closed" in edit.json()["reason"]
    lock = await client.post("/api/workflow/lock", json={"scope": "commune", "code": commune},
                             headers=auth("chinhanh"))
    assert lock.status_code == 409
