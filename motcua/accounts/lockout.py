"""django-axes glue: the client address by our proxy rule, the lockout response (Vietnamese page or JSON),
and the per-address fixed-window rate limit of the login pages."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from motcua.common.ratelimit import PERIODS, fixed_window
from motcua.dossiers.tracking import client_address


def client_ip(request) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: ``REMOTE_ADDR``, or what the n-th trusted proxy saw (``NUM_PROXIES``); None
    when that is not an IP address (axes stores it in an inet column)."""
    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def lockout_minutes() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    return max(int(cool_off.total_seconds() // 60), 1) if cool_off else 0


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: 429 with a Vietnamese page, or ``{"error": {...}}`` for API calls."""
    minutes = lockout_minutes()
    message = settings.AXES_COOLOFF_MESSAGE
    if _wants_json(request):
        response = JsonResponse(
            {"error": {"code": "locked_out", "message": str(message), "details": {"retry_after_minutes": minutes}}},
            status=429,
        )
    else:
        login_url = "/cong-dan/dang-nhap/" if request.path.startswith("/cong-dan/") else settings.LOGIN_URL
        response = render(
            request,
            "accounts/lockout.html",
            {"minutes": minutes, "limit": settings.AXES_FAILURE_LIMIT, "login_url": login_url},
            status=429,
        )
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response


def _rate(name: str, default: str) -> tuple[int, int]:
    count, _, period = str(getattr(settings, name, default) or default).partition("/")
    return int(count), PERIODS.get(period.strip().lower(), 60)


def login_rate_limited(request, scope: str) -> HttpResponse | None:
    """Count one login POST from this client address for ``scope`` ("staff", "citizen", "otp"); a 429 page when
    over ``LOGIN_RATE`` (fixed window), else None. Complements axes, which locks username + address pairs:
    this stops one address from trying many usernames."""
    limit, period = _rate("LOGIN_RATE", "20/min")
    allowed, retry = fixed_window(f"login:{scope}:{client_address(request)}", limit, period)
    if allowed:
        return None
    response = render(request, "accounts/rate_limited.html", {"seconds": retry}, status=429)
    response["Retry-After"] = str(retry)
    return response
