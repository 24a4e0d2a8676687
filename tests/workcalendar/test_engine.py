"""Pure working-calendar arithmetic (no database): hand-checked cases and property tests.

The calendar is the statutory one from the ``holidays`` package (VN), 2015–2045, built once.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from motcua.workcalendar.engine import (
    DEFAULT_SESSIONS,
    HALF_DAY_UNITS,
    UNITS_PER_DAY,
    VN_TZ,
    OutOfCalendarRange,
    Sessions,
    WorkCalendar,
    days_to_units,
    format_due,
    session_label,
)
from motcua.workcalendar.services import statutory_working_days

from .helpers import in_default_office_hours, is_vietnamese, vn

WORKING_DAYS = statutory_working_days(2015, 2045)
CAL = WorkCalendar(WORKING_DAYS, 2015, 2045)

SUMMER = Sessions(dt.time(7, 0), dt.time(11, 0), dt.time(13, 0), dt.time(17, 0))  # 4 h + 4 h
SHORT = Sessions(dt.time(7, 30), dt.time(11, 30), dt.time(13, 0), dt.time(16, 30))  # 4 h + 3.5 h
LONG = Sessions(dt.time(7, 0), dt.time(11, 30), dt.time(13, 0), dt.time(17, 0))  # 4.5 h + 4 h

PROPS = settings(max_examples=200, deadline=None)

instants = st.datetimes(
    min_value=dt.datetime(2016, 1, 1),
    max_value=dt.datetime(2043, 12, 31, 23, 59, 59),
    timezones=st.just(VN_TZ),
)
half_days = st.integers(min_value=1, max_value=120).map(lambda k: Decimal(k) / 2)  # 0.5 … 60


def office_instants():
    """Instants inside the default office hours of a working day (endpoints included)."""
    day = st.dates(min_value=dt.date(2016, 1, 1), max_value=dt.date(2043, 12, 31)).filter(CAL.is_working_day)
    second = st.one_of(
        st.integers(7 * 3600, 11 * 3600 + 1800),
        st.integers(13 * 3600 + 1800, 17 * 3600),
    )
    return st.builds(
        lambda d, s: dt.datetime(d.year, d.month, d.day, s // 3600, s % 3600 // 60, s % 60, tzinfo=VN_TZ),
        day,
        second,
    )


# ------------------------------------------------------------------------------------------------
# The statutory calendar itself
# ------------------------------------------------------------------------------------------------


class TestStatutoryDays:
    def test_weekends_are_off_and_ordinary_weekdays_work(self):
        assert CAL.is_working_day(dt.date(2023, 10, 27))  # Friday
        assert not CAL.is_working_day(dt.date(2023, 10, 28))  # Saturday
        assert not CAL.is_working_day(dt.date(2023, 10, 29))  # Sunday

    def test_tet_2027_is_off(self):
        for d in range(4, 11):
            assert not CAL.is_working_day(dt.date(2027, 2, d)), d
        assert CAL.is_working_day(dt.date(2027, 2, 3))
        assert CAL.is_working_day(dt.date(2027, 2, 11))

    def test_fixed_holidays(self):
        assert not CAL.is_working_day(dt.date(2027, 1, 1))  # New Year (Friday)
        assert not CAL.is_working_day(dt.date(2027, 4, 16))  # Hùng Kings (Friday)
        assert not CAL.is_working_day(dt.date(2027, 4, 30))  # Reunification Day (Friday)
        assert not CAL.is_working_day(dt.date(2027, 5, 3))  # Labour Day on Saturday → Monday off
        assert not CAL.is_working_day(dt.date(2027, 9, 2))
        assert not CAL.is_working_day(dt.date(2027, 9, 3))

    def test_makeup_saturday_2026(self):
        assert CAL.is_working_day(dt.date(2026, 8, 22))  # Saturday made a working day
        assert not CAL.is_working_day(dt.date(2026, 8, 31))  # … in exchange for Monday 31/08

    def test_only_years_in_range(self):
        assert all(2015 <= d.year <= 2045 for d in WORKING_DAYS)
        # About 245–250 working days a year.
        per_year = {y: sum(1 for d in WORKING_DAYS if d.year == y) for y in range(2015, 2046)}
        assert all(240 <= n <= 255 for n in per_year.values()), per_year


# ------------------------------------------------------------------------------------------------
# Hand-checked deadlines
# ------------------------------------------------------------------------------------------------


class TestHandChecked:
    def test_tet_2027_plus_one_day(self):
        assert CAL.add_working_days(vn(2027, 2, 3, 9), 1) == vn(2027, 2, 11, 9)

    def test_tet_2027_plus_three_days(self):
        assert CAL.add_working_days(vn(2027, 2, 3, 9), 3) == vn(2027, 2, 15, 9)

    def test_received_during_tet_counts_from_first_working_morning(self):
        assert CAL.next_working_instant(vn(2027, 2, 6, 10)) == vn(2027, 2, 11, 7)
        assert CAL.add_working_days(vn(2027, 2, 6, 10), 1) == vn(2027, 2, 11, 17)
        assert CAL.due_date(vn(2027, 2, 6, 10), 0) == vn(2027, 2, 11, 17)

    def test_makeup_saturday(self):
        assert CAL.add_working_days(vn(2026, 8, 21, 9), 1) == vn(2026, 8, 22, 9)
        # Friday 28/08 → Mon 31/08 (swapped off), Tue 01/09 and Wed 02/09 (National Day) → Thu 03/09.
        assert CAL.add_working_days(vn(2026, 8, 28, 9), 1) == vn(2026, 9, 3, 9)

    def test_received_friday_evening(self):
        # Friday 27/10/2023 17:30 counts from Monday 30/10 07:00; one day ends Monday 17:00.
        assert CAL.add_working_days(vn(2023, 10, 27, 17, 30), 1) == vn(2023, 10, 30, 17)
        assert CAL.next_working_instant(vn(2023, 10, 27, 17, 30)) == vn(2023, 10, 30, 7)

    def test_received_at_weekend(self):
        assert CAL.add_working_days(vn(2023, 10, 28, 10), "0.5") == vn(2023, 10, 30, 11)

    def test_received_before_opening(self):
        assert CAL.add_working_days(vn(2023, 10, 24, 6, 15), 1) == vn(2023, 10, 24, 17)

    def test_half_day_spans_lunch(self):
        # 10:00 → 11:30 is 1.5 h; the remaining 2.5 h from 13:30 end at 16:00.
        assert CAL.add_working_days(vn(2023, 10, 24, 10), Decimal("0.5")) == vn(2023, 10, 24, 16)

    def test_half_day_from_opening_and_lunch(self):
        assert CAL.add_working_days(vn(2023, 10, 24, 7), 0.5) == vn(2023, 10, 24, 11)
        # Received during lunch: counts from 13:30 (3.5 h left today) → 07:30 next day.
        assert CAL.add_working_days(vn(2023, 10, 24, 12, 15), 0.5) == vn(2023, 10, 25, 7, 30)

    def test_full_day_boundary_shown_as_previous_evening(self):
        # 07:00 + 1 day is the end of the same day, not 07:00 the next morning.
        assert CAL.add_working_days(vn(2023, 10, 24, 7), 1) == vn(2023, 10, 24, 17)
        # A session end is shown as 11:30 rather than 13:30.
        assert CAL.from_offset(CAL.to_offset(vn(2023, 10, 24, 13, 30))) == vn(2023, 10, 24, 11, 30)

    def test_other_timezones_are_converted(self):
        utc = dt.datetime(2027, 2, 3, 2, 0, tzinfo=dt.UTC)  # 09:00 in Vietnam
        assert CAL.add_working_days(utc, 1) == vn(2027, 2, 11, 9)
        # 20:00 UTC on 31/12/2014 is already 03:00 on 01/01/2015 in Vietnam: inside the range.
        assert CAL.to_offset(dt.datetime(2014, 12, 31, 20, 0, tzinfo=dt.UTC)) == 0

    def test_naive_is_vietnam_time(self):
        assert CAL.add_working_days(dt.datetime(2027, 2, 3, 9), 1) == vn(2027, 2, 11, 9)

    def test_result_is_aware_vietnam_time(self):
        due = CAL.add_working_days(vn(2027, 2, 3, 9), 1)
        assert due.utcoffset() == dt.timedelta(hours=7)

    def test_long_limit(self):
        # 2023-10-24 10:00 + 60 working days lands on a working day inside office hours, 10:00.
        due = CAL.add_working_days(vn(2023, 10, 24, 10), 60)
        assert due.time() == dt.time(10, 0)
        assert CAL.is_working_day(due.date())
        assert CAL.working_days_between(vn(2023, 10, 24, 10), due) == 60


class TestDueDate:
    def test_zero_days_is_end_of_the_working_day(self):
        assert CAL.due_date(vn(2023, 10, 24, 10), 0) == vn(2023, 10, 24, 17)
        assert CAL.due_date(vn(2023, 10, 24, 7), 0) == vn(2023, 10, 24, 17)

    def test_zero_days_after_hours_or_day_off(self):
        assert CAL.due_date(vn(2023, 10, 24, 18), 0) == vn(2023, 10, 25, 17)
        assert CAL.due_date(vn(2023, 10, 28, 10), 0) == vn(2023, 10, 30, 17)  # Saturday → Monday

    def test_positive_days_equal_add_working_days(self):
        t = vn(2023, 10, 24, 10)
        for n in ("0.5", 1, "2.5", 15):
            assert CAL.due_date(t, n) == CAL.add_working_days(t, n)

    def test_cutoff_after(self):
        # Wednesday 25/10/2023 15:30, after the 15:00 cutoff: counts from Thursday 07:00;
        # three days (Thu, Fri, Mon) end Monday 30/10 17:00.
        assert CAL.due_date(vn(2023, 10, 25, 15, 30), 3, cutoff=dt.time(15)) == vn(2023, 10, 30, 17)
        assert CAL.due_date(vn(2023, 10, 25, 15, 30), 3) == vn(2023, 10, 30, 15, 30)

    def test_cutoff_before_or_at(self):
        assert CAL.due_date(vn(2023, 10, 25, 14), 3, cutoff=dt.time(15)) == vn(2023, 10, 30, 14)
        assert CAL.due_date(vn(2023, 10, 25, 15), 3, cutoff=dt.time(15)) == vn(2023, 10, 30, 15)

    def test_cutoff_zero_days(self):
        assert CAL.due_date(vn(2023, 10, 25, 15, 30), 0, cutoff=dt.time(15)) == vn(2023, 10, 26, 17)
        assert CAL.due_date(vn(2023, 10, 25, 14, 30), 0, cutoff=dt.time(15)) == vn(2023, 10, 25, 17)

    def test_cutoff_irrelevant_after_hours_and_days_off(self):
        # Already counted from the next working morning: the cutoff must not skip another day.
        assert CAL.due_date(vn(2023, 10, 25, 18), 1, cutoff=dt.time(15)) == vn(2023, 10, 26, 17)
        assert CAL.due_date(vn(2023, 10, 28, 16), 1, cutoff=dt.time(15)) == vn(2023, 10, 30, 17)

    def test_cutoff_with_other_timezone(self):
        utc = dt.datetime(2023, 10, 25, 8, 30, tzinfo=dt.UTC)  # 15:30 in Vietnam
        assert CAL.due_date(utc, 3, cutoff=dt.time(15)) == vn(2023, 10, 30, 17)


class TestSessions:
    def test_summer_hours_still_give_eight_hour_days(self):
        cal = WorkCalendar(WORKING_DAYS, 2015, 2045, [(dt.date(2015, 1, 1), SUMMER)])
        assert cal.add_working_days(vn(2023, 10, 24, 7), 1) == vn(2023, 10, 24, 17)
        assert cal.add_working_days(vn(2023, 10, 24, 9), "0.5") == vn(2023, 10, 24, 15)
        assert cal.add_working_days(vn(2023, 10, 24, 9), 1) == vn(2023, 10, 25, 9)
        assert cal.add_working_days(vn(2023, 10, 24, 7), "0.5") == vn(2023, 10, 24, 11)
        assert cal.working_days_between(vn(2023, 10, 24, 7), vn(2023, 10, 24, 17)) == 1
        # 11:30 is lunch in summer hours: counts from 13:00.
        assert cal.next_working_instant(vn(2023, 10, 24, 11, 30)) == vn(2023, 10, 24, 13)

    def test_short_day_is_still_one_working_day(self):
        cal = WorkCalendar(WORKING_DAYS, 2015, 2045, [(dt.date(2015, 1, 1), SHORT)])  # 7.5 h
        assert cal.add_working_days(vn(2023, 10, 24, 7, 30), 1) == vn(2023, 10, 24, 16, 30)
        assert cal.add_working_days(vn(2023, 10, 24, 7, 30), "0.5") == vn(2023, 10, 24, 11, 15)
        assert cal.working_days_between(vn(2023, 10, 24, 7, 30), vn(2023, 10, 24, 16, 30)) == 1

    def test_sessions_change_from_their_date(self):
        cal = WorkCalendar(WORKING_DAYS, 2015, 2045, [(dt.date(2027, 6, 1), SUMMER)])
        assert cal.sessions_on(dt.date(2027, 5, 31)) == DEFAULT_SESSIONS
        assert cal.sessions_on(dt.date(2027, 6, 1)) == SUMMER
        assert cal.sessions_on(dt.date(2045, 12, 31)) == SUMMER
        # 11:15 on Mon 31/05 (default): 15 min + 3.5 h, 15 min left → Tue 07:15 (summer: 07:00 + 15 min).
        assert cal.add_working_days(vn(2027, 5, 31, 11, 15), "0.5") == vn(2027, 6, 1, 7, 15)
        # 11:15 on Tue 01/06 (summer): lunch, counts from 13:00 → 17:00.
        assert cal.add_working_days(vn(2027, 6, 1, 11, 15), "0.5") == vn(2027, 6, 1, 17)

    def test_invalid_sessions_rejected_in_vietnamese(self):
        with pytest.raises(ValueError) as err:
            Sessions(dt.time(11), dt.time(7), dt.time(13), dt.time(17))
        assert is_vietnamese(str(err.value))
        with pytest.raises(ValueError):
            Sessions(dt.time(7), dt.time(12), dt.time(11), dt.time(17))  # overlapping

    def test_empty_calendar_rejected(self):
        with pytest.raises(ValueError) as err:
            WorkCalendar([], 2015, 2045)
        assert is_vietnamese(str(err.value))


# ------------------------------------------------------------------------------------------------
# Input validation and range
# ------------------------------------------------------------------------------------------------


class TestValidation:
    @pytest.mark.parametrize(
        ("days", "units"),
        [(0, 0), ("0", 0), (0.5, HALF_DAY_UNITS), ("1.5", 3 * HALF_DAY_UNITS), (Decimal("2"), 2 * UNITS_PER_DAY)],
    )
    def test_days_to_units(self, days, units):
        assert days_to_units(days) == units

    @pytest.mark.parametrize("days", [-1, "-0.5", 0.3, "1.25", "abc", "", "NaN", "Infinity", float("inf"), None])
    def test_invalid_days_raise_vietnamese_value_error(self, days):
        with pytest.raises(ValueError) as err:
            days_to_units(days)
        assert is_vietnamese(str(err.value)), str(err.value)

    def test_messages_name_the_problem(self):
        with pytest.raises(ValueError, match="không âm"):
            days_to_units(-1)
        with pytest.raises(ValueError, match="0,5"):
            days_to_units(0.3)
        with pytest.raises(ValueError, match="một số"):
            days_to_units("abc")

    def test_add_validates_too(self):
        with pytest.raises(ValueError):
            CAL.add_working_days(vn(2023, 10, 24, 10), "0.3")
        with pytest.raises(ValueError):
            CAL.due_date(vn(2023, 10, 24, 10), -1)
        with pytest.raises(ValueError):
            CAL.add_working_units(vn(2023, 10, 24, 10), -1)

    @pytest.mark.parametrize(
        "instant", [vn(2014, 12, 31, 9), vn(2046, 1, 1, 9), dt.datetime(2045, 12, 31, 17, 30, tzinfo=dt.UTC)]
    )
    def test_out_of_range_instant(self, instant):
        with pytest.raises(OutOfCalendarRange) as err:
            CAL.add_working_days(instant, 1)
        assert isinstance(err.value, ValueError)
        assert is_vietnamese(str(err.value))

    def test_result_beyond_range(self):
        with pytest.raises(OutOfCalendarRange) as err:
            CAL.add_working_days(vn(2045, 12, 20, 9), 30)
        assert is_vietnamese(str(err.value))
        with pytest.raises(OutOfCalendarRange):
            CAL.from_offset(-1)

    def test_last_working_day_of_range_is_reachable(self):
        last = max(WORKING_DAYS)
        assert CAL.due_date(vn(last.year, last.month, last.day, 9), 0) == vn(last.year, last.month, last.day, 17)
        with pytest.raises(OutOfCalendarRange):
            CAL.next_working_instant(vn(last.year, last.month, last.day, 18))


class TestFormat:
    def test_format_due_afternoon(self):
        assert format_due(vn(2023, 10, 27, 17)) == "17:00 ngày 27/10/2023 (buổi chiều)"

    def test_format_due_morning(self):
        assert format_due(vn(2027, 2, 11, 9)) == "09:00 ngày 11/02/2027 (buổi sáng)"

    def test_format_due_converts_to_vietnam_time(self):
        assert format_due(dt.datetime(2023, 10, 27, 10, 0, tzinfo=dt.UTC)) == "17:00 ngày 27/10/2023 (buổi chiều)"

    def test_session_label(self):
        assert session_label(vn(2023, 10, 27, 11, 30)) == "sáng"
        assert session_label(vn(2023, 10, 27, 13, 30)) == "chiều"

    def test_format_of_a_computed_due(self):
        due = CAL.due_date(vn(2023, 10, 27, 10), 0)
        assert format_due(due) == "17:00 ngày 27/10/2023 (buổi chiều)"


# ------------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------------


class TestProperties:
    @PROPS
    @given(t=instants, n=half_days)
    def test_result_is_on_a_working_day_in_office_hours(self, t, n):
        due = CAL.add_working_days(t, n)
        assert CAL.is_working_day(due.date())
        assert in_default_office_hours(due)
        assert due > t

    @PROPS
    @given(t=instants, a=half_days, b=half_days)
    def test_monotonic_in_days(self, t, a, b):
        assume(a != b)
        a, b = min(a, b), max(a, b)
        assert CAL.add_working_days(t, a) < CAL.add_working_days(t, b)

    @PROPS
    @given(t1=instants, t2=instants, n=half_days)
    def test_monotonic_in_start(self, t1, t2, n):
        t1, t2 = min(t1, t2), max(t1, t2)
        assert CAL.add_working_days(t1, n) <= CAL.add_working_days(t2, n)

    @PROPS
    @given(t=instants, a=half_days, b=half_days)
    def test_additive(self, t, a, b):
        assert CAL.add_working_days(CAL.add_working_days(t, a), b) == CAL.add_working_days(t, a + b)

    @PROPS
    @given(t=office_instants(), n=half_days)
    def test_between_inverts_add_inside_office_hours(self, t, n):
        assert CAL.working_days_between(t, CAL.add_working_days(t, n)) == n

    @PROPS
    @given(t=instants, n=half_days)
    def test_between_inverts_add_anywhere(self, t, n):
        assert CAL.working_days_between(t, CAL.add_working_days(t, n)) == n
        assert CAL.working_days_between(CAL.add_working_days(t, n), t) == -n

    @PROPS
    @given(t=instants, n=st.integers(min_value=0, max_value=120).map(lambda k: Decimal(k) / 2))
    def test_due_date(self, t, n):
        due = CAL.due_date(t, n)
        start = CAL.next_working_instant(t)
        assert CAL.is_working_day(due.date()) and in_default_office_hours(due)
        if n == 0:
            assert due == dt.datetime.combine(start.date(), dt.time(17), tzinfo=VN_TZ)
        else:
            assert due == CAL.add_working_days(t, n)
        with_cutoff = CAL.due_date(t, n, cutoff=dt.time(15))
        assert with_cutoff >= due
        if t.time() <= dt.time(15):
            assert with_cutoff == due
        assert CAL.is_working_day(with_cutoff.date()) and in_default_office_hours(with_cutoff)

    @PROPS
    @given(t=instants)
    def test_next_working_instant(self, t):
        start = CAL.next_working_instant(t)
        assert start >= t.replace(microsecond=0)
        assert CAL.is_working_day(start.date()) and in_default_office_hours(start)
        assert CAL.to_offset(start) == CAL.to_offset(t)
        if CAL.is_working_day(t.date()) and (
            dt.time(7) <= t.time() < dt.time(11, 30) or dt.time(13, 30) <= t.time() < dt.time(17)
        ):
            assert start == t.replace(microsecond=0)

    @PROPS
    @given(t=instants, tz_hours=st.integers(min_value=-12, max_value=14), n=half_days)
    def test_timezone_of_input_does_not_matter(self, t, tz_hours, n):
        other = t.astimezone(dt.timezone(dt.timedelta(hours=tz_hours)))
        assert CAL.add_working_days(other, n) == CAL.add_working_days(t, n)
        assert CAL.due_date(other, n, cutoff=dt.time(15)) == CAL.due_date(t, n, cutoff=dt.time(15))

    @PROPS
    @given(
        t=instants,
        n=half_days,
        sessions=st.sampled_from([SUMMER, SHORT, DEFAULT_SESSIONS]),
        change=st.dates(min_value=dt.date(2016, 1, 1), max_value=dt.date(2043, 12, 31)),
    )
    def test_properties_hold_with_other_sessions_of_at_most_eight_hours(self, t, n, sessions, change):
        cal = _calendar_with(sessions, change)
        due = cal.add_working_days(t, n)
        s = cal.sessions_on(due.date())
        assert cal.is_working_day(due.date())
        assert s.morning_start <= due.time() <= s.morning_end or s.afternoon_start <= due.time() <= s.afternoon_end
        assert cal.add_working_days(due, "1.5") == cal.add_working_days(t, n + Decimal("1.5"))
        assert cal.working_days_between(t, due) == n
        assert cal.next_working_instant(t) >= t.replace(microsecond=0)


_CALENDARS: dict = {}


def _calendar_with(sessions: Sessions, change: dt.date) -> WorkCalendar:
    key = (sessions, change)
    if key not in _CALENDARS:
        _CALENDARS[key] = WorkCalendar(WORKING_DAYS, 2015, 2045, [(change, sessions)])
    return _CALENDARS[key]


# ------------------------------------------------------------------------------------------------
# Regressions (once known bugs)
# ------------------------------------------------------------------------------------------------


def test_next_working_instant_never_goes_back_with_long_days():
    cal = WorkCalendar(WORKING_DAYS, 2015, 2045, [(dt.date(2015, 1, 1), LONG)])  # 8.5 h day
    t = vn(2027, 3, 2, 7, 0, 1)
    assert cal.next_working_instant(t) == t  # actually 07:00:00


@pytest.fixture
def utc_process_timezone():
    """Run with the process-local timezone set to UTC (as in a script without Django settings)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_naive_received_with_cutoff_is_vietnam_time(utc_process_timezone):
    aware = CAL.due_date(vn(2023, 10, 25, 9), 1, cutoff=dt.time(15))
    assert aware == vn(2023, 10, 26, 9)
    assert CAL.due_date(dt.datetime(2023, 10, 25, 9), 1, cutoff=dt.time(15)) == aware
