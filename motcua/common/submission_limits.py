"""Rate limits on submitting dossiers (a citizen's online submission, dossier creation through the API):
a fixed window per person / user / machine client (``common.ratelimit.fixed_window``), rates from settings
("10/hour", "300/min")."""

from __future__ import annotations

from django.conf import settings

from .ratelimit import PERIODS, fixed_window


def parse_rate(text: str, default: str = "10/hour") -> tuple[int, int]:
    """``"10/hour"`` → ``(10, 3600)``; a malformed rate falls back to ``default``."""
    count, _, period = str(text or default).partition("/")
    try:
        return max(int(count), 0), PERIODS[period.strip().lower()]
    except (ValueError, KeyError):
        return parse_rate(default) if text != default else (10, 3600)


def allow(scope: str, who: str, setting: str) -> tuple[bool, int]:
    """Count one submission of ``who`` in ``scope``: ``(allowed, seconds until the window ends)``."""
    limit, period = parse_rate(getattr(settings, setting, ""))
    return fixed_window(f"{scope}:{who}", limit, period)


def wait_text(seconds: int) -> str:
    """Seconds as "5 phút" / "40 giây" for a message."""
    return f"{-(-seconds // 60)} phút" if seconds >= 60 else f"{seconds} giây"
