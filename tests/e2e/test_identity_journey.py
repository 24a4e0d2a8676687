"""'Provide it only once' in a real browser. The desk officer checks the applicant against the
population DB and receives a marriage registration reusing the certificate of marital status the
commune issued earlier (nothing uploaded again). Then the citizen logs in through the VNeID
simulator (OIDC code + PKCE), sees that certificate in their e-data store, shares it with an
agency, and sees who read their data. Screenshots: ``test-results/screenshots/identity-*.png``."""

import datetime as dt
import os

import pytest

from motcua.dossiers.models import Dossier
from motcua.org.models import Agency
from motcua.wallet.models import Reuse
from tests.wallet.conftest import issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "test-results", "screenshots")


def shot(page, name: str) -> None:
    page.screenshot(path=os.path.join(SHOTS, f"identity-{name}.png"), full_page=True)


def test_counter_reuses_then_citizen_sees_shares_and_audits(live_server, browser, page, users, demo_password):
    os.makedirs(SHOTS, exist_ok=True)
    held = issue(users)
    base = live_server.url
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{base}/dang-nhap/?next=/can-bo/tiep-nhan/%3Fprocedure%3D1.000894")
    page.fill("#id_username", "motcua.xa")
    page.fill("#id_password", demo_password)
    page.click("button[type=submit]")
    page.wait_for_selector("h2:has-text('Thành phần hồ sơ')")
    page.fill("#id_number", "001085012345")
    page.fill("#name", "Nguyễn Văn An")
    page.fill("#dob", "12/03/1985")
    page.click("#check-applicant")
    page.wait_for_selector("#verification:has-text('khớp với Cơ sở dữ liệu quốc gia')")
    assert "xã Tân Lập" in page.inner_text("#verification")
    assert held.uri in page.inner_text("#reuse-TP02")
    assert "dân cư" in page.inner_text("#reuse-TP04")
    shot(page, "01-counter-check-and-proposals")
    page.focus("#p-TP01")
    page.keyboard.press("Space")
    page.check("label[for=fee_paid]")
    page.click("button:has-text('Tiếp nhận hồ sơ')")
    page.wait_for_selector("h1:has-text('Đã tiếp nhận hồ sơ')")
    assert "Đã tái sử dụng" in page.inner_text("#reuses")
    shot(page, "02-received-with-reuse")
    d = Dossier.objects.exclude(pk=held.dossier_id).get()
    assert set(Reuse.objects.filter(dossier=d, status="accepted").values_list("component_code", flat=True)) == {
        "TP02",
        "TP04",
    }
    page.goto(f"{base}/can-bo/ho-so/{d.code}/")  # the officer reads the dossier: logged for the citizen
    page.wait_for_selector("#identity:has-text('Đã đối chiếu, khớp')")

    # The citizen, on a phone.
    phone = browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    cp = phone.new_page()
    cp.set_default_timeout(15000)
    cp.goto(f"{base}/cong-dan/dang-nhap/")
    cp.click("#login-vneid")
    cp.wait_for_selector("text=Đăng nhập bằng tài khoản định danh điện tử VNeID")
    shot(cp, "03-vneid-login")
    cp.fill("#id_number", "001085012345")
    cp.fill("#password", "123456")
    cp.click("button[value=login]")
    cp.wait_for_selector("h1:has-text('Kho dữ liệu điện tử của Nguyễn Văn An')")
    assert "Giấy xác nhận tình trạng hôn nhân" in cp.inner_text("#section-results")
    shot(cp, "04-wallet-phone")
    cp.goto(f"{base}/cong-dan/chia-se/")
    stp = Agency.objects.get(code="000.00.06.H99")
    cp.select_option("#agency", str(stp.pk))
    cp.select_option("#document", str(held.pk))
    cp.fill("#purpose", "Xét cấp phiếu lý lịch tư pháp")
    cp.fill("#expires", (dt.date.today() + dt.timedelta(days=30)).strftime("%d/%m/%Y"))
    cp.click("button:has-text('Đồng ý chia sẻ')")
    cp.wait_for_selector("#consents:has-text('Đang chia sẻ')")
    shot(cp, "05-shared")
    cp.goto(f"{base}/cong-dan/nhat-ky-truy-cap/")
    log = cp.inner_text("#access-log")
    assert "Ngô Thị Thu" in log and d.code in log  # the desk officer, and for which dossier
    shot(cp, "06-access-log-phone")
    phone.close()
