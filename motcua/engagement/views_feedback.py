"""Feedback and complaints pages (phản ánh, kiến nghị): submit (anonymous allowed, with a
contact), track by code and the public list of published answers (portal layout); the staff list
with due/late highlighting and the handling page (assign, answer, publish), scoped to the staff of
the subject agency (``Feedback.objects.visible_to``: anything else is a 404).

Thin: rules live in ``feedback``; bad input is a Vietnamese message with status 400, never a 500.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from motcua.identity import services as identity
from motcua.org.models import Agency, StaffMembership

from . import feedback as service
from .feedback import FeedbackError
from .models import Feedback
from .states import FeedbackKind, FeedbackStatus

SUBMISSIONS_PER_HOUR = 20  # per client address: people write a few; a script would write many
PAGE_SIZE = 20
DUE_SOON = dt.timedelta(days=2)
ACTION_LABELS = {
    "submit": "Tiếp nhận phản ánh, kiến nghị",
    "assign": "Phân công cán bộ xử lý",
    "answer": "Trả lời",
    "publish": "Công khai kết quả trả lời",
}


def _throttled(request) -> bool:
    key = f"engagement:feedback:{request.META.get('REMOTE_ADDR', '')}:{timezone.now():%Y%m%d%H}"
    count = cache.get_or_set(key, 0, 3700)
    if count >= SUBMISSIONS_PER_HOUR:
        return True
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, 3700)
    return False


def _history(item: Feedback) -> list[dict]:
    return [
        {"at": e.at, "label": ACTION_LABELS.get(e.action, e.action), "note": e.note}
        for e in item.events.all().order_by("at", "id")
    ]


# ------------------------------------------------------------------------------------------------
# Public
# ------------------------------------------------------------------------------------------------
def public_list(request):
    """Published answers; also the form to look up one's own feedback by code."""
    raw = request.GET.get("ma", "")
    code = service.normalize_code(raw)
    error = ""
    if code and service.CODE_SHAPE.fullmatch(code):
        return redirect("engagement:feedback-track", code=code)
    if raw.strip():
        error = "Mã tra cứu không đúng định dạng: mã gồm chữ cái và chữ số, ví dụ PA260303-K7Q2XM."
    qs = Feedback.objects.published().select_related("agency").order_by("-published_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("trang"))
    return render(
        request,
        "engagement/feedback/public_list.html",
        {"page": page, "error": error, "ma": raw[:40]},
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def submit(request):
    person = identity.person_of(request.user)
    agencies = Agency.objects.active_on().order_by("name")
    data = request.POST if request.method == "POST" else request.GET
    errors: dict[str, str] = {}
    message = ""
    if request.method == "POST":
        if _throttled(request):
            message = "Bạn đã gửi quá nhiều phản ánh, kiến nghị trong một giờ. Vui lòng thử lại sau."
        else:
            try:
                item = service.submit(
                    kind=data.get("kind", ""),
                    agency=data.get("agency", ""),
                    subject=data.get("subject", ""),
                    content=data.get("content", ""),
                    person=person,
                    sender_name=data.get("sender_name", ""),
                    phone=data.get("phone", ""),
                    email=data.get("email", ""),
                    address=data.get("address", ""),
                    dossier_code=data.get("dossier_code", ""),
                )
            except FeedbackError as exc:
                message, errors = exc.message, exc.errors
            else:
                messages.success(
                    request,
                    f"Đã tiếp nhận {item.get_kind_display().lower()} của bạn. Mã tra cứu: {item.code} "
                    f"(hạn trả lời: {timezone.localtime(item.due_at):%d/%m/%Y}). Vui lòng ghi lại mã này.",
                )
                return redirect("engagement:feedback-track", code=item.code)
    context = {
        "person": person,
        "agencies": agencies,
        "kinds": FeedbackKind.choices,
        "data": data,
        "errors": errors,
        "message": message,
    }
    return render(request, "engagement/feedback/submit.html", context, status=400 if message else 200)


def track(request, code):
    item = (
        Feedback.objects.filter(code=service.normalize_code(code))
        .select_related("agency", "dossier")
        .prefetch_related("events")
        .first()
    )
    if item is None:
        raise Http404("Không tìm thấy phản ánh, kiến nghị.")
    return render(
        request,
        "engagement/feedback/track.html",
        {"item": item, "history": _history(item), "late": item.is_late()},
    )


# ------------------------------------------------------------------------------------------------
# Staff
# ------------------------------------------------------------------------------------------------
def _staff_only(user) -> None:
    if not (user.is_superuser or StaffMembership.objects.filter(user=user, active=True).exists()):
        raise PermissionDenied("Chỉ cán bộ của cơ quan được phản ánh, kiến nghị mới được xem trang này.")


@login_required
def inbox(request):
    _staff_only(request.user)
    now = timezone.now()
    qs = Feedback.objects.visible_to(request.user).select_related("agency", "assignee")
    status = request.GET.get("trang_thai", "")
    if status in FeedbackStatus.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    late_only = request.GET.get("qua_han") == "1"
    if late_only:
        qs = qs.filter(status__in=[FeedbackStatus.RECEIVED, FeedbackStatus.ASSIGNED], due_at__lt=now)
    page = Paginator(qs.order_by("due_at", "id"), 50).get_page(request.GET.get("trang"))
    for item in page:
        item.late = item.is_late(now)
        item.due_soon = item.is_open and not item.late and item.due_at - now <= DUE_SOON
    context = {"page": page, "statuses": FeedbackStatus.choices, "status": status, "late_only": late_only}
    return render(request, "engagement/feedback/inbox.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def detail(request, code):
    _staff_only(request.user)
    item = (
        Feedback.objects.visible_to(request.user)
        .filter(code=service.normalize_code(code))
        .select_related("agency", "dossier", "assignee", "answered_by")
        .first()
    )
    if item is None:
        raise Http404("Không tìm thấy phản ánh, kiến nghị.")
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "assign":
                assignee = _user(request.POST.get("assignee"))
                service.assign(item, request.user, assignee, note=request.POST.get("note", ""))
                messages.success(request, f"Đã phân công {item.code} cho {assignee.get_full_name() or assignee}.")
            elif action == "answer":
                service.answer(item, request.user, request.POST.get("answer", ""))
                messages.success(request, f"Đã lưu nội dung trả lời {item.code}.")
            elif action == "publish":
                service.publish(item, request.user)
                messages.success(request, f"Đã công khai kết quả trả lời {item.code}.")
            else:
                raise FeedbackError("Thao tác không hợp lệ.")
        except FeedbackError as exc:
            messages.error(request, exc.message)
            errors = exc.errors
        else:
            return redirect("engagement:feedback-detail", code=item.code)
        item.refresh_from_db()
    context = {
        "item": item,
        "history": _history(item),
        "late": item.is_late(),
        "handlers": service.handlers(item.agency),
        "can_act": Feedback.objects.handled_by(request.user).filter(pk=item.pk).exists(),
        "errors": errors,
        "answer_text": request.POST.get("answer", item.answer) if request.method == "POST" else item.answer,
    }
    return render(
        request, "engagement/feedback/detail.html", context, status=400 if errors or request.method == "POST" else 200
    )


def _user(value):
    try:
        return get_user_model().objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        return None
