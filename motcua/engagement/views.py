"""Queue pages: ticket issuing (public, touch), the TV display board (public), the self-service
kiosk (public, with check-in by appointment code), the counter screen (with check-in by
appointment code) and the queue statistics (staff).

Thin: every state change is a ``services`` call; a refused action (``QueueError``) becomes a
Vietnamese error message, never a 500. Every page works without JavaScript; HTMX only refreshes
the board and the waiting list, and makes the kiosk search live.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from motcua.catalog.models import ProcedureVersion
from motcua.catalog.services import search_versions
from motcua.common.inputs import as_int
from motcua.org.models import Counter, Desk

from . import appointments, services
from .appointments import AppointmentError
from .models import ServiceGroup, Ticket
from .services import QueueError
from .states import ACTIVE_STATUSES, Priority, Status

INTAKE_PATH = "/can-bo/tiep-nhan/"  # the intake screen (backoffice), opened with ?ticket=<id>
SESSION_COUNTER = "engagement.counter_id"
TICKETS_PER_MINUTE = 30  # per client and desk: a kiosk never issues faster; a script would
KIOSK_RESULTS = 12
COUNTER_ACTIONS = {"call", "recall", "start", "no_show", "finish", "transfer", "checkin"}


def _desk(code: str) -> Desk:
    return get_object_or_404(Desk.objects.select_related("agency__unit__level"), code=code, active=True)


def _int(value) -> int | None:
    """A posted id, or None when it is missing or not a number (never a 500 on a bad form)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _throttled(request, desk: Desk) -> bool:
    key = f"engagement:issue:{desk.pk}:{_client_ip(request)}:{timezone.now():%Y%m%d%H%M}"
    count = cache.get_or_set(key, 0, 70)
    if count >= TICKETS_PER_MINUTE:
        return True
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, 70)
    return False


def _issue(request, desk: Desk, group_id, priority) -> Ticket | None:
    """Issue a ticket for a public page; on refusal add the error message and return None."""
    group_id = _int(group_id)
    group = ServiceGroup.objects.filter(desk=desk, active=True, pk=group_id).first() if group_id else None
    if group is None:
        messages.error(request, "Vui lòng chọn nhóm dịch vụ.")
        return None
    if _throttled(request, desk):
        messages.error(request, "Bạn lấy số quá nhanh. Vui lòng chờ một phút rồi thử lại.")
        return None
    try:
        return services.issue_ticket(desk, group, priority or Priority.NONE)
    except QueueError as exc:
        messages.error(request, exc.message)
        return None


# ------------------------------------------------------------------------------------------------
# Public: ticket issuing, printed ticket, display board
# ------------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def take_ticket(request, desk_code):
    desk = _desk(desk_code)
    if request.method == "POST":
        ticket = _issue(request, desk, request.POST.get("group"), request.POST.get("priority"))
        if ticket is not None:
            return redirect("engagement:ticket", desk_code=desk.code, ticket_id=ticket.pk)
        return redirect("engagement:take", desk_code=desk.code)
    groups = services.waiting_by_group(desk)
    return render(
        request,
        "engagement/take.html",
        {"desk": desk, "groups": groups, "priorities": Priority.choices},
    )


def ticket_slip(request, desk_code, ticket_id):
    desk = _desk(desk_code)
    ticket = get_object_or_404(Ticket.objects.select_related("group"), pk=ticket_id, desk=desk)
    from_kiosk = request.GET.get("from") == "kiosk"
    back = reverse("engagement:kiosk" if from_kiosk else "engagement:take", args=[desk.code])
    return render(
        request,
        "engagement/ticket.html",
        {"desk": desk, "ticket": ticket, "ahead": services.waiting_ahead(ticket), "back": back},
    )


def _board_context(desk: Desk) -> dict:
    called = services.called_tickets(desk)
    return {
        "desk": desk,
        "called": called,
        "newest": called[0] if called else None,
        "groups": services.waiting_by_group(desk),
        "now": timezone.now(),
    }


