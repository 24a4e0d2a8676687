"""Staff authentication rules: who is staff, the second factor (TOTP + one-time backup codes), idle accounts.

* ``is_staff_user``: ``is_staff`` / ``is_superuser`` or any active ``org.StaffMembership``. Every such
  account needs a confirmed TOTP device and an OTP-verified session (``STAFF_OTP_REQUIRED``).
* ``pending_totp`` / ``confirm_totp``: enrolment (one unconfirmed device, confirmed by a code; confirming
  issues ``BACKUP_CODE_COUNT`` single-use backup codes, shown once). A user with a confirmed device cannot
  enrol another one without first passing the second factor (else a stolen password would be enough).
* ``verify_second_factor``: a TOTP code (6 digits) or a backup code (consumed on use); django-otp throttles
  each device (exponential delay after failures) and refuses a TOTP code already used.
* Idle accounts: a staff account whose last activity (last login, else creation; an administrator's
  re-activation counts too) is older than ``ACCOUNT_IDLE_DAYS`` is disabled by the daily sweep
  (``disable_idle_accounts``) and refused at login even before the sweep ran (``is_idle``). Superusers are
  included (the most dangerous dormant accounts); the way back is ``manage.py reactivate_account`` or another
  administrator ticking "active" in the admin.
"""

from __future__ import annotations

import datetime as dt
import logging
from base64 import b32encode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import AccountState

log = logging.getLogger(__name__)

TOTP_DEVICE_NAME = "Ứng dụng xác thực"
BACKUP_DEVICE_NAME = "Mã dự phòng"
# Devices made by ``provision_demo_totp`` (load_demo); only these may have their current code printed.
DEMO_DEVICE_NAME = "Thiết bị mẫu (load_demo)"
BACKUP_CODE_COUNT = 10

IDLE_MESSAGE = (
    "Tài khoản đã bị khóa vì không đăng nhập quá {days} ngày. Vui lòng liên hệ quản trị hệ thống để được mở lại."
)


class AuthError(Exception):
    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message, self.code = message, code


# ------------------------------------------------------------------------------------------------
# Who is staff
# ------------------------------------------------------------------------------------------------
def staff_q(prefix: str = "") -> Q:
    return (
        Q(**{f"{prefix}is_staff": True})
        | Q(**{f"{prefix}is_superuser": True})
        | Q(**{f"{prefix}memberships__active": True})
    )


def is_staff_user(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    from motcua.audit.context import memberships

    return bool(memberships(user.pk))  # read once per request (shared with the access rule and the audit)


def otp_required_for(user) -> bool:
    return bool(getattr(settings, "STAFF_OTP_REQUIRED", True)) and is_staff_user(user)


# ------------------------------------------------------------------------------------------------
# Second factor
# ------------------------------------------------------------------------------------------------
def has_confirmed_totp(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_totp(user) -> TOTPDevice:
    """The user's enrolment device (unconfirmed), made on first use; the same one until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The key as authenticator apps take it when typed (base32, in groups of 4)."""
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The ``otpauth://`` URL as an inline SVG QR code (segno; no network, no image file)."""
    import segno

    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, title="Mã QR xác thực hai lớp")


def current_code(device: TOTPDevice, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at
    return str(totp.token()).zfill(device.digits)


def normalize_code(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()


@transaction.atomic
def confirm_totp(user, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending device with a code from the app: ``(device, new backup codes)``."""
    if has_confirmed_totp(user):
        raise AuthError("Tài khoản đã có ứng dụng xác thực.", "already_enrolled")
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        raise AuthError("Phiên đăng ký đã hết hạn, vui lòng tải lại trang.", "no_pending_device")
    token = normalize_code(code)
    if not (token.isdigit() and len(token) == device.digits) or not device.verify_token(token):
        raise AuthError("Mã xác thực không đúng. Kiểm tra giờ trên điện thoại và nhập mã 6 chữ số mới nhất.")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return device, new_backup_codes(user)


@transaction.atomic
def new_backup_codes(user, count: int = BACKUP_CODE_COUNT) -> list[str]:
    """Replace the user's backup codes with ``count`` new single-use ones (returned once, stored as is by
    django-otp's static device)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = []
    while len(codes) < count:
        token = StaticToken.random_token()
        if token not in codes:
            codes.append(token)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=t) for t in codes)
    return codes


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def verify_second_factor(user, code: str):
    """The confirmed device that accepts ``code`` (a TOTP code or a backup code, which is then used up), or
    None. Devices are row-locked so that one code cannot be used twice concurrently."""
    token = normalize_code(code)
    if not token:
        return None
    if token.isdigit() and len(token) == 6:
        devices = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
    else:
        devices = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True)
    for device in devices:
        if device.verify_token(token):
            return device
    return None


def throttle_wait(user) -> int:
    """Seconds until the user's TOTP device accepts another try (django-otp's exponential throttle), 0 if now."""
    now = timezone.now()
    waits = []
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            waits.append(max(int((data["locked_until"] - now).total_seconds()) + 1, 1))
    return max(waits, default=0)


# ------------------------------------------------------------------------------------------------
# Demo staff (load_demo)
# ------------------------------------------------------------------------------------------------
def provision_demo_totp(usernames) -> int:
    """Give each demo staff account without a confirmed device a confirmed TOTP device marked as a demo one,
    so that the README logins work (``manage.py totp_code <username>`` prints the current code)."""
    made = 0
    for user in get_user_model().objects.filter(username__in=list(usernames)):
        if not has_confirmed_totp(user):
            TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, confirmed=True)
            made += 1
    return made


