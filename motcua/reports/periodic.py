"""The periodic report on dossier handling (báo cáo tình hình, kết quả giải quyết TTHC), per agency
or field, for a period — the layout of the report the one-stop rules ask of every agency
(Circular 01/2020/TT-VPCP's form, kept by Decree 118/2025 and Circular 03/2025):

=====================================  ===========================================================
received                               carried over from the previous period + new (online, direct,
                                       by post)
resolved                               early, on time, late (``rollups.classify``)
in progress at the end of the period   on time, late
returned for supplement, refused,      events of the period
withdrawn, stopped
rates                                  resolved on time (early + on time) / resolved; online / new
=====================================  ===========================================================

Sources: flows from ``MonthlyFlow`` for whole months of the period and ``DailyFlow`` for the partial
months at its ends (one aggregate each); stocks from ``OpenSnapshot`` (the day before the period and
its last day), or counted live when the period ends today or later.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Sum
from django.utils import timezone

from motcua.workcalendar.engine import VN_TZ

from . import rollups
from .models import FLOW_COUNTERS, DailyFlow, MonthlyFlow, OpenSnapshot

GROUPS = {"agency": "agency_id", "field": "field_id", "procedure": "procedure_id"}


@dataclass
class Row:
    key: int | None
    label: str = ""
    carried_over: int = 0
    flows: dict = field(default_factory=lambda: dict.fromkeys(FLOW_COUNTERS, 0))
    open_on_time: int = 0
    open_late: int = 0

    @property
    def received_new(self) -> int:
        return self.flows["received_online"] + self.flows["received_direct"] + self.flows["received_post"]

    @property
    def received_total(self) -> int:
        return self.carried_over + self.received_new

    @property
    def resolved(self) -> int:
        return self.flows["resolved_early"] + self.flows["resolved_on_time"] + self.flows["resolved_late"]

    @property
    def in_progress(self) -> int:
        return self.open_on_time + self.open_late

    @property
    def on_time_rate(self) -> float | None:
        """Resolved early or on time / resolved (%), None when nothing was resolved."""
        ok = self.flows["resolved_early"] + self.flows["resolved_on_time"]
        return round(100 * ok / self.resolved, 2) if self.resolved else None

    @property
    def online_rate(self) -> float | None:
        return round(100 * self.flows["received_online"] / self.received_new, 2) if self.received_new else None

    def add(self, other: Row) -> None:
        self.carried_over += other.carried_over
        self.open_on_time += other.open_on_time
        self.open_late += other.open_late
        for c in FLOW_COUNTERS:
            self.flows[c] += other.flows[c]


@dataclass
class Report:
    start: dt.date
    end: dt.date
    by: str
    rows: list[Row]
    total: Row


def _month_split(start: dt.date, end: dt.date) -> tuple[list[tuple[dt.date, dt.date]], tuple[dt.date, dt.date] | None]:
    """(day ranges read from the daily table, the whole-month range read from the monthly one)."""
    first_full = start if start.day == 1 else (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    after = end + dt.timedelta(days=1)
    last_full_end = after.replace(day=1) - dt.timedelta(days=1) if after.day != 1 else end
    if first_full > last_full_end:
        return [(start, end)], None
    days = []
    if start < first_full:
        days.append((start, first_full - dt.timedelta(days=1)))
    if last_full_end < end:
        days.append((last_full_end + dt.timedelta(days=1), end))
    return days, (first_full, last_full_end.replace(day=1))


def _scope(qs, scope: dict):
    """``scope``: ``agency_ids`` (a set, None = all), ``field_id``, ``procedure_id``."""
    if scope.get("agency_ids") is not None:
        qs = qs.filter(agency_id__in=scope["agency_ids"])
    if scope.get("field_id"):
        qs = qs.filter(field_id=scope["field_id"])
    if scope.get("procedure_id"):
        qs = qs.filter(procedure_id=scope["procedure_id"])
    return qs


def periodic(start: dt.date, end: dt.date, *, by: str = "agency", **scope) -> Report:
    """The report for ``start``..``end`` (inclusive, Vietnam dates), one row per ``by`` key
    (agency, field, procedure, or ``level``: the agencies' administrative levels, province first)."""
    if by == "level":
        return _by_level(periodic(start, end, by="agency", **scope))
    group = GROUPS[by]
    rows: dict = defaultdict(lambda: Row(None))
    sums = {c: Sum(c) for c in FLOW_COUNTERS}
    day_ranges, months = _month_split(start, end)
    parts = [_scope(DailyFlow.objects.filter(day__range=r), scope) for r in day_ranges]
    if months:
        parts.append(_scope(MonthlyFlow.objects.filter(month__range=months), scope))
    for qs in parts:
        for r in qs.values(group).annotate(**sums):
            row = rows[r[group]]
            for c in FLOW_COUNTERS:
                row.flows[c] += r[c] or 0
    for r in (
        _scope(OpenSnapshot.objects.filter(day=start - dt.timedelta(days=1)), scope)
        .values(group)
        .annotate(on=Sum("on_time"), late=Sum("late"))
    ):
        rows[r[group]].carried_over += (r["on"] or 0) + (r["late"] or 0)
    today = timezone.now().astimezone(VN_TZ).date()
    if end >= today:  # the period is not over: the stock is counted live (open dossiers only)
        live = {"agency_id__in": scope["agency_ids"]} if scope.get("agency_ids") is not None else {}
        if scope.get("field_id"):
            live["version__field_id"] = scope["field_id"]
        if scope.get("procedure_id"):
            live["version__procedure_id"] = scope["procedure_id"]
        key = {"agency_id": "agency_id", "field_id": "version__field_id", "procedure_id": "version__procedure_id"}[
            group
        ]
        for r in rollups.open_counts(timezone.now(), **live):
            row = rows[r[key]]
            row.open_on_time += r["total"] - r["late"]
            row.open_late += r["late"]
    else:
        for r in (
            _scope(OpenSnapshot.objects.filter(day=end), scope)
            .values(group)
            .annotate(on=Sum("on_time"), late=Sum("late"))
        ):
            rows[r[group]].open_on_time += r["on"] or 0
            rows[r[group]].open_late += r["late"] or 0
    out = []
    labels = _labels(by, [k for k in rows if k is not None])
    total = Row(None, "Tổng cộng")
    for key, row in rows.items():
        row.key, row.label = key, labels.get(key, str(key))
        out.append(row)
        total.add(row)
    out.sort(key=lambda r: r.label)
    return Report(start, end, by, out, total)


def _labels(by: str, keys: list) -> dict:
    from motcua.catalog.models import Field, Procedure
    from motcua.org.models import Agency

    if by == "agency":
        return dict(Agency.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "field":
        return dict(Field.objects.filter(pk__in=keys).values_list("pk", "name"))
    return {p.pk: p.code for p in Procedure.objects.filter(pk__in=keys)}


def _by_level(report: Report) -> Report:
    from motcua.org.models import Agency

    levels = {
        a["pk"]: (a["unit__level__rank"], a["unit__level__id"], a["unit__level__name"])
        for a in Agency.objects.filter(pk__in=[r.key for r in report.rows]).values(
            "pk", "unit__level__rank", "unit__level__id", "unit__level__name"
        )
    }
    merged: dict = {}
    for row in report.rows:
        rank, level_id, name = levels.get(row.key, (9, None, "—"))
        target = merged.setdefault(rank, Row(level_id, f"Cấp {name.lower()}" if name != "—" else name))
        target.add(row)
    rows = [merged[k] for k in sorted(merged)]
    return Report(report.start, report.end, "level", rows, report.total)
