"""Queue fixtures: the demo commune desk MC-99001 (officer motcua.xa) with two service groups."""

import datetime as dt

import pytest

from motcua.catalog.models import Field
from motcua.engagement.models import ServiceGroup
from motcua.org.models import Desk
from motcua.workcalendar.engine import VN_TZ

DESK = "MC-99001"


def vn(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN_TZ)


# A Tuesday in an ordinary working week.
T0 = vn(2026, 3, 3, 8, 0)


def at(minutes: float) -> dt.datetime:
    """``T0`` + ``minutes``."""
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def desk(users):
    return Desk.objects.get(code=DESK)


@pytest.fixture
def groups(desk):
    a = ServiceGroup.objects.create(desk=desk, letter="A", name="Hộ tịch, chứng thực", order=1)
    a.fields.set(Field.objects.filter(code__in=["HO_TICH", "CHUNG_THUC"]))
    b = ServiceGroup.objects.create(desk=desk, letter="B", name="Cư trú, chính sách xã hội", order=2)
    b.fields.set(Field.objects.filter(code__in=["CU_TRU", "BAO_TRO_XA_HOI"]))
    return {"A": a, "B": b}


@pytest.fixture
def counters(desk):
    return list(desk.counters.order_by("number"))


@pytest.fixture
def officer(users):
    return users["motcua.xa"]
