"""Queue services (xếp hàng lấy số): issue, call, recall, transfer, start, no-show, finish, link the
intake's dossier, and measure waits and service times.

Every state change is one function, one transaction, that checks ``states.TRANSITIONS`` and
writes a ``TicketEvent``. Refused actions raise ``QueueError`` with a Vietnamese message the pages
show as is. Who may act at which desk is ``serving_desks`` / ``stats_desks`` (used by the views).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Avg, Count, F, Max, Q, QuerySet, Window
from django.db.models.functions import CumeDist
from django.utils import timezone

from motcua.org.models import Counter, Desk, StaffMembership
from motcua.org.roles import Role

from .models import ServiceGroup, Ticket, TicketEvent, TicketSequence
from .states import ACTIVE_STATUSES, TRANSITIONS, Priority, Status

WAIT_TARGET_MINUTES = 15  # the seeds' target: ≤ 15 min wait per visit at the desk
INTAKE_TARGET_MINUTES = 30  # … and ≤ 30 min intake per dossier
SERVING_ROLES = {Role.DESK_OFFICER, Role.POSTAL_STAFF}
STATS_ALL_ROLES = {Role.INSPECTOR, Role.CATALOG_ADMIN}


class QueueError(Exception):
    """An action the queue refuses; ``message`` is Vietnamese, shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------
def local_day(instant: dt.datetime) -> dt.date:
    return timezone.localdate(instant)


def format_code(letter: str, number: int, priority: str = Priority.NONE) -> str:
    """``A012``; priority tickets carry a leading U (ưu tiên): ``UA012``."""
    return f"{'U' if priority != Priority.NONE else ''}{letter}{number:03d}"


def _next_number(desk_id: int, group_id: int, day: dt.date) -> int:
    """Take the next number of ``group`` at ``desk`` for ``day``; must run inside the issuing
    transaction: the upsert locks the counter row until commit, a rollback gives the number back."""
    table = connection.ops.quote_name(TicketSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (desk_id, group_id, day, last) VALUES (%s, %s, %s, 1) "
            f"ON CONFLICT (desk_id, group_id, day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [desk_id, group_id, day],
        )
        (number,) = cursor.fetchone()
    return number


def _event(ticket: Ticket, action: str, at, actor, counter, from_status: str, payload: dict | None = None):
    return TicketEvent.objects.create(
        ticket=ticket,
        action=action,
        at=at,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        counter=counter,
        from_status=from_status,
        to_status=ticket.status,
        payload=payload or {},
    )


def _locked(ticket: Ticket | int) -> Ticket:
    """Re-read the ticket under a row lock (PostgreSQL; SQLite's IMMEDIATE transaction already
    serializes writers), so two counters acting on the same ticket see each other's change."""
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    try:
        return Ticket.objects.select_for_update(of=("self",)).select_related("group", "desk", "counter").get(pk=pk)
    except Ticket.DoesNotExist:
        raise QueueError("Không tìm thấy số thứ tự.") from None


def _check(ticket: Ticket, action: str) -> None:
    transition = TRANSITIONS[action]
    if ticket.status not in transition.sources:
        raise QueueError(
            f"Không thể {transition.label} số {ticket.code}: số này đang ở trạng thái “{Status(ticket.status).label}”."
        )


def _seconds(start: dt.datetime | None, end: dt.datetime) -> int | None:
    return None if start is None else max(0, int((end - start).total_seconds()))


def groups_served_by(counter: Counter, groups: list[ServiceGroup] | None = None) -> list[ServiceGroup]:
    """Active groups of the counter's desk that the counter serves: they share a field, or the
    counter or the group has no field (serves / takes everything)."""
    if groups is None:
        groups = list(ServiceGroup.objects.filter(desk_id=counter.desk_id, active=True).prefetch_related("fields"))
    counter_fields = set(counter.fields.values_list("id", flat=True))
    out = []
    for group in groups:
        group_fields = {f.id for f in group.fields.all()}
        if not counter_fields or not group_fields or counter_fields & group_fields:
            out.append(group)
    return out


