"""/branch/ca-nhan (individuals of every kind, checked and audited, printed on their
certificate) and /branch/phoi (field boxes: form, checks, calibration and sample page)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from sqlalchemy import create_engine
from sqlmodel import Session, select

from server.audit_tables import AuditRow
from server.settings import Settings
from tests.awards.conftest import Client, decision_form, sign_in
from tests.reports.pdftools import page_sizes_mm, pdf_text


async def _a_group(client: Client) -> tuple[str, str]:
    """A savings group of the directory and its leader's name."""
    r = await client.get("/db/config/_all_docs", params={
        "include_docs": "true", "startkey": '"unit:savings_group:"', "limit": "1"})
    doc = r.json()["rows"][0]["doc"]
    return f"savings_group:{doc['code']}", doc["leader_name"]


async def test_people_of_every_kind_are_checked_audited_and_printed(
        client: Client, settings: Settings, tmp_path: Path) -> None:
    assert await sign_in(client, "chinhanh", "chinhanh-demo") == 302
    group, leader = await _a_group(client)
    refused = {
        "role": ("khong-co", "Chọn đối tượng"),
        "salutation": ("Cô:", "Ông hoặc Bà"),
        "unit": ("savings_group:0000000", "Không có đơn vị"),
        "name": ("Lê 3", "không hợp lệ"),
    }
    base = {"role": "to_truong", "salutation": "Bà:", "unit": group, "name": "",
            "position_line": "", "award": "GK-XA", "reason": "Tổ đạt loại Tốt 3 năm liền"}
    for field, (value, message) in refused.items():
        r = await client.post("/branch/ca-nhan", data={**base, field: value})
        assert r.status_code == 400 and message in r.text, (field, r.text[-400:])
    r = await client.post("/branch/ca-nhan", data={**base, "unit": ""})
    assert r.status_code == 400 and "cần mã đơn vị" in r.text
    r = await client.post("/branch/ca-nhan", data={**base, "role": "can_bo_hoi"})
    assert r.status_code == 400 and "association_commune" in r.text  # a group is not a Hội
    r = await client.post("/branch/ca-nhan", data={**base, "reason": ""})
    assert r.status_code == 400 and "Cần ghi thành tích" in r.text
    # a group leader: the name comes from the directory, the position line is composed
    ok = await client.post("/branch/ca-nhan", data=base, follow_redirects=False)
    assert ok.status_code == 302
    # bank staff: no unit, own position line, NFD input stored as NFC
    staff = {**base, "role": "can_bo_ngan_hang", "unit": "", "salutation": "Ông:",
             "name": "Nguye\u0302\u0303n Văn  Hùng", "award": "GK-XA",
             "position_line": "Cán bộ tín dụng, Phòng giao dịch NHCSXH huyện Châu Thành"}
    assert (await client.post("/branch/ca-nhan", data=staff, follow_redirects=False)).status_code == 302
    listed = await client.get("/branch/ca-nhan?da-luu=1")
    assert "Đã lưu" in listed.text and leader in listed.text and "Nguyễn Văn Hùng" in listed.text
    assert "Tổ trưởng " in listed.text
    # edit: the staff member moves to another office; a bad edit changes nothing
    edit = listed.text.split('href="/branch/ca-nhan/')[2].split('"')[0]
    bad = await client.post(f"/branch/ca-nhan/{edit}", data={**staff, "name": ""})
    assert bad.status_code == 400 and "Cần họ và tên" in bad.text
    moved = {**staff, "position_line": "Phó Giám đốc Phòng giao dịch NHCSXH huyện Mỹ Tú"}
    assert (await client.post(f"/branch/ca-nhan/{edit}", data=moved,
                              follow_redirects=False)).status_code == 302
    assert "huyện Mỹ Tú" in (await client.get(f"/branch/ca-nhan/{edit}")).text
    engine = create_engine(settings.store_url)
    with Session(engine) as s:
        rows = list(s.exec(select(AuditRow).where(
            AuditRow.action.startswith("award.person"))))  # type: ignore[attr-defined]
    engine.dispose()
    assert [r.action for r in rows] == ["award.person.add", "award.person.add", "award.person.edit"]
    assert {r.user for r in rows} == {"chinhanh"}  # the signed-in reviewer, not the server
    # a decision for GK-XA takes the proposed people too; their certificates name them
    r = await client.post("/branch/quyet-dinh", data=decision_form(number="7"),
                          follow_redirects=False)
    assert r.status_code == 302, r.text
    shown = await client.get(r.headers["location"])
    assert "Nguyễn Văn Hùng" in shown.text and leader in shown.text
    pdf = await client.post(r.headers["location"] + "/in", data={"mode": "blank"})
    assert pdf.status_code == 200
    path = tmp_path / "people.pdf"
    path.write_bytes(pdf.content)
    text = " ".join(pdf_text(path).split())
    assert "Nguyễn Văn Hùng" in text and "Phó Giám đốc Phòng giao dịch NHCSXH huyện Mỹ Tú" in text
    assert leader in text


