"""Digitization KPIs (Decree 107/2021; the seeds' targets: results digitized province 70%, district
60%, commune 55%, +20%/year to 100%), per agency and administrative level, for a period. Used by the
reports issue; one function, aggregated in SQL (one query per figure, no per-dossier loop).

Definitions (rules as data, see the constants):

* **Components digitized at intake**: among dossiers *received* in the period (``received_at``
  within the local dates), the share whose every handed-in component (``provided``, not taken from
  the data store or a linked dossier) has a document attached no later than ``INTAKE_GRACE`` after
  receipt. A dossier with nothing handed in on paper counts as digitized.
* **Results digitized and signed**: among dossiers whose *approved* result was issued in the period
  (``finished_at`` within the dates, outcome approved), the share with a signed result document in
  the store that is still valid at the end of the period (no expiry, or expiry after it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q

from motcua.workcalendar.engine import VN_TZ

from .models import Document, Kind

INTAKE_GRACE = dt.timedelta(hours=8)  # one working day of the officer who received the papers
TARGETS = {"province": 0.70, "district": 0.60, "commune": 0.55}  # results digitized (seeds, 2025)


@dataclass
class DigitizationRow:
    agency_id: int
    agency_code: str
    agency_name: str
    level: str
    received: int
    digitized_at_intake: int
    results_issued: int
    results_signed: int
    target: float | None

    @property
    def intake_rate(self) -> float | None:
        return self.digitized_at_intake / self.received if self.received else None

    @property
    def result_rate(self) -> float | None:
        return self.results_signed / self.results_issued if self.results_issued else None


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=VN_TZ)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=VN_TZ)
    return lo, hi


def digitization_rates(
    start: dt.date, end: dt.date, *, agencies=None, level: str | None = None
) -> list[DigitizationRow]:
    """One row per agency with dossiers in the period (``agencies``: ids to limit to; ``level``:
    an administrative level code such as "commune")."""
    from motcua.dossiers.models import Dossier, DossierComponent, Outcome

    lo, hi = _bounds(start, end)
    base = Dossier.objects.all()
    if agencies is not None:
        base = base.filter(agency_id__in=list(agencies))
    if level:
        base = base.filter(agency__unit__level__code=level)

    undigitized = DossierComponent.objects.filter(dossier=OuterRef("pk"), provided=True, source="applicant").exclude(
        Exists(
            Document.objects.filter(
                dossier=OuterRef("dossier"),
                component_code=OuterRef("code"),
                kind=Kind.COMPONENT,
                uploaded_at__lte=OuterRef("dossier__received_at") + INTAKE_GRACE,
            )
        )
    )
    intake = (
        base.filter(received_at__gte=lo, received_at__lt=hi)
        .values("agency_id")
        .annotate(received=Count("pk"), digitized=Count("pk", filter=~Q(Exists(undigitized))))
    )
    signed = Document.objects.filter(dossier=OuterRef("pk"), kind=Kind.RESULT, signed=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=end)
    )
    results = (
        base.filter(finished_at__gte=lo, finished_at__lt=hi, outcome=Outcome.APPROVED)
        .values("agency_id")
        .annotate(issued=Count("pk"), signed=Count("pk", filter=Q(Exists(signed))))
    )
    rows: dict[int, dict] = {}
    for r in intake:
        rows.setdefault(r["agency_id"], {}).update(received=r["received"], digitized=r["digitized"])
    for r in results:
        rows.setdefault(r["agency_id"], {}).update(issued=r["issued"], signed=r["signed"])
    from motcua.org.models import Agency

    info = {
        a["pk"]: a
        for a in Agency.objects.filter(pk__in=rows).values("pk", "code", "name", level_code=F("unit__level__code"))
    }
    out = [
        DigitizationRow(
            agency_id=pk,
            agency_code=info[pk]["code"],
            agency_name=info[pk]["name"],
            level=info[pk]["level_code"],
            received=v.get("received", 0),
            digitized_at_intake=v.get("digitized", 0),
            results_issued=v.get("issued", 0),
            results_signed=v.get("signed", 0),
            target=TARGETS.get(info[pk]["level_code"]),
        )
        for pk, v in rows.items()
    ]
    return sorted(out, key=lambda r: (r.level, r.agency_code))
