"""Appointments at a one-stop desk (đặt lịch hẹn): slots, booking, cancelling, rescheduling and
check-in at the desk, where the booking becomes a priority ticket of the queue.

Slots are generated, not stored: a desk's ``SlotRule`` (or its service group's) cuts the office
hours of each working day of the province's calendar (``workcalendar.services.get_calendar``) into
slots of ``slot_minutes``, each taking ``capacity`` people. Only the booked count of a slot is
stored (``AppointmentSlot``), taken and given back by an upsert that never goes past the capacity,
so two citizens racing for the last place cannot both get it (PostgreSQL: row lock of the upsert;
SQLite: one writer at a time). One active booking per person, desk and day is a partial unique
index. Every change is one transaction with its ``AppointmentEvent``. Refusals raise
``AppointmentError`` with a Vietnamese message shown as is. Services take ``now=`` so tests and
simulations choose the instant.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from motcua.catalog.services import version_in_force
from motcua.org.models import Desk
from motcua.workcalendar.engine import VN_TZ, OutOfCalendarRange
from motcua.workcalendar.services import get_calendar

from . import services as queue
from .models import Appointment, AppointmentEvent, AppointmentSlot, ServiceGroup, SlotRule, Ticket
from .states import ACTIVE_APPOINTMENT_STATUSES, APPOINTMENT_TRANSITIONS, AppointmentStatus, Priority

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the counter
CODE_LENGTH = 6
CHECK_IN_EARLY_MINUTES = 60  # a citizen may check in this long before the slot …
CHECK_IN_LATE_MINUTES = 30  # … and until this long after its end (then: an ordinary ticket)


class AppointmentError(Exception):
    """A refused booking action; ``message`` is Vietnamese, shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    capacity: int
    booked: int

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.booked)

    @property
    def full(self) -> bool:
        return self.remaining == 0

    @property
    def value(self) -> str:
        """The slot in a form field: local ISO time, e.g. ``2026-03-03T08:00``."""
        return self.start.astimezone(VN_TZ).strftime("%Y-%m-%dT%H:%M")


# ------------------------------------------------------------------------------------------------
# Rules and slots
# ------------------------------------------------------------------------------------------------
def rule_for(desk: Desk, group: ServiceGroup | None, *, create: bool = False) -> SlotRule | None:
    """The rule giving the slots of ``group`` at ``desk``: the group's own rule, else the desk's,
    else the default (30 minutes, 2 people — saved on the first booking when ``create``). None when
    the applicable rule is switched off (the desk takes no appointments for that group)."""
    rules = {r.group_id: r for r in SlotRule.objects.filter(desk=desk).select_related("desk")}
    rule = rules.get(group.pk) if group is not None else None
    if rule is None:
        rule = rules.get(None)
    if rule is None:
        if not create:
            return SlotRule(desk=desk)
        try:
            with transaction.atomic():
                rule, _ = SlotRule.objects.get_or_create(desk=desk, group=None)
        except IntegrityError:  # created by a concurrent booking
            rule = SlotRule.objects.get(desk=desk, group=None)
    return rule if rule.active else None


def _local_now(now: dt.datetime | None) -> dt.datetime:
    return (now or timezone.now()).astimezone(VN_TZ)


def bookable_days(rule: SlotRule, now: dt.datetime | None = None) -> list[dt.date]:
    """Working days from today to ``rule.days_ahead`` days ahead."""
    today = _local_now(now).date()
    cal = get_calendar()
    days = []
    for i in range(rule.days_ahead + 1):
        day = today + dt.timedelta(days=i)
        try:
            if cal.is_working_day(day):
                days.append(day)
        except OutOfCalendarRange:  # pragma: no cover - beyond the calendar's years
            break
    return days


