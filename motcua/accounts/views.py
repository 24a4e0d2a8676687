"""Staff login (password step), then the second factor: enrolment (QR + secret, confirm, backup codes shown
once) or verification (TOTP or backup code)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from . import services
from .forms import StaffAuthenticationForm
from .lockout import login_rate_limited

SESSION_BACKUP_CODES = "_acct_backup_codes"


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _second_factor_url(user, target: str) -> str:
    name = "backoffice:otp-verify" if services.has_confirmed_totp(user) else "backoffice:otp-setup"
    return f"{reverse(name)}?{urlencode({'next': target})}"


class StaffLoginView(auth_views.LoginView):
    template_name = "backoffice/login.html"
    authentication_form = StaffAuthenticationForm

    def post(self, request, *args, **kwargs):
        limited = login_rate_limited(request, "staff")
        if limited is not None:
            return limited
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)  # django.contrib.auth.login: new session key, axes success
        user = form.get_user()
        if services.otp_required_for(user):
            return redirect(_second_factor_url(user, self.get_success_url()))
        return response


def _staff_pending(request):
    """Guard of the OTP pages: staff only, and only while the session is not yet verified."""
    if not services.is_staff_user(request.user):
        return redirect(settings.LOGIN_REDIRECT_URL)
    if request.user.is_verified():
        return redirect(_next(request))
    return None


@never_cache
@sensitive_post_parameters("code")
@login_required
def otp_verify(request):
    guard = _staff_pending(request)
    if guard is not None:
        return guard
    if not services.has_confirmed_totp(request.user):
        return redirect(_second_factor_url(request.user, _next(request)))
    error = ""
    if request.method == "POST":
        limited = login_rate_limited(request, "otp")
        if limited is not None:
            return limited
        wait = services.throttle_wait(request.user)
        device = None if wait else services.verify_second_factor(request.user, request.POST.get("code", ""))
        if device is not None:
            otp_login(request, device)
            request.session.cycle_key()
            if device.name == services.BACKUP_DEVICE_NAME:
                left = services.backup_codes_left(request.user)
                messages.warning(
                    request,
                    f"Bạn vừa dùng một mã dự phòng (còn {left} mã). Mỗi mã chỉ dùng được một lần; "
                    "hãy liên hệ quản trị hệ thống nếu mất ứng dụng xác thực.",
                )
            return redirect(_next(request))
        wait = wait or services.throttle_wait(request.user)
        error = "Mã xác thực không đúng hoặc đã hết hạn."
        if wait:
            error += f" Bạn đã nhập sai nhiều lần: vui lòng chờ {wait} giây rồi thử lại."
    return render(
        request, "accounts/otp_verify.html", {"error": error, "next": _next(request)}, status=400 if error else 200
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
def otp_setup(request):
    guard = _staff_pending(request)
    if guard is not None:
        return guard
    if services.has_confirmed_totp(request.user):  # a new device only after passing the second factor
        return redirect(_second_factor_url(request.user, _next(request)))
    error = ""
    if request.method == "POST":
        limited = login_rate_limited(request, "otp")
        if limited is not None:
            return limited
        try:
            device, codes = services.confirm_totp(request.user, request.POST.get("code", ""))
        except services.AuthError as exc:
            error = exc.message
        else:
            otp_login(request, device)
            request.session.cycle_key()
            request.session[SESSION_BACKUP_CODES] = codes
            return redirect(f"{reverse('backoffice:otp-backup-codes')}?{urlencode({'next': _next(request)})}")
    device = services.pending_totp(request.user)
    context = {
        "qr_svg": services.qr_svg(device),
        "secret": services.secret_text(device),
        "issuer": getattr(settings, "OTP_TOTP_ISSUER", "MotCua"),
        "error": error,
        "next": _next(request),
    }
    return render(request, "accounts/otp_setup.html", context, status=400 if error else 200)


@never_cache
@login_required
def otp_backup_codes(request):
    """The backup codes, shown once right after enrolment (then gone from the session)."""
    codes = request.session.pop(SESSION_BACKUP_CODES, None)
    if not codes:
        return redirect(_next(request))
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": _next(request)})
