"""Late-dossier analysis: for each dossier resolved late in a period (or still open and late), which
steps and agencies consumed the overrun, in working time (``dossiers.services.step_usage``: budget
vs working time used per step; waiting for the applicant does not count)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import F, Prefetch, Q
from django.utils import timezone

from motcua.dossiers.models import Dossier, Step
from motcua.dossiers.services import step_usage
from motcua.workcalendar.engine import UNITS_PER_DAY, VN_TZ

LIMIT = 2000  # dossiers analysed per request (the most recent); the count says when there were more


def _instant(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=VN_TZ)


def late_dossiers(start: dt.date, end: dt.date, agency_ids=None):
    lo, hi = _instant(start), _instant(end + dt.timedelta(days=1))
    now = timezone.now()
    resolved_late = Q(finished_at__gte=lo, finished_at__lt=hi) & (
        Q(finished_at__gt=F("due_at")) | Q(apology_count__gt=0)
    )
    open_late = Q(finished_at__isnull=True, closed_at__isnull=True, received_at__lt=hi, due_at__lt=min(now, hi))
    qs = Dossier.objects.filter(resolved_late | open_late)
    if agency_ids is not None:
        qs = qs.filter(agency_id__in=agency_ids)
    return qs


def analyse(start: dt.date, end: dt.date, agency_ids=None) -> dict:
    """``{"dossiers": [...], "by_agency": [...], "count", "analysed"}``: per dossier the steps over
    budget (largest first); per agency of those steps the dossiers and working days of overrun."""
    qs = late_dossiers(start, end, agency_ids)
    count = qs.count()
    dossiers = list(
        qs.select_related("version__procedure", "agency")
        .prefetch_related(Prefetch("steps", queryset=Step.objects.select_related("agency").order_by("order", "id")))
        .order_by("-pk")[:LIMIT]
    )
    by_agency: dict = defaultdict(lambda: {"dossiers": set(), "units": 0, "name": ""})
    rows = []
    for d in dossiers:
        over = [r for r in step_usage(d) if r["overrun_units"] > 0]
        over.sort(key=lambda r: -r["overrun_units"])
        for r in over:
            a = by_agency[r["step"].agency_id]
            a["dossiers"].add(d.pk)
            a["units"] += r["overrun_units"]
            a["name"] = r["step"].agency.name if r["step"].agency_id else "—"
        rows.append(
            {
                "dossier": d,
                "steps": [
                    {
                        "name": r["step"].name,
                        "agency": r["step"].agency.name if r["step"].agency_id else "—",
                        "days": round(r["overrun_units"] / UNITS_PER_DAY, 2),
                    }
                    for r in over
                ],
            }
        )
    agencies = sorted(
        (
            {"agency": v["name"], "dossiers": len(v["dossiers"]), "days": round(v["units"] / UNITS_PER_DAY, 2)}
            for v in by_agency.values()
        ),
        key=lambda x: -x["days"],
    )
    return {"dossiers": rows, "by_agency": agencies, "count": count, "analysed": len(dossiers)}
