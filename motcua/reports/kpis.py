"""The service-quality index of Decision 766/QĐ-TTg (Bộ chỉ số chỉ đạo, điều hành và đánh giá chất
lượng phục vụ người dân, doanh nghiệp trong thực hiện TTHC, DVC theo thời gian thực), per agency and
for the province, and the measurements it shares with the seeds' targets (``targets.actuals``).

The national portal scores every agency on 100 points in six groups. Its exact sub-indicators are
computed from national data MotCua does not hold, so MotCua **approximates** each group from data
it has: score = the group's points × one share (0–1), one documented function per group:

==============  ======  ==================================================================================
group           points  share (function)
==============  ======  ==================================================================================
publicity       18      ``publicity_shares``: procedures in force with complete published data / procedures
                        in force (components, fees, time limit, legal basis; dossier tracking is public for
                        every dossier in MotCua, so that criterion always holds)
progress        20      ``progress_shares``: resolved early or on time / resolved (flow rollups)
online          12      ``online_shares``: dossiers received online / dossiers received, over the procedures
                        offered online (full or partial) — flow rollups
digitization    22      ``digitization_shares``: mean of (dossiers digitized at intake / received) and
                        (approved results with a signed, valid e-result / approved results) —
                        ``documents.kpis.digitization_rates``
satisfaction    18      ``satisfaction_shares``: very satisfied + satisfied / ratings of the period —
                        ``engagement.ratings.satisfaction_rate``
payment         10      ``payment_shares``: dossiers with fees paid online / dossiers with fees
==============  ======  ==================================================================================

A group without data (nothing resolved, no rating, no fee…) has no score; the total is the sum of
the scored groups rescaled to 100 over their points (``points_available``), so an agency is neither
rewarded nor ranked down for what it had no occasion to do.

Everything is an aggregate: the flows come from the rollup tables (whole months from ``MonthlyFlow``,
the partial months at the ends from ``DailyFlow``, as ``periodic`` splits them), the rest from one
SQL aggregate each; loops run over aggregate rows and catalog entries, never over dossiers. Agencies
are keyed as recorded (an agency merged into another keeps its own rows).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.db.models import Count, Exists, OuterRef, Q, Sum

from motcua.workcalendar.engine import VN_TZ

from .models import FLOW_COUNTERS, DailyFlow, MonthlyFlow
from .periodic import _month_split

# (code, Vietnamese label, points) — the groups of Decision 766 as the national portal shows them.
GROUPS = (
    ("publicity", "Công khai, minh bạch", 18),
    ("progress", "Tiến độ giải quyết", 20),
    ("online", "Dịch vụ công trực tuyến", 12),
    ("digitization", "Số hóa hồ sơ", 22),
    ("satisfaction", "Mức độ hài lòng", 18),
    ("payment", "Thanh toán trực tuyến", 10),
)
assert sum(points for _, _, points in GROUPS) == 100

ONLINE_LEVELS = ("full", "partial")  # offered as an online public service (toàn trình, một phần)
RECEIVED = ("received_online", "received_direct", "received_post")


def bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in Vietnam time."""
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=VN_TZ),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=VN_TZ),
    )


# ------------------------------------------------------------------------------------------------
# Shares
# ------------------------------------------------------------------------------------------------
@dataclass
class Share:
    """``part`` of ``whole``; ``rate`` 0–1, None when the whole is empty."""

    part: float = 0
    whole: float = 0

    @property
    def rate(self) -> float | None:
        return self.part / self.whole if self.whole else None

    def __add__(self, other: Share) -> Share:
        return Share(self.part + other.part, self.whole + other.whole)

    def detail(self) -> dict:
        return {"part": self.part, "whole": self.whole}


@dataclass
class MeanShare:
    """The mean of the rates of several shares that have data (digitization: intake and results)."""

    shares: dict[str, Share]

    @property
    def rate(self) -> float | None:
        rates = [s.rate for s in self.shares.values() if s.rate is not None]
        return sum(rates) / len(rates) if rates else None

    def __add__(self, other: MeanShare) -> MeanShare:
        keys = self.shares.keys() | other.shares.keys()
        return MeanShare({k: self.shares.get(k, Share()) + other.shares.get(k, Share()) for k in keys})

    def detail(self) -> dict:
        return {k: {**s.detail(), "rate": percent(s.rate)} for k, s in self.shares.items()}