def board(request, desk_code):
    return render(request, "engagement/board.html", _board_context(_desk(desk_code)))


def board_partial(request, desk_code):
    return render(request, "engagement/_board.html", _board_context(_desk(desk_code)))


# ------------------------------------------------------------------------------------------------
# Public: self-service kiosk
# ------------------------------------------------------------------------------------------------
def _kiosk_level(desk: Desk) -> str | None:
    """Procedures offered at the kiosk: those of the desk's administrative level."""
    return desk.agency.unit.level.code if desk.agency_id else None


def kiosk(request, desk_code):
    desk = _desk(desk_code)
    q = request.GET.get("q", "")[:200]
    results = list(search_versions(q, level=_kiosk_level(desk))[:KIOSK_RESULTS])
    context = {"desk": desk, "q": q, "results": results}
    if request.headers.get("HX-Request"):
        return render(request, "engagement/_kiosk_results.html", context)
    return render(request, "engagement/kiosk.html", context)


def _version(code: str) -> ProcedureVersion:
    version = (
        ProcedureVersion.objects.in_force()
        .filter(procedure__code=code)
        .select_related("procedure", "field")
        .prefetch_related("components", "fees")
        .order_by("-effective_from")
        .first()
    )
    if version is None:
        raise Http404("Không tìm thấy thủ tục.")
    return version


def kiosk_procedure(request, desk_code, code):
    desk = _desk(desk_code)
    version = _version(code)
    group = services.group_for_field(desk, version.field_id)
    return render(
        request,
        "engagement/kiosk_procedure.html",
        {"desk": desk, "v": version, "group": group, "priorities": Priority.choices, "printed_at": timezone.now()},
    )


@require_POST
def kiosk_take(request, desk_code, code):
    desk = _desk(desk_code)
    version = _version(code)
    group = services.group_for_field(desk, version.field_id)
    ticket = _issue(request, desk, group.pk if group else None, request.POST.get("priority"))
    if ticket is None:
        return redirect("engagement:kiosk-procedure", desk_code=desk.code, code=code)
    url = reverse("engagement:ticket", kwargs={"desk_code": desk.code, "ticket_id": ticket.pk})
    return redirect(f"{url}?from=kiosk")


@require_POST
def kiosk_checkin(request, desk_code):
    """A citizen with an appointment types its code: they get a priority ticket at once."""
    desk = _desk(desk_code)
    if _throttled(request, desk):
        messages.error(request, "Bạn thao tác quá nhanh. Vui lòng chờ một phút rồi thử lại.")
        return redirect("engagement:kiosk", desk_code=desk.code)
    appointment = appointments.find(request.POST.get("code", ""), desk)
    if appointment is None:
        messages.error(request, "Không tìm thấy lịch hẹn với mã đã nhập tại bộ phận một cửa này.")
        return redirect("engagement:kiosk", desk_code=desk.code)
    try:
        ticket = appointments.check_in(appointment, desk=desk)
    except AppointmentError as exc:
        messages.error(request, exc.message)
        return redirect("engagement:kiosk", desk_code=desk.code)
    url = reverse("engagement:ticket", kwargs={"desk_code": desk.code, "ticket_id": ticket.pk})
    return redirect(f"{url}?from=kiosk")


# ------------------------------------------------------------------------------------------------
# Staff: counter screen
# ------------------------------------------------------------------------------------------------
def _counter_of(request, desks: list[Desk]) -> tuple[Counter | None, bool]:
    """The officer's counter: fixed in the membership, else the one chosen in this session."""
    assigned = services.assigned_counter(request.user, desks)
    if assigned is not None:
        return assigned, True
    counter_id = request.session.get(SESSION_COUNTER)
    if counter_id:
        counter = Counter.objects.select_related("desk").filter(pk=counter_id, desk__in=desks, active=True).first()
        if counter is not None:
            return counter, False
    return None, False


