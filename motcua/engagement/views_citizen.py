"""Citizen pages of engagement (portal layout): my appointments, booking and rescheduling by plain
GET/POST forms (no JavaScript needed), and the evaluation of a returned dossier.

Thin: rules live in ``appointments`` and ``ratings``; a refusal becomes a Vietnamese message,
never a 500.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from motcua.catalog.services import search_versions, version_in_force
from motcua.dossiers.models import Dossier
from motcua.identity import services as identity
from motcua.org.models import Desk
from motcua.workcalendar.engine import VN_TZ

from . import appointments, ratings
from . import services as queue
from .appointments import AppointmentError
from .models import Appointment, Rating
from .ratings import RatingError
from .states import RATING_CRITERIA, RATING_LEVELS, AppointmentStatus

PROCEDURE_RESULTS = 20


def citizen_required(view):
    """A logged-in citizen resolving to a person (same rule as the portal's pages)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('portal:login')}?next={request.get_full_path()}")
        person = identity.person_of(request.user)
        if person is None:
            return render(request, "portal/unverified.html", status=403)
        request.person = person
        return view(request, *args, **kwargs)

    return wrapped


def parse_day(value: str) -> dt.date | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime((value or "").strip(), fmt).date()
        except ValueError:
            continue
    return None


def parse_start(value: str) -> dt.datetime | None:
    """A slot value from the form (``2026-03-03T08:00``, Vietnam time)."""
    try:
        return dt.datetime.strptime((value or "").strip(), "%Y-%m-%dT%H:%M").replace(tzinfo=VN_TZ)
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------------
# Appointments
# ------------------------------------------------------------------------------------------------
@citizen_required
def my_appointments(request):
    items = appointments.appointments_of(request.person)
    now = timezone.now()
    for a in items:
        a.changeable = a.status == AppointmentStatus.BOOKED and a.start > now
    return render(request, "engagement/citizen/appointments.html", {"appointments": items})


def _booking_context(request, data) -> dict:
    """Everything the booking page shows for the choices made so far (``data``: GET or POST)."""
    now = timezone.now()
    ctx: dict = {"desks": Desk.objects.filter(active=True).order_by("name"), "errors": []}
    desk_code = (data.get("desk") or "").strip()
    desk = Desk.objects.filter(code=desk_code, active=True).select_related("agency__unit__level").first()
    if desk_code and desk is None:
        ctx["errors"].append("Không tìm thấy bộ phận một cửa đã chọn.")
    ctx["desk"] = desk
    if desk is None:
        return ctx
    q = (data.get("q") or "")[:200]
    level = desk.agency.unit.level.code if desk.agency_id else None
    ctx["q"] = q
    ctx["procedures"] = list(search_versions(q, level=level)[:PROCEDURE_RESULTS])
    code = (data.get("thu_tuc") or "").strip()[:40]
    version = version_in_force(code, timezone.localdate(now)) if code else None
    if code and version is None:
        ctx["errors"].append("Không tìm thấy thủ tục hành chính đang có hiệu lực với mã đã chọn.")
    ctx["version"] = version
    if version is None:
        return ctx
    group = queue.group_for_field(desk, version.field_id)
    rule = appointments.rule_for(desk, group) if group is not None else None
    if rule is None:
        ctx["errors"].append("Bộ phận một cửa này hiện không nhận đặt lịch hẹn cho thủ tục đã chọn.")
        return ctx
    ctx["rule"] = rule
    ctx["days"] = appointments.bookable_days(rule, now)
    raw_day = (data.get("ngay") or "").strip()
    day = parse_day(raw_day) if raw_day else None
    if raw_day and day is None:
        ctx["errors"].append("Ngày không hợp lệ. Vui lòng nhập theo dạng dd/mm/yyyy, ví dụ 05/03/2026.")
    elif day is not None and day not in ctx["days"]:
        ctx["errors"].append(f"Ngày {day:%d/%m/%Y} không nhận đặt lịch hẹn (ngày nghỉ hoặc ngoài thời gian cho phép).")
        day = None
    ctx["day"] = day
    if day is not None:
        ctx["slots"] = appointments.free_slots(rule, day, now)
    return ctx


@citizen_required
@require_http_methods(["GET", "POST"])
def book(request):
    data = request.POST if request.method == "POST" else request.GET
    ctx = _booking_context(request, data)
    status = 400 if ctx["errors"] else 200
    if request.method == "POST" and not ctx["errors"] and ctx.get("version") is not None:
        start = parse_start(request.POST.get("gio", ""))
        if start is None:
            ctx["errors"].append("Vui lòng chọn một khung giờ còn chỗ.")
        else:
            try:
                appointment = appointments.book(
                    request.person,
                    ctx["desk"],
                    ctx["version"].procedure.code,
                    start,
                    phone=request.POST.get("phone", ""),
                    actor=request.user,
                )
            except AppointmentError as exc:
                ctx["errors"].append(exc.message)
                if ctx.get("rule") is not None and ctx.get("day") is not None:
                    ctx["slots"] = appointments.free_slots(ctx["rule"], ctx["day"])
            else:
                messages.success(
                    request,
                    f"Đã đặt lịch hẹn {appointment.code} lúc {appointment.start.astimezone(VN_TZ):%H:%M} "
                    f"ngày {appointment.start.astimezone(VN_TZ):%d/%m/%Y} tại {appointment.desk.name}.",
                )
                return redirect("engagement:appointments")
        status = 400
    elif request.method == "POST":
        status = 400
        if not ctx["errors"]:
            ctx["errors"].append("Vui lòng chọn bộ phận một cửa và thủ tục trước khi đặt lịch.")
    ctx["phone"] = data.get("phone", request.person.phone)
    return render(request, "engagement/citizen/book.html", ctx, status=status)


def _mine(request, code: str) -> Appointment:
    appointment = appointments.find(code)
    if appointment is None or appointment.id_number != request.person.id_number:
        raise Http404("Không tìm thấy lịch hẹn.")
    return appointment


@citizen_required
@require_POST
def cancel(request, code):
    appointment = _mine(request, code)
    try:
        appointments.cancel(appointment, actor=request.user)
        messages.success(request, f"Đã hủy lịch hẹn {appointment.code}.")
    except AppointmentError as exc:
        messages.error(request, exc.message)
    return redirect("engagement:appointments")


@citizen_required
@require_http_methods(["GET", "POST"])
def reschedule(request, code):
    appointment = _mine(request, code)
    now = timezone.now()
    errors = []
    if request.method == "POST":
        start = parse_start(request.POST.get("gio", ""))
        if start is None:
            errors.append("Vui lòng chọn một khung giờ còn chỗ.")
        else:
            try:
                appointments.reschedule(appointment, start, actor=request.user)
            except AppointmentError as exc:
                errors.append(exc.message)
            else:
                local = start.astimezone(VN_TZ)
                messages.success(
                    request, f"Đã đổi lịch hẹn {appointment.code} sang {local:%H:%M} ngày {local:%d/%m/%Y}."
                )
                return redirect("engagement:appointments")
    rule = appointment.rule
    days = appointments.bookable_days(rule, now) if rule.active else []
    raw_day = (request.POST.get("ngay") or request.GET.get("ngay") or "").strip()
    day = parse_day(raw_day) if raw_day else None
    if raw_day and (day is None or day not in days):
        errors.append("Ngày không hợp lệ hoặc không nhận đặt lịch hẹn. Vui lòng chọn một ngày trong danh sách.")
        day = None
    context = {
        "appointment": appointment,
        "days": days,
        "day": day,
        "slots": appointments.free_slots(rule, day, now) if day else [],
        "errors": errors,
    }
    return render(request, "engagement/citizen/reschedule.html", context, status=400 if errors else 200)


# ------------------------------------------------------------------------------------------------
# Evaluation of a dossier
# ------------------------------------------------------------------------------------------------
@citizen_required
@require_http_methods(["GET", "POST"])
def rate(request, code):
    dossier = Dossier.objects.filter(code=code).select_related("version", "agency", "desk").first()
    if dossier is None or dossier.applicant_id_number != request.person.id_number:
        raise Http404("Không tìm thấy hồ sơ.")
    existing = Rating.objects.filter(dossier=dossier).first()
    refusal = ratings.refusal(dossier, request.person)
    errors = []
    values = {}
    if request.method == "POST" and refusal is None:
        values = {key: request.POST.get(f"c_{key}", "") for key, _ in RATING_CRITERIA}
        try:
            ratings.rate(
                dossier,
                request.person,
                overall=request.POST.get("overall", ""),
                scores=values,
                comment=request.POST.get("comment", ""),
            )
        except RatingError as exc:
            errors.append(exc.message)
        else:
            messages.success(request, f"Cảm ơn bạn đã đánh giá việc giải quyết hồ sơ {dossier.code}.")
            return redirect("engagement:rate", code=dossier.code)
    elif request.method == "POST":
        errors.append(refusal.message)
    context = {
        "dossier": dossier,
        "rating": existing,
        "refusal": refusal if existing is None else None,
        "criteria": [(key, label, values.get(key, "")) for key, label in RATING_CRITERIA],
        "levels": RATING_LEVELS,
        "overall": request.POST.get("overall", "") if request.method == "POST" else "",
        "comment": request.POST.get("comment", "") if request.method == "POST" else "",
        "errors": errors,
        "rated": _rated(existing),
    }
    return render(request, "engagement/citizen/rate.html", context, status=400 if errors else 200)


def _rated(rating: Rating | None) -> list[tuple[str, str]]:
    """(criterion, level) labels of a recorded evaluation, the overall level last."""
    if rating is None:
        return []
    levels = dict(RATING_LEVELS)
    out = [(label, levels.get(rating.scores[key], "")) for key, label in RATING_CRITERIA if key in rating.scores]
    return out + [("Mức độ hài lòng chung", levels.get(rating.overall, ""))]
