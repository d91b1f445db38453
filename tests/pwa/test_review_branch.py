"""The branch's screens in real Chromium, on a demo server of this module's own (the campaign is
closed at the end, which the other PWA tests must not see): lock a whole transaction office in
one action and a scorer's phone shows its sheet locked; unlock a sheet with a reason (refused
without one, audited with it); the evidence photos of a sheet in the drill-down (thumbnail,
tap to enlarge); the rankings screen with ties (1, 2, 2, 4) and its XLSX export read back with
openpyxl; the council report built in the background behind a progress bar (/branch/bao-cao);
closing the campaign after an explicit confirmation. A scorer never sees these
screens, an office reviewer sees no branch action. Every screen passes axe-core, 48 px touch
targets and 200% font at 360x740 (`check_screen`)."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from tests.pwa.browser import (
    axe_violations,
    big_png,
    demo_server,
    open_unit,
    phone,
    scored_sheets,
    shot,
    sign_in,
)
from tests.pwa.test_offline_flow import check_screen
from tests.replication.servers import Server
from tests.reports.pdftools import pdf_text

BRANCH = ("chinhanh", "chinhanh-demo")
OFFICE = ("phonggd", "phonggd-demo")
SCORER = ("canbo1", "canbo1-demo")
ADMIN = ("admin", "admin-demo")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = demo_server(tmp_path_factory.mktemp("pwa-branch") / "data")
    srv.start(wait=120)  # a loaded CI machine starts it slowly
    try:
        yield srv
    finally:
        srv.stop()


def api(server: Server, who: tuple[str, str]) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{server.port}", auth=who, timeout=60)


def get(server: Server, who: tuple[str, str], path: str, **params: Any) -> Any:
    with api(server, who) as client:
        answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def until(what: str, check: Callable[[], Any], seconds: float = 60) -> Any:
    """`check()`'s first truthy answer (the worker scores in the background)."""
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.5)
    return found


def reviewer(browser: Browser, url: str, who: tuple[str, str], **options: Any) -> Page:
    """A reviewer's phone, signed in, on the consolidated results."""
    page = phone(browser, **options).new_page()
    page.goto(url)
    page.get_by_label("Tên đăng nhập").fill(who[0])
    page.get_by_label("Mật khẩu").fill(who[1])
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name="Kết quả tổng hợp").wait_for(timeout=30_000)
    return page


def scorer_commune(server: Server) -> str:
    return next(db[2:] for db in get(server, SCORER, "/api/me")["dbs"] if db.startswith("c-"))


def other_commune(server: Server) -> str:
    """A commune outside the office of canbo1's commune (which the first test locks)."""
    mine = get(server, BRANCH, "/api/results/summary", level="pgd",
               commune=scorer_commune(server))["rows"][0]["code"]
    office = next(r["code"] for r in get(server, BRANCH, "/api/results/summary", level="pgd")["rows"]
                  if r["code"] != mine)
    return str(get(server, BRANCH, "/api/results/summary", level="commune", office=office)["rows"][0]["code"])


def test_branch_locks_an_office_and_the_scorer_phone_shows_it_locked(
    browser: Browser, server: Server, url: str
) -> None:
    commune = scorer_commune(server)
    office = get(server, BRANCH, "/api/results/summary", level="pgd", commune=commune)["rows"][0]
    sheet = scored_sheets(server, commune, "savings_group")[0]
    page = reviewer(browser, url, BRANCH)
    page.get_by_role("link", name="Rà soát, chốt").click()
    page.get_by_role("radio", name="Phòng giao dịch").check()
    page.locator("#lock-place").select_option(label=office["name"])
    messages: list[str] = []
    page.once("dialog", lambda d: (messages.append(d.message), d.accept()))
    page.get_by_role("button", name="Chốt cả phòng giao dịch").click()
    outcome = page.get_by_test_id("lock-outcome")
    expect(outcome).to_contain_text("Đã chốt", timeout=60_000)
    assert office["name"] in messages[0]
    check_screen(page, "review-lock-office")
    audit = get(server, ADMIN, "/api/admin/audit", action="lock.batch")["events"]
    assert [e["target"] for e in audit if e["user"] == BRANCH[0]] == [f"office:{office['code']}"]
    with api(server, BRANCH) as client:
        again = client.post("/api/workflow/lock", json={"scope": "office", "code": office["code"]}).json()
    assert sheet["_id"] in again["already"] and not again["locked"]  # the one action locked it

    scorer = phone(browser).new_page()
    sign_in(scorer, url, who=SCORER)
    expect(scorer.get_by_role("link", name="Xếp hạng")).to_have_count(0)  # no reviewer tabs
    scorer.evaluate("location.hash = '#/k'")
    expect(scorer.get_by_text("Xếp hạng trong")).to_have_count(0)
    open_unit(scorer, ":".join(sheet["_id"].split(":")[2:4]))
    expect(scorer.get_by_test_id("sheet-status")).to_have_text("Đã chốt")
    expect(scorer.get_by_role("button", name="Gửi phiếu")).to_be_disabled()
    scorer.context.close()
    page.context.close()