def group_for_field(desk: Desk, field_id: int | None) -> ServiceGroup | None:
    """The desk's group taking procedures of ``field_id``; else the first active group."""
    groups = ServiceGroup.objects.filter(desk=desk, active=True).order_by("order", "letter")
    if field_id is not None:
        match = groups.filter(fields__id=field_id).first()
        if match is not None:
            return match
    return groups.first()


# ------------------------------------------------------------------------------------------------
# Who acts where
# ------------------------------------------------------------------------------------------------
def serving_desks(user) -> list[Desk]:
    """Desks where ``user`` works at a counter (desk officer, postal staff); superusers: all."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(Desk.objects.filter(active=True))
    ids = StaffMembership.objects.filter(
        user=user, active=True, role__in=SERVING_ROLES, desk__isnull=False
    ).values_list("desk_id", flat=True)
    return list(Desk.objects.filter(id__in=ids, active=True))


def assigned_counter(user, desks: list[Desk]) -> Counter | None:
    """The counter fixed in the user's membership (``StaffMembership.counter``), if any."""
    membership = (
        StaffMembership.objects.filter(
            user=user, active=True, role__in=SERVING_ROLES, counter__isnull=False, counter__desk__in=desks
        )
        .select_related("counter__desk")
        .first()
    )
    return membership.counter if membership else None


def stats_desks(user) -> QuerySet[Desk]:
    """Desks whose queue figures ``user`` may see: their own desks (officers, postal staff), the
    desks of or serving their agency (leaders), every desk (inspectors, provincial office)."""
    if not user.is_authenticated:
        return Desk.objects.none()
    memberships = list(StaffMembership.objects.filter(user=user, active=True))
    if user.is_superuser or any(m.role in STATS_ALL_ROLES for m in memberships):
        return Desk.objects.all()
    desk_ids = {m.desk_id for m in memberships if m.role in SERVING_ROLES and m.desk_id}
    agency_ids = {m.agency_id for m in memberships if m.role == Role.LEADER}
    return Desk.objects.filter(
        Q(id__in=desk_ids) | Q(agency_id__in=agency_ids) | Q(served_agencies__in=agency_ids)
    ).distinct()


# ------------------------------------------------------------------------------------------------
# State changes
# ------------------------------------------------------------------------------------------------
def issue_ticket(desk: Desk, group: ServiceGroup, priority: str | None = None, now: dt.datetime | None = None):
    """Issue the next number of ``group`` at ``desk`` (kiosk, ticket page, staff)."""
    now = now or timezone.now()
    priority = priority or Priority.NONE
    if priority not in Priority.values:
        raise QueueError("Đối tượng ưu tiên không hợp lệ.")
    if not desk.active:
        raise QueueError("Bộ phận một cửa này hiện không hoạt động.")
    if group.desk_id != desk.pk or not group.active:
        raise QueueError("Nhóm dịch vụ không thuộc bộ phận một cửa này hoặc đã ngừng hoạt động.")
    day = local_day(now)
    with transaction.atomic():
        number = _next_number(desk.pk, group.pk, day)
        ticket = Ticket.objects.create(
            desk=desk,
            group=group,
            day=day,
            number=number,
            code=format_code(group.letter, number, priority),
            priority=priority,
            status=Status.WAITING,
            issued_at=now,
            queued_at=now,
        )
        _event(ticket, "issue", now, None, None, "", {"priority": priority})
    return ticket


def _queue_for(counter: Counter, day: dt.date) -> QuerySet[Ticket]:
    """Waiting tickets ``counter`` may call, in call order."""
    group_ids = [g.id for g in groups_served_by(counter)]
    return (
        Ticket.objects.filter(desk_id=counter.desk_id, day=day, status=Status.WAITING)
        .filter(Q(target_counter=counter) | Q(target_counter__isnull=True, group_id__in=group_ids))
        .order_by("rank", "issued_at", "id")
    )


