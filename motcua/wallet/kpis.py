""" "Only once" metrics (for the reports issue): how often the state asked again for what it held.

Definitions (SPEC §3, "applicants who did not re-submit an accepted paper: 30% (2022) → 80% (2025)"):

* A dossier *had held papers* when, at intake, at least one of its components could be satisfied by
  something the state already held — a valid document of the owner or a national database that
  answered (a ``Reuse`` row exists, accepted or rejected).
* Such a dossier *re-submitted nothing* when none of those proposals was rejected (a paper handed in
  anyway counts as rejected). ``no_resubmission_share`` = re-submitted nothing / had held papers.
  Dossiers with nothing held are outside the denominator: there was nothing to reuse.
* ``component_reuse_share`` = provided components that came from the e-data store or a national
  database / all provided components.

Periods count dossiers by submission time (``submitted_at``), in Vietnam's local time; grouping by
agency (the handling agency), administrative level, or month. Aggregates in SQL, one query each.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import TruncMonth

from motcua.dossiers.models import Dossier, DossierComponent
from motcua.dossiers.services import REUSE_SOURCES
from motcua.workcalendar.engine import VN_TZ

from .models import Reuse, ReuseStatus

LOCAL_TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")  # a named zone: SQL truncation needs one
GROUPS = {
    "agency": ("agency_id", "agency__name"),
    "level": ("agency__unit__level__code", "agency__unit__level__name"),
    "month": ("month",),
    None: (),
}


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=VN_TZ),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=VN_TZ),
    )


def reuse_rates(start: dt.date, end: dt.date, *, group_by: str | None = None, agencies=None) -> list[dict]:
    """Rows of the metrics for dossiers submitted from ``start`` to ``end`` (inclusive), per group."""
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {list(GROUPS)}")
    lo, hi = _bounds(start, end)
    dossiers = Dossier.objects.filter(submitted_at__gte=lo, submitted_at__lt=hi)
    if agencies is not None:
        dossiers = dossiers.filter(agency__in=agencies)
    held = Reuse.objects.filter(dossier=OuterRef("pk"))
    rejected = held.filter(status=ReuseStatus.REJECTED)
    keys = GROUPS[group_by]
    dq = dossiers.annotate(held=Exists(held), rejected=Exists(rejected))
    cq = DossierComponent.objects.filter(dossier__in=dossiers, provided=True)
    if group_by == "month":
        dq = dq.annotate(month=TruncMonth("submitted_at", tzinfo=LOCAL_TZ))
        cq = cq.annotate(month=TruncMonth("dossier__submitted_at", tzinfo=LOCAL_TZ))
    elif keys:
        cq = cq.annotate(**{k.replace("__", "_"): F(f"dossier__{k}") for k in keys})
    d_counts = {
        "dossiers": Count("pk"),
        "with_held": Count("pk", filter=Q(held=True)),
        "resubmitted_nothing": Count("pk", filter=Q(held=True, rejected=False)),
    }
    c_counts = {"components": Count("pk"), "reused": Count("pk", filter=Q(source__in=REUSE_SOURCES))}
    c_keys = [k if group_by == "month" else k.replace("__", "_") for k in keys]
    if keys:
        d_rows = list(dq.values(*keys).annotate(**d_counts).order_by(*keys))
        c_rows = {tuple(r[k] for k in c_keys): r for r in cq.values(*c_keys).annotate(**c_counts)}
    else:  # one row for the whole period
        d_rows = [dq.aggregate(**d_counts)]
        c_rows = {(): cq.aggregate(**c_counts)}
    out = []
    for r in d_rows:
        c = c_rows.get(tuple(r[k] for k in keys)) or {"components": 0, "reused": 0}
        out.append(
            {
                **{k: r[k] for k in keys},
                "dossiers": r["dossiers"],
                "with_held": r["with_held"],
                "resubmitted_nothing": r["resubmitted_nothing"],
                "no_resubmission_share": _share(r["resubmitted_nothing"], r["with_held"]),
                "components": c["components"],
                "components_reused": c["reused"],
                "component_reuse_share": _share(c["reused"], c["components"]),
            }
        )
    return out


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