async def test_field_boxes_are_edited_checked_and_previewed(client: Client, tmp_path: Path) -> None:
    assert await sign_in(client, "chinhanh", "chinhanh-demo") == 302
    page = await client.get("/branch/phoi", params={"kind": "bang_khen"})
    assert page.status_code == 200 and "420 × 297 mm" in page.text
    assert "/branch/can-chinh?kind=bang_khen" in page.text and "/branch/phoi/xem-thu" in page.text
    form = {}
    for part in page.text.split("<input name=\"")[1:]:
        name, value = part.split('"')[0], part.split('value="')[1].split('"')[0]
        form[name] = value
    for part in page.text.split('<select name="')[1:]:
        form[part.split('"')[0]] = part.split(' selected')[0].rsplit('value="', 1)[1].split('"')[0]
    for part in page.text.split('<input type="checkbox" name="')[1:]:
        if part.split(">")[0].endswith("checked") or " checked " in part.split(">")[0]:
            form[part.split('"')[0]] = "on"
    form["kind"] = "bang_khen"
    off_page = await client.post("/branch/phoi", data={**form, "name.x": "400"})
    assert off_page.status_code == 400 and "Ô Tên người/tập thể" in off_page.text
    assert "trang 420 × 297 mm" in off_page.text
    not_number = await client.post("/branch/phoi", data={**form, "name.size": "to"})
    assert not_number.status_code == 400 and "không phải là số" in not_number.text
    saved = await client.post("/branch/phoi", data={**form, "name.x": "120,5"})
    assert saved.status_code == 200 and "Đã lưu 1 ô" in saved.text and 'value="120.5"' in saved.text
    again = await client.post("/branch/phoi", data={**form, "name.x": "120.5"})
    assert "Đã lưu 0 ô" in again.text  # unchanged boxes are not written again
    sample = await client.get("/branch/phoi/xem-thu", params={"kind": "bang_khen"})
    path = tmp_path / "sample.pdf"
    path.write_bytes(sample.content)
    assert set(page_sizes_mm(path)) == {(420, 297)} and "Nguyễn Thị Ánh Tuyết" in pdf_text(path)
    assert (await client.get("/branch/phoi", params={"kind": "a5"})).status_code == 400


async def test_a_person_is_held_out_with_a_reason_audited_and_cleared(
        client: Client, settings: Settings) -> None:
    """NĐ 152 Art. 4(4) from the page: each bad input refused with its message; a held-out
    person is shown so on their row and is no recipient of a decision until cleared."""
    assert await sign_in(client, "chinhanh", "chinhanh-demo") == 302
    group, leader = await _a_group(client)
    added = await client.post("/branch/ca-nhan", data={
        "role": "to_truong", "salutation": "Ông:", "unit": group, "name": "", "position_line": "",
        "award": "GK-XA", "reason": "Tổ đạt loại Tốt 3 năm liền"}, follow_redirects=False)
    assert added.status_code == 302
    listed = (await client.get("/branch/ca-nhan")).text
    person = listed.split('action="/branch/ca-nhan/')[1].split("/tam-dung")[0]
    action = f"/branch/ca-nhan/{person}/tam-dung"
    for form, status, message in (
            ({"action": "xoa", "reason": "Có đơn khiếu nại"}, 400, "Chọn thao tác"),
            ({"action": "set", "reason": " ab "}, 400, "ít nhất 5 ký tự"),
            ({"action": "set", "reason": "x" * 501}, 400, "tối đa 500 ký tự"),
            ({"action": "clear", "reason": "Đã có kết luận"}, 400, "không bị tạm dừng")):
        r = await client.post(action, data=form)
        assert r.status_code == status and message in r.text, (form, r.text[-300:])
    missing = await client.post("/branch/ca-nhan/99999/tam-dung",
                                data={"action": "set", "reason": "Có đơn khiếu nại"})
    assert missing.status_code == 404 and "Không có cá nhân số 99999" in missing.text
    assert "Tạm dừng xét khen thưởng</strong>" not in (await client.get("/branch/ca-nhan")).text

    why = "Đang thanh tra theo Quye\u0302\u0301t định 12/QĐ-TTr"  # typed decomposed (NFD)
    held = await client.post(action, data={"action": "set", "reason": why})
    assert held.status_code == 200 and "đã tạm dừng xét khen thưởng" in held.text
    row = held.text.split(f'action="/branch/ca-nhan/{person}/tam-dung"')[0].rsplit("<tr>", 1)[1]
    assert "Tạm dừng xét khen thưởng</strong>" in row and "Quyết định 12/QĐ-TTr" in row  # NFC
    again = await client.post(action, data={"action": "set", "reason": "Lần thứ hai"})
    assert again.status_code == 400 and "đang bị tạm dừng" in again.text

    decision = decision_form()
    r = await client.post("/branch/quyet-dinh", data=decision, follow_redirects=False)
    assert r.status_code == 302 and leader not in (await client.get(r.headers["location"])).text

    cleared = await client.post(action, data={"action": "clear", "reason": "Đã có kết luận: không vi phạm"})
    assert cleared.status_code == 200 and "đã bỏ tạm dừng" in cleared.text
    assert "Tạm dừng xét khen thưởng</strong>" not in cleared.text
    r = await client.post("/branch/quyet-dinh", data={**decision, "signed_on": "2026-12-06"},
                          follow_redirects=False)
    assert r.status_code == 302 and leader in (await client.get(r.headers["location"])).text
    client.app.state.audit.flush()  # the audit log is written in batches: write what is queued
    engine = create_engine(settings.store_url)
    with Session(engine) as s:
        rows = list(s.exec(select(AuditRow).where(
            AuditRow.action.startswith("exclusion."))))  # type: ignore[attr-defined]
    engine.dispose()
    assert [(r.action, r.user, r.target) for r in rows] == [
        ("exclusion.set", "chinhanh", f"person:{person}"),
        ("exclusion.clear", "chinhanh", f"person:{person}")]
    assert unicodedata.normalize("NFC", why) == rows[0].reason
