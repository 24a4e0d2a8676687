"""Staff pages of personal-data protection (``/can-bo/bao-ve-du-lieu/``): the purpose-of-access form
(any officer) and the breach register with its 72-hour deadline and printable notification
(permission ``privacy.view_breach`` / ``add`` / ``change``, given to the provincial office)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from . import purpose
from .forms import BreachForm
from .models import Breach, BreachStatus


# ------------------------------------------------------------------------------------------------
# Purpose of access
# ------------------------------------------------------------------------------------------------
@login_required
def purpose_page(request):
    scope = request.POST.get("pham-vi") or request.GET.get("pham-vi") or ""
    if scope not in purpose.SCOPES:
        scope = "ho-so"
    back = request.POST.get("next") or request.GET.get("next") or "/can-bo/"
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
        back = "/can-bo/"
    error, reason, detail = "", "", ""
    if request.method == "POST":
        reason, detail = request.POST.get("ly-do", ""), request.POST.get("chi-tiet", "")
        text, error = purpose.purpose_text(reason, detail)
        if not error:
            until = purpose.remember(request.session, scope, text)
            local = timezone.localtime(dt.datetime.fromtimestamp(until, tz=dt.UTC))
            messages.info(request, f"Mục đích truy cập “{text}” được ghi nhận đến {local:%H:%M %d/%m/%Y}.")
            return redirect(back)
    context = {
        "scope": scope,
        "scope_label": purpose.SCOPES[scope],
        "reasons": purpose.REASONS,
        "other": purpose.OTHER,
        "next": back,
        "error": error,
        "reason": reason,
        "detail": detail,
        "minutes": purpose._ttl() // 60,
        "current": purpose.stated(request, scope),
    }
    return render(request, "privacy/purpose.html", context, status=400 if error else 200)


# ------------------------------------------------------------------------------------------------
# Breaches
# ------------------------------------------------------------------------------------------------
@login_required
@permission_required("privacy.view_breach", raise_exception=True)
def breaches(request):
    now = timezone.now()
    rows = list(Breach.objects.select_related("created_by")[:200])
    items = [{"b": b, "left": b.deadline_text(now), "overdue": b.overdue(now)} for b in rows]
    open_ = [i for i in items if not i["b"].reported_at and i["b"].status != BreachStatus.CLOSED]
    return render(request, "privacy/breaches.html", {"items": items, "open": open_, "now": now})


def _breach(pk: int) -> Breach:
    b = Breach.objects.select_related("created_by").filter(pk=pk).first()
    if b is None:
        raise Http404("Không tìm thấy vi phạm.")
    return b


@login_required
@permission_required("privacy.add_breach", raise_exception=True)
def breach_new(request):
    form = BreachForm(request.POST or None, initial={"detected_at": timezone.localtime()})
    if request.method == "POST" and form.is_valid():
        b = form.save(commit=False)
        b.created_by = request.user
        b.save()
        messages.success(
            request,
            f"Đã ghi nhận vi phạm {b.number}. Hạn thông báo cơ quan chuyên trách: "
            f"{timezone.localtime(b.deadline):%H:%M ngày %d/%m/%Y}.",
        )
        return redirect("privacy:breach", pk=b.pk)
    return render(request, "privacy/breach_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@permission_required("privacy.view_breach", raise_exception=True)
def breach_detail(request, pk: int):
    b = _breach(pk)
    form = None
    if request.user.has_perm("privacy.change_breach"):
        form = BreachForm(request.POST or None, instance=b)
        if request.method == "POST":
            if form.is_valid():
                form.save()
                messages.success(request, f"Đã cập nhật vi phạm {b.number}.")
                return redirect("privacy:breach", pk=b.pk)
    elif request.method == "POST":
        return HttpResponse("Bạn không có quyền sửa vi phạm này.", status=403)
    now = timezone.now()
    context = {"b": b, "form": form, "left": b.deadline_text(now), "overdue": b.overdue(now), "now": now}
    return render(request, "privacy/breach.html", context, status=400 if form is not None and form.errors else 200)


@login_required
@permission_required("privacy.view_breach", raise_exception=True)
def breach_notice(request, pk: int):
    """The notification to the authority (Law 91/2025): HTML to print, or ``?dinh-dang=pdf``."""
    b = _breach(pk)
    context = {"b": b, "now": timezone.localtime(), "province": _province_name()}
    if request.GET.get("dinh-dang") == "pdf":
        from django.conf import settings
        from django.template.loader import render_to_string
        from weasyprint import HTML  # heavy: imported on the printing path only

        html = render_to_string("privacy/notice.html", {**context, "pdf": True}, request=request)
        pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="thong-bao-vi-pham-{b.pk}.pdf"'
        return response
    return render(request, "privacy/notice.html", context)


def _province_name() -> str:
    """The province (the root administrative unit), for the notice's issuing authority."""
    from motcua.org.models import AdministrativeUnit

    root = AdministrativeUnit.objects.filter(parent__isnull=True).order_by("id").only("name").first()
    return root.name if root else ""
