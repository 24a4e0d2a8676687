"""A catalog admin logs in, opens the Vietnamese admin, browses and searches the catalog."""

import os

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from motcua.org.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "test-results")


def test_login_admin_browse_and_search(live_server, page):
    call_command("load_demo", quiet=True)
    os.makedirs(SHOTS, exist_ok=True)

    page.goto(f"{live_server.url}/can-bo/")
    assert "/dang-nhap/" in page.url
    page.fill("#id_username", "vanphong")
    page.fill("#id_password", "sai")
    page.click("button[type=submit]")
    assert page.locator(".usa-alert--error").inner_text().startswith("Tên đăng nhập hoặc mật khẩu không đúng")
    page.fill("#id_username", "vanphong")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Xin chào")
    assert "Quản trị danh mục" in page.content()

    # The Django admin, in Vietnamese.
    page.click("text=Quản trị")
    page.wait_for_selector("#site-name")
    assert "Danh mục thủ tục hành chính" in page.content()
    page.click("text=Phiên bản thủ tục")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() >= 30

    # Search as you type, without diacritics (HTMX swaps the results in place).
    page.goto(f"{live_server.url}/can-bo/thu-tuc/")
    page.fill("#q", "dang ky khai sinh")
    # (a locator wait: the page's CSP forbids the string evaluation wait_for_function uses)
    expect(page.locator('#results td[data-label="Tên thủ tục"] a').first).to_have_text("Đăng ký khai sinh")
    assert "q=dang%20ky%20khai%20sinh" in page.url  # pushed URL: the search is bookmarkable
    page.screenshot(path=os.path.join(SHOTS, "catalog-search.png"), full_page=True)

    # Filters work without typing, and the page works without JS (plain GET form) too.
    page.select_option("#online_level", "full")
    page.wait_for_url("**online_level=full**")
    page.click("#results td[data-label='Tên thủ tục'] a >> nth=0")
    page.wait_for_selector("h2:has-text('Thành phần hồ sơ')")
    assert "Quy trình nội bộ" in page.content()
    page.screenshot(path=os.path.join(SHOTS, "procedure.png"), full_page=True)


def test_search_works_without_javascript(live_server, browser):
    call_command("load_demo", quiet=True)
    context = browser.new_context(java_script_enabled=False, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live_server.url}/dang-nhap/")
    page.fill("#id_username", "motcua.xa")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/can-bo/thu-tuc/")
    page.fill("#q", "ly lich tu phap")
    page.click("button:has-text('Tìm kiếm')")
    page.wait_for_load_state()
    assert "Lý lịch tư pháp" in page.content() or "lý lịch tư pháp" in page.content()
    context.close()
