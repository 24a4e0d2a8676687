"""Staff two-factor login in a real browser: first login → enrolment page (QR code + secret) → the code an
authenticator app would show (computed from the device key) → backup codes shown once → the staff home;
next login asks for a code; five wrong passwords lock the login with a Vietnamese page. Screenshots go to
``test-results/screenshots/2fa-*.png``."""

import os
import time

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from motcua.accounts import services
from motcua.org.demo import DEMO_PASSWORD, load_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "test-results", "screenshots")


def shot(page, name: str) -> None:
    page.screenshot(path=os.path.join(SHOTS, f"2fa-{name}.png"), full_page=True)


def password_step(page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/dang-nhap/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_enrol_verify_and_lockout(live_server, page, settings):
    settings.STAFF_OTP_REQUIRED = True
    load_org()
    os.makedirs(SHOTS, exist_ok=True)
    base = live_server.url

    password_step(page, base, "motcua.xa")
    page.wait_for_url("**/dang-nhap/thiet-lap-xac-thuc/**")
    assert page.locator("#otp-qr svg").is_visible()
    secret = page.inner_text("#otp-secret")
    device = TOTPDevice.objects.get(user__username="motcua.xa", confirmed=False)
    assert secret.replace(" ", "") == services.secret_text(device).replace(" ", "")
    shot(page, "01-enrol")
    page.fill("#id_code", services.current_code(device))
    page.click("button:has-text('Kích hoạt')")
    page.wait_for_url("**/dang-nhap/ma-du-phong/**")
    assert page.locator("#backup-codes li").count() == 10
    shot(page, "02-backup-codes")
    page.click("#backup-continue")
    page.wait_for_selector("text=Xin chào")

    page.click("button:has-text('Đăng xuất')")
    page.wait_for_url("**/dang-nhap/")
    password_step(page, base, "motcua.xa")
    page.wait_for_url("**/dang-nhap/xac-thuc/**")
    shot(page, "03-verify")
    page.goto(f"{base}/can-bo/tiep-nhan/")  # nothing opens before the second factor
    assert "/dang-nhap/xac-thuc/" in page.url
    page.fill("#id_code", services.current_code(device, at=time.time() + device.step))  # next step: no replay
    page.click("button:has-text('Xác nhận')")
    page.wait_for_url("**/can-bo/tiep-nhan/**")

    page.context.clear_cookies()
    for _ in range(5):
        password_step(page, base, "chuyenvien.xa", "sai-mat-khau")
    page.wait_for_selector("#lockout-message")
    assert "15 phút" in page.inner_text("#lockout-message")
    shot(page, "04-lockout")
