"""Officers' work screens in a real browser: a specialist sees a late dossier in red in the work
inbox, opens it and forwards it (keyboard only); the leader approves it from the inbox with a bulk
action; the desk officer returns the result at the return desk. Screenshots of every screen go to
``test-results/screenshots/inbox-*.png`` (1366×768)."""

import os

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from motcua.dossiers.models import Dossier
from motcua.dossiers.states import State
from motcua.org.demo import DEMO_PASSWORD
from tests.backoffice.conftest import at_leader, at_specialist, days_ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "test-results", "screenshots")
RED = "rgb(248, 223, 226)"


def shot(page, name: str) -> None:
    page.screenshot(path=os.path.join(SHOTS, f"inbox-{name}.png"), full_page=True)


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/dang-nhap/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Xin chào")


def log_out(page) -> None:
    page.click("button:has-text('Đăng xuất')")
    page.wait_for_url("**/dang-nhap/")


def test_specialist_forwards_leader_approves_desk_returns(live_server, page):
    call_command("load_demo", "--no-dossiers", "--quiet")
    os.makedirs(SHOTS, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    users = {u.username: u for u in get_user_model().objects.all()}
    late = at_specialist(users, now=days_ago(21))
    at_specialist(users)
    at_specialist(users)
    waiting = at_leader(users)  # already at the leader's step
    base = live_server.url

    # 1. The specialist's inbox: the late dossier first, in red and said in words.
    log_in(page, base, "chuyenvien.xa")
    page.goto(f"{base}/can-bo/hop-viec/")
    row = page.locator(f"tr[data-code='{late.code}']")
    assert "mc-due--late" in row.get_attribute("class")
    assert "Quá hạn" in row.inner_text()
    assert row.locator("td").nth(1).evaluate("e => getComputedStyle(e).backgroundColor") == RED
    assert page.locator("#inbox-table tbody tr").first.get_attribute("data-code") == late.code
    shot(page, "01-specialist-inbox")

    # Filters work in place (HTMX) and are bookmarkable.
    page.click("label[for=late]")
    page.wait_for_url("**late=1**")
    expect(page.locator("#inbox-table tbody tr")).to_have_count(1)  # (CSP: no string evaluation)

    # 2. Open it and forward it, with the keyboard only.
    page.click(f"a:has-text('{late.code}')")
    page.wait_for_selector("h2:has-text('Tiến trình xử lý')")
    assert page.locator("tr.mc-due--late").count() >= 1  # the late step in the timeline
    shot(page, "02-dossier-page")
    page.focus("#act-forward summary")
    page.keyboard.press("Enter")
    page.focus("#forward-reason")
    page.keyboard.type("Hồ sơ đầy đủ, đề nghị phê duyệt.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Đã thực hiện “Chuyển bước xử lý tiếp theo”")
    shot(page, "03-forwarded")
    log_out(page)

    # 3. The leader approves both waiting dossiers from the inbox in one go.
    log_in(page, base, "lanhdao.xa")
    page.goto(f"{base}/can-bo/hop-viec/")
    # The select narrows (HTMX) to what the lifecycle allows for every ticked dossier.
    assert sorted(page.locator("#inbox-table tbody tr").evaluate_all("rs => rs.map(r => r.dataset.code)")) == sorted(
        [late.code, waiting.code]
    )
    with page.expect_response("**/hop-viec/thao-tac/lua-chon/**"):
        page.check("#pick-all")  # "select all" (JS only)
    assert page.locator("#inbox-table .mc-pick:checked").count() == 2
    assert "Ban hành kết quả giải quyết" in page.inner_text("#bulk-action")
    page.select_option("#bulk-action", "issue_result")
    shot(page, "04-leader-bulk")
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector("h1:has-text('2 thành công, 0 không thực hiện được')")
    shot(page, "05-bulk-result")
    log_out(page)

    # 4. The desk officer returns the result.
    log_in(page, base, "motcua.xa")
    page.goto(f"{base}/can-bo/tra-ket-qua/")
    page.fill("#q", "nguyen van an")
    page.click("button:has-text('Tìm kiếm')")
    page.wait_for_url("**q=nguyen**")
    row = page.locator("tr", has=page.locator(f"a:has-text('{late.code}')"))
    row.locator("input[name=received_by]").fill("Nguyễn Văn An")
    shot(page, "06-return-desk")
    row.locator("button:has-text('Trả kết quả')").click()
    page.wait_for_selector(f"text=Đã trả kết quả hồ sơ {late.code} cho Nguyễn Văn An.")
    shot(page, "07-returned")

    late.refresh_from_db()
    assert late.state == State.RETURNED
    assert [e.action for e in late.events.all()][-3:] == ["forward", "issue_result", "return_result"]
    assert Dossier.objects.get(pk=waiting.pk).state == State.RESULT_ISSUED


def test_inbox_and_dossier_page_work_without_javascript(live_server, browser):
    call_command("load_demo", "--no-dossiers", "--quiet")
    users = {u.username: u for u in get_user_model().objects.all()}
    d = at_leader(users)
    context = browser.new_context(java_script_enabled=False, locale="vi-VN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    log_in(page, live_server.url, "lanhdao.xa")
    page.goto(f"{live_server.url}/can-bo/hop-viec/")
    page.check(f"tr[data-code='{d.code}'] input.mc-pick")
    page.click("#bulk-form button[type=submit]")  # no action chosen: the confirmation page narrows it
    page.wait_for_selector("text=Chọn thao tác áp dụng cho tất cả hồ sơ trên")
    page.select_option("#bulk-action", "issue_result")
    page.click("button:has-text('Thực hiện')")
    page.wait_for_selector("h1:has-text('1 thành công')")
    page.goto(f"{live_server.url}/can-bo/ho-so/{d.code}/")
    page.click("#act-deliver summary")  # <details> opens without JS
    page.click("#act-deliver button[type=submit]")
    page.wait_for_selector("text=Đã thực hiện “Chuyển kết quả về bộ phận một cửa”")
    assert Dossier.objects.get(pk=d.pk).state == State.AWAITING_RETURN
    context.close()