def rounded(value: float | None, places: int = 2) -> float | None:
    """Rounded half up, as reports print figures (Python's ``round`` rounds 17.625 to 17.62)."""
    if value is None:
        return None
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def percent(rate: float | None) -> float | None:
    return None if rate is None else rounded(100 * rate)


def pooled(per_agency: dict, empty):
    """The scope's share: the agencies' parts and wholes added up (not a mean of their rates)."""
    total = empty
    for share in per_agency.values():
        total = total + share
    return total


# ------------------------------------------------------------------------------------------------
# The scope measured: a period and agencies, with the aggregates several groups and targets read
# ------------------------------------------------------------------------------------------------
class Scope:
    """``start``..``end`` (Vietnam dates, inclusive) at ``agency_ids`` (None: the whole province)."""

    def __init__(self, start: dt.date, end: dt.date, agency_ids=None):
        if end < start:
            raise ValueError("end before start")
        self.start, self.end = start, end
        self.agency_ids = None if agency_ids is None else set(agency_ids)
        self.lo, self.hi = bounds(start, end)
        self._memo: dict = {}

    def memo(self, fn):
        """``fn(self)``, computed once per scope (what several groups and targets read)."""
        if fn not in self._memo:
            self._memo[fn] = fn(self)
        return self._memo[fn]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def only_agencies(self, qs, field: str = "agency_id"):
        return qs if self.agency_ids is None else qs.filter(**{f"{field}__in": self.agency_ids})

    @cached_property
    def flows(self) -> dict[tuple[int, int], dict[str, int]]:
        """Flow counters summed per (agency, procedure) over the period (one aggregate per table)."""
        day_ranges, months = _month_split(self.start, self.end)
        parts = [DailyFlow.objects.filter(day__range=r) for r in day_ranges]
        if months:
            parts.append(MonthlyFlow.objects.filter(month__range=months))
        sums = {c: Sum(c) for c in FLOW_COUNTERS}
        out: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FLOW_COUNTERS, 0))
        for qs in parts:
            for r in self.only_agencies(qs).values("agency_id", "procedure_id").annotate(**sums).order_by():
                row = out[(r["agency_id"], r["procedure_id"])]
                for c in FLOW_COUNTERS:
                    row[c] += r[c] or 0
        return dict(out)

    def flow_share(self, part, whole, procedures: set[int] | None = None) -> dict[int, Share]:
        """Per agency: Σ ``part`` counters / Σ ``whole`` counters (only ``procedures`` if given)."""
        out: dict[int, Share] = defaultdict(Share)
        for (agency, procedure), c in self.flows.items():
            if procedures is None or procedure in procedures:
                out[agency] = out[agency] + Share(sum(c[k] for k in part), sum(c[k] for k in whole))
        return dict(out)

    @cached_property
    def versions(self) -> dict[int, dict]:
        """The catalog in force at the end of the period: one version per procedure (the latest in
        force), with what the publicity, online and payment measures need."""
        from motcua.catalog.models import Component, Fee, ProcedureVersion

        rows = (
            ProcedureVersion.objects.in_force(self.end)
            .annotate(
                has_components=Exists(Component.objects.filter(version=OuterRef("pk"))),
                fee_bearing=Exists(Fee.objects.filter(version=OuterRef("pk"), amount__gt=0)),
            )
            .values(
                "id",
                "procedure_id",
                "agency_kind",
                "online_level",
                "essential",
                "legal_basis",
                "time_limit_days",
                "has_components",
                "fee_bearing",
            )
            .order_by("procedure_id", "-effective_from", "-number")
        )
        out, seen = {}, set()
        for v in rows:
            if v["procedure_id"] not in seen:
                seen.add(v["procedure_id"])
                out[v["id"]] = v
        return out

    def procedure_ids(self, *, online: bool = False, essential: bool = False) -> set[int]:
        return {
            v["procedure_id"]
            for v in self.versions.values()
            if (not online or v["online_level"] in ONLINE_LEVELS) and (not essential or v["essential"])
        }

    @cached_property
    def competence(self) -> dict[int, set[int]]:
        """{agency id: ids of the versions in force it is competent for} — the intake rule of
        ``dossiers.services._competent_agency``: the listed agencies when a version lists some, else
        every agency of its kind at one of its levels. (Agencies of the scope, or all.)"""
        from motcua.catalog.models import ProcedureVersion
        from motcua.org.models import Agency

        in_force = ProcedureVersion.objects.in_force(self.end)
        listed: dict[int, set[int]] = defaultdict(set)
        for version, agency in ProcedureVersion.agencies.through.objects.filter(
            procedureversion__in=in_force
        ).values_list("procedureversion_id", "agency_id"):
            if version in self.versions:
                listed[agency].add(version)
        has_list = set().union(*listed.values()) if listed else set()
        by_kind_level: dict[tuple[str, int], set[int]] = defaultdict(set)
        for version, level in ProcedureVersion.levels.through.objects.filter(procedureversion__in=in_force).values_list(
            "procedureversion_id", "administrativelevel_id"
        ):
            v = self.versions.get(version)
            if v is not None and version not in has_list and v["agency_kind"]:
                by_kind_level[(v["agency_kind"], level)].add(version)
        agencies = self.only_agencies(Agency.objects.all(), "pk").values_list("pk", "kind", "unit__level_id")
        return {pk: listed.get(pk, set()) | by_kind_level.get((kind, level), set()) for pk, kind, level in agencies}


