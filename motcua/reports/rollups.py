"""Incremental rollups: every dossier event adds to the day's and the month's counters of its
handling agency and procedure, in the event's own transaction (``apply``, called by
``dossiers.services.save_events``), so reports read aggregates and never scan dossiers.

The rules (one place):

* ``deltas``: which counter an event moves. Receipt (``receive`` at the counter, ``accept`` of an
  online dossier, ``start_linked`` of a bundle member) → received by channel (online; direct =
  counter or kiosk; post = post or the public postal service). ``issue_result`` → resolved early,
  on time or late (``classify``). ``refuse``, ``request_supplement``, ``withdraw``, ``stop``,
  ``return_result``, ``apologize`` → their counters. Fees paid online (``record_fee_payment``, or
  ``pay_fee`` by the system after the gateway's callback) or at the desk (``pay_fee`` by an officer).
* ``classify``: late = the result came after the due time, or the agency had to apologize (a moved
  date is still a late dossier); early = before the due *day* (Vietnam time); on time otherwise.
* Stocks (in progress on time / late, carried over) are not flows: ``snapshot`` records the open
  dossiers at the end of each day (the scheduler runs it at 23:55), the report reads them.

``rebuild`` recomputes the flows from the event history (``manage.py rebuild_rollups``); a test checks
that the incremental counters equal it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Count, Q

from motcua.workcalendar.engine import VN_TZ

from .models import FLOW_COUNTERS, DailyFlow, MonthlyFlow, OpenSnapshot

RECEIPTS = frozenset({"receive", "accept", "start_linked"})
SIMPLE = {
    "refuse": "refused",
    "request_supplement": "supplement_requested",
    "withdraw": "withdrawn",
    "stop": "stopped",
    "return_result": "returned",
    "apologize": "apologies",
    "record_fee_payment": "paid_online",
}
CHANNEL_COUNTER = {
    "online": "received_online",
    "counter": "received_direct",
    "kiosk": "received_direct",
    "post": "received_post",
    "postal_service": "received_post",
}


def local_day(instant: dt.datetime) -> dt.date:
    return instant.astimezone(VN_TZ).date()


def classify(finished_at: dt.datetime, due_at: dt.datetime | None, apologies: int = 0) -> str:
    """ "early" | "on_time" | "late" for a result issued at ``finished_at``."""
    if due_at is None:
        return "on_time"
    if apologies or finished_at > due_at:
        return "late"
    return "early" if local_day(finished_at) < local_day(due_at) else "on_time"


def deltas(event, dossier) -> dict[str, int]:
    action = event.action
    if action in RECEIPTS:
        return {CHANNEL_COUNTER.get(dossier.channel, "received_direct"): 1}
    if action == "issue_result":
        return {f"resolved_{classify(event.at, dossier.due_at, dossier.apology_count)}": 1}
    if action == "pay_fee":
        return {"paid_online" if event.actor_role == "system" else "paid_counter": 1}
    if action in SIMPLE:
        return {SIMPLE[action]: 1}
    return {}


def _key(event, dossier) -> tuple:
    version = dossier.version
    return (local_day(event.at), dossier.agency_id, version.procedure_id, version.field_id)


def _upsert(table: str, period: str, rows: dict[tuple, dict[str, int]]) -> None:
    columns = [period, "agency_id", "procedure_id", "field_id", *FLOW_COUNTERS]
    values, params = [], []
    for (when, agency, procedure, field), counts in rows.items():
        values.append("(" + ", ".join(["%s"] * len(columns)) + ")")
        params += [when, agency, procedure, field, *(counts.get(c, 0) for c in FLOW_COUNTERS)]
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in FLOW_COUNTERS)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join(values)} "
        f"ON CONFLICT ({period}, agency_id, procedure_id) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def add(rows: dict[tuple, dict[str, int]]) -> None:
    """Add day-keyed counters to the daily and the monthly rollups (two upsert statements)."""
    if not rows:
        return
    monthly: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (day, agency, procedure, field), counts in rows.items():
        bucket = monthly[(day.replace(day=1), agency, procedure, field)]
        for c, n in counts.items():
            bucket[c] += n
    _upsert(DailyFlow._meta.db_table, "day", rows)
    _upsert(MonthlyFlow._meta.db_table, "month", monthly)


def apply(events) -> None:
    """The events' counters, added in the caller's transaction."""
    rows: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for event in events:
        moved = deltas(event, event.dossier)
        if moved:
            bucket = rows[_key(event, event.dossier)]
            for c, n in moved.items():
                bucket[c] += n
    add(rows)


def rebuild(chunk: int = 20_000) -> int:
    """Recompute every flow from the event history (replaces the tables); returns the events counted."""
    from motcua.dossiers.models import Dossier, Event

    actions = RECEIPTS | set(SIMPLE) | {"issue_result", "pay_fee"}
    counted = 0
    with transaction.atomic():
        DailyFlow.objects.all().delete()
        MonthlyFlow.objects.all().delete()
        last = 0
        while True:
            batch = list(
                Event.objects.filter(pk__gt=last, action__in=actions)
                .order_by("pk")
                .only("pk", "action", "at", "actor_role", "dossier_id")[:chunk]
            )
            if not batch:
                break
            last = batch[-1].pk
            dossiers = (
                Dossier.objects.select_related("version")
                .only(
                    "id",
                    "channel",
                    "agency_id",
                    "due_at",
                    "apology_count",
                    "version__procedure_id",
                    "version__field_id",
                )
                .in_bulk({e.dossier_id for e in batch})
            )
            rows: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for e in batch:
                d = dossiers[e.dossier_id]
                for c, n in deltas(e, d).items():
                    rows[_key(e, d)][c] += n
                    counted += 1
            for start in range(0, len(rows), 500):
                add(dict(list(rows.items())[start : start + 500]))
    return counted


# ------------------------------------------------------------------------------------------------
# Stocks: dossiers in progress at the end of a day
# ------------------------------------------------------------------------------------------------
OPEN = Q(received_at__isnull=False, finished_at__isnull=True, closed_at__isnull=True)


def late_at(instant: dt.datetime) -> Q:
    """In progress and past due at ``instant`` (paused dossiers: only if their remaining time ran out)."""
    return Q(paused_at__isnull=True, due_at__lt=instant) | Q(paused_at__isnull=False, remaining_units__lt=0)


def open_counts(instant: dt.datetime, **filters) -> list[dict]:
    """Open dossiers now, per agency and procedure, on time / late at ``instant`` (one aggregate over
    the open dossiers only)."""
    from motcua.dossiers.models import Dossier

    return list(
        Dossier.objects.filter(OPEN, **filters)
        .values("agency_id", "version__procedure_id", "version__field_id")
        .annotate(late=Count("id", filter=late_at(instant)), total=Count("id"))
    )


def snapshot(day: dt.date) -> int:
    """Record the open dossiers at the end of ``day`` (run at the end of that day); returns rows."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=VN_TZ)
    rows = [
        OpenSnapshot(
            day=day,
            agency_id=r["agency_id"],
            procedure_id=r["version__procedure_id"],
            field_id=r["version__field_id"],
            on_time=r["total"] - r["late"],
            late=r["late"],
        )
        for r in open_counts(end)
    ]
    with transaction.atomic():
        OpenSnapshot.objects.filter(day=day).delete()
        OpenSnapshot.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
