"""Public tracking by dossier code (tra cứu hồ sơ): the one lookup and the one rate limit shared by
the public API (``/api/v1/public/dossiers/<code>``) and the page (``/tra-cuu/<code>/``).

It is the busiest read of the portal (every citizen with a receipt, every QR scan), so it is kept
cheap: one indexed SQL statement (plus one for the members of a linked bundle), no ORM query
compilation, and a fixed-window counter per client address in the shared cache (one round trip).

What anyone may see with a code: procedure, state (label and national status code), handling
agency, received / due / returned dates and the applicant's masked name. Nothing else.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from motcua.common.ratelimit import PERIODS, fixed_window
from motcua.identity.ids import mask_name

from .states import NATIONAL_STATUS, State

_LOOKUP = """
SELECT d.code, d.bundle_id, b.code, v.name, p.code, d.state, a.code, a.name,
       d.received_at, d.due_at, d.returned_at, d.applicant_name
FROM dossiers_dossier d
JOIN catalog_procedureversion v ON v.id = d.version_id
JOIN catalog_procedure p ON p.id = v.procedure_id
JOIN org_agency a ON a.id = d.agency_id
LEFT JOIN dossiers_bundle b ON b.id = d.bundle_id
WHERE d.code = %s
"""
_MEMBERS = """
SELECT d.code, v.name, p.code, d.state
FROM dossiers_dossier d
JOIN catalog_procedureversion v ON v.id = d.version_id
JOIN catalog_procedure p ON p.id = v.procedure_id
WHERE d.bundle_id = %s
ORDER BY d.bundle_order, d.id
"""


def _instant(value) -> dt.datetime | None:
    """A timestamp column as an aware datetime (SQLite returns text through a raw cursor)."""
    if value is None or isinstance(value, dt.datetime):
        return value if value is None or timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)
    parsed = parse_datetime(str(value))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, dt.UTC)
    return parsed


def _state(value: str) -> dict:
    return {"state": value, "state_label": State(value).label}


def public_status(code: str) -> dict | None:
    """What the public may see of dossier ``code``, or None when there is no such dossier.

    Dates are aware datetimes; ``bundle`` is ``{"code", "dossiers": [...]}`` or None."""
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP, [code])
        row = cursor.fetchone()
        if row is None:
            return None
        code, bundle_id, bundle_code, name, procedure, state, agency_code, agency_name = row[:8]
        received_at, due_at, returned_at, applicant = row[8:]
        bundle = None
        if bundle_id:
            cursor.execute(_MEMBERS, [bundle_id])
            members = [
                {"code": m[0], "procedure": {"code": m[2], "name": m[1]}, **_state(m[3])} for m in cursor.fetchall()
            ]
            bundle = {"code": bundle_code, "dossiers": members}
    return {
        "code": code,
        "procedure": {"code": procedure, "name": name},
        **_state(state),
        "national_status_code": NATIONAL_STATUS[state],
        "agency": {"code": agency_code, "name": agency_name},
        "received_at": _instant(received_at),
        "due_at": _instant(due_at),
        "returned_at": _instant(returned_at),
        "applicant": mask_name(applicant),
        "bundle": bundle,
    }


def as_json(status: dict) -> dict:
    """``public_status`` with its dates as ISO 8601 in local time (what the API returns)."""
    out = dict(status)
    for key in ("received_at", "due_at", "returned_at"):
        out[key] = timezone.localtime(out[key]).isoformat() if out[key] else None
    return out


# ------------------------------------------------------------------------------------------------
# Rate limit: a fixed window per client address, counted in the shared cache
# ------------------------------------------------------------------------------------------------
def rate() -> tuple[int, int]:
    """``PUBLIC_TRACKING_RATE`` ("120/min") as (requests, seconds)."""
    text = str(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get("public_tracking") or "120/min")
    count, _, period = text.partition("/")
    return int(count), PERIODS.get(period.strip().lower(), 60)


def client_address(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or with ``NUM_PROXIES`` = n trusted reverse proxies in
    front, the n-th address from the right of ``X-Forwarded-For`` (what the nearest proxy saw)."""
    proxies = int(getattr(settings, "NUM_PROXIES", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def allow(request, scope: str = "public_tracking") -> tuple[bool, int]:
    """Count this request; ``(allowed, seconds until the window ends)``: at most ``rate()`` requests per
    client address per period (``common.ratelimit.fixed_window``)."""
    limit, period = rate()
    return fixed_window(f"{scope}:{client_address(request)}", limit, period)
