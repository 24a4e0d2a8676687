"""Fixtures for the officers' work screens: the demo province, logged-in clients per demo officer,
and helpers that walk dossiers with the domain services (``receive`` / ``act`` of the API tests)."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from motcua.workcalendar.engine import VN_TZ
from tests.api.conftest import act, receive  # noqa: F401 (re-exported for the tests)

MARRIAGE = "1.000894"  # commune procedure with one required component and a consultation step
FUNERAL = "1.010058"  # commune procedure of another field (Bảo trợ xã hội), no fee


def days_ago(days: int, hour: int = 8) -> dt.datetime:
    """A working-hours instant ``days`` calendar days back (Vietnam time)."""
    day = timezone.now().astimezone(VN_TZ).date() - dt.timedelta(days=days)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=VN_TZ)


@pytest.fixture
def login(users):
    """``login("chuyenvien.xa")`` → a Django test client with that demo officer's session."""

    def make(username: str) -> Client:
        c = Client()
        c.force_login(users[username])
        return c

    return make


@pytest.fixture
def stranger(users):
    """A desk officer of another commune (MC-99002): sees nothing of MC-99001's dossiers."""
    from django.contrib.auth import get_user_model

    from motcua.org.models import Desk, StaffMembership
    from motcua.org.roles import Role

    desk = Desk.objects.get(code="MC-99002")
    user = get_user_model().objects.create(username="motcua.khac", first_name="Khác")
    StaffMembership.objects.create(user=user, agency=desk.agency, role=Role.DESK_OFFICER, desk=desk)
    users["motcua.khac"] = user
    return user


def at_specialist(users, now=None, **kw):
    """A birth dossier received at MC-99001 and transferred to the specialist step."""
    d = receive(users, now=now, **kw)
    later = now + dt.timedelta(minutes=30) if now else None
    return act(users, d, "transfer", "motcua.xa", now=later)


def at_leader(users, now=None, **kw):
    d = at_specialist(users, now=now, **kw)
    later = now + dt.timedelta(hours=1) if now else None
    return act(users, d, "forward", "chuyenvien.xa", now=later)


def with_result(users, now=None, **kw):
    d = at_leader(users, now=now, **kw)
    later = now + dt.timedelta(hours=2) if now else None
    return act(users, d, "issue_result", "lanhdao.xa", now=later)


def row_of(html: str, code: str) -> tuple[str, str] | None:
    """(row classes, row HTML) of ``code``'s inbox row, or None."""
    m = re.search(rf'<tr class="([^"]*)" data-code="{re.escape(code)}">(.*?)</tr>', html, re.S)
    return (m.group(1), m.group(2)) if m else None


def codes_in(html: str) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', html)
