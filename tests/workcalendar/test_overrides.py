"""Admin decisions in the database (DayOverride, OfficeHours) applied by ``build_calendar`` and
``get_calendar`` — including the cache being dropped on save/delete."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from motcua.org.models import AdministrativeLevel, AdministrativeUnit
from motcua.workcalendar import services
from motcua.workcalendar.engine import DEFAULT_SESSIONS, Sessions
from motcua.workcalendar.models import DayOverride, OfficeHours
from motcua.workcalendar.services import build_calendar, get_calendar

from .helpers import is_vietnamese, vn

pytestmark = pytest.mark.django_db

TUESDAY = dt.date(2027, 3, 2)  # an ordinary working day
SATURDAY = dt.date(2027, 1, 9)
SUMMER = Sessions(dt.time(7, 0), dt.time(11, 0), dt.time(13, 0), dt.time(17, 0))


@pytest.fixture
def provinces(settings):
    """Province "99" (the deployment's, as in settings) and a neighbour "98"."""
    settings.MOTCUA_PROVINCE_CODE = "99"
    level, _ = AdministrativeLevel.objects.get_or_create(code="province", defaults={"name": "Tỉnh", "rank": 1})
    home, _ = AdministrativeUnit.objects.get_or_create(code="99", defaults={"name": "Tỉnh An Hòa", "level": level})
    other, _ = AdministrativeUnit.objects.get_or_create(code="98", defaults={"name": "Tỉnh Bình An", "level": level})
    return home, other


def off(day, province=None, reason="Nghỉ theo quyết định"):
    return DayOverride.objects.create(date=day, kind=DayOverride.Kind.DAY_OFF, reason=reason, province=province)


def working(day, province=None, reason="Làm bù"):
    return DayOverride.objects.create(date=day, kind=DayOverride.Kind.WORKING_DAY, reason=reason, province=province)


class TestDayOverride:
    def test_no_rows_is_the_statutory_calendar(self, provinces):
        cal = get_calendar()
        assert cal.is_working_day(TUESDAY)
        assert not cal.is_working_day(SATURDAY)
        assert cal.add_working_days(vn(2027, 2, 3, 9), 1) == vn(2027, 2, 11, 9)

    def test_day_off_on_a_weekday(self, provinces):
        assert get_calendar().add_working_days(vn(2027, 3, 1, 9), 1) == vn(2027, 3, 2, 9)  # cache filled
        row = off(TUESDAY)
        cal = get_calendar()  # reflected at once: the post_save signal dropped the cache
        assert not cal.is_working_day(TUESDAY)
        assert cal.add_working_days(vn(2027, 3, 1, 9), 1) == vn(2027, 3, 3, 9)
        row.delete()
        cal = get_calendar()
        assert cal.is_working_day(TUESDAY)
        assert cal.add_working_days(vn(2027, 3, 1, 9), 1) == vn(2027, 3, 2, 9)

    def test_makeup_saturday(self, provinces):
        # A (made-up) decision: work Saturday 09/01/2027 in exchange for Friday 05/02/2027,
        # which the statutory calendar already has off (Tết).
        assert not get_calendar().is_working_day(SATURDAY)
        sat = working(SATURDAY, reason="Làm bù cho ngày 05/02/2027")
        fri = off(dt.date(2027, 2, 5), reason="Nghỉ Tết, làm bù ngày 09/01/2027")
        cal = get_calendar()
        assert cal.is_working_day(SATURDAY)
        assert not cal.is_working_day(dt.date(2027, 2, 5))
        assert cal.add_working_days(vn(2027, 1, 8, 9), 1) == vn(2027, 1, 9, 9)
        assert cal.add_working_days(vn(2027, 1, 8, 9), 2) == vn(2027, 1, 11, 9)
        assert cal.add_working_days(vn(2027, 2, 3, 9), 1) == vn(2027, 2, 11, 9)
        sat.delete()
        cal = get_calendar()
        assert not cal.is_working_day(SATURDAY)
        assert cal.add_working_days(vn(2027, 1, 8, 9), 1) == vn(2027, 1, 11, 9)
        fri.delete()
        assert not get_calendar().is_working_day(dt.date(2027, 2, 5))

    def test_edit_kind_is_reflected(self, provinces):
        row = off(TUESDAY)
        assert not get_calendar().is_working_day(TUESDAY)
        row.kind = DayOverride.Kind.WORKING_DAY
        row.save()
        assert get_calendar().is_working_day(TUESDAY)

    def test_working_override_on_a_holiday(self, provinces):
        working(dt.date(2027, 4, 16))  # Hùng Kings' day made a working day
        assert get_calendar().is_working_day(dt.date(2027, 4, 16))

    def test_province_override_applies_only_to_that_province(self, provinces):
        home, other = provinces
        off(TUESDAY, province=home)
        assert not get_calendar().is_working_day(TUESDAY)  # deployment's province is "99"
        assert not get_calendar("99").is_working_day(TUESDAY)
        assert get_calendar("98").is_working_day(TUESDAY)
        assert build_calendar(None).is_working_day(TUESDAY)  # nationwide view
        assert get_calendar("98").add_working_days(vn(2027, 3, 1, 9), 1) == vn(2027, 3, 2, 9)
        assert get_calendar("99").add_working_days(vn(2027, 3, 1, 9), 1) == vn(2027, 3, 3, 9)

    def test_nationwide_override_applies_to_every_province(self, provinces):
        off(TUESDAY)
        for code in ("99", "98", "01"):
            assert not get_calendar(code).is_working_day(TUESDAY), code

    def test_province_override_wins_over_nationwide_on_the_same_date(self, provinces):
        home, _ = provinces
        off(TUESDAY)  # nationwide day off …
        working(TUESDAY, province=home)  # … but province 99 works that day
        working(SATURDAY)  # nationwide make-up Saturday …
        off(SATURDAY, province=home)  # … that province 99 does not apply
        assert get_calendar("99").is_working_day(TUESDAY)
        assert not get_calendar("99").is_working_day(SATURDAY)
        assert not get_calendar("98").is_working_day(TUESDAY)
        assert get_calendar("98").is_working_day(SATURDAY)

    def test_same_date_twice_for_a_province_is_rejected(self, provinces):
        from django.db import IntegrityError, transaction

        home, _ = provinces
        off(TUESDAY, province=home)
        with pytest.raises(IntegrityError), transaction.atomic():
            working(TUESDAY, province=home)

    def test_str_is_vietnamese(self, provinces):
        assert str(off(TUESDAY, reason="Bão")) == "02/03/2027 – Ngày nghỉ: Bão"


class TestOfficeHours:
    def test_sessions_change_from_valid_from(self, provinces):
        cal = get_calendar()
        assert cal.add_working_days(vn(2027, 6, 1, 11, 15), "0.5") == vn(2027, 6, 2, 7, 15)
        row = OfficeHours.objects.create(
            valid_from=dt.date(2027, 6, 1),
            morning_start=dt.time(7),
            morning_end=dt.time(11),
            afternoon_start=dt.time(13),
            afternoon_end=dt.time(17),
        )
        cal = get_calendar()
        assert cal.sessions_on(dt.date(2027, 5, 31)) == DEFAULT_SESSIONS
        assert cal.sessions_on(dt.date(2027, 6, 1)) == SUMMER
        assert cal.sessions_on(dt.date(2030, 1, 1)) == SUMMER
        # Monday 31/05 (old hours): 11:15 + ½ day → Tuesday 07:15.
        assert cal.add_working_days(vn(2027, 5, 31, 11, 15), "0.5") == vn(2027, 6, 1, 7, 15)
        # Tuesday 01/06 (new hours): 11:15 is lunch, so 13:00 + 4 h → 17:00.
        assert cal.add_working_days(vn(2027, 6, 1, 11, 15), "0.5") == vn(2027, 6, 1, 17)
        assert cal.add_working_days(vn(2027, 6, 1, 7), 1) == vn(2027, 6, 1, 17)

        row.afternoon_end = dt.time(17, 30)
        row.afternoon_start = dt.time(13, 30)
        row.save()
        assert get_calendar().sessions_on(dt.date(2027, 6, 1)).afternoon_end == dt.time(17, 30)
        row.delete()
        assert get_calendar().sessions_on(dt.date(2027, 6, 1)) == DEFAULT_SESSIONS

    def test_several_periods(self, provinces):
        OfficeHours.objects.create(valid_from=dt.date(2027, 5, 1), morning_end=dt.time(11), afternoon_start=dt.time(13))
        OfficeHours.objects.create(valid_from=dt.date(2027, 10, 1))  # back to the defaults
        cal = get_calendar()
        assert cal.sessions_on(dt.date(2027, 4, 30)) == DEFAULT_SESSIONS
        assert cal.sessions_on(dt.date(2027, 7, 1)) == SUMMER
        assert cal.sessions_on(dt.date(2027, 10, 1)) == DEFAULT_SESSIONS

    def test_province_hours_only_for_that_province(self, provinces):
        home, _ = provinces
        OfficeHours.objects.create(
            province=home, valid_from=dt.date(2027, 6, 1), morning_end=dt.time(11), afternoon_start=dt.time(13)
        )
        assert get_calendar("99").sessions_on(dt.date(2027, 6, 1)) == SUMMER
        assert get_calendar("98").sessions_on(dt.date(2027, 6, 1)) == DEFAULT_SESSIONS

    def test_province_hours_win_over_nationwide_of_the_same_date(self, provinces):
        home, _ = provinces
        OfficeHours.objects.create(valid_from=dt.date(2027, 6, 1), afternoon_end=dt.time(17))
        OfficeHours.objects.create(
            province=home, valid_from=dt.date(2027, 6, 1), morning_end=dt.time(11), afternoon_start=dt.time(13)
        )
        assert get_calendar("99").sessions_on(dt.date(2027, 6, 1)) == SUMMER
        assert get_calendar("98").sessions_on(dt.date(2027, 6, 1)) == DEFAULT_SESSIONS

    def test_clean_rejects_bad_hours_in_vietnamese(self, provinces):
        row = OfficeHours(valid_from=dt.date(2027, 6, 1), morning_start=dt.time(11), morning_end=dt.time(7))
        with pytest.raises(ValidationError) as err:
            row.clean()
        assert is_vietnamese(" ".join(err.value.messages))


class TestCache:
    def test_cached_between_calls(self, provinces):
        assert get_calendar() is get_calendar()
        assert get_calendar("98") is not get_calendar("99")

    def test_change_without_signal_seen_after_recheck(self, provinces, monkeypatch):
        # Another process's change: no signal here; the stamp check picks it up after RECHECK_SECONDS.
        get_calendar()
        DayOverride.objects.bulk_create(
            [DayOverride(date=TUESDAY, kind=DayOverride.Kind.DAY_OFF, reason="Nghỉ (tiến trình khác)")]
        )
        assert get_calendar().is_working_day(TUESDAY)  # still the cached one
        monkeypatch.setattr(services, "RECHECK_SECONDS", 0)
        assert not get_calendar().is_working_day(TUESDAY)
