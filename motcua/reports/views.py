"""Report pages (staff): the dashboard with the periodic report and charts, drilled down province →
agency → field → procedure, and behind every figure the list of the dossiers it counts."""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from motcua.audit.services import log_access
from motcua.catalog.models import Field, Procedure
from motcua.common.inputs import as_int
from motcua.dossiers.models import Dossier, Event
from motcua.org.models import Agency
from motcua.privacy.purpose import purpose_required, with_purpose
from motcua.workcalendar.engine import VN_TZ

from . import periodic
from .access import report_scope
from .models import FLOW_COUNTERS, MonthlyFlow

PAGE = 50
INDICATORS_TTL = 3600  # seconds the 766 index and the targets of one period and scope are kept
ZONE = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")  # a named zone: what the SQLite date functions accept
# What each figure of the report counts, as a filter on dossiers (the drill-down; the same rules as
# ``rollups``: the day a dossier was received / resolved / closed, Vietnam time).
MEASURES = {
    "received": "Tiếp nhận mới",
    "received_online": "Tiếp nhận trực tuyến",
    "received_direct": "Tiếp nhận trực tiếp",
    "received_post": "Tiếp nhận qua bưu chính",
    "resolved": "Đã giải quyết",
    "resolved_early": "Giải quyết trước hạn",
    "resolved_on_time": "Giải quyết đúng hạn",
    "resolved_late": "Giải quyết quá hạn",
    "received_total": "Hồ sơ nhận giải quyết (kỳ trước chuyển qua và mới tiếp nhận)",
    "carried_over": "Kỳ trước chuyển qua",
    "in_progress": "Đang giải quyết cuối kỳ",
    "open_on_time": "Đang giải quyết, trong hạn",
    "open_late": "Đang giải quyết, quá hạn",
    "supplement_requested": "Yêu cầu bổ sung, hoàn thiện",
    "refused": "Từ chối tiếp nhận",
    "withdrawn": "Rút hồ sơ",
}


def _date(text: str | None, default: dt.date) -> dt.date:
    try:
        return dt.datetime.strptime(str(text or "").strip(), "%d/%m/%Y").date()
    except ValueError:
        return default


def _instant(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=VN_TZ)


def _period(request) -> tuple[dt.date, dt.date]:
    today = timezone.now().astimezone(VN_TZ).date()
    start = _date(request.GET.get("tu"), today.replace(month=1, day=1))
    end = _date(request.GET.get("den"), today)
    if end < start:
        start, end = end, start
    return start, end


def _int(value) -> int | None:
    return as_int(value)


def _scope(request) -> tuple[set[int] | None, dict]:
    """(the agencies the user may see, the drill filters from the query string), 403 outside them."""
    allowed = report_scope(request.user)
    if allowed is not None and not allowed:
        raise PermissionDenied("Bạn chưa được giao xem báo cáo của cơ quan nào.")
    drill = {k: _int(request.GET.get(k)) for k in ("level", "agency", "field", "procedure")}
    if drill["agency"] and allowed is not None and drill["agency"] not in allowed:
        raise PermissionDenied("Bạn không được xem báo cáo của cơ quan này.")
    return allowed, drill


@login_required
def dashboard(request):
    start, end = _period(request)
    allowed, drill = _scope(request)
    agency_ids = _agencies(drill, allowed)
    by = "procedure" if drill["field"] or drill["procedure"] else "field" if drill["agency"] else "agency"
    if request.GET.get("theo") in (*periodic.GROUPS, "level"):
        by = request.GET["theo"]
    report = periodic.periodic(
        start, end, by=by, agency_ids=agency_ids, field_id=drill["field"], procedure_id=drill["procedure"]
    )
    fmt = request.GET.get("dinh-dang")
    if fmt in ("xlsx", "pdf"):
        return _export(request, report, fmt, drill)
    trend = _trend(start, end, agency_ids, drill)
    ranking = sorted((r for r in report.rows if r.resolved), key=lambda r: (r.on_time_rate or 0, r.label))[:15]
    context = {
        "heat": _heat(start, end, agency_ids) if not any(drill.values()) else None,
        "report": report,
        "by": by,
        "drill": drill,
        "crumbs": _crumbs(drill),
        "tu": start.strftime("%d/%m/%Y"),
        "den": end.strftime("%d/%m/%Y"),
        "trend": trend,
        "ranking": [{"label": r.label, "rate": r.on_time_rate} for r in ranking],
        "measures": MEASURES,
    }
    return render(request, "reports/dashboard.html", context)


