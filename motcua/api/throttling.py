"""Rate limit per machine client: a fixed window per ``client_id`` counted in the shared cache (one
round trip in the usual case), at the client's ``ApiClient.rate`` or ``API_CLIENT_DEFAULT_RATE``.

The counter is ``common.ratelimit.fixed_window``, shared with the public tracking limit. Staff users
and anonymous callers are not counted here."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from motcua.common.ratelimit import PERIODS, fixed_window

from .permissions import api_client, client_application

FALLBACK_RATE = "600/min"


def _parsed(text: str | None) -> tuple[int, int] | None:
    count, _, period = str(text or "").partition("/")
    try:
        return max(int(count.strip()), 0), PERIODS[period.strip().lower()]
    except (ValueError, KeyError):
        return None


def parse_rate(text: str | None) -> tuple[int, int]:
    """``"600/min"`` → (600, 60); an empty or malformed rate is the default one."""
    return (
        _parsed(text) or _parsed(getattr(settings, "API_CLIENT_DEFAULT_RATE", None)) or _parsed(FALLBACK_RATE)  # type: ignore[return-value]
    )


def allow(key: str, rate: str | None) -> tuple[bool, int]:
    """Count one request for ``key``: ``(allowed, seconds until the window ends)``."""
    limit, period = parse_rate(rate)
    return fixed_window(f"api_client:{key}", limit, period)


class ClientRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        application = client_application(request)
        if application is None:
            return True
        client = api_client(request)
        allowed, self._wait = allow(application.client_id, client.rate if client is not None else None)
        return allowed

    def wait(self):
        return getattr(self, "_wait", None)
