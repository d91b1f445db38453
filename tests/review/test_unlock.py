"""Unlocking one sheet with a reason (`POST /api/workflow/unlock`): the branch only, a reason
required, audited with the reason."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.consolidated.conftest import auth
from tests.review.test_batch_lock import _communes, _sheets

Client = AsyncTestClient[Any]


async def test_the_branch_unlocks_a_sheet_with_a_reason_and_it_is_audited(client: Client) -> None:
    commune = (await _communes(client, "canbo1"))[0]["code"]
    locked = await client.post("/api/workflow/lock", json={"scope": "commune", "code": commune},
                               headers=auth("phonggd"))
    sheet = locked.json()["locked"][0]
    body = {"commune": commune, "sheet": sheet}
    for reason in ("", "   ", "a "):
        blank = await client.post("/api/workflow/unlock", json={**body, "reason": reason},
                                  headers=auth("chinhanh"))
        assert blank.status_code == 400 and "reason" in blank.json()["reason"], blank.text
    office = await client.post("/api/workflow/unlock", json={**body, "reason": "Sai số liệu"},
                               headers=auth("phonggd"))
    assert office.status_code == 403 and "only the branch" in office.json()["reason"]
    still = {d["_id"]: d for d in await _sheets(client, commune)}[sheet]
    assert still["status"] == "locked"

    done = await client.post("/api/workflow/unlock", json={
        **body, "reason": "Tổ  báo sai dư nợ"}, headers=auth("chinhanh"))
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "reviewed" and done.json()["reason"] == "Tổ báo sai dư nợ"
    after = {d["_id"]: d for d in await _sheets(client, commune)}[sheet]
    assert after["status"] == "reviewed" and after["unlock_reason"] == "Tổ báo sai dư nợ"
    assert after["_rev"] == done.json()["rev"]
    audit = await client.get("/api/admin/audit", params={"action": "unlock", "limit": 100},
                             headers=auth("admin"))
    [event] = [e for e in audit.json()["events"] if e["doc_id"] == sheet]
    assert event["user"] == "chinhanh" and event["reason"] == "Tổ báo sai dư nợ"

    again = await client.post("/api/workflow/unlock", json={**body, "reason": "lần nữa"},
                              headers=auth("chinhanh"))
    assert again.status_code == 409 and "not locked" in again.json()["reason"]
    others = locked.json()["locked"][1:3]
    assert len(others) == 2
    for target, other in zip(("submitted", "draft"), others, strict=True):  # the branch chooses
        moved = await client.post("/api/workflow/unlock", json={
            **body, "sheet": other, "reason": f"Trả về {target}", "status": target},
            headers=auth("chinhanh"))
        assert moved.status_code == 200 and moved.json()["status"] == target, moved.text
        assert {d["_id"]: d for d in await _sheets(client, commune)}[other]["status"] == target
    wrong = await client.post("/api/workflow/unlock", json={
        **body, "sheet": locked.json()["locked"][3], "reason": "vẫn chốt", "status": "locked"},
        headers=auth("chinhanh"))
    assert wrong.status_code == 400, wrong.text  # only reviewed, submitted or draft
    missing = await client.post("/api/workflow/unlock", json={
        **body, "sheet": "sheet:2026:x", "reason": "không có"}, headers=auth("chinhanh"))
    assert missing.status_code == 404
    bad = await client.post("/api/workflow/unlock", json={**body, "sheet": "x", "reason": "abc"},
                            headers=auth("chinhanh"))
    assert bad.status_code == 400