def _agencies(drill, allowed) -> set[int] | None:
    """The agencies a drilled-down view covers: one agency, the agencies of one administrative level
    (within the user's scope), or the user's scope."""
    if drill["agency"]:
        return {drill["agency"]}
    if drill["level"]:
        ids = set(Agency.objects.filter(unit__level_id=drill["level"]).values_list("pk", flat=True))
        return ids if allowed is None else ids & allowed
    return allowed


def _trend(start, end, agency_ids, drill) -> list[dict]:
    qs = MonthlyFlow.objects.filter(month__range=(start.replace(day=1), end.replace(day=1)))
    if agency_ids is not None:
        qs = qs.filter(agency_id__in=agency_ids)
    if drill["field"]:
        qs = qs.filter(field_id=drill["field"])
    if drill["procedure"]:
        qs = qs.filter(procedure_id=drill["procedure"])
    rows = qs.values("month").annotate(**{c: Sum(c) for c in FLOW_COUNTERS}).order_by("month")
    return [
        {
            "month": r["month"].strftime("%m/%Y"),
            "online": r["received_online"],
            "direct": r["received_direct"],
            "post": r["received_post"],
            "late": r["resolved_late"],
            "resolved": r["resolved_early"] + r["resolved_on_time"] + r["resolved_late"],
        }
        for r in rows
    ]


def _heat(start, end, agency_ids) -> dict:
    """On-time share (%) per commune (the agencies of each lowest-level unit) and month: the heat table."""
    qs = MonthlyFlow.objects.filter(
        month__range=(start.replace(day=1), end.replace(day=1)), agency__unit__level__rank=3
    )
    if agency_ids is not None:
        qs = qs.filter(agency_id__in=agency_ids)
    rows = qs.values("agency__unit__name", "month").annotate(
        ok=Sum("resolved_early") + Sum("resolved_on_time"), late=Sum("resolved_late")
    )
    months = sorted({r["month"] for r in rows})
    table: dict[str, dict] = {}
    for r in rows:
        done = (r["ok"] or 0) + (r["late"] or 0)
        rate = round(100 * (r["ok"] or 0) / done, 1) if done else None
        table.setdefault(r["agency__unit__name"], {})[r["month"]] = rate
    return {
        "months": [m.strftime("%m/%Y") for m in months],
        "rows": [{"unit": unit, "cells": [cells.get(m) for m in months]} for unit, cells in sorted(table.items())],
    }


def _crumbs(drill) -> list[tuple[str, str]]:
    crumbs = [("Toàn tỉnh", "")]
    if drill["level"]:
        from motcua.org.models import AdministrativeLevel

        lv = AdministrativeLevel.objects.filter(pk=drill["level"]).first()
        crumbs.append((f"Cấp {lv.name.lower()}" if lv else "?", f"level={drill['level']}&theo=agency"))
    if drill["agency"]:
        a = Agency.objects.filter(pk=drill["agency"]).first()
        crumbs.append((a.name if a else "?", f"agency={drill['agency']}"))
    if drill["field"]:
        f = Field.objects.filter(pk=drill["field"]).first()
        crumbs.append((f.name if f else "?", f"agency={drill['agency'] or ''}&field={drill['field']}"))
    if drill["procedure"]:
        p = Procedure.objects.filter(pk=drill["procedure"]).first()
        crumbs.append((p.code if p else "?", ""))
    return crumbs


