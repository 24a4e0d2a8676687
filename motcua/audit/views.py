"""The audit page for inspectors and the province office: filters, keyset pages, CSV download.
Viewing and downloading are themselves logged (``services.log_export``)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from motcua.common.inputs import as_int
from motcua.workcalendar.engine import VN_TZ

from . import export
from .access import can_audit
from .models import AuditEntry, Kind
from .services import log_export

PAGE = 100


def _day(text: str, errors: list[str], label: str) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        errors.append(f"{label} không hợp lệ, nhập theo dạng dd/mm/yyyy.")
        return None


def _filters(request) -> tuple[dict, Q, list[str]]:
    errors: list[str] = []
    get = request.GET
    f = {
        "user": get.get("nguoi_dung", "").strip()[:150],
        "subject": get.get("dinh_danh", "").strip()[:20],
        "dossier": get.get("ho_so", "").strip()[:40],
        "kind": get.get("loai", "").strip(),
        "from": get.get("tu", "").strip(),
        "to": get.get("den", "").strip(),
    }
    q = Q()
    if f["user"]:
        q &= Q(user__username=f["user"]) | Q(client_id=f["user"])
    if f["subject"]:
        q &= Q(subject_id_number=f["subject"])
    if f["dossier"]:
        q &= Q(dossier_code=f["dossier"])
    if f["kind"]:
        if f["kind"] in Kind.values:
            q &= Q(kind=f["kind"])
        else:
            errors.append("Loại nhật ký không hợp lệ.")
    start = _day(f["from"], errors, "Từ ngày")
    end = _day(f["to"], errors, "Đến ngày")
    if start and end and end < start:
        errors.append("Đến ngày phải sau Từ ngày.")
    else:
        q &= export.day_range(start, end)
    return f, q, errors


@login_required
def audit_log(request):
    if not can_audit(request.user):
        raise PermissionDenied("Chỉ thanh tra và Văn phòng UBND tỉnh được xem nhật ký kiểm toán.")
    filters, q, errors = _filters(request)
    if errors:
        return render(
            request,
            "audit/log.html",
            {"rows": [], "filters": filters, "errors": errors, "kinds": Kind.choices},
            status=400,
        )
    qs = AuditEntry.objects.filter(q)
    if request.GET.get("xuat") == "csv":
        return _csv(request, qs, filters)
    before = request.GET.get("truoc", "")
    page_qs = qs.filter(id__lt=as_int(before)) if as_int(before) is not None else qs
    rows = list(page_qs.select_related("user").order_by("-id")[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    log_export(
        user=request.user, what="can-bo/kiem-toan", filters=filters, count=len(rows), request=request, kind=Kind.READ
    )
    params = request.GET.copy()
    params.pop("truoc", None)
    params.pop("xuat", None)
    return render(
        request,
        "audit/log.html",
        {
            "rows": rows,
            "filters": filters,
            "errors": [],
            "kinds": Kind.choices,
            "next_cursor": rows[-1].id if more and rows else None,
            "query": params.urlencode(),
        },
    )


def _csv(request, qs, filters):
    def stream():
        yield "\ufeff" + export.csv_header()
        for row in export.iter_rows(qs):
            yield export.csv_line(row)

    # Logged before streaming (the response may be cut; what was asked for is what counts).
    log_export(user=request.user, what="can-bo/kiem-toan csv", filters=filters, count=qs.count(), request=request)
    stamp = timezone.now().astimezone(VN_TZ).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="nhat-ky-kiem-toan-{stamp}.csv"'
    return response
