"""Staff authentication (issue 10): TOTP for all staff, lockout, login rate limits, session expiry, idle
accounts, password rules. Real database, real django-otp / django-axes, codes computed from the device key."""

import datetime as dt
import re
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from motcua.accounts import services
from motcua.accounts.middleware import SESSION_LOGIN_AT, SESSION_SEEN
from motcua.accounts.models import AccountState
from motcua.accounts.tasks import disable_idle_accounts_task
from motcua.common.scheduler import JOBS

pytestmark = pytest.mark.django_db

STAFF = "motcua.xa"  # a desk officer (StaffMembership, not is_staff)
ADMIN = "vanphong"  # catalog admin (is_staff: admin site)


@pytest.fixture
def otp_on(settings):
    settings.STAFF_OTP_REQUIRED = True
    return settings


def _user(username):
    return get_user_model().objects.get(username=username)


def _login(client, username, password, **extra):
    return client.post("/dang-nhap/", {"username": username, "password": password, "next": "/can-bo/"}, **extra)


def _code(device, offset_steps=0):
    return services.current_code(device, at=time.time() + offset_steps * device.step)


# ------------------------------------------------------------------------------------------------
# 1. TOTP for all staff
# ------------------------------------------------------------------------------------------------
def test_enrolment_then_verify_with_totp_and_single_use_backup_codes(client, demo_org, demo_password, otp_on):
    r = _login(client, STAFF, demo_password)
    assert r.status_code == 302 and r["Location"].startswith("/dang-nhap/thiet-lap-xac-thuc/")
    # Password alone opens nothing: staff pages send the session to the OTP step.
    r = client.get("/can-bo/")
    assert r.status_code == 302 and r["Location"].startswith("/dang-nhap/xac-thuc/")
    assert client.get(r["Location"])["Location"].startswith("/dang-nhap/thiet-lap-xac-thuc/")

    page = client.get("/dang-nhap/thiet-lap-xac-thuc/?next=/can-bo/")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "Thiết lập xác thực hai lớp" in html
    device = TOTPDevice.objects.get(user__username=STAFF, confirmed=False)
    assert services.secret_text(device) in html
    r = client.post("/dang-nhap/thiet-lap-xac-thuc/", {"code": "000000", "next": "/can-bo/"})
    assert r.status_code == 400 and "Mã xác thực không đúng" in r.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # the wrong try above throttles the device for a second
    r = client.post("/dang-nhap/thiet-lap-xac-thuc/", {"code": _code(device), "next": "/can-bo/"})
    assert r.status_code == 302 and r["Location"].startswith("/dang-nhap/ma-du-phong/")
    codes = re.findall(r'<code class="mc-code">([a-z2-7]{8})</code>', client.get(r["Location"]).content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/dang-nhap/ma-du-phong/?next=/can-bo/")["Location"] == "/can-bo/"  # shown once
    assert client.get("/can-bo/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    # Enrolling a second device is not possible once one is confirmed.
    assert client.get("/dang-nhap/thiet-lap-xac-thuc/").status_code == 302

    # Next login: verify page; the next TOTP step's code (the one used at enrolment cannot be replayed).
    client.post("/dang-xuat/")
    r = _login(client, STAFF, demo_password)
    assert r["Location"].startswith("/dang-nhap/xac-thuc/")
    assert client.get("/can-bo/").status_code == 302
    r = client.post("/dang-nhap/xac-thuc/", {"code": _code(device, 1), "next": "/can-bo/"})
    assert r.status_code == 302 and r["Location"] == "/can-bo/"
    assert client.get("/can-bo/").status_code == 200

    # A backup code works once.
    for expected in (302, 400):
        client.post("/dang-xuat/")
        _login(client, STAFF, demo_password)
        r = client.post("/dang-nhap/xac-thuc/", {"code": codes[0].upper(), "next": "/can-bo/"})
        assert r.status_code == expected
    assert "Mã xác thực không đúng" in r.content.decode()
    assert StaticToken.objects.filter(device__user__username=STAFF).count() == 9


def test_otp_gate_on_staff_pages_admin_and_session_api(client, api_client, demo_org, otp_on):
    admin = _user(ADMIN)
    client.force_login(admin)
    r = client.get("/admin/")
    assert r.status_code == 302 and r["Location"] == "/dang-nhap/xac-thuc/?next=%2Fadmin%2F"
    assert client.get("/can-bo/thu-tuc/")["Location"].startswith("/dang-nhap/xac-thuc/")
    assert client.get("/")["Location"].startswith("/dang-nhap/xac-thuc/")
    r = client.get("/can-bo/thu-tuc/", HTTP_HX_REQUEST="true")
    assert r.status_code == 403 and r["HX-Redirect"].startswith("/dang-nhap/xac-thuc/")
    r = client.get("/api/v1/me")
    assert r.status_code == 403 and r.json()["error"]["code"] == "otp_required"
    # Static files and the OTP / logout pages stay reachable.
    assert client.get("/dang-nhap/xac-thuc/").status_code in (200, 302)
    # Token API auth is not a session login: not gated.
    token = Token.objects.create(user=admin)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get("/api/v1/me").status_code == 200
    # Once verified (a real TOTP code), the admin opens.
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    r = client.post("/dang-nhap/xac-thuc/", {"code": _code(device), "next": "/admin/"})
    assert r.status_code == 302 and r["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def test_gate_off_switch_and_non_staff_users(client, demo_org, settings):
    user = get_user_model().objects.create_user("congdan@example.vn", password="x")
    settings.STAFF_OTP_REQUIRED = True
    client.force_login(user)  # not staff: never asked for a second factor
    assert client.get("/").status_code == 200
    settings.STAFF_OTP_REQUIRED = False
    client.force_login(_user(STAFF))
    assert client.get("/can-bo/").status_code == 200


def test_admin_login_goes_through_the_staff_login(client, db):
    r = client.get("/admin/login/?next=/admin/catalog/")
    assert r.status_code == 302 and r["Location"] == "/dang-nhap/?next=%2Fadmin%2Fcatalog%2F"


def test_demo_devices_and_totp_code_command(capsys, demo_org, client, demo_password, otp_on):
    assert services.provision_demo_totp(["quantri", STAFF]) == 2
    assert services.provision_demo_totp(["quantri", STAFF]) == 0  # idempotent
    call_command("totp_code", STAFF)
    code = capsys.readouterr().out.strip()
    assert re.fullmatch(r"\d{6}", code)
    _login(client, STAFF, demo_password)
    r = client.post("/dang-nhap/xac-thuc/", {"code": code, "next": "/can-bo/"})
    assert r.status_code == 302 and client.get("/can-bo/").status_code == 200
    TOTPDevice.objects.create(user=_user(ADMIN), name="Điện thoại", confirmed=True)
    with pytest.raises(CommandError, match="thiết bị mẫu"):
        call_command("totp_code", ADMIN)


# ------------------------------------------------------------------------------------------------
# 2. Lockout (django-axes) and per-address rate limits
# ------------------------------------------------------------------------------------------------
def test_lockout_after_five_failures_keyed_on_user_and_address(client, demo_org, demo_password, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert _login(client, STAFF, "sai-mat-khau").status_code == 200
    r = _login(client, STAFF, "sai-mat-khau")  # the 5th failure locks
    assert r.status_code == 429
    r = _login(client, STAFF, demo_password)  # even the right password now
    html = r.content.decode()
    assert r.status_code == 429 and "Tạm khóa đăng nhập" in html and "15 phút" in html
    assert r["Retry-After"] == "900"
    assert "_auth_user_id" not in client.session
    # A spoofed X-Forwarded-For changes nothing (NUM_PROXIES = 0) …
    assert _login(client, STAFF, demo_password, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    # … the same user from another address, or another user from this one, is not locked.
    assert _login(client, STAFF, demo_password, REMOTE_ADDR="198.51.100.7").status_code == 302
    assert _login(client, "chuyenvien.stp", demo_password).status_code == 302
    # An administrator unlocks (the axes admin deletes the attempt row).
    AccessAttempt.objects.filter(username=STAFF).delete()
    assert _login(client, STAFF, demo_password).status_code == 302


def test_success_resets_the_failure_count(client, demo_org, demo_password):
    for _ in range(4):
        _login(client, STAFF, "sai")
    assert _login(client, STAFF, demo_password).status_code == 302
    client.post("/dang-xuat/")
    for _ in range(4):
        assert _login(client, STAFF, "sai").status_code == 200
    assert _login(client, STAFF, demo_password).status_code == 302


def test_citizen_local_login_is_locked_out_too(client, db):
    from motcua.identity import services as identity

    identity.register_local_account(
        email="an@example.vn", password="Mat-khau-2026!", full_name="Nguyễn Văn An", id_number="001085012345"
    )
    for _ in range(5):
        client.post("/cong-dan/dang-nhap/", {"email": "an@example.vn", "password": "sai"})
    r = client.post("/cong-dan/dang-nhap/", {"email": "an@example.vn", "password": "Mat-khau-2026!"})
    assert r.status_code == 429 and "Tạm khóa đăng nhập" in r.content.decode()


def test_login_pages_rate_limited_per_address(client, demo_org, demo_password, settings):
    settings.LOGIN_RATE = "3/min"
    for page, data in (
        ("/dang-nhap/", {"username": "a", "password": "b"}),
        ("/cong-dan/dang-nhap/", {"email": "a@b.vn", "password": "b"}),
    ):
        for _ in range(3):
            assert client.post(page, data).status_code in (200, 400)
        r = client.post(page, data)
        assert r.status_code == 429 and "Quá nhiều lần thử" in r.content.decode() and int(r["Retry-After"]) > 0
        assert client.post(page, data, REMOTE_ADDR="198.51.100.8").status_code in (200, 400)


# ------------------------------------------------------------------------------------------------
# 3. Session expiry
# ------------------------------------------------------------------------------------------------
def _age_session(client, **seconds_ago):
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def test_staff_session_idle_and_absolute_expiry(client, demo_org, demo_password):
    r = _login(client, STAFF, demo_password)
    cookie = r.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert client.get("/can-bo/").status_code == 200
    _age_session(client, **{SESSION_SEEN: 29 * 60})
    assert client.get("/can-bo/").status_code == 200  # 29 min idle: still alive, and the clock restarts
    _age_session(client, **{SESSION_SEEN: 31 * 60})
    r = client.get("/can-bo/thu-tuc/")
    assert r.status_code == 302 and r["Location"] == "/dang-nhap/?next=%2Fcan-bo%2Fthu-tuc%2F"
    page = client.get(r["Location"]).content.decode()
    assert "Phiên làm việc đã hết hạn do không thao tác quá 30 phút" in page
    assert client.get("/can-bo/")["Location"].startswith("/dang-nhap/")

    _login(client, STAFF, demo_password)
    _age_session(client, **{SESSION_LOGIN_AT: 10 * 3600 + 60, SESSION_SEEN: 10})
    r = client.get("/can-bo/")
    assert r.status_code == 302 and "đã đăng nhập quá 10 giờ" in client.get(r["Location"]).content.decode()
    r = client.get("/api/v1/me")
    assert r.status_code in (401, 403)


def test_citizen_session_idle_expiry(client, db):
    user = get_user_model().objects.create_user("an@example.vn", password="x")
    client.force_login(user)
    _age_session(client, **{SESSION_SEEN: 31 * 60})
    r = client.get("/cong-dan/ho-so/")
    assert r.status_code == 302 and r["Location"].startswith("/cong-dan/dang-nhap/")
    assert "Phiên làm việc đã hết hạn" in client.get(r["Location"]).content.decode()


# ------------------------------------------------------------------------------------------------
# 4. Idle accounts
# ------------------------------------------------------------------------------------------------
def test_idle_login_refused_before_the_sweep(client, demo_org, demo_password):
    user = _user(STAFF)
    user.last_login = timezone.now() - dt.timedelta(days=46)
    user.save(update_fields=["last_login"])
    r = _login(client, STAFF, demo_password)
    assert r.status_code == 200 and "không đăng nhập quá 45 ngày" in r.content.decode()
    assert not _user(STAFF).is_active
    r = _login(client, STAFF, demo_password)  # disabled now: the same reason, not "wrong password"
    assert "không đăng nhập quá 45 ngày" in r.content.decode()
    # An administrator re-enables it (the admin's "active" box): a fresh 45 days.
    user = _user(STAFF)
    user.is_active = True
    user.save()
    assert AccountState.objects.get(user=user).reactivated_at is not None
    assert _login(client, STAFF, demo_password).status_code == 302


def test_daily_sweep_disables_idle_staff_only(demo_org):
    User = get_user_model()
    now = timezone.now()
    old, recent = now - dt.timedelta(days=46), now - dt.timedelta(days=44)
    User.objects.filter(username=STAFF).update(last_login=old)
    User.objects.filter(username="chuyenvien.stp").update(last_login=recent)
    User.objects.filter(username=ADMIN).update(last_login=None, date_joined=old)  # never logged in
    User.objects.filter(username="quantri").update(last_login=old)  # superuser: included
    citizen = User.objects.create_user("congdan@example.vn", password="x")
    User.objects.filter(pk=citizen.pk).update(last_login=old)
    back = User.objects.get(username="lanhdao.xa")
    User.objects.filter(pk=back.pk).update(last_login=old)
    services.reactivate(back)  # re-enabled just now by an administrator: not idle
    assert "disable_idle_accounts" in {job.name for job in JOBS}
    disabled = disable_idle_accounts_task.func()
    active = dict(User.objects.values_list("username", "is_active"))
    assert active[STAFF] is False and active[ADMIN] is False and active["quantri"] is False
    assert active["chuyenvien.stp"] is True and active["congdan@example.vn"] is True
    assert active["lanhdao.xa"] is True
    assert disabled == 3
    assert AccountState.objects.get(user__username=STAFF).disabled_reason == "idle"
    assert disable_idle_accounts_task.func() == 0  # idempotent


# ------------------------------------------------------------------------------------------------
# 5. Password rules
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "password,message",
    [
        ("Ab1!defgh", "Mật khẩu quá ngắn: cần ít nhất 12 ký tự."),
        ("abcdefghijkl", "ít nhất 3 trong 4 loại ký tự"),
        ("483920175638", "Mật khẩu không được chỉ gồm chữ số."),
        ("Matkhau@123", "quá phổ biến"),
        ("Mật khẩu 123", "quá phổ biến"),
        ("Password1234", "quá phổ biến"),
        ("Nguyen.Van.An1", "quá giống"),
    ],
)
def test_password_rules_in_vietnamese(db, password, message):
    user = get_user_model()(username="nguyen.van.an1", first_name="An", last_name="Nguyễn Văn", email="an@x.vn")
    with pytest.raises(ValidationError) as exc:
        validate_password(password, user)
    assert any(message in m for m in exc.value.messages), exc.value.messages


def test_good_password_accepted(db):
    user = get_user_model()(username="nguyen.van.an", email="an@x.vn")
    validate_password("Sông-Hồng-chảy-2026", user)
    validate_password("tram-nam-trong-coi-NGUOI", user)  # lower + upper + symbols: 3 kinds