def _export(request, report, fmt: str, drill) -> HttpResponse:
    from . import exports  # WeasyPrint/openpyxl: loaded only for an export

    unit = "Ủy ban nhân dân tỉnh"
    if drill["agency"]:
        unit = Agency.objects.filter(pk=drill["agency"]).values_list("name", flat=True).first() or unit
    label = f"từ ngày {report.start:%d/%m/%Y} đến ngày {report.end:%d/%m/%Y}"
    name = f"bao-cao-tthc-{report.start:%Y%m%d}-{report.end:%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        content = exports.periodic_xlsx(report, unit_name=unit, period_label=label)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content = exports.periodic_pdf(report, unit_name=unit, period_label=label)
        kind = "application/pdf"
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def open_at(instant: dt.datetime) -> Q:
    """Received before ``instant`` and neither resolved nor closed by then (in progress at that moment)."""
    return (
        Q(received_at__lt=instant)
        & (Q(finished_at__isnull=True) | Q(finished_at__gte=instant))
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=instant))
    )


def measure_filter(measure: str, start: dt.date, end: dt.date) -> Q:
    """The dossiers a figure of the report counts for the period (drill-down)."""
    lo, hi = _instant(start), _instant(end + dt.timedelta(days=1))
    received = Q(received_at__gte=lo, received_at__lt=hi)
    resolved = Q(finished_at__gte=lo, finished_at__lt=hi)
    late = Q(finished_at__gt=F("due_at")) | Q(apology_count__gt=0)
    early = ~late & Q(finished_day__lt=F("due_day"))  # annotated by ``dossiers``: Vietnam dates
    closed = Q(closed_at__gte=lo, closed_at__lt=hi)
    return {
        "received": received,
        "received_online": received & Q(channel="online"),
        "received_direct": received & Q(channel__in=("counter", "kiosk")),
        "received_post": received & Q(channel__in=("post", "postal_service")),
        "resolved": resolved,
        "resolved_late": resolved & late,
        "resolved_on_time": resolved & ~late & ~early,
        "resolved_early": resolved & early,
        "received_total": received | open_at(lo),
        "carried_over": open_at(lo),
        "in_progress": open_at(hi),
        "open_on_time": open_at(hi) & ~Q(due_at__lt=min(timezone.now(), hi)),
        "open_late": open_at(hi) & Q(due_at__lt=min(timezone.now(), hi)),
        "supplement_requested": Exists(
            Event.objects.filter(dossier=OuterRef("pk"), action="request_supplement", at__gte=lo, at__lt=hi)
        ),
        "refused": closed & Q(state="refused"),
        "withdrawn": closed & Q(state="withdrawn"),
    }[measure]