def current_ticket(counter: Counter, day: dt.date | None = None) -> Ticket | None:
    """The ticket ``counter`` is busy with (called or being served), if any."""
    day = day or timezone.localdate()
    return (
        Ticket.objects.filter(counter=counter, day=day, status__in=ACTIVE_STATUSES)
        .select_related("group")
        .order_by("-last_called_at", "-id")
        .first()
    )


def call_next(counter: Counter, officer, now: dt.datetime | None = None) -> Ticket:
    """Call the next ticket for ``counter``: priority tickets first, then first come first served,
    only from the groups the counter serves (or tickets transferred to this very counter).

    Two counters never call the same ticket: on PostgreSQL the candidate row is locked with
    SKIP LOCKED, so a concurrent call takes the next one; SQLite serializes write transactions.
    """
    now = now or timezone.now()
    day = local_day(now)
    if not counter.active:
        raise QueueError("Quầy này đang tạm ngừng hoạt động.")
    with transaction.atomic():
        # One call at a time per counter (a double click must not call two numbers): lock its row.
        Counter.objects.select_for_update().filter(pk=counter.pk).first()
        busy = current_ticket(counter, day)
        if busy is not None:
            raise QueueError(
                f"Quầy đang phục vụ số {busy.code}. Hãy kết thúc hoặc đánh dấu vắng mặt trước khi gọi số tiếp theo."
            )
        queue = _queue_for(counter, day)
        if connection.features.has_select_for_update_skip_locked:
            queue = queue.select_for_update(skip_locked=True, of=("self",))
        ticket = queue.first()
        if ticket is None:
            raise QueueError("Không còn số nào đang chờ cho quầy này.")
        before = ticket.status
        ticket.status = Status.CALLED
        ticket.counter = counter
        ticket.officer = officer
        ticket.called_at = now
        ticket.last_called_at = now
        ticket.wait_seconds = _seconds(ticket.queued_at, now)
        ticket.save(update_fields=["status", "counter", "officer", "called_at", "last_called_at", "wait_seconds"])
        _event(ticket, "call", now, officer, counter, before)
    return ticket


def recall(ticket: Ticket, officer, now: dt.datetime | None = None) -> Ticket:
    """Call the same number again (it moves back to the top of the display board)."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket)
        _check(ticket, "recall")
        ticket.recall_count += 1
        ticket.last_called_at = now
        ticket.save(update_fields=["recall_count", "last_called_at"])
        _event(ticket, "recall", now, officer, ticket.counter, Status.CALLED, {"recall_count": ticket.recall_count})
    return ticket


def start_service(ticket: Ticket, officer, now: dt.datetime | None = None) -> Ticket:
    """The applicant came to the counter: the intake starts (service time counts from here)."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket)
        _check(ticket, "start")
        before = ticket.status
        ticket.status = Status.SERVING
        ticket.served_at = now
        ticket.officer = officer or ticket.officer
        ticket.save(update_fields=["status", "served_at", "officer"])
        _event(ticket, "start", now, officer, ticket.counter, before)
    return ticket


