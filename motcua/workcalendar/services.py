"""Builds the province's ``WorkCalendar`` from statutory holidays + admin decisions, cached.

The cache is per process; it is dropped at once on a change in this process (signals) and
re-validated against the tables at most every ``RECHECK_SECONDS`` in others.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from functools import lru_cache

import holidays
from django.conf import settings
from django.db.models import Count, F, Max, Q

from .engine import Sessions, WorkCalendar
from .models import DayOverride, OfficeHours

FIRST_YEAR, LAST_YEAR = 2015, 2045
RECHECK_SECONDS = 30


@lru_cache(maxsize=4)
def statutory_working_days(first_year: int, last_year: int) -> frozenset[dt.date]:
    """Mon–Fri minus Vietnamese public holidays (lunar ones included) plus make-up Saturdays."""
    vn = holidays.VN(years=range(first_year, last_year + 1))
    days = set()
    day, end = dt.date(first_year, 1, 1), dt.date(last_year, 12, 31)
    while day <= end:
        if day.weekday() < 5 and day not in vn:
            days.add(day)
        day += dt.timedelta(days=1)
    days.update(d for d in vn.weekend_workdays if first_year <= d.year <= last_year)
    return frozenset(days)


def _province_filter(province_code: str | None) -> Q:
    q = Q(province__isnull=True)
    if province_code:
        q |= Q(province__code=province_code)
    return q


def build_calendar(province_code: str | None = None) -> WorkCalendar:
    days = set(statutory_working_days(FIRST_YEAR, LAST_YEAR))
    # National decisions first, then the province's own (which win on the same date).
    # (NULLS FIRST explicitly: PostgreSQL sorts NULL last by default, SQLite first.)
    national_first = F("province_id").asc(nulls_first=True)
    overrides = DayOverride.objects.filter(_province_filter(province_code)).order_by(national_first, "date")
    for o in overrides.values("date", "kind", "province_id"):
        if o["kind"] == DayOverride.Kind.DAY_OFF:
            days.discard(o["date"])
        else:
            days.add(o["date"])
    hours: dict[dt.date, Sessions] = {}
    for h in OfficeHours.objects.filter(_province_filter(province_code)).order_by(national_first, "valid_from"):
        hours[h.valid_from] = Sessions(h.morning_start, h.morning_end, h.afternoon_start, h.afternoon_end)
    return WorkCalendar(days, FIRST_YEAR, LAST_YEAR, sorted(hours.items()))


_lock = threading.Lock()
_cache: dict[str | None, tuple[WorkCalendar, tuple, float]] = {}


def _stamp() -> tuple:
    a = DayOverride.objects.aggregate(n=Count("id"), m=Max("updated_at"))
    b = OfficeHours.objects.aggregate(n=Count("id"), m=Max("updated_at"))
    return (a["n"], a["m"], b["n"], b["m"])


def get_calendar(province_code: str | None = None) -> WorkCalendar:
    """The cached calendar of ``province_code`` (the deployment's province by default)."""
    code = province_code or settings.MOTCUA_PROVINCE_CODE
    now = time.monotonic()
    entry = _cache.get(code)
    if entry and now - entry[2] < RECHECK_SECONDS:
        return entry[0]
    with _lock:
        stamp = _stamp()
        entry = _cache.get(code)
        if entry and entry[1] == stamp:
            _cache[code] = (entry[0], stamp, now)
            return entry[0]
        calendar = build_calendar(code)
        _cache[code] = (calendar, stamp, now)
        return calendar


def invalidate(**_kwargs) -> None:
    _cache.clear()