@login_required
@purpose_required("bao-cao")
def dossiers(request):
    """The dossiers behind one figure (keyset pages of 50, newest first), within the user's access."""
    start, end = _period(request)
    allowed, drill = _scope(request)
    measure = request.GET.get("chi-so", "received")
    if measure not in MEASURES:
        measure = "received"
    qs = (
        Dossier.objects.visible_to(request.user)
        .annotate(finished_day=TruncDate("finished_at", tzinfo=ZONE), due_day=TruncDate("due_at", tzinfo=ZONE))
        .filter(measure_filter(measure, start, end))
    )
    if allowed is not None:
        qs = qs.filter(agency_id__in=allowed)
    if drill["agency"] or drill["level"]:
        qs = qs.filter(agency_id__in=_agencies(drill, allowed))
    if drill["field"]:
        qs = qs.filter(version__field_id=drill["field"])
    if drill["procedure"]:
        qs = qs.filter(version__procedure_id=drill["procedure"])
    after = _int(request.GET.get("sau"))
    if after:
        qs = qs.filter(pk__lt=after)
    page = list(
        qs.select_related("version__procedure", "agency")
        .only(
            "id",
            "code",
            "state",
            "channel",
            "received_at",
            "due_at",
            "finished_at",
            "applicant_name",
            "owner_id_number",
            "version_id",
            "version__name",
            "version__procedure__code",
            "agency__name",
        )
        .order_by("-pk")[: PAGE + 1]
    )
    more = len(page) > PAGE
    page = page[:PAGE]
    log_access(
        user=request.user,
        objects=page,
        object_type="dossier",
        purpose=with_purpose(request, "báo cáo: danh sách hồ sơ"),
        request=request,
    )
    query = request.GET.copy()
    query.pop("sau", None)
    context = {
        "page": page,
        "measure": MEASURES[measure],
        "tu": start.strftime("%d/%m/%Y"),
        "den": end.strftime("%d/%m/%Y"),
        "next": f"{query.urlencode()}&sau={page[-1].pk}" if more and page else "",
        "back": query.urlencode(),
    }
    return render(request, "reports/dossiers.html", context)


@login_required
@purpose_required("bao-cao")
def late(request):
    """Late dossiers of the period: which steps and agencies consumed the overrun."""
    from .late import analyse

    start, end = _period(request)
    allowed, drill = _scope(request)
    agency_ids = {drill["agency"]} if drill["agency"] else allowed
    result = analyse(start, end, agency_ids)
    log_access(
        user=request.user,
        objects=[r["dossier"] for r in result["dossiers"]],
        object_type="dossier",
        purpose=with_purpose(request, "báo cáo: phân tích hồ sơ quá hạn"),
        request=request,
    )
    context = {**result, "tu": start.strftime("%d/%m/%Y"), "den": end.strftime("%d/%m/%Y")}
    return render(request, "reports/late.html", context)


def _files_for(request):
    from .models import ReportFile

    allowed = report_scope(request.user)
    qs = ReportFile.objects.select_related("agency")
    if allowed is not None:
        qs = qs.filter(agency_id__in=allowed)
    return qs


@login_required
def files(request):
    """The periodic reports generated on schedule, kept as files (within the user's scope)."""
    rows = list(_files_for(request).order_by("-start", "kind", "agency__code", "fmt")[:500])
    return render(request, "reports/files.html", {"files": rows})


@login_required
def file_download(request, pk: int):
    from django.http import FileResponse, Http404

    row = _files_for(request).filter(pk=pk).first()
    if row is None:
        raise Http404("Không tìm thấy báo cáo.")
    return FileResponse(row.file.open("rb"), as_attachment=True, filename=row.file.name.rsplit("/", 1)[-1])


@login_required
def indicators(request):
    """The 766 service-quality index and the seeds' targets vs actuals for the period and scope (these
    read dossiers, documents, payments and ratings as well as the rollups: a page of its own, so the
    dashboard stays on aggregates)."""
    from . import kpis, targets

    start, end = _period(request)
    allowed, drill = _scope(request)
    agency_ids = _agencies(drill, allowed)
    # These read the period's dossiers (seconds on a large province): kept for an hour per period and scope.
    key = (
        "reports:indicators:"
        + hashlib.sha256(
            f"{start}|{end}|{sorted(agency_ids) if agency_ids is not None else 'all'}".encode()
        ).hexdigest()
    )

    def compute():
        return {
            "index": kpis.index_766(start, end, agency_ids),
            "targets": targets.actuals(start, end, agency_ids),
            "computed_at": timezone.now(),
        }

    figures = cache.get_or_set(key, compute, INDICATORS_TTL)
    context = {
        **figures,
        "crumbs": _crumbs(drill),
        "drill": drill,
        "tu": start.strftime("%d/%m/%Y"),
        "den": end.strftime("%d/%m/%Y"),
    }
    return render(request, "reports/indicators.html", context)
