"""Working-time arithmetic in Vietnamese office time — pure functions, no database.

A ``WorkCalendar`` knows which dates are working days and the office sessions of each day.
Instants are mapped to a *working offset*: an integer count of working-time units since the
first working day of the calendar, where one working day is ``UNITS_PER_DAY`` units whatever its
office hours (8 h by default, so one unit is one second of a standard day). Adding working days
is then integer addition, and every property the deadlines need (never inside a holiday or
off-hours, monotonic, additive) follows from the mapping being monotonic.

Boundary convention: an offset that falls exactly between two working days is shown as the end
of the earlier day (17:00), and a session end as 11:30 rather than 13:30 — the natural reading of
a due time. Instants outside office hours count from the next working instant.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")  # Asia/Ho_Chi_Minh: UTC+7, no DST
UNITS_PER_DAY = 8 * 3600
HALF_DAY_UNITS = UNITS_PER_DAY // 2


@dataclass(frozen=True)
class Sessions:
    """Office hours of a day: a morning and an afternoon session."""

    morning_start: dt.time = dt.time(7, 0)
    morning_end: dt.time = dt.time(11, 30)
    afternoon_start: dt.time = dt.time(13, 30)
    afternoon_end: dt.time = dt.time(17, 0)

    def __post_init__(self) -> None:
        if not (self.morning_start < self.morning_end <= self.afternoon_start < self.afternoon_end):
            raise ValueError("Giờ làm việc không hợp lệ: các buổi phải theo thứ tự và không chồng lấn.")

    def seconds(self) -> tuple[int, int, int, int]:
        return tuple(
            t.hour * 3600 + t.minute * 60 + t.second
            for t in (self.morning_start, self.morning_end, self.afternoon_start, self.afternoon_end)
        )  # type: ignore[return-value]


DEFAULT_SESSIONS = Sessions()


class OutOfCalendarRange(ValueError):
    """The instant or result is outside the years this calendar covers."""


class WorkCalendar:
    """Working days and office hours between ``first_year`` and ``last_year`` inclusive.

    ``working_days``: every working date in the range (weekdays minus holidays plus make-up days).
    ``sessions``: (effective date, Sessions) pairs; each applies from its date until the next.
    """

    def __init__(
        self,
        working_days: Iterable[dt.date],
        first_year: int,
        last_year: int,
        sessions: Iterable[tuple[dt.date, Sessions]] = (),
    ) -> None:
        self.first_year, self.last_year = first_year, last_year
        self._days = sorted({d.toordinal() for d in working_days})
        if not self._days:
            raise ValueError("Lịch làm việc không có ngày làm việc nào.")
        self._working = set(self._days)
        changes = sorted(sessions, key=lambda p: p[0]) or [(dt.date(first_year, 1, 1), DEFAULT_SESSIONS)]
        if changes[0][0] > dt.date(first_year, 1, 1):
            changes.insert(0, (dt.date(first_year, 1, 1), DEFAULT_SESSIONS))
        self._session_from = [d.toordinal() for d, _ in changes]
        self._session_secs = [s.seconds() for _, s in changes]
        self._single_sessions = self._session_secs[0] if len(changes) == 1 else None
        self._min = dt.date(first_year, 1, 1).toordinal()
        self._max = dt.date(last_year, 12, 31).toordinal()

    # -- day-level queries ------------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        return day.toordinal() in self._working

    def sessions_on(self, day: dt.date) -> Sessions:
        secs = self._secs(day.toordinal())
        return Sessions(*(dt.time(s // 3600, s % 3600 // 60, s % 60) for s in secs))

    def _secs(self, ordinal: int) -> tuple[int, int, int, int]:
        if self._single_sessions is not None:
            return self._single_sessions
        return self._session_secs[bisect_right(self._session_from, ordinal) - 1]

    # -- instant <-> working offset ---------------------------------------------------------
    def _local(self, instant: dt.datetime) -> dt.datetime:
        """``instant`` as Vietnam wall-clock time (a naive datetime *is* Vietnam time), in range."""
        try:
            local = instant.astimezone(VN_TZ) if instant.tzinfo else instant.replace(tzinfo=VN_TZ)
        except OverflowError:  # the very ends of datetime's range, shifted by an offset
            raise OutOfCalendarRange("Thời điểm nằm ngoài phạm vi lịch làm việc.") from None
        if not self._min <= local.toordinal() <= self._max:
            raise OutOfCalendarRange(f"Ngày {local:%d/%m/%Y} nằm ngoài phạm vi lịch làm việc.")
        return local

    def to_offset(self, instant: dt.datetime) -> int:
        """Working units from the calendar's origin up to ``instant`` (next working instant)."""
        local = self._local(instant)
        ordinal = local.toordinal()
        days = self._days
        i = bisect_left(days, ordinal)
        if i == len(days) or days[i] != ordinal:
            return i * UNITS_PER_DAY  # a day off counts from the next working morning
        ms, me, as_, ae = self._secs(ordinal)
        s = local.hour * 3600 + local.minute * 60 + local.second
        if s <= ms:
            elapsed = 0
        elif s <= me:
            elapsed = s - ms
        elif s <= as_:
            elapsed = me - ms
        elif s <= ae:
            elapsed = me - ms + s - as_
        else:
            return (i + 1) * UNITS_PER_DAY
        total = me - ms + ae - as_
        if total == UNITS_PER_DAY:
            return i * UNITS_PER_DAY + elapsed
        return i * UNITS_PER_DAY + elapsed * UNITS_PER_DAY // total

    def from_offset(self, offset: int) -> dt.datetime:
        """The instant (Vietnam time) at ``offset``; day boundaries read as the earlier day's end."""
        i, r = divmod(offset, UNITS_PER_DAY)
        if r == 0 and i > 0:
            i, r = i - 1, UNITS_PER_DAY
        if i >= len(self._days) or offset < 0:
            raise OutOfCalendarRange("Hạn xử lý nằm ngoài phạm vi lịch làm việc.")
        ordinal = self._days[i]
        ms, me, as_, ae = self._secs(ordinal)
        total = me - ms + ae - as_
        elapsed = r if total == UNITS_PER_DAY else -(-r * total // UNITS_PER_DAY)
        morning = me - ms
        s = ms + elapsed if elapsed <= morning else as_ + elapsed - morning
        d = dt.date.fromordinal(ordinal)
        return dt.datetime(d.year, d.month, d.day, s // 3600, s % 3600 // 60, s % 60, tzinfo=VN_TZ)

    # -- public arithmetic ------------------------------------------------------------------
    def next_working_instant(self, instant: dt.datetime) -> dt.datetime:
        """``instant`` itself if inside office hours, else the start of the next session.

        Computed on wall-clock seconds, not through working offsets: on days longer than 8 h an
        offset unit is coarser than a second, and rounding must never move an instant backwards.
        """
        local = self._local(instant)
        ordinal = local.toordinal()
        if ordinal in self._working:
            ms, me, as_, ae = self._secs(ordinal)
            s = local.hour * 3600 + local.minute * 60 + local.second  # whole seconds, like offsets
            if s < ms:
                return self._at(ordinal, ms)
            if s < me or as_ <= s < ae:
                return local.replace(microsecond=0)
            if s < as_:
                return self._at(ordinal, as_)
        i = bisect_right(self._days, ordinal)
        if i >= len(self._days):
            raise OutOfCalendarRange("Không còn ngày làm việc trong phạm vi lịch.")
        return self._at(self._days[i], self._secs(self._days[i])[0])

    @staticmethod
    def _at(ordinal: int, s: int) -> dt.datetime:
        d = dt.date.fromordinal(ordinal)
        return dt.datetime(d.year, d.month, d.day, s // 3600, s % 3600 // 60, s % 60, tzinfo=VN_TZ)

    def _day_total(self, ordinal: int) -> int:
        ms, me, as_, ae = self._secs(ordinal)
        return me - ms + ae - as_

    def add_working_units(self, instant: dt.datetime, units: int) -> dt.datetime:
        if units < 0:
            raise ValueError("Số thời gian làm việc cộng thêm không được âm.")
        return self.from_offset(self.to_offset(instant) + units)

    def add_working_days(self, instant: dt.datetime, days: Decimal | int | float | str) -> dt.datetime:
        """``instant`` plus ``days`` working days (multiples of 0.5)."""
        return self.add_working_units(instant, days_to_units(days))

    def working_units_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working time from ``start`` to ``end`` in units (negative if ``end`` is earlier)."""
        return self.to_offset(end) - self.to_offset(start)

    def working_days_between(self, start: dt.datetime, end: dt.datetime) -> Decimal:
        return Decimal(self.working_units_between(start, end)) / UNITS_PER_DAY

    def due_date(
        self, received: dt.datetime, days: Decimal | int | float | str, cutoff: dt.time | None = None
    ) -> dt.datetime:
        """Due instant for a legal limit of ``days`` working days from ``received``.

        0 days means "within the working day": the end of the day the dossier counts from.
        ``cutoff`` (e.g. 15:00 for the linked birth/death bundles): received after it, the count
        starts the next working morning.
        """
        offset = self.to_offset(received)
        if cutoff is not None:
            local = self._local(received)
            if self.is_working_day(local.date()) and local.time() > cutoff and offset % UNITS_PER_DAY:
                offset = (offset // UNITS_PER_DAY + 1) * UNITS_PER_DAY
        units = days_to_units(days)
        if units == 0:
            return self.from_offset((offset // UNITS_PER_DAY + 1) * UNITS_PER_DAY)
        return self.from_offset(offset + units)


def days_to_units(days: Decimal | int | float | str, max_days: int | None = None) -> int:
    """Working days (multiple of 0.5, ≥ 0, ≤ ``max_days``) → working units.

    Raises ValueError with a Vietnamese message. The bound is checked on the Decimal before any
    arithmetic, so a huge exponent (``9E+999999``) costs nothing and never overflows.
    """
    try:
        value = Decimal(str(days))
    except Exception as exc:  # decimal.InvalidOperation and friends
        raise ValueError("Số ngày làm việc phải là một số.") from exc
    if not value.is_finite() or value < 0:
        raise ValueError("Số ngày làm việc phải là số không âm.")
    if max_days is not None and value > max_days:
        raise ValueError(f"Số ngày làm việc tối đa là {max_days}.")
    if value.adjusted() > 15:  # beyond any calendar; keeps int() and * 2 cheap and exact
        raise ValueError("Số ngày làm việc quá lớn.")
    doubled = value * 2
    if doubled != doubled.to_integral_value():
        raise ValueError("Số ngày làm việc phải là bội số của 0,5 (nửa ngày).")
    return int(doubled) * HALF_DAY_UNITS


def session_label(instant: dt.datetime) -> str:
    """'sáng' or 'chiều' — deadlines are shown as date + session."""
    return "sáng" if instant.astimezone(VN_TZ).hour < 12 else "chiều"


def format_due(instant: dt.datetime) -> str:
    """e.g. '17:00 ngày 27/10/2023 (buổi chiều)'."""
    local = instant.astimezone(VN_TZ)
    return f"{local:%H:%M} ngày {local:%d/%m/%Y} (buổi {session_label(local)})"