def demo_code(username: str) -> str:
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).order_by("id").first()
    if device is None:
        raise AuthError(f"Tài khoản {username} chưa có thiết bị xác thực.", "no_device")
    if device.name != DEMO_DEVICE_NAME:
        raise AuthError(
            "Chỉ in được mã của thiết bị mẫu (load_demo); thiết bị thật nằm trên điện thoại cán bộ.", "real"
        )
    return current_code(device)


# ------------------------------------------------------------------------------------------------
# Idle accounts
# ------------------------------------------------------------------------------------------------
def idle_days() -> int:
    return int(getattr(settings, "ACCOUNT_IDLE_DAYS", 45))


def last_activity(user) -> dt.datetime:
    seen = user.last_login or user.date_joined
    state = AccountState.objects.filter(user_id=user.pk).values_list("reactivated_at", flat=True).first()
    return max(seen, state) if state else seen


def is_idle(user, now: dt.datetime | None = None) -> bool:
    """A staff account not used for ``ACCOUNT_IDLE_DAYS`` days (checked at login, before the sweep)."""
    now = now or timezone.now()
    return is_staff_user(user) and last_activity(user) < now - dt.timedelta(days=idle_days())


def disable(user, reason: str = AccountState.Reason.IDLE, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        type(user).objects.filter(pk=user.pk).update(is_active=False)
        AccountState.objects.update_or_create(user_id=user.pk, defaults={"disabled_at": now, "disabled_reason": reason})
    user.is_active = False
    log.warning("account %s disabled (%s)", user.get_username(), reason)


def disabled_for_idleness(user) -> bool:
    return (
        not user.is_active
        and AccountState.objects.filter(user_id=user.pk, disabled_reason=AccountState.Reason.IDLE).exists()
    )


def disable_idle_accounts(now: dt.datetime | None = None) -> int:
    """The daily sweep: disable every active staff account idle for ``ACCOUNT_IDLE_DAYS``; returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=idle_days())
    User = get_user_model()
    ids = list(
        User.objects.filter(is_active=True)
        .filter(staff_q())
        .annotate(seen=Coalesce("last_login", "date_joined"))
        .filter(seen__lt=cutoff)
        .exclude(account_state__reactivated_at__gte=cutoff)
        .values_list("pk", flat=True)
        .distinct()
    )
    if not ids:
        return 0
    with transaction.atomic():
        User.objects.filter(pk__in=ids).update(is_active=False)
        for pk in ids:
            AccountState.objects.update_or_create(
                user_id=pk, defaults={"disabled_at": now, "disabled_reason": AccountState.Reason.IDLE}
            )
    log.warning("idle sweep: %d staff account(s) disabled (no login for %d days)", len(ids), idle_days())
    return len(ids)


def reactivate(user, now: dt.datetime | None = None) -> None:
    """Re-enable an account; the re-activation counts as activity for the idle rule."""
    now = now or timezone.now()
    with transaction.atomic():
        type(user).objects.filter(pk=user.pk).update(is_active=True)
        AccountState.objects.update_or_create(
            user_id=user.pk, defaults={"reactivated_at": now, "disabled_at": None, "disabled_reason": ""}
        )
    user.is_active = True
