"""Staff second-factor gate and session lifetime.

``StaffOTPMiddleware`` (after django-otp's ``OTPMiddleware``): an authenticated staff session that has not
passed the second factor reaches only the login / OTP / logout pages and static files; other pages redirect
to the OTP page, HTMX requests get ``HX-Redirect``, and ``/api/`` calls made with the session get a structured
403. API calls authenticated by a token or OAuth2 (an ``Authorization`` header) are not session logins and
are not affected. ``/admin/login/`` is sent to the one staff login page (lockout, idle rule, 2FA).

``SessionPolicyMiddleware``: a session ends after ``*_SESSION_IDLE_SECONDS`` without a request and at the
latest ``*_SESSION_MAX_SECONDS`` after login (staff and citizens apart); the next request logs out and goes
to the right login page with a Vietnamese message (``/api/``: 401 ``session_expired``). The last-seen stamp is
written at most once a minute, so an active session costs one session save per minute.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from . import services

SESSION_STAFF = "_acct_staff"
SESSION_LOGIN_AT = "_acct_login_at"
SESSION_SEEN = "_acct_seen"
SEEN_GRANULARITY = 60
EXPIRED_MESSAGE = "Phiên làm việc đã hết hạn do {reason}. Vui lòng đăng nhập lại."


def _redirect(request, url: str) -> HttpResponse:
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=403)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _with_next(url: str, request) -> str:
    return f"{url}?{urlencode({'next': request.get_full_path()})}"


def api_error(code: str, message: str, status: int, **details) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "details": details}}, status=status)


class StaffOTPMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def _exempt(self, path: str) -> bool:
        exempt = [
            settings.STATIC_URL,
            "/favicon.ico",
            reverse("backoffice:login"),
            reverse("backoffice:logout"),
            *getattr(settings, "STAFF_OTP_EXEMPT_PATHS", ()),
        ]
        return any(path.startswith(p) for p in exempt if p)

    def __call__(self, request):
        path = request.path_info
        if path == reverse("admin:login"):
            target = request.GET.get("next") or reverse("admin:index")
            return HttpResponseRedirect(f"{reverse('backoffice:login')}?{urlencode({'next': target})}")
        user = getattr(request, "user", None)
        if (
            getattr(settings, "STAFF_OTP_REQUIRED", True)
            and user is not None
            and user.is_authenticated
            and not self._exempt(path)
            and not (path.startswith("/api/") and "HTTP_AUTHORIZATION" in request.META)
            and not user.is_verified()
            and services.is_staff_user(user)
        ):
            if path.startswith("/api/"):
                return api_error(
                    "otp_required",
                    "Phiên đăng nhập chưa xác thực hai lớp: nhập mã OTP tại trang đăng nhập trước khi dùng API.",
                    403,
                    verify_url=reverse("backoffice:otp-verify"),
                )
            return _redirect(request, _with_next(reverse("backoffice:otp-verify"), request))
        return self.get_response(request)


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            expired = self._check(request, user)
            if expired:
                return expired
        return self.get_response(request)

    @staticmethod
    def limits(staff: bool) -> tuple[int, int]:
        if staff:
            return settings.STAFF_SESSION_IDLE_SECONDS, settings.STAFF_SESSION_MAX_SECONDS
        return settings.CITIZEN_SESSION_IDLE_SECONDS, settings.CITIZEN_SESSION_MAX_SECONDS

    def _check(self, request, user) -> HttpResponse | None:
        session = request.session
        now = int(time.time())
        staff = session.get(SESSION_STAFF)
        if staff is None:  # a session from before these rules: start its clocks now
            staff = services.is_staff_user(user)
            session[SESSION_STAFF] = staff
            session.setdefault(SESSION_LOGIN_AT, now)
        idle, absolute = self.limits(staff)
        seen, login_at = session.get(SESSION_SEEN) or now, session.get(SESSION_LOGIN_AT) or now
        reason = ""
        if now - seen > idle:
            reason = f"không thao tác quá {idle // 60} phút"
        elif now - login_at > absolute:
            reason = f"đã đăng nhập quá {round(absolute / 3600)} giờ"
        if not reason:
            if now - seen >= SEEN_GRANULARITY or SESSION_SEEN not in session:
                session[SESSION_SEEN] = now
            return None
        logout(request)
        message = EXPIRED_MESSAGE.format(reason=reason)
        if request.path_info.startswith("/api/"):
            return api_error("session_expired", message, 401)
        messages.warning(request, message)
        login = reverse("backoffice:login") if staff else reverse("portal:login")
        return _redirect(request, _with_next(login, request))


def stamp_session(request, user) -> None:
    """At login (``user_logged_in``): start the session's clocks and remember whether it is a staff one."""
    session = getattr(request, "session", None)
    if session is None:
        return
    now = int(time.time())
    session[SESSION_STAFF] = services.is_staff_user(user)
    session[SESSION_LOGIN_AT] = now
    session[SESSION_SEEN] = now
