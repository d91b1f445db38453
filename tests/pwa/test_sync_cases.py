"""Sync cases in real Chromium: two phones edit one sheet offline, a sheet the server
refuses shows its reason, a sheet locked on the server shows as locked, and signing out
revokes the device's token."""

from __future__ import annotations

import importlib.util
import time

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.pwa.browser import lock, open_unit, phone, scored_sheets, shot, sign_in, submitted_sheets
from tests.replication.servers import Server

COMMUNE = "89102"
DB = f"c-{COMMUNE}"


def unit_of(sheet: dict[str, str]) -> str:
    return f"{sheet['unit_kind']}:{sheet['unit_code']}"


def values(page: Page) -> tuple[str, str]:
    return (page.locator("#in-so_to_vien").input_value(),
            page.locator("#in-so_phien_to_giao_dich").input_value())


def test_two_phones_edit_one_sheet_offline_and_agree_after_sync(
    browser: Browser, server: Server, url: str
) -> None:
    sheet = scored_sheets(server, COMMUNE, "savings_group")[0]
    contexts = [phone(browser), phone(browser)]
    pages = [c.new_page() for c in contexts]
    for page in pages:
        sign_in(page, url)
        open_unit(page, unit_of(sheet))
    for context in contexts:
        context.set_offline(True)
    members = str(int(sheet["inputs"]["so_to_vien"]) + 1)
    sessions = str(int(sheet["inputs"]["so_phien_to_giao_dich"]) - 1)
    pages[0].locator("#in-so_to_vien").fill(members)
    pages[1].locator("#in-so_phien_to_giao_dich").fill(sessions)
    for page in pages:
        page.get_by_role("button", name="Gửi phiếu").click()
        expect(page.get_by_text("Đã lưu phiếu")).to_be_visible()
    for context, page in zip(contexts, pages, strict=True):
        context.set_offline(False)
        expect(page.get_by_test_id("pending")).to_have_text("Đã gửi hết thay đổi", timeout=30_000)
    deadline = time.monotonic() + 30
    while values(pages[0]) != values(pages[1]):  # the same winner (or merge) on both phones
        assert time.monotonic() < deadline, [values(p) for p in pages]
        pages[0].wait_for_timeout(200)
    assert values(pages[0]) != (str(sheet["inputs"]["so_to_vien"]),
                                str(sheet["inputs"]["so_phien_to_giao_dich"]))
    if importlib.util.find_spec("server.worker") is not None:  # the three-way merge (issue 11)
        for page in pages:
            expect(page.locator("#in-so_to_vien")).to_have_value(members, timeout=30_000)
            expect(page.locator("#in-so_phien_to_giao_dich")).to_have_value(sessions)
    for context in contexts:
        context.close()


def test_refused_and_locked_sheets_and_sign_out(browser: Browser, server: Server, url: str) -> None:
    refused, locked = submitted_sheets(server, COMMUNE, "association_commune", 2)
    context = phone(browser)
    page = context.new_page()
    sign_in(page, url, device="Điện thoại thử")
    lock(server, DB, locked)  # locked on the server while the phone is online
    open_unit(page, unit_of(locked))
    expect(page.get_by_text("Phiếu đã được chốt")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Gửi phiếu")).to_be_disabled()
    shot(page, "locked")

    open_unit(page, unit_of(refused))
    context.set_offline(True)
    page.locator("#ev-AC7").fill("Sổ theo dõi tuyên truyền")
    page.get_by_role("button", name="Gửi phiếu").click()
    lock(server, DB, refused)  # a reviewer locks it while the phone is offline
    context.set_offline(False)
    expect(page.get_by_test_id("refused-reason")).to_contain_text("đã chốt", timeout=30_000)
    expect(page.get_by_test_id("refused")).to_contain_text("đã chốt")
    shot(page, "refused")

    page.get_by_label("Trình đơn").click()
    page.get_by_role("button", name="Đăng xuất khỏi thiết bị này").click()
    page.get_by_label("Tên đăng nhập").wait_for()
    tokens = httpx.get(f"http://127.0.0.1:{server.port}/api/admin/tokens",
                       params={"account": "canbo1"}, auth=server.auth).json()
    (mine,) = [t for t in tokens if t["device"] == "Điện thoại thử"]
    assert mine["revoked_at"] is not None
    context.close()
