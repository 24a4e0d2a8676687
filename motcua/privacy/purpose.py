"""Purpose of access: an officer states why before reading personal data outside their own dossiers.

**What "outside the applicant's own dossier" means here.** Staff read a dossier's personal data
(applicant/owner name, ID, phone, address, papers) in two ways:

1. *Handling it* — the dossier was received at one of the officer's desks, is handled by one of
   their agencies, or has a step at one of their agencies (the narrow part of
   ``Dossier.objects.visible_to``, i.e. ``handles(user, dossier)``). Their work lists (inbox,
   intake queue, return desk) only ever contain such dossiers. The purpose is implicit: the
   dossier's own processing; the log rows keep their existing purpose and the dossier code.
2. *Oversight* — anything the officer can read only because their role sees wide (the provincial
   office and inspectors — ``READ_ALL_ROLES`` — or an administrator): a single dossier (or its
   documents) they do not handle, and every cross-dossier list of a user whose access reaches
   beyond their own agencies (the report drill-down ``/can-bo/bao-cao/ho-so/``, the late-dossier
   analysis, document full-text search). These require a purpose first.

A purpose is a reason from ``REASONS`` (+ free text, required for "Khác") stated on
``/can-bo/bao-ve-du-lieu/muc-dich/``, remembered in the session for ``PRIVACY_PURPOSE_TTL`` seconds
(30 minutes) per *scope* (``SCOPES``), and written into ``DataAccess.purpose`` of every read made
under it (``with_purpose``).
"""

from __future__ import annotations

import functools
import time
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from motcua.dossiers.models import Step, access_scope
from motcua.org.models import StaffMembership

SESSION_KEY = "privacy_purposes"

SCOPES = {
    "ho-so": "Xem hồ sơ, tài liệu không thuộc cơ quan mình giải quyết",
    "bao-cao": "Danh sách hồ sơ trong báo cáo, thống kê",
    "tim-kiem": "Tìm kiếm tài liệu trên toàn tỉnh",
}

OTHER = "khac"
REASONS = [
    ("thanh-tra", "Thanh tra, kiểm tra việc giải quyết thủ tục hành chính"),
    ("giam-sat", "Giám sát, đôn đốc tiến độ giải quyết hồ sơ"),
    ("khieu-nai", "Giải quyết khiếu nại, tố cáo, phản ánh, kiến nghị"),
    ("bao-cao", "Tổng hợp, đối soát số liệu báo cáo"),
    ("ho-tro", "Hỗ trợ kỹ thuật, xử lý sự cố theo yêu cầu"),
    ("yeu-cau", "Theo yêu cầu của cơ quan nhà nước có thẩm quyền"),
    (OTHER, "Khác (ghi rõ)"),
]
REASON_LABELS = dict(REASONS)


def _ttl() -> int:
    return int(getattr(settings, "PRIVACY_PURPOSE_TTL", 1800))


def wide_reader(user) -> bool:
    """True when ``user`` may read dossiers beyond their own agencies and desks."""
    return user.is_authenticated and access_scope(user) is None


def handles(user, dossier) -> bool:
    """The narrow access rule: ``dossier`` is received at one of ``user``'s desks, handled by one of
    their agencies, or has a step at one of their agencies (active memberships, whatever the role)."""
    rows = list(StaffMembership.objects.filter(user=user, active=True).values_list("agency_id", "desk_id"))
    agencies = {a for a, _ in rows}
    desks = {d for _, d in rows if d}
    if not agencies:
        return False
    if dossier.desk_id in desks or dossier.agency_id in agencies or dossier.receiving_agency_id in agencies:
        return True
    return Step.objects.filter(dossier_id=dossier.pk, agency_id__in=agencies).exists()


def stated(request, scope: str) -> str | None:
    """The purpose stated for ``scope`` in this session, if still fresh."""
    entry = request.session.get(SESSION_KEY, {}).get(scope)
    if not entry or entry.get("until", 0) < time.time():
        return None
    return entry["text"]


def remember(session, scope: str, text: str) -> float:
    """Store ``text`` as the purpose for ``scope`` (``PRIVACY_PURPOSE_TTL`` from now); returns the expiry."""
    until = time.time() + _ttl()
    purposes = {k: v for k, v in session.get(SESSION_KEY, {}).items() if v.get("until", 0) >= time.time()}
    purposes[scope] = {"text": text[:100], "until": until}
    session[SESSION_KEY] = purposes
    return until


def purpose_text(reason: str, detail: str) -> tuple[str, str]:
    """(purpose text, error message) from the form's reason code and free text."""
    detail = " ".join((detail or "").split())[:80]
    if reason not in REASON_LABELS:
        return "", "Vui lòng chọn mục đích truy cập dữ liệu cá nhân."
    if reason == OTHER:
        if len(detail) < 5:
            return "", "Vui lòng ghi rõ mục đích (ít nhất 5 ký tự)."
        return detail, ""
    label = REASON_LABELS[reason]
    return (f"{label}: {detail}" if detail else label), ""


def ask(request, scope: str) -> HttpResponse:
    """Send the officer to the purpose form, coming back to this page (GET) afterwards."""
    back = request.get_full_path() if request.method == "GET" else (request.META.get("HTTP_REFERER") or "/can-bo/")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/can-bo/"
    url = f"{reverse('privacy:purpose')}?{urlencode({'pham-vi': scope, 'next': back})}"
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def gate(request, scope: str, *, dossier=None) -> HttpResponse | None:
    """None when the read may go on (``request.privacy_purpose`` is then the stated purpose, or ""
    when none is needed), else the redirect to the purpose form.

    No purpose is needed when the user's access does not reach beyond their own agencies and desks,
    nor, with ``dossier``, when the user handles that dossier."""
    user = request.user
    # Only a wide reader can reach data outside their own dossiers (everyone else's access rule is
    # the narrow one, plus documents reused by or shared with the dossiers they handle).
    needed = wide_reader(user) and (dossier is None or not handles(user, dossier))
    if not needed:
        request.privacy_purpose = ""
        return None
    text = stated(request, scope)
    if text is None:
        return ask(request, scope)
    request.privacy_purpose = text
    return None


def with_purpose(request, base: str) -> str:
    """The purpose written into the access log: the read itself (``base``) and, for an oversight
    read, the purpose the officer stated (≤ 120 characters, the column's size)."""
    text = getattr(request, "privacy_purpose", "")
    return f"{base} – mục đích: {text}"[:120] if text else base


def purpose_required(scope: str):
    """View decorator: a cross-dossier page of a wide reader asks for a purpose first."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            response = gate(request, scope)
            return response if response is not None else view(request, *args, **kwargs)

        return wrapped

    return decorate