def test_branch_unlocks_a_sheet_only_with_a_reason_and_it_is_audited(
    browser: Browser, server: Server, url: str
) -> None:
    commune = scorer_commune(server)
    row = until("a locked result", lambda: get(server, BRANCH, "/api/results/units",
                                              commune=commune, status="locked")["rows"])[0]
    sheet_id = get(server, BRANCH, f"/api/results/units/{row['result_id']}")["result"]["sheet_id"]
    with api(server, BRANCH) as client:
        blank = client.post("/api/workflow/unlock", json={"commune": commune, "sheet": sheet_id,
                                                           "reason": "  "})
    assert blank.status_code == 400

    office = reviewer(browser, url, OFFICE)  # an office reviewer sees no unlock form
    office.evaluate("id => { location.hash = '#/r/u/' + encodeURIComponent(id); }", row["result_id"])
    expect(office.get_by_text("Chỉ Chi nhánh được mở chốt")).to_be_visible()
    expect(office.get_by_role("button", name="Mở chốt phiếu này")).to_have_count(0)
    office.context.close()

    page = reviewer(browser, url, BRANCH)
    page.evaluate("id => { location.hash = '#/r/u/' + encodeURIComponent(id); }", row["result_id"])
    page.get_by_role("button", name="Mở chốt phiếu này").click()
    expect(page.get_by_role("alert")).to_have_text("Hãy ghi lý do mở chốt (ít nhất 3 ký tự).")
    with api(server, ADMIN) as client:
        assert client.get(f"/db/c-{commune}/{sheet_id}").json()["status"] == "locked"
    page.get_by_label("Lý do mở chốt").fill("Tổ báo sai dư nợ tháng 11")
    reviewed = page.get_by_role("radio", name="Đã duyệt: cán bộ xét duyệt sửa và chốt lại")
    expect(reviewed).to_be_checked()  # the default; the scorer's correction is a choice
    expect(page.get_by_role("radio")).to_have_count(3)
    page.get_by_role("radio", name="Nháp: trả cán bộ chấm sửa rồi gửi lại").check()
    check_screen(page, "review-unlock")
    shot(page, "review-unlock-target", at="#unlock-title")
    page.get_by_role("button", name="Mở chốt phiếu này").click()
    expect(page.get_by_test_id("unlock-done")).to_contain_text("Nháp")
    with api(server, ADMIN) as client:
        doc = client.get(f"/db/c-{commune}/{sheet_id}").json()
        events = client.get("/api/admin/audit", params={"action": "unlock"}).json()["events"]
    assert doc["status"] == "draft" and doc["unlock_reason"] == "Tổ báo sai dư nợ tháng 11"
    [event] = [e for e in events if e["doc_id"] == sheet_id]
    assert event["user"] == BRANCH[0] and event["reason"] == "Tổ báo sai dư nợ tháng 11"
    page.context.close()


