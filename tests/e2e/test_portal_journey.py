"""The citizen portal end to end, on a phone in Debian's Chromium: log in through the VNeID simulator
→ find "đăng ký khai sinh" → fill the e-form (prefilled from the population DB) → attach one file
and reuse one document (the parents' marriage certificate held in the e-data store) → submit → pay
the fee through the gateway simulator → track → (officers, through the services) result issued and
returned → download the signed e-result → rate the service. axe-core checks each citizen page.
Screenshots: ``test-results/screenshots/portal-*.png``."""

import os

import pytest

from motcua.documents import results
from motcua.documents.models import Document, Kind
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, Draft, Event
from motcua.signing.services import validate_pdf
from motcua.wallet.models import Reuse
from tests.wallet.conftest import issue

from .test_public_pages import BUDGET, Weigher  # the same weighing as the public pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "test-results", "screenshots")
AXE = os.path.join(os.path.dirname(__file__), "..", "..", "motcua", "static", "vendor", "axe", "axe.min.js")
SCAN = os.path.join(os.path.dirname(__file__), "..", "data", "ocr", "birth-01.png")


def shot(page, name: str) -> None:
    page.screenshot(path=os.path.join(SHOTS, f"portal-{name}.png"), full_page=True)


def off_loop(fn, *args, **kwargs):
    """Run ``fn`` in another thread: Playwright's event loop runs in this one, and pyHanko (signing,
    validation) starts its own with ``asyncio.run``."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def accessible(page) -> None:
    page.evaluate(open(AXE, encoding="utf-8").read())  # not a <script> tag: the CSP refuses inline scripts
    found = page.evaluate("async () => (await axe.run()).violations.map(v => [v.id, v.impact, v.nodes.length])")
    serious = [v for v in found if v[1] in ("serious", "critical")]
    assert not serious, (page.url, serious)


def test_citizen_journey_on_a_phone(live_server, browser, users, payment_gateway, settings, tmp_path):
    os.makedirs(SHOTS, exist_ok=True)
    settings.SIGNING_PKI_DIR = tmp_path / "pki"
    settings.SIGNING_DEMO_PKI = True
    marriage = issue(users, procedure="1.000894", result="KQ01", title="Giấy chứng nhận kết hôn", valid_days=None)
    base = live_server.url
    ctx = browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = ctx.new_page()
    page.set_default_timeout(20000)

    # Find the procedure without logging in.
    page.goto(f"{base}/")
    page.fill("input[name=q]", "dang ky khai sinh")
    page.keyboard.press("Enter")
    page.click("a:has-text('Đăng ký khai sinh')")
    page.wait_for_selector("h1:has-text('Đăng ký khai sinh')")
    accessible(page)
    shot(page, "01-procedure")
    page.click("text=Nộp hồ sơ trực tuyến")

    # Log in through VNeID, back to the submission.
    page.wait_for_selector("#login-vneid")
    page.click("#login-vneid")
    page.fill("#id_number", "001085012345")
    page.fill("#password", "123456")
    page.click("button[value=login]")
    page.wait_for_selector("h1:has-text('Đăng ký khai sinh')")
    assert page.input_value("#f-declarant_name") == "Nguyễn Văn An"  # prefilled
    assert "Tân Lập" in page.input_value("#f-address")  # from the population DB
    accessible(page)
    page.select_option("#f-declarant_relation", "cha")
    page.fill("#f-child_name", "Nguyễn Minh Khang")
    page.select_option("#f-child_sex", "male")
    page.fill("#f-child_birth_date", "15/08/2026")  # registered late: the 8.000 đồng charge is due
    page.fill("#f-birth_place", "Trạm y tế xã Tân Lập")
    page.select_option("#agency", str(users["motcua.xa"].memberships.get().agency_id))
    shot(page, "02-eform")
    page.click("button[value=next]")

    # Papers: one upload, one reuse.
    page.wait_for_selector("#c-TP06")
    assert page.is_checked("#use-TP06")  # the marriage certificate, proposed from the store
    page.set_input_files("#file-TP02", SCAN)
    accessible(page)
    shot(page, "03-papers")
    page.click("button[value=next]")
    page.wait_for_selector("#submit-dossier")
    shot(page, "04-review")
    page.click("#submit-dossier")
    page.wait_for_selector("#dossier-info")
    d = Dossier.objects.get(channel="online")
    assert d.state == "submitted"
    assert Reuse.objects.filter(dossier=d, document=marriage, status="accepted").exists()
    assert Document.objects.filter(dossier=d, component_code="TP02").exists()
    accessible(page)
    shot(page, "05-submitted")

    # Pay the fee through the gateway simulator.
    page.click("text=Thanh toán trực tuyến")
    page.click("button:has-text('Thanh toán')")
    page.wait_for_selector("text=Cổng thanh toán")
    page.click("button[value=pay]")
    page.wait_for_selector("text=thành công")
    shot(page, "06-paid")
    d.refresh_from_db()
    assert d.fee_status == "paid"
    page.goto(f"{base}/cong-dan/thanh-toan/")  # "my payments", with the e-receipt
    assert d.code in page.inner_text("#my-payments") and "BL-" in page.inner_text("#my-payments")

    # Track by code (public page).
    page.goto(f"{base}/tra-cuu/{d.code}/")
    page.wait_for_selector(f"text={d.code}")
    accessible(page)
    shot(page, "07-tracking")

    # Officers, through the services: accept, hand over, decide (signed e-result), return online.
    d = services.act(d, "accept", user=users["motcua.xa"])
    d = services.act(d, "transfer", user=users["motcua.xa"])
    d = services.act(d, "forward", user=users["chuyenvien.xa"])
    d = services.act(d, "issue_result", user=users["lanhdao.xa"], data={"result_number": "12/GKS"})
    off_loop(results.issue_result_document, d.pk, Event.objects.get(dossier=d, action="issue_result").pk)
    d = services.act(d, "return_result", user=users["motcua.xa"], data={"channel": "online"})
    assert d.state == "returned"

    # Download the signed e-result from "my dossier".
    page.goto(f"{base}/cong-dan/ho-so/{d.code}/")
    with page.expect_download() as download:
        page.click("#results a")
    data = open(download.value.path(), "rb").read()
    assert data.startswith(b"%PDF")
    reports = off_loop(validate_pdf, data)
    assert reports and reports[0].valid and reports[0].trusted
    shot(page, "08-result")
    assert Document.objects.filter(dossier=d, kind=Kind.RESULT).exists()

    # Rate the service.
    page.goto(f"{base}/cong-dan/danh-gia/{d.code}/")
    accessible(page)
    for radio_id in page.eval_on_selector_all("input[type=radio][value='5']", "els => els.map(e => e.id)"):
        page.click(f"label[for={radio_id}]")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Cảm ơn")
    shot(page, "09-rated")

    # Page weight of the citizen's pages, each loaded in a fresh browser (nothing cached), logged in.
    fresh = browser.new_context(
        storage_state=ctx.storage_state(), locale="vi-VN", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    draft_key = Draft.objects.get(dossier=d).key
    pages = {
        "login": "/cong-dan/dang-nhap/",
        "eform": "/cong-dan/nop-ho-so/1.001193/",
        "review": f"/cong-dan/ho-so-nhap/{draft_key}/xem-lai/",
        "my-dossiers": "/cong-dan/ho-so/",
        "my-dossier": f"/cong-dan/ho-so/{d.code}/",
        "payments": "/cong-dan/thanh-toan/",
        "data-store": "/cong-dan/kho-du-lieu/",
        "sharing": "/cong-dan/chia-se/",
        "access-log": "/cong-dan/nhat-ky-truy-cap/",
        "appointments": "/cong-dan/lich-hen/",
        "book": "/cong-dan/lich-hen/dat/",
        "account": "/cong-dan/tai-khoan/",
        "feedback": "/phan-anh-kien-nghi/gui/",
    }
    weights = {}
    for name, path in pages.items():
        p = fresh.new_page()
        weigher = Weigher(p)
        p.goto(base + path)
        p.wait_for_load_state("networkidle")
        weights[name], rows = weigher.weigh()
        assert weights[name] < BUDGET, (path, weights[name], rows)
        p.close()
    print("citizen page weights (bytes, gzip):", weights)
    fresh.close()
    ctx.close()
