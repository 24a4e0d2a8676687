"""The one rate-limit counter: a fixed window per key in the shared cache (one round trip in the
usual case). Used by public tracking (per client address) and the API (per machine client)."""

from __future__ import annotations

import time

from django.core.cache import cache

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def fixed_window(key: str, limit: int, period: int) -> tuple[bool, int]:
    """Count one request for ``key``: ``(allowed, seconds until the window ends)``."""
    now = time.time()
    window = int(now // period)
    cache_key = f"rl:{key}:{window}"
    try:
        count = cache.incr(cache_key)
    except ValueError:  # first request of the window
        if cache.add(cache_key, 1, timeout=period + 1):
            count = 1
        else:
            count = cache.incr(cache_key)
    return count <= limit, max(int((window + 1) * period - now) + 1, 1)