def slot_starts(rule: SlotRule, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """(start, end) of every slot of ``day``: office hours of a working day cut into
    ``slot_minutes`` pieces that fit entirely in the morning or the afternoon session."""
    cal = get_calendar()
    if not cal.is_working_day(day):
        return []
    sessions = cal.sessions_on(day)
    length = dt.timedelta(minutes=rule.slot_minutes)
    out = []
    for begin, finish in (
        (sessions.morning_start, sessions.morning_end),
        (sessions.afternoon_start, sessions.afternoon_end),
    ):
        start = dt.datetime.combine(day, begin, tzinfo=VN_TZ)
        end_of_session = dt.datetime.combine(day, finish, tzinfo=VN_TZ)
        while start + length <= end_of_session:
            out.append((start, start + length))
            start += length
    return out


def free_slots(rule: SlotRule, day: dt.date, now: dt.datetime | None = None) -> list[Slot]:
    """The slots of ``day`` still ahead of ``now``, with their booked count (one query)."""
    now = _local_now(now)
    if day not in bookable_days(rule, now):
        return []
    starts = [(s, e) for s, e in slot_starts(rule, day) if s > now]
    booked = {}
    if rule.pk and starts:
        booked = dict(
            AppointmentSlot.objects.filter(rule=rule, start__gte=starts[0][0], start__lte=starts[-1][0]).values_list(
                "start", "booked"
            )
        )
    return [Slot(s, e, rule.capacity, booked.get(s, 0)) for s, e in starts]


def _check_start(rule: SlotRule, start: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The slot end for a requested ``start``; refuses anything that is not a future slot."""
    if start.tzinfo is None:
        start = start.replace(tzinfo=VN_TZ)
    local = start.astimezone(VN_TZ)
    try:
        if local.date() not in bookable_days(rule, now):
            if not get_calendar().is_working_day(local.date()):
                raise AppointmentError(f"Ngày {local:%d/%m/%Y} không phải ngày làm việc. Vui lòng chọn ngày khác.")
            raise AppointmentError(
                f"Chỉ được đặt lịch hẹn từ hôm nay đến {rule.days_ahead} ngày tới. Vui lòng chọn ngày khác."
            )
    except OutOfCalendarRange:
        raise AppointmentError("Ngày hẹn nằm ngoài phạm vi lịch làm việc.") from None
    for s, e in slot_starts(rule, local.date()):
        if s == local:
            if s <= now:
                raise AppointmentError("Khung giờ này đã qua. Vui lòng chọn khung giờ khác.")
            return e
    raise AppointmentError("Giờ hẹn không nằm trong khung giờ làm việc của bộ phận một cửa.")


def _take(rule: SlotRule, start: dt.datetime) -> bool:
    """Take one place of the slot; False when it is full. Must run inside the booking transaction."""
    if rule.capacity < 1:
        return False
    table = connection.ops.quote_name(AppointmentSlot._meta.db_table)
    # The field's own conversion: SQLite stores naive UTC text, the same as the ORM reads back.
    value = AppointmentSlot._meta.get_field("start").get_db_prep_value(start, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (rule_id, start, booked) VALUES (%s, %s, 1) "
            f"ON CONFLICT (rule_id, start) DO UPDATE SET booked = {table}.booked + 1 "
            f"WHERE {table}.booked < %s RETURNING booked",
            [rule.pk, value, rule.capacity],
        )
        return cursor.fetchone() is not None


def _release(rule_id: int, start: dt.datetime) -> None:
    AppointmentSlot.objects.filter(rule_id=rule_id, start=start, booked__gt=0).update(booked=F("booked") - 1)


# ------------------------------------------------------------------------------------------------
# Booking, cancelling, rescheduling
# ------------------------------------------------------------------------------------------------
def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Appointment.objects.filter(code=code).exists():
            return code


def _event(appointment: Appointment, action: str, at, actor, from_status: str, payload: dict | None = None):
    AppointmentEvent.objects.create(
        appointment=appointment,
        action=action,
        at=at,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        from_status=from_status,
        to_status=appointment.status,
        payload=payload or {},
    )


def _one_per_day_message(desk: Desk, day: dt.date) -> str:
    return (
        f"Bạn đã có một lịch hẹn tại {desk.name} ngày {day:%d/%m/%Y}. "
        "Mỗi người chỉ đặt một lịch hẹn mỗi ngày tại một bộ phận một cửa; hãy đổi hoặc hủy lịch hẹn đó."
    )


def _full_message(start: dt.datetime) -> str:
    local = start.astimezone(VN_TZ)
    return f"Khung giờ {local:%H:%M} ngày {local:%d/%m/%Y} đã hết chỗ. Vui lòng chọn khung giờ khác."


def book(
    person,
    desk: Desk,
    procedure_code: str,
    start: dt.datetime,
    *,
    phone: str = "",
    actor=None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Book ``person`` (a ``identity.Person``) at ``desk`` for ``procedure_code`` in the slot
    starting at ``start``."""
    now = _local_now(now)
    if not desk.active:
        raise AppointmentError("Bộ phận một cửa này hiện không hoạt động.")
    if start.tzinfo is None:
        start = start.replace(tzinfo=VN_TZ)
    day = start.astimezone(VN_TZ).date()
    version = version_in_force((procedure_code or "").strip(), day)
    if version is None:
        raise AppointmentError("Không tìm thấy thủ tục hành chính đang có hiệu lực với mã đã chọn.")
    group = queue.group_for_field(desk, version.field_id)
    if group is None:
        raise AppointmentError("Bộ phận một cửa này chưa cấu hình nhóm dịch vụ nên chưa nhận đặt lịch hẹn.")
    rule = rule_for(desk, group, create=True)
    if rule is None:
        raise AppointmentError("Bộ phận một cửa này hiện không nhận đặt lịch hẹn cho thủ tục đã chọn.")
    end = _check_start(rule, start, now)
    phone = (phone or person.phone or "").strip()[:30]
    try:
        with transaction.atomic():
            if Appointment.objects.filter(
                id_number=person.id_number, desk=desk, day=day, status__in=ACTIVE_APPOINTMENT_STATUSES
            ).exists():
                raise AppointmentError(_one_per_day_message(desk, day))
            if not _take(rule, start):
                raise AppointmentError(_full_message(start))
            appointment = Appointment.objects.create(
                code=_new_code(),
                desk=desk,
                rule=rule,
                group=group,
                procedure_code=version.procedure.code,
                procedure_name=version.name,
                id_number=person.id_number,
                full_name=person.full_name,
                phone=phone,
                day=day,
                start=start,
                end=end,
                status=AppointmentStatus.BOOKED,
                created_at=now,
            )
            _event(appointment, "book", now, actor, "", {"start": appointment_value(start)})
    except IntegrityError:
        # The partial unique index caught a concurrent second booking of the same person and day.
        raise AppointmentError(_one_per_day_message(desk, day)) from None
    return appointment


def appointment_value(start: dt.datetime) -> str:
    return start.astimezone(VN_TZ).strftime("%Y-%m-%dT%H:%M")


def _locked(appointment: Appointment | int) -> Appointment:
    pk = appointment.pk if isinstance(appointment, Appointment) else appointment
    try:
        return Appointment.objects.select_for_update(of=("self",)).select_related("desk", "rule", "group").get(pk=pk)
    except Appointment.DoesNotExist:
        raise AppointmentError("Không tìm thấy lịch hẹn.") from None


def _check(appointment: Appointment, action: str) -> None:
    transition = APPOINTMENT_TRANSITIONS[action]
    if appointment.status not in transition.sources:
        label = AppointmentStatus(appointment.status).label
        raise AppointmentError(
            f"Không thể {transition.label} {appointment.code}: lịch hẹn đang ở trạng thái “{label}”."
        )


def cancel(appointment: Appointment, *, actor=None, now: dt.datetime | None = None) -> Appointment:
    """Cancel a booking before its slot starts; the place goes back to the slot."""
    now = _local_now(now)
    with transaction.atomic():
        appointment = _locked(appointment)
        _check(appointment, "cancel")
        if appointment.start <= now:
            raise AppointmentError("Lịch hẹn đã đến giờ hẹn, không thể hủy.")
        before = appointment.status
        appointment.status = AppointmentStatus.CANCELLED
        appointment.save(update_fields=["status"])
        _release(appointment.rule_id, appointment.start)
        _event(appointment, "cancel", now, actor, before)
    return appointment


def reschedule(
    appointment: Appointment, start: dt.datetime, *, actor=None, now: dt.datetime | None = None
) -> Appointment:
    """Move a booking to another slot of the same desk and procedure, in one transaction: the new
    place is taken before the old one is given back, so a full slot leaves the booking as it was."""
    now = _local_now(now)
    if start.tzinfo is None:
        start = start.replace(tzinfo=VN_TZ)
    try:
        with transaction.atomic():
            appointment = _locked(appointment)
            _check(appointment, "reschedule")
            if appointment.start <= now:
                raise AppointmentError("Lịch hẹn đã đến giờ hẹn, không thể đổi.")
            if start == appointment.start:
                raise AppointmentError("Bạn đã chọn đúng khung giờ của lịch hẹn hiện tại.")
            rule = appointment.rule
            if not rule.active:
                raise AppointmentError("Bộ phận một cửa này hiện không nhận đặt lịch hẹn cho thủ tục đã chọn.")
            end = _check_start(rule, start, now)
            day = start.astimezone(VN_TZ).date()
            clash = Appointment.objects.filter(
                id_number=appointment.id_number,
                desk_id=appointment.desk_id,
                day=day,
                status__in=ACTIVE_APPOINTMENT_STATUSES,
            ).exclude(pk=appointment.pk)
            if clash.exists():
                raise AppointmentError(_one_per_day_message(appointment.desk, day))
            if not _take(rule, start):
                raise AppointmentError(_full_message(start))
            _release(rule.pk, appointment.start)
            old = appointment_value(appointment.start)
            appointment.start, appointment.end, appointment.day = start, end, day
            appointment.save(update_fields=["start", "end", "day"])
            _event(
                appointment,
                "reschedule",
                now,
                actor,
                AppointmentStatus.BOOKED,
                {"from": old, "to": appointment_value(start)},
            )
    except IntegrityError:
        raise AppointmentError(_one_per_day_message(appointment.desk, start.astimezone(VN_TZ).date())) from None
    return appointment


def find(code: str, desk: Desk | None = None) -> Appointment | None:
    """The appointment with ``code`` (case and spaces ignored), optionally only at ``desk``."""
    code = "".join((code or "").split()).upper()[:12]
    if not code:
        return None
    qs = Appointment.objects.filter(code=code)
    if desk is not None:
        qs = qs.filter(desk=desk)
    return qs.select_related("desk", "group").first()


def check_in(appointment: Appointment, *, desk: Desk | None = None, actor=None, now: dt.datetime | None = None):
    """The citizen arrived (kiosk or counter): the booking becomes a priority ticket
    (``Priority.APPOINTMENT``) of its service group, issued through the queue service in the same
    transaction and linked to the appointment. Returns the ticket."""
    now = _local_now(now)
    with transaction.atomic():
        appointment = _locked(appointment)
        if desk is not None and appointment.desk_id != desk.pk:
            raise AppointmentError(f"Lịch hẹn {appointment.code} không phải tại bộ phận một cửa này.")
        _check(appointment, "check_in")
        if now.date() != appointment.day:
            raise AppointmentError(
                f"Lịch hẹn {appointment.code} là ngày {appointment.day:%d/%m/%Y}, không phải hôm nay."
            )
        if now < appointment.start - dt.timedelta(minutes=CHECK_IN_EARLY_MINUTES):
            raise AppointmentError(
                f"Chưa đến giờ hẹn ({appointment.start.astimezone(VN_TZ):%H:%M}). "
                f"Vui lòng xác nhận trong vòng {CHECK_IN_EARLY_MINUTES} phút trước giờ hẹn."
            )
        if now > appointment.end + dt.timedelta(minutes=CHECK_IN_LATE_MINUTES):
            raise AppointmentError(f"Lịch hẹn {appointment.code} đã quá giờ hẹn. Vui lòng lấy số thứ tự thông thường.")
        group = appointment.group
        if group is None or not group.active:
            version = version_in_force(appointment.procedure_code, appointment.day)
            group = queue.group_for_field(appointment.desk, version.field_id if version else None)
        if group is None:
            raise AppointmentError("Bộ phận một cửa này chưa cấu hình nhóm dịch vụ.")
        try:
            ticket: Ticket = queue.issue_ticket(appointment.desk, group, Priority.APPOINTMENT, now=now)
        except queue.QueueError as exc:
            raise AppointmentError(exc.message) from None
        before = appointment.status
        appointment.status = AppointmentStatus.CHECKED_IN
        appointment.checked_in_at = now
        appointment.ticket = ticket
        appointment.save(update_fields=["status", "checked_in_at", "ticket"])
        _event(appointment, "check_in", now, actor, before, {"ticket": ticket.code})
    return ticket


def mark_no_shows(now: dt.datetime | None = None) -> int:
    """Bookings whose check-in window has closed become *no-show* (a periodic task or the
    counter screen calls this). Returns how many."""
    now = _local_now(now)
    late = Appointment.objects.filter(
        status=AppointmentStatus.BOOKED, end__lt=now - dt.timedelta(minutes=CHECK_IN_LATE_MINUTES)
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(late[:1000]):
        with transaction.atomic():
            appointment = _locked(pk)
            if appointment.status != AppointmentStatus.BOOKED:
                continue
            appointment.status = AppointmentStatus.NO_SHOW
            appointment.save(update_fields=["status"])
            _event(appointment, "no_show", now, None, AppointmentStatus.BOOKED)
            count += 1
    return count


def appointments_of(person) -> list[Appointment]:
    return list(
        Appointment.objects.filter(id_number=person.id_number)
        .select_related("desk", "ticket")
        .order_by("-start", "-id")[:100]
    )


@task()
def no_shows_task() -> int:
    """The periodic job (``common.scheduler``): bookings whose check-in window closed become no-shows."""
    return mark_no_shows()
