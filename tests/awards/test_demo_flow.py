"""The `make demo` flow end to end through the real app: a reviewer locks an office with the
workflow API; in /branch/ the proposals come from the locked results, are adjusted (a unit
removed, one added, a Bằng khen basis recorded, a group leader proposed), decided, printed in
both modes and on the A3 Bằng khen, and the council report is produced; the PDFs are read back
with pdftotext and every recipient's Vietnamese name is in them."""

from __future__ import annotations

import base64
import re
import unicodedata
from html import unescape
from pathlib import Path
from typing import Any

from tests.awards.conftest import Client, build_report, decision_form, sign_in
from tests.consolidated.world import PASSWORDS
from tests.reports.pdftools import page_sizes_mm, pdf_text


def _basic(user: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{PASSWORDS[user]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _text(tmp_path: Path, body: bytes, name: str) -> tuple[Path, str]:
    path = tmp_path / name
    path.write_bytes(body)
    return path, " ".join(pdf_text(path).split())


def _locked(html: str) -> int:
    return int(re.search(r"đã khóa: (\d+)", html).group(1))  # type: ignore[union-attr]


GK = "Giấy khen (Chủ tịch UBND xã hoặc Giám đốc Chi nhánh NHCSXH)"


def _rows(html: str, level: str) -> list[str]:
    """The unit ids the proposals table shows for the award ``level``."""
    table = html.split("Căn cứ đề nghị Bằng khen")[0]
    return [m.group(1) for row in table.split("<tr>") if row.startswith(f"<td>{level}</td>")
            if (m := re.search(r'<span class="note">([a-z_]+:[^<]+)</span>', row))]


async def _decide(client: Client, award: str, kind: str, number: str) -> tuple[str, str]:
    form = decision_form(award=award, kind=kind, number=number, signed_on="2026-12-20",
                         achievement="Đã có thành tích xuất sắc trong phong trào thi đua thực "
                                     "hiện tín dụng chính sách xã hội năm 2026",
                         signer_name="Trần Thị Hồng Nhung")
    r = await client.post("/branch/quyet-dinh", data=form, follow_redirects=False)
    assert r.status_code == 302, r.text[-600:]
    page = r.headers["location"]
    return page, (await client.get(page)).text


def _recipients(html: str) -> list[str]:
    cells = re.findall(r'<td class="n">\d+</td><td>(?:Tập thể:|Ông:|Bà:|Ông/Bà:) ([^<]+)</td>', html)
    return [unescape(c).strip() for c in cells]


async def test_make_demo_flow_lock_propose_adjust_decide_print_report(
        demo_client: Client, tmp_path: Path) -> None:
    client = demo_client
    assert await sign_in(client, "chinhanh", "chinhanh-demo") == 302
    home = await client.get("/branch/")
    before = _locked(home.text)
    assert before > 100  # the demo seed: one transaction office fully locked

    # 1. a reviewer locks another office in one action (workflow API, as the PWA does)
    offices = (await client.get("/api/results/summary", params={"level": "pgd"},
                                headers=_basic("chinhanh"))).json()["rows"]
    lock = await client.post("/api/workflow/lock", json={"scope": "office", "code": offices[1]["code"]},
                             headers=_basic("chinhanh"))
    assert lock.status_code == 200 and lock.json()["locked"], lock.text
    after = _locked((await client.get("/branch/")).text)
    assert after == before + len(lock.json()["locked"])

    # 2. proposals from the locked results
    page = (await client.get("/branch/de-nghi")).text
    proposed = _rows(page, GK)
    assert proposed and "Kết quả chưa khóa" in page
    by_unit: dict[str, dict[str, Any]] = {}
    for offset in range(0, 5000, 500):
        page_rows = (await client.get("/api/results/units", params={
            "status": "locked", "limit": 500, "offset": offset},
            headers=_basic("chinhanh"))).json()["rows"]
        by_unit |= {r["unit"]: r for r in page_rows}
        if len(page_rows) < 500:
            break
    assert len(by_unit) == after
    assert set(proposed) <= set(by_unit)  # only locked results are proposed

    # 3. adjustments: one removed, one added, each with its reason
    removed = proposed[0]
    r = await client.post("/branch/de-nghi/dieu-chinh", data={
        "award": "GK-XA", "unit": removed, "action": "remove", "reason": "Tổ có đơn thư phản ánh"})
    assert r.status_code == 200 and "Đã ghi điều chỉnh" in r.text
    added = next(u for u, r_ in by_unit.items() if u not in proposed and not r_.get("excluded")
                 and u.startswith("savings_group:") and r_["classification"] == "Tốt")
    r = await client.post("/branch/de-nghi/dieu-chinh", data={
        "award": "GK-XA", "unit": added, "action": "add", "reason": "Hội đồng xã đề nghị bổ sung"})
    assert r.status_code == 200 and "Bỏ khỏi danh sách khi xét duyệt" in r.text

    # 4. Bằng khen: a basis recorded for a Xuất sắc association, which is then proposed
    best = next(u for u, r_ in by_unit.items() if u.startswith("association_commune:")
                and r_["classification"] == "Xuất sắc" and not r_.get("excluded"))
    r = await client.post("/branch/de-nghi/can-cu", data={
        "unit": best, "flag": "thanh_tich_dot_xuat", "active": "1",
        "reason": "Vận động hộ vay trả nợ sau lũ tháng 10/2026"})
    assert r.status_code == 200 and "Thành tích đột xuất (chinhanh ghi: Vận động hộ vay" in r.text
    r = await client.post("/branch/de-nghi/can-cu", data={  # refusals: the page with the reason
        "unit": best, "flag": "thanh_tich_dot_xuat", "active": "1", "reason": " "})
    assert r.status_code == 400 and "Cần ghi lý do (văn bản" in r.text
    r = await client.post("/branch/de-nghi/dieu-chinh", data={
        "award": "GK-XA", "unit": added, "action": "remove", "reason": ""})
    assert r.status_code == 400 and "Cần ghi lý do điều chỉnh" in r.text
    assert best in _rows(r.text, "Bằng khen của Chủ tịch UBND tỉnh/thành phố")
    bk_row = next(row for row in r.text.split("<tr>") if f'<span class="note">{best}</span>' in row
                  and row.startswith("<td>Bằng khen"))
    assert "<td>Tỉnh An Giang</td>" in bk_row and "<td>89</td>" not in bk_row  # the scope by name

    # 5. a group leader proposed as an individual (name taken from the directory)
    group = next(u for u in by_unit if u.startswith("savings_group:"))
    r = await client.post("/branch/ca-nhan", data={
        "role": "to_truong", "salutation": "Bà:", "unit": group, "name": "", "position_line": "",
        "award": "GK-XA", "reason": "Tổ trưởng nhiều năm liền, tổ xếp loại Tốt"},
        follow_redirects=False)
    assert r.status_code == 302
    leader = re.search(r"<td>Bà ([^<]+)</td><td>Tổ trưởng Tổ TK&amp;VV",
                       (await client.get("/branch/ca-nhan")).text).group(1)  # type: ignore[union-attr]

    # 6. decisions, printed on blank and as a preview; the Bằng khen on A3
    page_gk, html = await _decide(client, "GK-XA", "giay_khen", "215")
    names = _recipients(html)
    assert leader in names and len(names) == len(proposed) + 1  # -1 removed, +1 added, +1 person
    assert any(unicodedata.normalize("NFD", n) != n for n in names)  # Vietnamese diacritics
    blank = await client.post(page_gk + "/in", data={"mode": "blank"})
    assert blank.status_code == 200, blank.text[-500:]
    path, text = _text(tmp_path, blank.content, "gk-blank.pdf")
    assert all(" ".join(n.split()) in text for n in names)
    assert f"Số sổ vàng: {len(names)}" in text and "BẢN XEM TRƯỚC" not in text
    assert set(page_sizes_mm(path)) == {(297, 210)}
    full = await client.post(page_gk + "/in", data={"mode": "full"})
    _, text = _text(tmp_path, full.content, "gk-full.pdf")
    assert "BẢN XEM TRƯỚC" in text and "GIẤY KHEN" in text and leader in text
    page_bk, html = await _decide(client, "BK-TINH", "bang_khen", "216")
    bk_names = _recipients(html)
    assert bk_names
    path, text = _text(tmp_path, (await client.post(page_bk + "/in", data={"mode": "blank"})).content,
                       "bk.pdf")
    assert set(page_sizes_mm(path)) == {(420, 297)} and all(n in text for n in bk_names)
    register = (await client.get("/branch/so-vang")).text
    assert register.count("215/QĐ-NHCS") == 2 * len(names) and "bản in lại" in register

    # 7. the council report, with the adjustments and the proposals
    _, report = await build_report(client, {
        "number": "88", "signer_name": "Trần Thị Hồng Nhung", "signed_on": "2026-12-18"})
    _, text = _text(tmp_path, report, "report.pdf")
    assert "Số: 88/BC-NHCS" in text and "Hội đồng xã đề nghị bổ sung" in text
    assert "BÁO CÁO THÀNH TÍCH" in text and bk_names[0] in text
    assert "trong Tỉnh An Giang" in text and "trong tỉnh;" not in text  # the scope by name
    assert leader in text and "Cá nhân: Tổ trưởng nhiều năm liền" in text  # the person too
    # the Bằng khen basis is in the proposals table (pdftotext interleaves its columns)
    assert "Căn cứ:" in text and "Thành tích đột xuất (chinhanh ghi: Vận động hộ vay" in text
