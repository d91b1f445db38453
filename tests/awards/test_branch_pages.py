"""The /branch/ pages through the real app: sign-in by form, roles, a decision created,
printed in both modes, reprinted, the register, the council report, refusals."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from tests.awards.conftest import Client, build_report, decision_form, sign_in
from tests.reports.pdftools import page_sizes_mm, pdf_text


def _pdf(tmp_path: Path, body: bytes, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


async def test_reviewer_prints_a_decision_from_the_pages(client: Client, tmp_path: Path) -> None:
    r = await client.get("/branch/", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"].endswith("/branch/dang-nhap")
    assert await sign_in(client, "chinhanh", "sai-mat-khau") == 401
    assert await sign_in(client, "chinhanh", "chinhanh-demo") == 302
    home = await client.get("/branch/")
    assert home.status_code == 200 and "Đề nghị khen thưởng" in home.text
    form = decision_form(signer_title="KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC")
    r = await client.post("/branch/quyet-dinh", data=form, follow_redirects=False)
    assert r.status_code == 302, r.text
    page = r.headers["location"]
    refused = await client.post(page + "/in", data={"mode": "blank"})
    assert refused.status_code == 400 and "chưa có số" in refused.text
    assert (await client.post(page + "/so", data={"number": "125"}, follow_redirects=False)).status_code == 302
    blank = await client.post(page + "/in", data={"mode": "blank"})
    assert blank.status_code == 200 and blank.headers["content-type"] == "application/pdf"
    text = pdf_text(_pdf(tmp_path, blank.content, "blank.pdf"))
    assert "Số sổ vàng: 1" in text and "Quyết định số 125/QĐ-NHCS ngày 05/12/2026" in text
    assert "BẢN XEM TRƯỚC" not in text
    full = await client.post(page + "/in", data={"mode": "full"})
    full_pdf = _pdf(tmp_path, full.content, "full.pdf")
    assert "BẢN XEM TRƯỚC" in pdf_text(full_pdf) and set(page_sizes_mm(full_pdf)) == {(297, 210)}
    shown = await client.get(page)
    assert "In lại" in shown.text
    recipient = shown.text.split('/in-lai/')[1].split('"')[0]
    again = await client.post(f"{page}/in-lai/{recipient}", data={"mode": "blank"})
    assert again.status_code == 200
    register = await client.get("/branch/so-vang")
    assert register.text.count("bản in lại") >= 2  # the full-page batch and the reprint
    xlsx = await client.get("/branch/bao-cao/tai-ve", params={
        "number": "45", "signer_name": "Lê Văn Bình", "signed_on": "2026-12-05", "format": "xlsx"})
    assert xlsx.status_code == 200
    assert "Đề nghị khen thưởng" in load_workbook(io.BytesIO(xlsx.content)).sheetnames
    _, report = await build_report(client, {
        "number": "45", "signer_name": "Lê Văn Bình", "signed_on": "2026-12-05"})
    text = pdf_text(_pdf(tmp_path, report, "bc.pdf"))
    assert "Số: 45/BC-NHCS" in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    bad = await client.get("/branch/bao-cao/tai-ve", params={"number": "", "signer_name": "x",
                                                             "format": "xlsx"})
    assert bad.status_code == 400 and "Cần số báo cáo" in bad.text
    cal = await client.get("/branch/can-chinh", params={"kind": "bang_khen"})
    assert set(page_sizes_mm(_pdf(tmp_path, cal.content, "cal.pdf"))) == {(420, 297)}


async def test_pages_refuse_other_roles_and_cross_site_posts(client: Client) -> None:
    assert await sign_in(client, "xem", "xem-demo") == 302
    r = await client.get("/branch/quyet-dinh")
    assert r.status_code == 403 and "Không có quyền" in r.text
    assert await sign_in(client, "chinhanh", "chinhanh-demo") == 302
    cross = await client.post("/branch/quyet-dinh/1/in", data={"mode": "blank"},
                              headers={"Origin": "http://elsewhere.example"})
    assert cross.status_code == 403
    missing = await client.post("/branch/quyet-dinh/99/in", data={"mode": "blank"})
    assert missing.status_code == 404 and "Không có quyết định 99" in missing.text