def _waiting_lists(desk: Desk) -> list[dict]:
    day = timezone.localdate()
    waiting = list(
        Ticket.objects.filter(desk=desk, day=day, status=Status.WAITING)
        .select_related("group", "target_counter")
        .order_by("rank", "issued_at", "id")[:300]
    )
    out = []
    for group in services.waiting_by_group(desk, day):
        tickets = [t for t in waiting if t.group_id == group.pk]
        out.append({"group": group, "count": group.waiting, "tickets": tickets[:12]})
    return out


def _staff_desks(request) -> list[Desk]:
    desks = services.serving_desks(request.user)
    if not desks:
        raise PermissionDenied("Chỉ cán bộ một cửa và nhân viên bưu chính công ích được dùng màn hình quầy.")
    return desks


@login_required
@require_http_methods(["GET", "POST"])
def counter_screen(request):
    desks = _staff_desks(request)
    counter, fixed = _counter_of(request, desks)
    if request.method == "POST":
        return _counter_action(request, desks, counter, fixed)
    context = {"counter": counter, "fixed": fixed, "desks": desks}
    context["counters"] = (
        Counter.objects.filter(desk__in=desks, active=True).select_related("desk").order_by("desk__code", "number")
    )
    if counter is not None:
        current = services.current_ticket(counter)
        stats = [s for s in services.queue_stats(counter.desk, by="counter") if s.key == counter.pk]
        context.update(
            current=current,
            waiting_lists=_waiting_lists(counter.desk),
            stats=stats[0] if stats else None,
            groups=ServiceGroup.objects.filter(desk=counter.desk, active=True).order_by("order", "letter"),
            other_counters=counter.desk.counters.filter(active=True).exclude(pk=counter.pk).order_by("number"),
            intake_url=f"{INTAKE_PATH}?ticket={current.pk}" if current else "",
            wait_target=services.WAIT_TARGET_MINUTES,
        )
    return render(request, "engagement/counter.html", context)


def _counter_action(request, desks, counter, fixed):
    action = request.POST.get("action", "")
    back = redirect("engagement:counter")
    if action == "choose":
        if fixed:
            messages.error(request, "Quầy của bạn đã được phân công cố định, không thể đổi.")
            return back
        chosen = Counter.objects.filter(pk=_int(request.POST.get("counter")) or 0, desk__in=desks, active=True).first()
        if chosen is None:
            messages.error(request, "Vui lòng chọn một quầy của bộ phận một cửa nơi bạn làm việc.")
            return back
        request.session[SESSION_COUNTER] = chosen.pk
        messages.success(request, f"Bạn đang làm việc tại {chosen.name} – {chosen.desk.name}.")
        return back
    if action not in COUNTER_ACTIONS:
        messages.error(request, "Thao tác không hợp lệ.")
        return back
    if counter is None:
        messages.error(request, "Vui lòng chọn quầy làm việc trước.")
        return back
    user = request.user
    if action == "checkin":
        return _counter_checkin(request, counter, back)
    try:
        if action == "call":
            ticket = services.call_next(counter, user)
            messages.success(request, f"Đã gọi số {ticket.code} đến {counter.name}.")
            return back
        ticket = _ticket_at(request, counter)
        if action == "recall":
            services.recall(ticket, user)
            messages.success(request, f"Đã gọi lại số {ticket.code}.")
        elif action == "start":
            services.start_service(ticket, user)
            return redirect(f"{INTAKE_PATH}?ticket={ticket.pk}")
        elif action == "no_show":
            services.mark_no_show(ticket, user)
            messages.success(request, f"Đã ghi nhận số {ticket.code} vắng mặt.")
        elif action == "finish":
            services.finish(ticket, user)
            messages.success(request, f"Đã kết thúc phục vụ số {ticket.code}.")
        elif action == "transfer":
            target = _transfer_target(request.POST.get("target", ""), counter)
            services.transfer(ticket, user, **target)
            where = f"nhóm {target['to_group']}" if "to_group" in target else target["to_counter"].name
            messages.success(request, f"Đã chuyển số {ticket.code} sang {where}.")
    except QueueError as exc:
        messages.error(request, exc.message)
    return back