def mark_no_show(ticket: Ticket, officer, now: dt.datetime | None = None) -> Ticket:
    """Nobody came when the number was called."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket)
        _check(ticket, "no_show")
        before = ticket.status
        ticket.status = Status.NO_SHOW
        ticket.finished_at = now
        ticket.save(update_fields=["status", "finished_at"])
        _event(ticket, "no_show", now, officer, ticket.counter, before)
    return ticket


def transfer(
    ticket: Ticket,
    officer,
    *,
    to_group: ServiceGroup | None = None,
    to_counter: Counter | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Send the applicant to another group or counter of the same desk. This ticket ends
    *transferred*; a new waiting ticket with the same number and issue time (so it keeps its place
    in the other queue) continues it. Returns the new ticket."""
    now = now or timezone.now()
    if (to_group is None) == (to_counter is None):
        raise QueueError("Hãy chọn một nhóm dịch vụ hoặc một quầy để chuyển đến.")
    with transaction.atomic():
        ticket = _locked(ticket)
        _check(ticket, "transfer")
        if to_group is not None and (to_group.desk_id != ticket.desk_id or not to_group.active):
            raise QueueError("Nhóm dịch vụ được chọn không thuộc bộ phận một cửa này.")
        if to_counter is not None:
            if to_counter.desk_id != ticket.desk_id or not to_counter.active:
                raise QueueError("Quầy được chọn không thuộc bộ phận một cửa này hoặc đang tạm ngừng.")
            if to_counter.pk == ticket.counter_id:
                raise QueueError("Không thể chuyển số đến chính quầy đang phục vụ.")
        if to_group is not None and to_group.pk == ticket.group_id and ticket.target_counter_id is None:
            raise QueueError("Số này đã thuộc nhóm dịch vụ được chọn.")
        before = ticket.status
        ticket.status = Status.TRANSFERRED
        ticket.finished_at = now
        ticket.service_seconds = _seconds(ticket.served_at or ticket.called_at, now)
        ticket.save(update_fields=["status", "finished_at", "service_seconds"])
        successor = Ticket.objects.create(
            desk_id=ticket.desk_id,
            group=to_group or ticket.group,
            day=ticket.day,
            number=ticket.number,
            code=ticket.code,
            priority=ticket.priority,
            status=Status.WAITING,
            issued_at=ticket.issued_at,
            queued_at=now,
            target_counter=to_counter,
            transferred_from=ticket,
        )
        payload = {"to_ticket": successor.pk}
        if to_group is not None:
            payload["to_group"] = to_group.letter
        if to_counter is not None:
            payload["to_counter"] = to_counter.number
        _event(ticket, "transfer", now, officer, ticket.counter, before, payload)
        _event(successor, "transfer_in", now, officer, to_counter, "", {"from_ticket": ticket.pk})
    return successor


def finish(ticket: Ticket, officer, dossier=None, now: dt.datetime | None = None) -> Ticket:
    """The visit at this counter is over; with the ``dossier`` received during it, the intake time
    (dossier received − number called) is stored for the ≤ 30 min target."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket)
        _check(ticket, "finish")
        before = ticket.status
        ticket.status = Status.DONE
        ticket.finished_at = now
        ticket.service_seconds = _seconds(ticket.served_at or ticket.called_at, now)
        fields = ["status", "finished_at", "service_seconds"]
        if dossier is not None:
            _attach(ticket, dossier, now)
            fields += ["dossier", "intake_seconds"]
        ticket.save(update_fields=fields)
        _event(ticket, "finish", now, officer, ticket.counter, before, _dossier_payload(dossier))
    return ticket


def _attach(ticket: Ticket, dossier, now: dt.datetime) -> None:
    if dossier.desk_id != ticket.desk_id:
        raise QueueError("Hồ sơ không được tiếp nhận tại bộ phận một cửa của số thứ tự này.")
    ticket.dossier = dossier
    ticket.intake_seconds = _seconds(ticket.called_at, dossier.received_at or now)


def _dossier_payload(dossier) -> dict:
    return {"dossier": dossier.code} if dossier is not None else {}


def record_intake(ticket_id: int, dossier, officer, now: dt.datetime | None = None) -> Ticket:
    """Link the dossier the intake screen just received to the applicant's ticket.

    A ticket still at the counter (called or being served) is finished with it. A ticket already
    finished without a dossier gets it attached. When the visit already has a dossier (several
    dossiers in one visit), the first one stays and the extra one is only written to the history.
    Refused (``QueueError``) for a ticket that was never served here (waiting, no-show,
    transferred) or belongs to another desk.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket_id)
        if ticket.status in ACTIVE_STATUSES:
            return finish(ticket, officer, dossier=dossier, now=now)
        if ticket.status != Status.DONE:
            raise QueueError(
                f"Không thể gắn hồ sơ với số {ticket.code}: số này đang ở trạng thái “{Status(ticket.status).label}”."
            )
        if ticket.dossier_id is None:
            _attach(ticket, dossier, now)
            ticket.save(update_fields=["dossier", "intake_seconds"])
        elif dossier.desk_id != ticket.desk_id:
            raise QueueError("Hồ sơ không được tiếp nhận tại bộ phận một cửa của số thứ tự này.")
        _event(ticket, "intake", now, officer, ticket.counter, Status.DONE, _dossier_payload(dossier))
    return ticket


