"""/api/results on the seeded demo province: summaries, pages, drill-down, rankings, exports."""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar.testing import AsyncTestClient
from openpyxl import load_workbook

from tests.consolidated.conftest import auth

Client = AsyncTestClient[Any]


async def _get(client: Client, path: str, user: str = "chinhanh", **params: Any) -> Any:
    answer = await client.get(path, params=params, headers=auth(user))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_summary_by_office_counts_scored_units_against_the_directory(client: Client) -> None:
    offices = (await _get(client, "/api/results/summary", level="pgd"))["rows"]
    groups = [r for r in offices if r["unit_kind"] == "savings_group"]
    assert len(groups) >= 2
    for row in groups:
        assert row["name"].startswith("PGD")
        assert 0 < row["scored"] <= row["units"]
        assert sum(row["classes"].values()) == row["scored"]
        assert row["average"] == row["points_sum"] // row["scored"]
    communes = (await _get(client, "/api/results/summary", level="commune",
                           office=groups[0]["code"], unit_kind="savings_group"))["rows"]
    assert sum(r["scored"] for r in communes) == groups[0]["scored"]
    assert sum(r["units"] for r in communes) == groups[0]["units"]
    hamlets = (await _get(client, "/api/results/summary", level="hamlet",
                          commune=communes[0]["code"], unit_kind="savings_group"))["rows"]
    assert sum(r["scored"] for r in hamlets) == communes[0]["scored"]
    assert all(r["name"].startswith(("Ấp", "Khu", "Thôn", "Khóm", "Tổ")) for r in hamlets)


async def test_unit_pages_filter_sort_and_page_on_the_server(client: Client) -> None:
    first = await _get(client, "/api/results/units", unit_kind="savings_group", sort="-total",
                       limit=20)
    assert first["total"] > 100 and len(first["rows"]) == 20
    totals = [r["total"] for r in first["rows"]]
    assert totals == sorted(totals, reverse=True)
    second = await _get(client, "/api/results/units", unit_kind="savings_group", sort="-total",
                        limit=20, offset=20)
    assert {r["unit"] for r in first["rows"]}.isdisjoint(r["unit"] for r in second["rows"])
    assert second["rows"][0]["total"] <= totals[-1]
    locked = await _get(client, "/api/results/units", status="locked", limit=500)
    assert locked["rows"] and all(r["status"] == "locked" for r in locked["rows"])
    weak = await _get(client, "/api/results/units", classification="Yếu", limit=500)
    assert all(r["classification"] == "Yếu" for r in weak["rows"])


async def test_a_scorer_sees_only_their_commune(client: Client) -> None:
    mine = await _get(client, "/api/results/units", user="canbo1", limit=500)
    assert mine["total"] > 0 and len({r["commune_code"] for r in mine["rows"]}) == 1
    everything = await _get(client, "/api/results/units", limit=1)
    assert everything["total"] > mine["total"]
    other = next(r for r in (await _get(client, "/api/results/units", limit=500))["rows"]
                 if r["commune_code"] != mine["rows"][0]["commune_code"])
    refused = await client.get(f"/api/results/units/{other['result_id']}", headers=auth("canbo1"))
    assert refused.status_code == 403
    assert (await client.get("/api/results/units")).status_code == 401


async def test_drill_down_has_criteria_inputs_history_and_audit(client: Client) -> None:
    row = (await _get(client, "/api/results/units", unit_kind="association_commune",
                      limit=1))["rows"][0]
    detail = await _get(client, f"/api/results/units/{row['result_id']}")
    result = detail["result"]
    assert result["total"] == sum(c["points"] for c in result["criteria"])
    assert all(c["explanation"] and c["label_vi"] for c in result["criteria"])
    assert detail["inputs"] and detail["period_label"] == "Cả năm 2026"
    assert detail["history"][0]["rev"] == result["sheet_rev"] and not detail["stale"]
    assert detail["history"][0]["scorer"]
    assert detail["conflicts"] == [] and detail["records"] == []
    assert any(e["note"] for e in detail["evidence"])  # associations have manual criteria
    missing = await client.get("/api/results/units/result:2026:savings_group:0000000:2026",
                               headers=auth("chinhanh"))
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


async def _province(client: Client) -> str:
    rows = (await _get(client, "/api/results/summary", level="province"))["rows"]
    return str(rows[0]["code"])


async def test_rankings_share_ranks_on_ties(client: Client) -> None:
    page = await _get(client, "/api/results/rankings", unit_kind="savings_group",
                      scope_type="province", scope_id=await _province(client), limit=500)
    rows = [r for r in page["rows"] if r["rank"] is not None]
    assert rows[0]["rank"] == 1
    for i, (a, b) in enumerate(zip(rows, rows[1:], strict=False), start=2):
        if a["row"]["rank_key"] == b["row"]["rank_key"]:
            assert b["rank"] == a["rank"]
        else:
            assert b["rank"] == i and b["row"]["total"] <= a["row"]["total"]
    assert page["previous_campaign"] is None and rows[0]["previous_rank"] is None
    bad = await client.get("/api/results/rankings", params={"unit_kind": "savings_group",
                           "scope_type": "galaxy"}, headers=auth("chinhanh"))
    assert bad.status_code == 400


async def test_exports_open_with_vietnamese_headers(client: Client) -> None:
    answer = await client.get("/api/results/export", params={
        "what": "rankings", "format": "xlsx", "scope_type": "province",
        "scope_id": await _province(client)},
        headers=auth("chinhanh"))
    assert answer.status_code == 200
    wb = load_workbook(io.BytesIO(answer.content))
    assert wb.sheetnames[0] == "Tổ TK&VV" and len(wb.sheetnames) == 4
    ws = wb["Tổ TK&VV"]
    assert "Xếp hạng" in ws["A1"].value and ws["A2"].value == "Hạng"
    assert ws["C3"].value.startswith("Tổ TK&VV")
    csv_answer = await client.get("/api/results/export", params={
        "what": "summary", "format": "csv", "level": "commune"}, headers=auth("chinhanh"))
    rows = list(csv.reader(io.StringIO(csv_answer.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Loại đơn vị", "Mã", "Xã, phường", "Số đơn vị"] and "Tốt" in rows[0]
    assert csv_answer.headers["content-type"].startswith("text/csv")


def test_the_query_parameters_name_every_sort_and_scope() -> None:
    from typing import get_args

    from server.consolidated import controller
    from server.consolidated.query import SORTS
    from server.consolidated.ranks import SCOPE_TYPES

    assert set(get_args(controller.SortKey)) == set(SORTS)
    assert set(get_args(get_args(controller.ScopeType)[0])) == set(SCOPE_TYPES)
