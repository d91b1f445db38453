"""Rankings beside the previous year's campaign, and the OpenAPI schema of the new routes."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import insert, select

from scoring.demo import demo_campaign
from scoring.ids import CONFIG_DB
from server.results.tables import SheetResult
from tests.consolidated.conftest import auth

Client = AsyncTestClient[Any]
_T = SheetResult.__table__  # type: ignore[attr-defined]


async def test_rankings_show_last_years_rank_and_total(client: Client) -> None:
    app = client.app
    await app.state.store.put(CONFIG_DB, demo_campaign(2025).to_doc())
    engine = app.state.accounts.engine
    with engine.begin() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(_T).where(
            _T.c.campaign == "2026", _T.c.unit_kind == "savings_group"))]
        old = []
        for i, row in enumerate(rows):  # last year: the order reversed by a different total
            total = 1000 - row["total"] if i % 5 else row["total"]
            old.append({**row, "id": row["id"].replace(":2026", ":2025"), "campaign": "2025",
                        "period": "2025", "total": total, "rank_key": f"{total:08x}"})
        conn.execute(insert(_T), old)
    province = (await client.get("/api/results/summary", params={"level": "province"},
                                 headers=auth("chinhanh"))).json()["rows"][0]["code"]
    params = {"unit_kind": "savings_group", "scope_type": "province", "scope_id": province,
              "limit": 500}
    async def every(campaign: str) -> tuple[str | None, list[dict[str, Any]]]:
        out: list[dict[str, Any]] = []
        while True:
            page = (await client.get("/api/results/rankings", headers=auth("chinhanh"), params={
                **params, "campaign": campaign, "offset": len(out)})).json()
            out += page["rows"]
            if len(page["rows"]) < 500:
                return page["previous_campaign"], out

    previous, now = await every("2026")
    none, before = await every("2025")
    assert previous == "2025" and none is None and len(now) == len(before) == len(rows)
    last_year = {r["row"]["unit"]: (r["rank"], r["row"]["total"]) for r in before}
    assert all((r["previous_rank"], r["previous_total"]) == last_year[r["row"]["unit"]]
               for r in now)
    assert any(r["previous_rank"] != r["rank"] for r in now)


async def test_the_new_routes_are_in_the_openapi_schema(client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path in ("/api/results/summary", "/api/results/units", "/api/results/units/{result_id}",
                 "/api/results/rankings", "/api/results/export", "/api/workflow/lock",
                 "/api/workflow/campaigns/{campaign}/close", "/public/rankings"):
        assert path in paths, path
