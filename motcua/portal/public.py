"""Public pages of the portal (no login): home, catalog search, procedure pages, the map of one-stop
desks with their live queue lengths, and dossier tracking with its QR code.

Thin, like every page module: the catalog is ``catalog.services.search_versions`` and
``version_in_force`` (the staff pages call the same), tracking is ``dossiers.tracking`` (the same
lookup, masking of the applicant's name and rate limit as the public API). What lives here is
read-only presentation: the most used procedures (one aggregate query, cached), the queue length
per desk (one aggregate query) and the tracking URL printed as a QR code on the receipt (slip 01).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from motcua.catalog.models import ExemptionCondition, Field, OnlineLevel, ProcedureVersion
from motcua.catalog.services import search_versions, version_in_force
from motcua.dossiers import slips
from motcua.dossiers import tracking as public_tracking
from motcua.dossiers.models import Dossier
from motcua.engagement.models import Ticket
from motcua.engagement.states import Status as TicketStatus
from motcua.org.models import AdministrativeLevel, Agency, Desk, DeskKind

PAGE_SIZE = 20
POPULAR_DAYS = 90
POPULAR_COUNT = 8
POPULAR_CACHE_SECONDS = 300
POPULAR_CACHE_KEY = "portal:public:popular:v1"
WHERE_TO_SUBMIT_LIMIT = 12
MAX_QUERY = 200
DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_TILE_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
# Dossier codes are "<agency e-ID>-<yymmdd>-<number>"; anything else never reaches the database.
CODE_RE = re.compile(r"^[0-9A-Za-z.\-_]{1,40}$")
PROCEDURE_CODE_RE = re.compile(r"^[0-9]\.[0-9]{6}(\.[0-9A-Za-z]+)?$")
SUBMIT_ONLINE_PATH = "/cong-dan/nop-ho-so/{code}/"  # the citizen's online submission page


# ------------------------------------------------------------------------------------------------
# Queries (read-only)
# ------------------------------------------------------------------------------------------------
# The provincial centre first, then district and commune desks.
DESK_ORDER = Case(
    *(When(kind=kind, then=Value(i)) for i, kind in enumerate(DeskKind.values)),
    default=Value(len(DeskKind.values)),
    output_field=IntegerField(),
)


def popular_procedures(limit: int = POPULAR_COUNT) -> list[dict]:
    """The most used procedures: dossiers received in the last ``POPULAR_DAYS`` days per procedure
    code (one aggregate query on the indexed ``received_at``), then their names in force (one
    query). Cached ``POPULAR_CACHE_SECONDS``: a home page hit must not count millions of rows."""
    cached = cache.get(POPULAR_CACHE_KEY)
    if cached is not None:
        return cached[:limit]
    since = timezone.now() - dt.timedelta(days=POPULAR_DAYS)
    counts = list(
        Dossier.objects.filter(received_at__gte=since)
        .values("version__procedure__code")
        .annotate(n=Count("id"))
        .order_by("-n", "version__procedure__code")[:POPULAR_COUNT]
    )
    codes = [row["version__procedure__code"] for row in counts]
    names = {
        v.procedure.code: v
        for v in ProcedureVersion.objects.in_force().filter(procedure__code__in=codes).select_related("procedure")
    }
    popular = [
        {"code": code, "name": names[code].name, "essential": names[code].essential, "count": row["n"]}
        for code, row in zip(codes, counts, strict=True)
        if code in names  # a procedure no longer in force is not offered
    ]
    cache.set(POPULAR_CACHE_KEY, popular, POPULAR_CACHE_SECONDS)
    return popular[:limit]


def queue_lengths(desk_ids=None, day: dt.date | None = None) -> dict[int, int]:
    """Waiting tickets per desk now (today's queue, local date): one aggregate query on the
    ``(day, desk)`` index. Desks with nobody waiting are absent (read them as 0)."""
    day = day or timezone.localdate()
    qs = Ticket.objects.filter(day=day, status=TicketStatus.WAITING)
    if desk_ids is not None:
        qs = qs.filter(desk_id__in=list(desk_ids))
    return {row["desk_id"]: row["n"] for row in qs.values("desk_id").annotate(n=Count("id")).order_by()}


def competent_agencies(version: ProcedureVersion):
    """Agencies that decide the procedure: the listed ones, else every active agency of its kind at
    one of its levels (the rule ``dossiers.services._competent_agency`` applies at intake)."""
    listed = [a.pk for a in version.agencies.all()]
    if listed:
        return Agency.objects.filter(pk__in=listed)
    return Agency.objects.active_on().filter(
        kind=version.agency_kind, unit__level__in=[lv.pk for lv in version.levels.all()]
    )


def desks_for(version: ProcedureVersion):
    """Active one-stop desks receiving dossiers for the competent agencies."""
    agencies = competent_agencies(version).values("pk")
    return (
        Desk.objects.filter(active=True)
        .filter(Q(served_agencies__in=agencies) | Q(agency__in=agencies))
        .distinct()
        .order_by(DESK_ORDER, "code")
    )


def tracking_url(request_or_base: HttpRequest | str | None, code: str) -> str:
    """The absolute URL of the public tracking page of dossier ``code`` (what the QR code on the
    receipt encodes): from the current request's host, or from a base URL (``None``:
    ``settings.MOTCUA_PUBLIC_URL``, else the demo's http://localhost:8000)."""
    path = reverse("public:tracking-detail", args=[code])
    if isinstance(request_or_base, HttpRequest):
        return request_or_base.build_absolute_uri(path)
    return slips.public_url_base(request_or_base) + path


# ------------------------------------------------------------------------------------------------
# Presentation helpers
# ------------------------------------------------------------------------------------------------
def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


@dataclass
class FeeLine:
    kind: str
    name: str
    amount: str
    exemptions: list[str]


def fee_lines(version: ProcedureVersion) -> list[FeeLine]:
    """Fees and charges with their exemptions in words: "Miễn (100%) – Hộ nghèo, cận nghèo: …"."""
    conditions = dict(ExemptionCondition.choices)
    lines = []
    for fee in version.fees.all():
        words = []
        for e in fee.exemptions:
            percent = e.get("percent") or 0
            head = "Miễn" if percent >= 100 else f"Giảm {percent}%"
            label = conditions.get(e.get("condition"), "")
            text = f"{head} – {label}" if label else head
            if e.get("description"):
                text += f": {e['description']}"
            words.append(text)
        lines.append(
            FeeLine(
                kind=fee.get_kind_display(),
                name=fee.name,
                amount=_money(fee.amount) if fee.amount else "Không thu",
                exemptions=words,
            )
        )
    return lines


def _querystring(params, drop: str = "page") -> str:
    return urlencode([(k, v) for k, v in params.items() if k != drop and v])


# ------------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------------
@require_GET
def home(request):
    return render(
        request,
        "portal/public/home.html",
        {
            "active": "home",
            "popular": popular_procedures(),
            "popular_days": POPULAR_DAYS,
            "essential_count": ProcedureVersion.objects.in_force().filter(essential=True).count(),
        },
    )


@require_GET
def catalog(request):
    p = request.GET
    selected = {k: p.get(k, "")[:40] for k in ("field", "level", "agency", "online_level", "thiet_yeu")}
    agency = None
    if selected["agency"]:
        agency = Agency.objects.select_related("unit").filter(code=selected["agency"]).first()
    q = p.get("q", "")[:MAX_QUERY]
    qs = search_versions(
        q,
        field=selected["field"] or None,
        agency=agency,
        level=selected["level"] or None,
        online_level=selected["online_level"] if selected["online_level"] in OnlineLevel.values else None,
    )
    if selected["thiet_yeu"]:
        qs = qs.filter(essential=True)
    page = Paginator(qs.prefetch_related("levels"), PAGE_SIZE).get_page(p.get("page"))
    if request.headers.get("HX-Request"):  # search as you type: the results only
        return render(
            request,
            "portal/public/_catalog_results.html",
            {"page": page, "selected": selected, "querystring": _querystring(p)},
        )
    return render(
        request,
        "portal/public/catalog.html",
        {
            "active": "catalog",
            "page": page,
            "q": q,
            "selected": selected,
            "fields": Field.objects.order_by("name"),
            "levels": AdministrativeLevel.objects.order_by("rank"),
            "agencies": _agencies_in_catalog(),
            "online_levels": OnlineLevel.choices,
            "querystring": _querystring(p),
        },
    )


def _agencies_in_catalog():
    """Agencies worth offering in the filter: those procedures in force name, and those of the kinds
    procedures are assigned to (commune PCs, police, …). Subqueries: one query in all."""
    in_force = ProcedureVersion.objects.in_force()
    listed = ProcedureVersion.agencies.through.objects.filter(procedureversion__in=in_force).values("agency_id")
    kinds = in_force.exclude(agency_kind="").values("agency_kind")
    return Agency.objects.active_on().filter(Q(pk__in=listed) | Q(kind__in=kinds)).only("code", "name").order_by("name")


@require_GET
def procedure(request, code):
    version = version_in_force(code, timezone.localdate()) if PROCEDURE_CODE_RE.match(code) else None
    if version is None:
        return render(request, "portal/public/procedure_missing.html", {"code": code}, status=404)
    desks = desks_for(version)
    shown = list(desks[:WHERE_TO_SUBMIT_LIMIT])
    more = desks.count() - len(shown) if len(shown) == WHERE_TO_SUBMIT_LIMIT else 0
    online = version.online_level in (OnlineLevel.FULL, OnlineLevel.PARTIAL)
    return render(
        request,
        "portal/public/procedure.html",
        {
            "active": "catalog",
            "v": version,
            # The cached version is shared read-only; results are not part of it.
            "results": list(version.results.all()),
            "fees": fee_lines(version),
            "desks": shown,
            "more_desks": more,
            "submit_url": SUBMIT_ONLINE_PATH.format(code=version.procedure.code) if online else None,
        },
    )


def _map_desks():
    return list(
        Desk.objects.filter(active=True)
        .select_related("agency")
        .prefetch_related(Prefetch("served_agencies", queryset=Agency.objects.only("id", "name").order_by("name")))
        .order_by(DESK_ORDER, "code")
    )


@require_GET
def desk_map(request):
    desks = _map_desks()
    waiting = queue_lengths()
    markers = [
        {
            "code": d.code,
            "name": d.name,
            "address": d.address,
            "hours": d.opening_hours,
            "lat": float(d.latitude),
            "lng": float(d.longitude),
            "waiting": waiting.get(d.pk, 0),
        }
        for d in desks
        if d.latitude is not None and d.longitude is not None
    ]
    for d in desks:
        d.waiting = waiting.get(d.pk, 0)
    return render(
        request,
        "portal/public/map.html",
        {
            "active": "map",
            "desks": desks,
            "map_config": {
                "tiles": getattr(settings, "MAP_TILE_URL", DEFAULT_TILE_URL),
                "attribution": getattr(settings, "MAP_TILE_ATTRIBUTION", DEFAULT_TILE_ATTRIBUTION),
                "queueUrl": reverse("public:queue"),
                "markers": markers,
            },
            "now": timezone.localtime(),
        },
    )


@require_GET
@cache_control(max_age=15, public=True)
def queue_json(request):
    """Waiting tickets per desk code now; the map page polls it every 30 s."""
    waiting = queue_lengths()
    codes = dict(Desk.objects.filter(active=True).values_list("pk", "code"))
    now = timezone.localtime()
    return JsonResponse(
        {
            "updated_at": now.isoformat(timespec="seconds"),
            "updated_label": now.strftime("%H:%M %d/%m/%Y"),
            "desks": {code: waiting.get(pk, 0) for pk, code in codes.items()},
        }
    )


@require_GET
def tracking(request):
    code = (request.GET.get("ma") or "").strip()
    error = None
    if code:
        if CODE_RE.match(code):
            return redirect("public:tracking-detail", code=code)
        error = "Mã hồ sơ chỉ gồm chữ, số, dấu chấm và dấu gạch ngang, ví dụ 000.00.01.H99-250701-0001."
    return render(
        request,
        "portal/public/tracking.html",
        {"active": "tracking", "code": code, "error": error},
        status=400 if error else 200,
    )


@require_GET
def tracking_detail(request, code):
    if not CODE_RE.match(code):
        return _tracking_not_found(request, code)
    allowed, wait = public_tracking.allow(request)  # the same limit and lookup as the public API
    if not allowed:
        page = render(
            request,
            "portal/public/tracking.html",
            {
                "active": "tracking",
                "code": code,
                "error": f"Bạn gửi quá nhiều yêu cầu, vui lòng thử lại sau {wait} giây.",
            },
            status=429,
        )
        page["Retry-After"] = str(wait)
        return page
    data = public_tracking.public_status(code)
    if data is None:
        return _tracking_not_found(request, code)
    late = bool(data["due_at"]) and (data["returned_at"] or timezone.now()) > data["due_at"]
    page = render(
        request,
        "portal/public/tracking_detail.html",
        {"active": "tracking", "d": data, "late": late, "tracking_url": tracking_url(request, code)},
    )
    page["Cache-Control"] = "no-store"
    return page


def _tracking_not_found(request, code):
    return render(
        request,
        "portal/public/tracking.html",
        {
            "active": "tracking",
            "code": code,
            "error": f"Không tìm thấy hồ sơ có mã {code}. Vui lòng kiểm tra lại mã trên giấy tiếp nhận.",
        },
        status=404,
    )


@require_GET
@cache_control(max_age=86400, public=True)
def tracking_qr(request, code):
    """An SVG QR code of the tracking page URL (for slip 01 and for sharing). It encodes the URL
    only, so it does not look the dossier up (no way around the tracking rate limit)."""
    if not CODE_RE.match(code):
        raise Http404("Mã hồ sơ không hợp lệ.")
    out = io.BytesIO()
    segno.make(tracking_url(request, code), error="m", micro=False).save(
        out, kind="svg", scale=4, border=2, omitsize=True, title=f"Mã QR tra cứu hồ sơ {code}", encoding="utf-8"
    )
    return HttpResponse(out.getvalue(), content_type="image/svg+xml; charset=utf-8")