# ------------------------------------------------------------------------------------------------
# The six groups: per agency and for the scope
# ------------------------------------------------------------------------------------------------
def published_complete(version: dict) -> bool:
    """The published data of a procedure is complete: dossier components, fees, legal time limit and
    legal basis. Fees and the time limit are required catalog fields (a procedure without fee rows is
    free of charge), so in practice components and legal basis decide. The dossiers' tracking is
    public for every dossier (code lookup on the portal), so that criterion always holds."""
    tracking_public = True
    return bool(
        version["has_components"]
        and (version["legal_basis"] or "").strip()
        and version["time_limit_days"] is not None
        and tracking_public
    )


def publicity_shares(scope: Scope) -> tuple[dict[int, Share], Share]:
    """Publicity & transparency (18): procedures in force with complete published data / procedures
    in force — per agency over the procedures it is competent for; for the scope over the whole
    catalog (province) or the procedures of any of its agencies. An approximation of the national
    portal's method (which also checks the publication on the national TTHC database and the
    portal's own tracking of each dossier)."""

    def share(version_ids) -> Share:
        return Share(sum(published_complete(scope.versions[v]) for v in version_ids), len(version_ids))

    per_agency = {a: share(vs) for a, vs in scope.competence.items()}
    if scope.agency_ids is None:
        total = share(scope.versions)
    else:
        total = share(set().union(*scope.competence.values()) if scope.competence else set())
    return per_agency, total


def progress_shares(scope: Scope) -> dict[int, Share]:
    """Processing progress (20): dossiers resolved early or on time / dossiers resolved in the period
    (``rollups.classify`` decides early / on time / late)."""
    return scope.flow_share(
        ("resolved_early", "resolved_on_time"), ("resolved_early", "resolved_on_time", "resolved_late")
    )


def online_shares(scope: Scope) -> dict[int, Share]:
    """Online service (12): dossiers received online / dossiers received (online, direct, post) in
    the period, over the procedures whose version in force at the end of the period is offered
    online (full or partial): a counter-only procedure cannot be submitted online."""
    return scope.flow_share(("received_online",), RECEIVED, scope.procedure_ids(online=True))


def digitization_shares(scope: Scope) -> dict[int, MeanShare]:
    """Digitization (22): the mean of the two rates of ``documents.kpis.digitization_rates`` —
    dossiers received in the period with every paper digitized at intake / dossiers received, and
    approved results issued in the period with a signed, still valid e-result / approved results."""
    return {
        r.agency_id: MeanShare(
            {
                "intake": Share(r.digitized_at_intake, r.received),
                "results": Share(r.results_signed, r.results_issued),
            }
        )
        for r in scope.memo(digitization_rows)
    }


def digitization_rows(scope: Scope) -> list:
    """``documents.kpis.digitization_rates`` rows (one per agency, with its level) of the scope."""
    from motcua.documents.kpis import digitization_rates

    return digitization_rates(scope.start, scope.end, agencies=scope.agency_ids)


def satisfaction_shares(scope: Scope) -> dict[int, Share]:
    """Satisfaction (18): ratings "very satisfied" or "satisfied" (overall) / ratings made in the
    period, by the dossier's handling agency (``engagement.ratings.satisfaction_rate``)."""
    from motcua.engagement.ratings import satisfaction_rate

    agency = None if scope.agency_ids is None else list(scope.agency_ids)
    figures = satisfaction_rate(agency=agency, since=scope.lo, until=scope.hi, by="agency")
    return {f.key: Share(f.very_satisfied + f.satisfied, f.total) for f in figures}


