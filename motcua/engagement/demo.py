"""Demo queue for the demo province An Hòa: service groups at every active desk, and a few days of
tickets at the busiest desks (the provincial center, the first district desk, the first commune
desk), today included up to the current minute — so the display board has called numbers and
people waiting.

Tickets are driven only through ``services`` (``issue_ticket``, ``call_next``, ``start_service``,
``transfer``, ``mark_no_show``, ``finish``) with explicit instants (``now=``): a minute-by-minute
simulation of arrivals (a morning peak) and counters (lunch break 11:30–13:30), so every
measurement is the services' own. Deterministic for a given ``seed`` and ``today``; idempotent:
groups are upserted, and tickets are only created when the desks have none yet.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from motcua.catalog.models import Field
from motcua.org.models import Desk, DeskKind, StaffMembership
from motcua.workcalendar.engine import VN_TZ
from motcua.workcalendar.services import get_calendar

from . import services
from .models import ServiceGroup, Ticket
from .states import Priority

# (letter, name, field codes of the demo catalog) by kind of desk.
GROUPS = {
    DeskKind.PROVINCIAL_CENTER: [
        ("A", "Hộ tịch, chứng thực, lý lịch tư pháp", ["HO_TICH", "CHUNG_THUC", "LY_LICH_TU_PHAP"]),
        ("B", "Đất đai, xây dựng, giao thông", ["DAT_DAI", "HOAT_DONG_XAY_DUNG", "DUONG_BO", "DANG_KY_XE"]),
        (
            "C",
            "Đầu tư, kinh doanh, thuế",
            [
                "THANH_LAP_DOANH_NGHIEP",
                "HO_KINH_DOANH",
                "QUAN_LY_THUE",
                "LUU_THONG_HANG_HOA",
                "KINH_DOANH_XANG_DAU",
                "AN_TOAN_THUC_PHAM",
                "DU_LICH",
            ],
        ),
        (
            "D",
            "Lao động, bảo hiểm, y tế, giáo dục",
            [
                "VIEC_LAM",
                "BAO_HIEM_XA_HOI",
                "BAO_HIEM_Y_TE",
                "BAO_TRO_XA_HOI",
                "VAN_BANG_CHUNG_CHI",
                "GIAO_DUC_TRUNG_HOC",
                "THI_TUYEN_SINH",
            ],
        ),
    ],
    DeskKind.DISTRICT_DESK: [
        ("A", "Hộ tịch, chứng thực", ["HO_TICH", "CHUNG_THUC"]),
        ("B", "Đất đai, xây dựng", ["DAT_DAI", "HOAT_DONG_XAY_DUNG"]),
        ("C", "Kinh doanh, lao động – xã hội", ["HO_KINH_DOANH", "LUU_THONG_HANG_HOA", "VIEC_LAM", "BAO_TRO_XA_HOI"]),
    ],
    DeskKind.COMMUNE_DESK: [
        ("A", "Hộ tịch, chứng thực", ["HO_TICH", "CHUNG_THUC"]),
        ("B", "Cư trú, đất đai, chính sách xã hội", ["CU_TRU", "CAN_CUOC", "DAT_DAI", "BAO_TRO_XA_HOI"]),
    ],
}
GROUPS[DeskKind.AGENCY_DESK] = GROUPS[DeskKind.DISTRICT_DESK]

# Tickets per day and counters open, for the desks that get tickets.
VOLUME = {DeskKind.PROVINCIAL_CENTER: (16, 3), DeskKind.DISTRICT_DESK: (8, 2), DeskKind.COMMUNE_DESK: (7, 1)}
PAST_DAYS = 3  # working days before today
PRIORITIES = [Priority.ELDERLY, Priority.ELDERLY, Priority.PREGNANT, Priority.DISABLED, Priority.APPOINTMENT]
MORNING = (dt.time(7, 30), dt.time(11, 30))
AFTERNOON = (dt.time(13, 30), dt.time(17, 0))


@dataclass
class DemoQueue:
    groups: int = 0
    tickets: int = 0
    already_loaded: bool = False


def load_demo_queue(today: dt.date | None = None, now: dt.datetime | None = None, seed: int = 2026) -> DemoQueue:
    """Create the service groups of every active desk, then (once) the demo tickets."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    out = DemoQueue()
    fields = {f.code: f for f in Field.objects.all()}
    desks = list(Desk.objects.filter(active=True).order_by("code"))
    with transaction.atomic():
        for desk in desks:
            out.groups += len(_groups(desk, fields))
    busy = _busy_desks(desks)
    if Ticket.objects.filter(desk__in=busy).exists():
        out.already_loaded = True
        return out
    rng = random.Random(seed)
    days = _past_working_days(today, PAST_DAYS) + [today]
    for desk in busy:
        for day in days:
            with transaction.atomic():
                out.tickets += _simulate_day(desk, day, now, rng)
    return out


