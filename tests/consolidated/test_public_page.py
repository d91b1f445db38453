"""/public/rankings: no sign-in, locked collectives only, no personal data, no outside host,
ETag caching."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

import server.public.controller as public
from tests.consolidated.conftest import auth

Client = AsyncTestClient[Any]
OUTSIDE = re.compile(r"(?i)(https?:|//[a-z0-9]|<script|@import|url\()")


async def _config(client: Client) -> list[dict[str, Any]]:
    answer = await client.get("/db/config/_all_docs", params={"include_docs": "true"},
                              headers=auth("admin"))
    return [r["doc"] for r in answer.json()["rows"]]


async def _pages(client: Client, docs: list[dict[str, Any]]) -> dict[str, str]:
    pages = {}
    index = await client.get("/public/rankings")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    pages["/public/rankings"] = index.text
    for href in sorted(set(re.findall(r'href="(/public/rankings/[a-z]+/\d+)"', index.text))):
        answer = await client.get(href)
        assert answer.status_code == 200, href
        pages[href] = answer.text
    assert sum(1 for d in docs if d.get("type") == "commune") == sum(
        1 for p in pages if "/communes/" in p)
    return pages


async def test_no_person_of_the_directory_and_no_outside_host_appears(client: Client) -> None:
    docs = await _config(client)
    people = {d[k] for d in docs for k in ("leader_name", "chair_name", "person_name") if d.get(k)}
    assert len(people) > 500
    pages = await _pages(client, docs)
    for path, html in pages.items():
        leaked = [name for name in people if name in html]
        assert not leaked, (path, leaked[:5])
        assert not OUTSIDE.search(html), (path, OUTSIDE.search(html))
        assert "canbo1" not in html and "scorer" not in html


async def test_only_locked_results_of_collectives_appear(client: Client) -> None:
    commune = (await client.get("/api/results/summary", params={"level": "commune"},
                                headers=auth("canbo1"))).json()["rows"][0]["code"]
    rows = (await client.get("/api/results/units", params={"commune": commune, "limit": 500},
                             headers=auth("chinhanh"))).json()["rows"]
    html = (await client.get(f"/public/rankings/communes/{commune}")).text
    shown = {r["unit"] for r in rows if f"mã {r['unit'].split(':')[1]}," in html}
    locked_groups = {r["unit"] for r in rows if r["status"] == "locked"
                     and r["unit_kind"] == "savings_group"}
    assert shown == locked_groups
    assert "<svg" in html and "Tiêu chí" in html and "vbsp-2026" in html
    assert "Kết quả ngày" in html


async def test_etag_and_a_lock_shows_up(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    commune = (await client.get("/api/results/summary", params={"level": "commune"},
                                headers=auth("canbo1"))).json()["rows"][0]["code"]
    path = f"/public/rankings/communes/{commune}"
    first = await client.get(path)
    etag = first.headers["etag"]
    again = await client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    before = first.text.count("<details>")
    monkeypatch.setattr(public, "RECHECK", 0.0)
    locked = await client.post("/api/workflow/lock", json={"scope": "commune", "code": commune},
                               headers=auth("phonggd"))
    assert locked.json()["locked"]
    after = await client.get(path, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert after.text.count("<details>") == before + len(locked.json()["locked"])
    assert (await client.get("/public/rankings/communes/99999")).status_code == 404
    assert (await client.get("/public/rankings/hamlets/1")).status_code in (400, 404)
