"""Queue journey in a real browser: a citizen searches a procedure at the kiosk and takes a number;
the commune desk officer logs in, opens the counter screen and calls the next number; the display
board (already open, refreshed by HTMX polling) shows the called number at the counter.
Screenshots of every screen go to test-results/screenshots/queue-*.png."""

import os

import pytest

from motcua.catalog.models import Field
from motcua.engagement.models import ServiceGroup
from motcua.org.models import Desk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "test-results", "screenshots")
DESK = "MC-99001"


def _shot(page, name):
    page.screenshot(path=os.path.join(SHOTS, f"queue-{name}.png"), full_page=True)


def test_kiosk_ticket_counter_call_board(live_server, page, browser, province, demo_password):
    os.makedirs(SHOTS, exist_ok=True)
    desk = Desk.objects.get(code=DESK)
    civil = ServiceGroup.objects.create(desk=desk, letter="A", name="Hộ tịch, chứng thực", order=1)
    civil.fields.set(Field.objects.filter(code__in=["HO_TICH", "CHUNG_THUC"]))
    ServiceGroup.objects.create(desk=desk, letter="B", name="Cư trú, đất đai, chính sách xã hội", order=2)

    # 1. Kiosk: search without diacritics, open the procedure, take a number.
    page.goto(f"{live_server.url}/ki-ot/{DESK}/")
    assert page.locator(".usa-header").count() == 0  # full screen, no staff header
    _shot(page, "01-kiosk")
    page.fill("#q", "khai sinh")
    page.wait_for_selector("#kiosk-results .mc-q-result__name:text-is('Đăng ký khai sinh')")
    page.click("#kiosk-results .mc-q-result__name:text-is('Đăng ký khai sinh')")
    page.wait_for_selector("h2:has-text('Thành phần hồ sơ cần chuẩn bị')")
    assert page.locator(".mc-q-components tbody tr").count() >= 2
    assert page.locator("button:has-text('In danh sách giấy tờ')").is_visible()
    _shot(page, "02-procedure")
    page.click("button:has-text('Lấy số thứ tự')")
    page.wait_for_selector("#slip-code")
    assert page.inner_text("#slip-code") == "A001"
    assert page.inner_text("#slip-ahead") == "0"
    _shot(page, "03-ticket")

    # 2. The display board, open on the TV before the call (no login).
    tv_context = browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport={"width": 1600, "height": 900}
    )
    board = tv_context.new_page()
    board.goto(f"{live_server.url}/bang-goi-so/{DESK}/")
    board.wait_for_selector("text=Chưa có số nào được gọi")
    _shot(board, "04-board-before")

    # 3. The officer logs in and calls the next number from the counter screen.
    page.goto(f"{live_server.url}/dang-nhap/?next=/can-bo/quay/")
    page.fill("#id_username", "motcua.xa")
    page.fill("#id_password", demo_password)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Màn hình quầy')")
    page.select_option("#counter-select", label="Quầy 1 – Hộ tịch")
    page.click("button:has-text('Chọn quầy')")
    page.wait_for_selector("text=Bạn đang làm việc tại Quầy 1")
    assert "A001" in page.inner_text("#waiting")
    _shot(page, "05-counter")
    page.click("button:has-text('Gọi số tiếp theo')")
    page.wait_for_selector("#current-code")
    assert page.inner_text("#current-code") == "A001"
    assert page.locator("text=Đã gọi số A001 đến Quầy 1").is_visible()
    _shot(page, "06-counter-called")

    # 4. The board updates itself (HTMX polling every 3 s): A001 → Quầy 1, highlighted.
    board.wait_for_selector(".mc-q-newest__code:text-is('A001')", timeout=10000)
    assert board.inner_text(".mc-q-newest__counter") == "Quầy 1"
    assert board.inner_text(".mc-q-called__newest").startswith("A001")
    _shot(board, "07-board-called")
    tv_context.close()

    # 5. Today's figures against the ≤ 15 min target.
    page.click("a:has-text('Thống kê xếp hàng')")
    page.wait_for_selector("h1:has-text('Thống kê xếp hàng')")
    assert "≤ 15 phút" in page.inner_text(".mc-q-summary")
    _shot(page, "08-stats")