# ------------------------------------------------------------------------------------------------
# Reading the queue
# ------------------------------------------------------------------------------------------------
def waiting_ahead(ticket: Ticket) -> int:
    """How many waiting tickets of the same group would be called before ``ticket``."""
    if ticket.status != Status.WAITING:
        return 0
    return (
        Ticket.objects.filter(desk_id=ticket.desk_id, day=ticket.day, status=Status.WAITING, group_id=ticket.group_id)
        .filter(
            Q(rank__lt=ticket.rank)
            | Q(rank=ticket.rank, issued_at__lt=ticket.issued_at)
            | Q(rank=ticket.rank, issued_at=ticket.issued_at, id__lt=ticket.id)
        )
        .count()
    )


def waiting_by_group(desk: Desk, day: dt.date | None = None) -> list[ServiceGroup]:
    """The desk's active groups, each annotated with ``waiting`` (tickets waiting today); one query."""
    day = day or timezone.localdate()
    return list(
        ServiceGroup.objects.filter(desk=desk, active=True)
        .annotate(waiting=Count("tickets", filter=Q(tickets__day=day, tickets__status=Status.WAITING)))
        .order_by("order", "letter")
    )


def called_tickets(desk: Desk, day: dt.date | None = None, limit: int = 8) -> list[Ticket]:
    """Numbers currently called at the desk's counters, the latest call first (display board)."""
    day = day or timezone.localdate()
    return list(
        Ticket.objects.filter(desk=desk, day=day, status__in=ACTIVE_STATUSES)
        .select_related("counter", "group")
        .order_by("-last_called_at", "-id")[:limit]
    )


# ------------------------------------------------------------------------------------------------
# Measurement
# ------------------------------------------------------------------------------------------------
@dataclass
class QueueStats:
    """Figures of one desk, counter or officer (or the total, ``key`` None) for a day.

    Wait = from entering the queue (issue or transfer) to the call; service = from the start of the
    intake (or the call) to the end at that counter; intake = dossier received − number called.
    Minutes; ``p90`` is the nearest-rank 90th percentile computed in SQL.
    """

    key: int | None
    label: str
    visits: int = 0  # tickets issued (transfers are not new visits)
    called: int = 0
    done: int = 0
    no_show: int = 0
    transferred: int = 0
    waiting: int = 0
    avg_wait: float | None = None
    p90_wait: float | None = None
    max_wait: float | None = None
    over_target: int = 0  # calls after more than WAIT_TARGET_MINUTES of waiting
    avg_service: float | None = None
    p90_service: float | None = None
    intakes: int = 0
    avg_intake: float | None = None

    @property
    def within_target_percent(self) -> float | None:
        if not self.called:
            return None
        return round(100 * (self.called - self.over_target) / self.called, 1)

    @property
    def meets_target(self) -> bool | None:
        return None if self.p90_wait is None else self.p90_wait <= WAIT_TARGET_MINUTES


_KEYS = {
    "desk": ("desk_id", ("desk__code", "desk__name")),
    "counter": ("counter_id", ("counter__number", "counter__name", "desk__code")),
    "officer": ("officer_id", ("officer__username", "officer__first_name", "officer__last_name")),
}


def _minutes(seconds) -> float | None:
    return None if seconds is None else round(float(seconds) / 60, 1)


def _label(by: str, row: dict) -> str:
    if by == "desk":
        return f"{row['desk__name']} ({row['desk__code']})"
    if by == "counter":
        if row["counter__number"] is None:
            return "Chưa gọi đến quầy"
        return f"{row['counter__name'] or 'Quầy ' + str(row['counter__number'])} ({row['desk__code']})"
    if row["officer__username"] is None:
        return "Chưa có cán bộ"
    full = f"{row['officer__last_name']} {row['officer__first_name']}".strip()
    return full or row["officer__username"]


