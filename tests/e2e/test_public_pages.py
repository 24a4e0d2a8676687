"""A citizen on a phone, without logging in: home → search without diacritics → procedure page →
tracking a real dossier; then the desk map (with and without JavaScript).

Every page is checked with axe-core (no "serious" or "critical" violation) and weighed: the sum of
every response the page loads (document, CSS, JS, fonts, JSON; images excluded) once
gzip-compressed (level 9, as WhiteNoise's pre-compressed files are), which is the transfer a
browser makes from a server that compresses. The test server (``live_server``) serves static files
uncompressed, so its ``content-length`` would overstate the weight; each body is compressed here
instead. The budget is 150 KB per page.
"""

import gzip
import json
import os
import re

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SHOTS = os.path.join(ROOT, "test-results", "screenshots")
AXE = os.path.join(ROOT, "motcua", "static", "vendor", "axe", "axe.min.js")
PHONE = {"width": 390, "height": 844}
BUDGET = 150 * 1024
WEIGHTS: dict[str, int] = {}
# Only our own server: a map tile server or any CDN must not be needed (and is not reachable here).
EXTERNAL = re.compile(r"^https?://(?!127\.0\.0\.1|localhost)")


def _context(browser, **kwargs):
    context = browser.new_context(  # bypass_csp: axe-core is injected as a script tag (CSP: tests/hardening)
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        bypass_csp=True,
        **kwargs,
    )
    context.route(EXTERNAL, lambda route: route.abort())
    return context


class Weigher:
    """Responses of the current page load (reset before each navigation)."""

    def __init__(self, page):
        self.responses = []
        page.on("response", lambda response: self.responses.append(response))

    def reset(self):
        self.responses.clear()

    def weigh(self) -> tuple[int, list[tuple[str, int]]]:
        rows = []
        for r in self.responses:
            if r.request.resource_type == "image" or r.status in (204, 301, 302, 304) or r.status >= 400:
                continue
            body = r.body()
            rows.append((r.url, len(gzip.compress(body, 9))))
        return sum(n for _, n in rows), rows


def _check(page, weigher, name):
    """Weigh the page, save a screenshot and run axe-core on it."""
    page.wait_for_load_state("networkidle")
    total, rows = weigher.weigh()
    WEIGHTS[name] = total
    detail = ", ".join(f"{url.rsplit('/', 1)[-1] or url}={n}" for url, n in rows)
    assert total < BUDGET, f"{name}: {total} bytes compressed ({detail})"
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"public-{name}.png"), full_page=True)
    page.add_script_tag(path=AXE)
    result = page.evaluate("axe.run()")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, json.dumps(
        [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]} for v in bad],
        ensure_ascii=False,
    )


@pytest.fixture
def demo_dossier(live_server):
    call_command("load_demo", quiet=True, dossiers=20)
    from django.contrib.auth import get_user_model

    from motcua.dossiers.services import create_dossier

    dossier, _ = create_dossier(
        user=get_user_model().objects.get(username="motcua.xa"),
        procedure_code="1.001193",
        channel="counter",
        desk_code="MC-99001",
        applicant={"name": "Nguyễn Văn An", "id_number": "001085012345"},
        components=["TP01", "TP02"],
    )
    return dossier


def test_citizen_journey_on_a_phone(live_server, browser, demo_dossier):
    context = _context(browser)
    page = context.new_page()
    page.set_default_timeout(15000)
    weigher = Weigher(page)

    page.goto(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("h1").inner_text() == "Cổng dịch vụ công tỉnh An Hòa"
    assert page.locator("a[href='/cong-dan/dang-nhap/']").first.is_visible()
    _check(page, weigher, "home")

    # Search without diacritics from the home page (a plain GET form).
    weigher.reset()
    page.fill("#q", "dang ky khai sinh")
    page.click("button:has-text('Tìm kiếm')")
    page.wait_for_url("**/thu-tuc/?q=dang+ky+khai+sinh")
    first = page.locator(".mc-result__title a").first
    assert first.inner_text() == "Đăng ký khai sinh"
    assert re.search(r"Tìm thấy \d+ thủ tục", page.locator(".mc-count").inner_text())
    _check(page, weigher, "catalog")

    weigher.reset()
    first.click()
    page.wait_for_url("**/thu-tuc/1.001193/")
    assert page.locator("h1").inner_text() == "Đăng ký khai sinh"
    assert page.locator("a:has-text('Nộp hồ sơ trực tuyến')").get_attribute("href") == "/cong-dan/nop-ho-so/1.001193/"
    assert page.locator("h2:has-text('Thành phần hồ sơ')").is_visible()
    _check(page, weigher, "procedure")

    # Tracking a real dossier by its code (the code printed on the receipt).
    weigher.reset()
    page.click("nav.mc-public-nav >> text=Tra cứu hồ sơ")
    page.wait_for_url("**/tra-cuu/")
    _check(page, weigher, "tracking-form")
    weigher.reset()
    page.fill("#ma", demo_dossier.code)
    page.click("button:has-text('Tra cứu')")
    page.wait_for_url(f"**/tra-cuu/{demo_dossier.code}/")
    body = page.locator("main").inner_text()
    assert "N***** V** An" in body and "Nguyễn Văn An" not in body
    assert "Đăng ký khai sinh" in body and "Hẹn trả kết quả" in body
    assert page.locator("img[src$='/qr.svg']").evaluate("img => img.naturalWidth > 0")
    _check(page, weigher, "tracking")

    # An unknown code: a clear message (and a 404).
    weigher.reset()
    response = page.goto(f"{live_server.url}/tra-cuu/000.00.01.H99-250101-9999/")
    assert response.status == 404
    assert "Không tìm thấy hồ sơ có mã 000.00.01.H99-250101-9999" in page.locator("[role=alert]").inner_text()
    _check(page, weigher, "tracking-unknown")
    context.close()


def test_desk_map_with_and_without_javascript(live_server, browser, demo_dossier):
    context = _context(browser)
    page = context.new_page()
    page.set_default_timeout(15000)
    weigher = Weigher(page)
    page.goto(f"{live_server.url}/ban-do-mot-cua/")
    page.wait_for_selector(".leaflet-marker-icon")
    assert page.locator("#desk-map").is_visible()
    assert page.locator(".leaflet-marker-icon").count() >= 1
    page.locator(".leaflet-marker-icon").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Trung tâm Phục vụ hành chính công tỉnh An Hòa" in popup.inner_text()
    assert "Đang chờ:" in popup.inner_text()
    _check(page, weigher, "map")
    # The queue endpoint the page polls.
    queue = page.evaluate("fetch('/ban-do-mot-cua/hang-cho.json').then(r => r.json())")
    assert "MC-99001" in queue["desks"]
    context.close()

    # Without JavaScript: the same page is the list of desks.
    context = _context(browser, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/ban-do-mot-cua/")
    assert not page.locator("#desk-map").is_visible()
    items = page.locator("#desk-list > li")
    assert items.count() >= 2
    text = page.locator("#desk-list").inner_text()
    assert "Trung tâm Phục vụ hành chính công tỉnh An Hòa" in text and "Đang chờ:" in text
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, "public-map-nojs.png"), full_page=True)
    context.close()
    print("page weights (gzip bytes):", WEIGHTS)