def _counter_checkin(request, counter: Counter, back):
    """The officer checks in a citizen with an appointment: a priority ticket joins the queue."""
    appointment = appointments.find(request.POST.get("code", ""), counter.desk)
    if appointment is None:
        messages.error(request, "Không tìm thấy lịch hẹn với mã đã nhập tại bộ phận một cửa này.")
        return back
    try:
        ticket = appointments.check_in(appointment, desk=counter.desk, actor=request.user)
    except AppointmentError as exc:
        messages.error(request, exc.message)
        return back
    messages.success(
        request, f"Đã xác nhận lịch hẹn {appointment.code} của {appointment.full_name}: cấp số ưu tiên {ticket.code}."
    )
    return back


def _ticket_at(request, counter: Counter) -> Ticket:
    """The ticket the form acted on; it must still be with this counter (no stale screens)."""
    ticket = Ticket.objects.filter(pk=_int(request.POST.get("ticket")) or 0).first()
    if ticket is None or ticket.counter_id != counter.pk or ticket.status not in ACTIVE_STATUSES:
        raise QueueError("Số thứ tự này không còn ở quầy của bạn. Màn hình đã được cập nhật.")
    return ticket


def _transfer_target(value: str, counter: Counter) -> dict:
    kind, _, pk = value.partition(":")
    if kind == "g" and as_int(pk) is not None:
        group = ServiceGroup.objects.filter(pk=pk, desk=counter.desk_id).first()
        if group is not None:
            return {"to_group": group}
    if kind == "c" and as_int(pk) is not None:
        other = Counter.objects.filter(pk=pk, desk=counter.desk_id).first()
        if other is not None:
            return {"to_counter": other}
    raise QueueError("Hãy chọn nhóm dịch vụ hoặc quầy cần chuyển đến.")


@login_required
def counter_waiting(request):
    """The waiting list of the counter screen (refreshed by HTMX)."""
    desks = _staff_desks(request)
    counter, _ = _counter_of(request, desks)
    if counter is None:
        raise Http404
    return render(request, "engagement/_waiting.html", {"waiting_lists": _waiting_lists(counter.desk)})


# ------------------------------------------------------------------------------------------------
# Staff: statistics
# ------------------------------------------------------------------------------------------------
def _parse_day(value: str) -> dt.date | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    return None


@login_required
def stats(request):
    desks = services.stats_desks(request.user).order_by("code")
    if not desks.exists():
        raise PermissionDenied("Bạn không có quyền xem thống kê xếp hàng.")
    day = timezone.localdate()
    raw_day = request.GET.get("ngay", "").strip()
    errors = []
    if raw_day:
        parsed = _parse_day(raw_day)
        if parsed is None:
            errors.append("Ngày không hợp lệ. Vui lòng nhập theo dạng dd/mm/yyyy, ví dụ 05/03/2026.")
        else:
            day = parsed
    scope = desks
    selected = request.GET.get("bo_phan", "")
    if selected:
        chosen = desks.filter(code=selected).first()
        if chosen is None:
            errors.append("Bộ phận một cửa được chọn không thuộc phạm vi bạn được xem.")
        else:
            scope = [chosen]
    context = {
        "day": day,
        "desks": desks,
        "selected": selected,
        "errors": errors,
        "target": services.WAIT_TARGET_MINUTES,
        "intake_target": services.INTAKE_TARGET_MINUTES,
        "total": services.queue_stats(scope, day, by="total")[0],
        "by_desk": services.queue_stats(scope, day, by="desk"),
        "by_counter": services.queue_stats(scope, day, by="counter"),
        "by_officer": services.queue_stats(scope, day, by="officer"),
    }
    return render(request, "engagement/stats.html", context, status=400 if errors else 200)