def _groups(desk: Desk, fields: dict[str, Field]) -> list[ServiceGroup]:
    out = []
    for order, (letter, name, codes) in enumerate(GROUPS[desk.kind], start=1):
        group, _ = ServiceGroup.objects.update_or_create(
            desk=desk, letter=letter, defaults={"name": name, "order": order, "active": True}
        )
        group.fields.set([fields[c] for c in codes if c in fields])
        out.append(group)
    return out


def _busy_desks(desks: list[Desk]) -> list[Desk]:
    """The provincial center and the first district and commune desks (where demo staff work)."""
    out, seen = [], set()
    for desk in desks:
        if desk.kind in VOLUME and desk.kind not in seen:
            seen.add(desk.kind)
            out.append(desk)
    return out


def _past_working_days(today: dt.date, count: int) -> list[dt.date]:
    cal = get_calendar()
    days, day = [], today
    while len(days) < count:
        day -= dt.timedelta(days=1)
        if cal.is_working_day(day):
            days.append(day)
    return sorted(days)


def _at(day: dt.date, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=VN_TZ) + dt.timedelta(minutes=minute)


def _minute(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _arrivals(rng: random.Random, count: int) -> list[int]:
    """Minutes of the day people take a number: most in the morning, a peak at opening."""
    out = []
    for _ in range(count):
        r = rng.random()
        if r < 0.35:
            out.append(rng.randint(_minute(MORNING[0]), _minute(MORNING[0]) + 60))  # opening peak
        elif r < 0.7:
            out.append(rng.randint(_minute(MORNING[0]) + 60, _minute(MORNING[1]) - 30))
        else:
            out.append(rng.randint(_minute(AFTERNOON[0]), _minute(AFTERNOON[1]) - 45))
    return sorted(out)


def _open(minute: int) -> bool:
    return any(_minute(a) <= minute < _minute(b) - 10 for a, b in (MORNING, AFTERNOON))


def _simulate_day(desk: Desk, day: dt.date, now: dt.datetime, rng: random.Random) -> int:
    """Run one day of the desk's queue minute by minute, up to ``now`` when ``day`` is today."""
    per_day, open_counters = VOLUME[desk.kind]
    groups = list(ServiceGroup.objects.filter(desk=desk, active=True).order_by("order"))
    officers = [
        m.user
        for m in StaffMembership.objects.filter(desk=desk, active=True, role__in=services.SERVING_ROLES)
        .select_related("user")
        .order_by("id")
    ]
    counters = list(desk.counters.filter(active=True).order_by("number"))[: max(1, min(open_counters, len(officers)))]
    staff = {c.pk: (officers[i] if i < len(officers) else None) for i, c in enumerate(counters)}
    arrivals = _arrivals(rng, per_day)
    end = _minute(AFTERNOON[1])
    if day == timezone.localdate(now):
        # Today stops at the current minute (at 16:40 in the evening) with a few late arrivals, so
        # the display board has called numbers and people waiting; nothing before opening time.
        local = now.astimezone(VN_TZ)
        end = min(end - 20, local.hour * 60 + local.minute)
        if end < _minute(MORNING[0]) + 20:
            return 0
        arrivals = sorted([m for m in arrivals if m < end] + [rng.randint(end - 20, end - 1) for _ in range(4)])
    busy: dict[int, tuple[Ticket, int, int, str]] = {}  # counter → (ticket, called, ends, how)
    waiting = issued = 0
    for minute in range(_minute(MORNING[0]), end):
        at = _at(day, minute)
        while arrivals and arrivals[0] == minute:
            arrivals.pop(0)
            priority = rng.choice(PRIORITIES) if rng.random() < 0.12 else Priority.NONE
            services.issue_ticket(desk, rng.choice(groups), priority, now=at)
            waiting += 1
            issued += 1
        for counter in counters:
            officer = staff[counter.pk]
            if counter.pk in busy:
                ticket, called, until, how = busy[counter.pk]
                if minute == called + 1 and how != "no_show":
                    services.start_service(ticket, officer, now=at)
                if minute >= until:
                    if how == "no_show":
                        services.mark_no_show(ticket, officer, now=at)
                    elif how == "transfer":
                        other = rng.choice([g for g in groups if g.pk != ticket.group_id])
                        services.transfer(ticket, officer, to_group=other, now=at)
                        waiting += 1
                    else:
                        services.finish(ticket, officer, now=at)
                    del busy[counter.pk]
            if counter.pk not in busy and waiting and _open(minute):
                try:
                    ticket = services.call_next(counter, officer, now=at)
                except services.QueueError:
                    continue
                waiting -= 1
                r = rng.random()
                how = "no_show" if r < 0.05 else "transfer" if r < 0.1 and len(groups) > 1 else "finish"
                length = 3 if how == "no_show" else rng.randint(6, 22)
                busy[counter.pk] = (ticket, minute, minute + length, how)
    return issued