def test_council_report_builds_in_the_background_with_a_progress_bar(
    browser: Browser, server: Server, url: str, tmp_path: Path
) -> None:
    """/branch/bao-cao in Chromium: the PDF is built off the request; the bar moves (polling
    the status endpoint) to a link whose PDF pdftotext reads back; the page then shows the
    stored report with its hash, up to date."""
    context = browser.new_context(locale="vi-VN", viewport={"width": 1100, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    page.goto(url + "branch/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(BRANCH[0])
    page.get_by_label("Mật khẩu").fill(BRANCH[1])
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name="Báo cáo Hội đồng").click()
    page.get_by_label("Số báo cáo").fill("77")
    page.get_by_label("Họ tên người ký").fill("Trần Thị Hồng Nhung")
    page.get_by_role("button", name="Dựng PDF").click()
    bar = page.get_by_role("progressbar")  # under the server's real CSP (no inline script)
    expect(bar).to_be_visible()
    job_url = page.url
    assert "/branch/bao-cao?job=" in job_url
    seen: list[int] = []
    deadline = time.monotonic() + 300
    link = page.get_by_role("link", name="Tải PDF báo cáo số 77")
    while not link.is_visible():
        assert time.monotonic() < deadline, f"the build did not finish; bar at {seen}"
        assert not page.locator("#job-error").is_visible(), page.locator("#job-error").inner_text()
        seen.append(int(bar.evaluate("b => b.value")))
        if len(seen) == 3:
            shot(page, "branch-report-progress")
        time.sleep(0.5)
    assert seen == sorted(seen) and any(0 < v < 100 for v in seen), seen  # it moved, forward
    expect(page.locator("#job-pct")).to_have_text("100%")
    with page.expect_download() as download:
        link.click()
    path = tmp_path / "bao-cao.pdf"
    download.value.save_as(path)
    text = " ".join(pdf_text(path).split())
    assert "Số: 77/BC-NHCS" in text and "Trần Thị Hồng Nhung" in text and "BÁO CÁO THÀNH TÍCH" in text
    page.goto(url + "branch/bao-cao")
    expect(page.get_by_text("Báo cáo khớp với kết quả, đề nghị và cá nhân hiện tại.")).to_be_visible()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    expect(page.locator("code")).to_have_text(digest)
    context.close()
    checked = browser.new_context(locale="vi-VN", viewport={"width": 1100, "height": 900},
                                  bypass_csp=True)  # only so that axe-core can be injected
    page = checked.new_page()
    page.goto(url + "branch/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(BRANCH[0])
    page.get_by_label("Mật khẩu").fill(BRANCH[1])
    page.get_by_role("button", name="Đăng nhập").click()
    for shown in (job_url, url + "branch/bao-cao"):  # the finished bar, then the stored report
        page.goto(shown)
        assert axe_violations(page) == [], shown
    checked.close()


def _attach_photo(server: Server, db: str, doc: dict[str, Any], path: Path) -> None:
    with api(server, ADMIN) as client:
        done = client.put(f"/db/{db}/{doc['_id']}/anh-to-1.png", params={"rev": doc["_rev"]},
                          content=path.read_bytes(), headers={"Content-Type": "image/png"})
    assert done.status_code == 201, done.text


def test_evidence_photos_show_in_the_drill_down(
    browser: Browser, server: Server, url: str, tmp_path: Path
) -> None:
    commune = other_commune(server)
    doc = scored_sheets(server, commune, "savings_group")[0]  # submitted, not locked
    _attach_photo(server, f"c-{commune}", doc, big_png(tmp_path / "p.png", 640, 480))
    unit = f"{doc['unit_kind']}:{doc['unit_code']}"
    row = next(r for r in get(server, BRANCH, "/api/results/units", commune=commune,
                              unit_kind=doc["unit_kind"], limit=500)["rows"] if r["unit"] == unit)
    page = reviewer(browser, url, BRANCH)
    page.evaluate("id => { location.hash = '#/r/u/' + encodeURIComponent(id); }", row["result_id"])
    alt = f"Ảnh minh chứng 1/1 của {row['name']}"
    thumb = page.get_by_test_id("photos").get_by_role("img", name=alt)
    expect(thumb).to_be_visible(timeout=30_000)
    assert page.evaluate("a => [...document.images].find(i => i.alt === a).naturalWidth", alt) == 640
    check_screen(page, "review-photos")
    page.get_by_role("button", name=f"Xem lớn: {alt}").click()
    large = page.get_by_test_id("photo-large")
    expect(large).to_be_visible()
    assert large.bounding_box()["width"] > 300  # enlarged, not the 6rem thumbnail
    shot(page, "review-photo-large")
    page.get_by_role("button", name="Đóng ảnh").click()
    expect(large).to_have_count(0)
    page.context.close()


def _make_tie(server: Server, commune: str) -> tuple[str, str]:
    """Two submitted groups of `commune` given the same figures: the worker ranks them tied."""
    first, second = scored_sheets(server, commune, "savings_group")[-2:]
    with api(server, ADMIN) as client:
        done = client.put(f"/db/c-{commune}/{second['_id']}", json={
            **second, "inputs": first["inputs"], "manual": first.get("manual", {})})
        assert done.status_code == 201, done.text
    units = {f"savings_group:{d['unit_code']}" for d in (first, second)}

    def tied() -> bool:
        rows = get(server, BRANCH, "/api/results/rankings", unit_kind="savings_group",
                   scope_type="commune", scope_id=commune, limit=500)["rows"]
        ranks = {r["row"]["unit"]: r["rank"] for r in rows}
        return ranks.get(min(units)) is not None and ranks[min(units)] == ranks.get(max(units))

    until("the worker ranked the two groups tied", tied)
    return first["unit_code"], second["unit_code"]


def test_rankings_show_ties_and_the_xlsx_export_downloads(
    browser: Browser, server: Server, url: str
) -> None:
    commune = other_commune(server)
    _make_tie(server, commune)
    name = get(server, BRANCH, "/api/results/summary", level="commune", commune=commune)["rows"][0]["name"]
    expected = get(server, BRANCH, "/api/results/rankings", unit_kind="savings_group",
                   scope_type="commune", scope_id=commune, limit=100)["rows"]
    page = reviewer(browser, url, BRANCH, accept_downloads=True)
    page.get_by_role("link", name="Xếp hạng").click()
    page.get_by_label("Xếp hạng trong").select_option(label="Xã")
    page.locator("#k-place").select_option(label=name)
    page.get_by_label("Loại đơn vị").select_option(label="Tổ tiết kiệm và vay vốn")
    table = page.get_by_test_id("ranking")
    expect(table.locator("tbody tr")).to_have_count(len(expected))
    shown = [int(t.split()[0]) for t in table.get_by_test_id("rank").all_inner_texts() if t[0].isdigit()]
    assert shown == [r["rank"] for r in expected if r["rank"] is not None]
    assert shown[0] == 1 and all(b in (a, i + 1) for i, (a, b) in enumerate(zip(shown, shown[1:], strict=False), 1))
    assert len(set(shown)) < len(shown)  # a tie: 1, 2, 2, 4
    expect(table.get_by_text("đồng hạng").first).to_be_visible()
    check_screen(page, "review-rankings")
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Xuất Bảng xếp hạng dạng XLSX").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    sheet = book[book.sheetnames[0]]
    rows = list(sheet.iter_rows(values_only=True))
    assert name in rows[0][0] and rows[1][0] == "Hạng" and rows[1][2] == "Tên đơn vị"
    assert [(r[0], r[2]) for r in rows[2:]] == [(e["rank"], e["row"]["name"]) for e in expected]
    page.context.close()


def test_branch_closes_the_campaign_after_confirming(browser: Browser, server: Server, url: str) -> None:
    office = reviewer(browser, url, OFFICE)  # an office reviewer has no branch action
    office.get_by_role("link", name="Rà soát, chốt").click()
    expect(office.get_by_role("button", name="Chốt xã này")).to_be_visible()
    expect(office.get_by_role("heading", name="Kết thúc đợt thi đua")).to_have_count(0)
    expect(office.get_by_role("radio", name="Phòng giao dịch")).to_have_count(0)
    office.context.close()

    page = reviewer(browser, url, BRANCH)
    page.get_by_role("link", name="Rà soát, chốt").click()
    page.get_by_role("button", name="Kết thúc đợt thi đua…").click()
    confirm = page.get_by_test_id("close-confirm")
    expect(confirm).to_contain_text("không làm lại được")
    expect(confirm).to_contain_text("không được tính điểm lại")
    page.get_by_role("button", name="Kết thúc đợt", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Hãy đánh dấu ô xác nhận trước khi kết thúc đợt.")
    assert get(server, ADMIN, "/db/config/campaign:2026").get("closed_at") is None
    page.get_by_label("Tôi hiểu việc kết thúc đợt là không làm lại được.").check()
    check_screen(page, "review-close-confirm")
    page.get_by_role("button", name="Kết thúc đợt", exact=True).click()
    expect(page.get_by_test_id("close-done")).to_contain_text("Đợt đã kết thúc lúc")
    check_screen(page, "review-close-done")
    assert get(server, ADMIN, "/db/config/campaign:2026")["closed_by"] == BRANCH[0]
    commune = scorer_commune(server)
    with api(server, SCORER) as client:
        draft = next(d for d in [r["doc"] for r in client.get(
            f"/db/c-{commune}/_all_docs", params={"include_docs": "true"}).json()["rows"]]
            if d.get("type") == "sheet" and d["status"] == "draft")
        edit = client.put(f"/db/c-{commune}/{draft['_id']}", json={**draft, "status": "submitted"})
    assert edit.status_code == 403 and "campaign closed" in edit.json()["reason"]
    with api(server, BRANCH) as client:
        assert client.post("/api/workflow/campaigns/2026/close").status_code == 409
    page.context.close()