def _p90(qs: QuerySet[Ticket], key: str | None, column: str) -> dict:
    """Nearest-rank 90th percentile of ``column`` per ``key``: the smallest value whose cumulative
    distribution reaches 0.9 — window functions that SQLite (≥ 3.25) and PostgreSQL both run."""
    partition = [F(key)] if key else []
    inner = (
        qs.filter(**{f"{column}__isnull": False})
        .annotate(
            k=F(key or "day"), v=F(column), cd=Window(CumeDist(), partition_by=partition, order_by=F(column).asc())
        )
        .values_list("k", "v", "cd")
        .order_by()
    )
    sql, params = inner.query.sql_with_params()
    # 0.9 minus a hair: the cumulative distribution is a float (27/30 must count as 0.9).
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT k, MIN(v) FROM ({sql}) sub WHERE cd >= 0.8999999 GROUP BY k", params)
        rows = cursor.fetchall()
    if not key:
        return {None: min((v for _, v in rows), default=None)}
    return dict(rows)


def queue_stats(
    desk: Desk | Iterable[Desk] | None = None, day: dt.date | None = None, by: str = "desk"
) -> list[QueueStats]:
    """Counts, average / p90 / max wait, service and intake times for ``day`` (today by default) at
    ``desk`` (one desk, several, or all), grouped ``by`` desk, counter or officer, or ``"total"``
    (one row). SQL aggregates only."""
    day = day or timezone.localdate()
    if by not in (*_KEYS, "total"):
        raise ValueError(by)
    qs = Ticket.objects.filter(day=day)
    if isinstance(desk, Desk):
        qs = qs.filter(desk=desk)
    elif desk is not None:
        qs = qs.filter(desk__in=desk)
    aggregates = {
        "visits": Count("id", filter=Q(transferred_from__isnull=True)),
        "called": Count("id", filter=Q(called_at__isnull=False)),
        "done": Count("id", filter=Q(status=Status.DONE)),
        "no_show": Count("id", filter=Q(status=Status.NO_SHOW)),
        "transferred": Count("id", filter=Q(status=Status.TRANSFERRED)),
        "waiting": Count("id", filter=Q(status=Status.WAITING)),
        "avg_wait": Avg("wait_seconds"),
        "max_wait": Max("wait_seconds"),
        "over_target": Count("id", filter=Q(wait_seconds__gt=WAIT_TARGET_MINUTES * 60)),
        "avg_service": Avg("service_seconds"),
        "intakes": Count("id", filter=Q(intake_seconds__isnull=False)),
        "avg_intake": Avg("intake_seconds"),
    }
    if by == "total":
        rows = [{"key": None, **qs.aggregate(**aggregates)}]
        labels = {None: "Tổng cộng"}
        key = None
    else:
        key, label_fields = _KEYS[by]
        rows = list(qs.values(key, *label_fields).annotate(**aggregates).order_by(*label_fields))
        for row in rows:
            row["key"] = row[key]
        labels = {row["key"]: _label(by, row) for row in rows}
    p90_wait = _p90(qs, key, "wait_seconds")
    p90_service = _p90(qs, key, "service_seconds")
    out = []
    for row in rows:
        if by != "total" and by != "desk" and not row["called"]:
            continue  # counters/officers only exist in the figures once they called someone
        k = row["key"]
        out.append(
            QueueStats(
                key=k,
                label=labels[k],
                visits=row["visits"],
                called=row["called"],
                done=row["done"],
                no_show=row["no_show"],
                transferred=row["transferred"],
                waiting=row["waiting"],
                avg_wait=_minutes(row["avg_wait"]),
                p90_wait=_minutes(p90_wait.get(k)),
                max_wait=_minutes(row["max_wait"]),
                over_target=row["over_target"],
                avg_service=_minutes(row["avg_service"]),
                p90_service=_minutes(p90_service.get(k)),
                intakes=row["intakes"],
                avg_intake=_minutes(row["avg_intake"]),
            )
        )
    return out
