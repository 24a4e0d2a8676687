"""Catalog sync page: fetch from the national procedure database (or upload its file), see the diff,
apply the chosen procedures as new versions. Works without JavaScript (plain forms, POST/redirect/GET).

The incoming data lives in the session between "show" and "apply" (one snapshot per session, with a
token the apply form sends back, so a diff shown in one tab cannot apply another tab's snapshot);
``apply`` recomputes the diff against the catalog at that moment, so a stale page cannot publish
anything the current catalog already has.
"""

import datetime as dt
import re
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from motcua.catalog import sync

from .views import MAX_UPLOAD

SESSION_KEY = "catalog_sync"
APPLIED_KEY = "catalog_sync_applied"
DATE_RE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
KIND_ORDER = {sync.CHANGED: 0, sync.NEW: 1, sync.MISSING: 2, sync.UNCHANGED: 3}


def _parse_day(text: str) -> dt.date:
    if not DATE_RE.match(text):
        raise ValueError("Ngày hiệu lực phải theo định dạng dd/mm/yyyy, ví dụ 05/03/2026.")
    try:
        return dt.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        raise ValueError(f"Ngày {text} không tồn tại.") from None


def _store(request, incoming: list[dict], source: str) -> None:
    request.session[SESSION_KEY] = {
        "token": uuid.uuid4().hex,
        "source": source,
        "loaded_at": timezone.localtime().strftime("%H:%M %d/%m/%Y"),
        "procedures": sync.jsonable(incoming),
    }


@login_required
@permission_required("catalog.add_procedureversion", raise_exception=True)
@require_http_methods(["GET", "POST"])
def catalog_sync(request):
    errors: list[str] = []
    status = 200
    chosen: set[str] = set()
    effective_text = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "fetch":
            try:
                incoming = sync.fetch()
            except sync.SyncError as exc:
                errors, status = exc.errors, 502
            else:
                _store(request, incoming, "CSDL quốc gia về thủ tục hành chính")
                return redirect("backoffice:catalog-sync")
        elif action == "upload":
            upload = request.FILES.get("file")
            if upload is None:
                errors = ["Vui lòng chọn tệp .json hoặc .xlsx để so sánh."]
            elif upload.size > MAX_UPLOAD:
                errors = ["Tệp quá lớn (tối đa 10 MB)."]
            else:
                try:
                    incoming = sync.from_file(upload.read(), upload.name)
                except sync.SyncError as exc:
                    errors = exc.errors
                else:
                    _store(request, incoming, f"Tệp {upload.name}")
                    return redirect("backoffice:catalog-sync")
            status = 400
        elif action == "clear":
            request.session.pop(SESSION_KEY, None)
            return redirect("backoffice:catalog-sync")
        elif action == "apply":
            chosen = set(request.POST.getlist("codes"))
            effective_text = request.POST.get("effective_from", "").strip()
            outcome = _apply(request, chosen, effective_text)
            if outcome is None:
                return redirect("backoffice:catalog-sync")
            errors, status = outcome, 400
        else:
            errors, status = ["Thao tác không hợp lệ."], 400

    snapshot = request.session.get(SESSION_KEY)
    changes = []
    if snapshot:
        changes = sorted(sync.diff(snapshot["procedures"]), key=lambda c: KIND_ORDER[c.kind])
    context = {
        "errors": errors,
        "snapshot": snapshot,
        "changes": [c for c in changes if c.kind != sync.UNCHANGED],
        "unchanged": [c for c in changes if c.kind == sync.UNCHANGED],
        "counts": {kind: sum(1 for c in changes if c.kind == kind) for kind in sync.KIND_LABELS},
        "invalid": sum(1 for c in changes if c.errors),
        "applicable": sum(1 for c in changes if c.applicable),
        "chosen": chosen,
        "effective_text": effective_text,
        "applied": request.session.pop(APPLIED_KEY, None) if request.method == "GET" else None,
        "tomorrow": timezone.localdate() + dt.timedelta(days=1),
    }
    return render(request, "backoffice/catalog_sync.html", context, status=status)


def _name(user) -> str:
    """Vietnamese order: family name (last_name) first."""
    return " ".join(f"{user.last_name} {user.first_name}".split()) or user.get_username()


def _apply(request, chosen: set[str], effective_text: str) -> list[str] | None:
    """Apply the chosen codes of the session's snapshot; errors (Vietnamese) or None when done."""
    snapshot = request.session.get(SESSION_KEY)
    if not snapshot or request.POST.get("token") != snapshot.get("token"):
        return [
            "Dữ liệu so sánh đã hết hạn hoặc đã được thay bằng lần tải khác. Vui lòng xem lại bảng so sánh "
            "bên dưới rồi chọn lại."
        ]
    if request.POST.get("all"):
        chosen.update(c.code for c in sync.diff(snapshot["procedures"]) if c.applicable)
    if not chosen:
        return ["Chưa chọn thủ tục nào để áp dụng."]
    effective = None
    if effective_text:
        try:
            effective = _parse_day(effective_text)
        except ValueError as exc:
            return [str(exc)]
    try:
        created = sync.apply(snapshot["procedures"], sorted(chosen), user=request.user, effective_from=effective)
    except sync.SyncError as exc:
        return exc.errors
    if created:
        request.session[APPLIED_KEY] = [
            {
                "code": v.procedure.code,
                "name": v.name,
                "number": v.number,
                "effective_from": v.effective_from.strftime("%d/%m/%Y"),
            }
            for v in created
        ]
        messages.success(
            request,
            f"Đã công bố {len(created)} phiên bản thủ tục từ dữ liệu đồng bộ (người thực hiện: {_name(request.user)}).",
        )
    else:
        messages.info(request, "Không có gì thay đổi: các thủ tục đã chọn trùng với danh mục hiện có.")
    return None