def fee_dossiers(scope: Scope) -> dict[int, dict[str, int]]:
    """Per handling agency, dossiers submitted in the period that carry fees (amount > 0, paid or
    still due; a dossier refused, withdrawn or stopped before paying owes nothing): ``with_fees``,
    ``paid`` (online or at the desk) and ``paid_online`` (a payment the gateway confirmed). One
    aggregate."""
    from motcua.dossiers.models import Dossier, FeeStatus
    from motcua.dossiers.states import State
    from motcua.payments.models import Payment, PaymentStatus

    closed_unpaid = Q(fee_status=FeeStatus.UNPAID, state__in=[State.REFUSED, State.WITHDRAWN, State.STOPPED])
    qs = scope.only_agencies(
        Dossier.objects.filter(
            submitted_at__gte=scope.lo,
            submitted_at__lt=scope.hi,
            fee_amount__gt=0,
            fee_status__in=[FeeStatus.PAID, FeeStatus.UNPAID],
        ).exclude(closed_unpaid)
    ).annotate(online=Exists(Payment.objects.filter(dossier=OuterRef("pk"), status=PaymentStatus.PAID)))
    rows = qs.values("agency_id").annotate(
        with_fees=Count("pk"),
        paid=Count("pk", filter=Q(fee_status=FeeStatus.PAID) | Q(online=True)),
        paid_online=Count("pk", filter=Q(online=True)),
    )
    return {r["agency_id"]: r for r in rows.order_by()}


def payment_shares(scope: Scope) -> dict[int, Share]:
    """Online payment (10): dossiers with fees paid online through the payment platform / dossiers
    with fees (``fee_dossiers``)."""
    return {a: Share(r["paid_online"], r["with_fees"]) for a, r in scope.memo(fee_dossiers).items()}


GROUP_SHARES = {
    "progress": (progress_shares, Share()),
    "online": (online_shares, Share()),
    "digitization": (digitization_shares, MeanShare({})),
    "satisfaction": (satisfaction_shares, Share()),
    "payment": (payment_shares, Share()),
}


# ------------------------------------------------------------------------------------------------
# The index
# ------------------------------------------------------------------------------------------------
def card(shares: dict) -> dict:
    """Scores of one agency or scope from its share per group: ``groups`` (label, points, rate %,
    score, the counts behind), ``total`` (0–100, rescaled over the scored groups) and
    ``points_available``."""
    groups, scored, available = {}, 0.0, 0
    for code, label, points in GROUPS:
        share = shares.get(code)
        rate = share.rate if share is not None else None
        score = None if rate is None else points * rate
        if score is not None:
            scored += score
            available += points
        groups[code] = {
            "label": label,
            "points": points,
            "rate": percent(rate),
            "score": rounded(score),
            "detail": share.detail() if share is not None else {},
        }
    total = rounded(100 * scored / available) if available else None
    return {"groups": groups, "total": total, "points_available": available}


def index_766(start: dt.date, end: dt.date, agency_ids=None, *, by_agency: bool = False) -> dict:
    """The service-quality index for ``start``..``end`` at ``agency_ids`` (None: the province).

    Returns ``{"start", "end", "groups", "total", "points_available"}`` for the scope; with
    ``by_agency`` ``{"start", "end", "province": <that>, "agencies": [<one per agency>]}``, the
    agencies being those of ``agency_ids`` or, for the province, every agency with dossier data in
    the period (the publicity group alone does not list an agency)."""
    scope = Scope(start, end, agency_ids)
    per_group = {code: fn(scope) for code, (fn, _) in GROUP_SHARES.items()}
    publicity, publicity_total = publicity_shares(scope)
    totals = {code: pooled(per_group[code], empty) for code, (_, empty) in GROUP_SHARES.items()}
    province = card({"publicity": publicity_total, **totals})
    if not by_agency:
        return {"start": start, "end": end, **province}
    from motcua.org.models import Agency

    ids = set(scope.agency_ids) if scope.agency_ids is not None else set().union(*per_group.values())
    agencies = Agency.objects.filter(pk__in=ids).order_by("code").values("pk", "code", "name")
    rows = [
        {
            "agency_id": a["pk"],
            "agency_code": a["code"],
            "agency_name": a["name"],
            **card(
                {
                    "publicity": publicity.get(a["pk"], Share()),
                    **{code: per_group[code][a["pk"]] for code in per_group if a["pk"] in per_group[code]},
                }
            ),
        }
        for a in agencies
    ]
    return {"start": start, "end": end, "province": province, "agencies": rows}
