"""Payment pages and the gateway's callback (thin: the rules are in ``payments.services``).

* ``pay`` — ``/cong-dan/thanh-toan/<dossier code>/``: GET shows what is due, POST starts a payment
  and sends the citizen to the gateway (the dossier's applicant or owner only);
* ``pay_return`` — ``/cong-dan/thanh-toan/ket-qua/``: where the gateway sends the browser back; the
  signed query only says which payment it is about, the status comes from the gateway;
* ``callback`` — ``/thanh-toan/callback/``: the gateway's signed server-to-server notification
  (JSON or form body); structured 4xx for anything we refuse;
* ``receipt`` — ``/cong-dan/thanh-toan/<payment id>/bien-lai.pdf``: the e-receipt (owner only, logged).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.audit.services import log_access
from motcua.dossiers.models import Dossier

from . import services
from .fees import format_vnd
from .models import Payment, PaymentStatus


def _to_login(request):
    return redirect(f"{reverse('portal:login')}?next={request.get_full_path()}")


def _absolute(request, name: str) -> str:
    """A URL the gateway (callback) or the browser (return) reaches us at: ``PAYMENT_PUBLIC_URL``
    when set (behind a proxy, or the gateway sees another address), else this request's host."""
    path = reverse(name)
    base = str(getattr(settings, "PAYMENT_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


@require_http_methods(["GET", "POST"])
def pay(request, code: str):
    if not request.user.is_authenticated:
        return _to_login(request)
    dossier = Dossier.objects.select_related("version").filter(code=code).first()
    if dossier is None or not services.is_payer(request.user, dossier):
        raise Http404("Không tìm thấy hồ sơ.")
    error, status = "", 200
    if request.method == "POST":
        try:
            payment = services.start_payment(
                dossier,
                user=request.user,
                return_url=_absolute(request, "payments:return"),
                callback_url=_absolute(request, "payments:callback"),
            )
        except services.PaymentError as exc:
            error, status = exc.message, exc.status
        else:
            return redirect(payment.pay_url)
    payments = list(Payment.objects.filter(dossier=dossier).order_by("-created_at")[:20])
    for p in payments:
        p.amount_text = format_vnd(p.amount)
    due = services.amount_due(dossier)
    context = {"dossier": dossier, "due": due, "due_text": format_vnd(due), "payments": payments, "error": error}
    return render(request, "payments/pay.html", context, status=status)


@require_GET
def pay_return(request):
    try:
        payment = services.verify_return(request.GET)
    except services.PaymentError as exc:
        return render(request, "payments/result.html", {"error": exc.message}, status=exc.status)
    if payment.status == PaymentStatus.PENDING:
        payment = services.refresh_from_gateway(payment).payment
    payment = Payment.objects.select_related("dossier", "receipt").get(pk=payment.pk)
    return render(request, "payments/result.html", {"payment": payment, "amount_text": format_vnd(payment.amount)})


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "details": {}}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


@csrf_exempt
@require_POST
def callback(request):
    if request.content_type == "application/json":
        try:
            fields = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return _error(400, "invalid_json", "Nội dung thông báo không phải JSON hợp lệ.")
        if not isinstance(fields, dict):
            return _error(400, "invalid_json", "Nội dung thông báo phải là một đối tượng JSON.")
    else:
        fields = request.POST.dict()
    try:
        outcome = services.handle_callback(fields)
    except services.PaymentError as exc:
        return _error(exc.status, exc.code, exc.message)
    return JsonResponse(
        {
            "result": "ok",
            "order_id": outcome.payment.order_id,
            "status": outcome.payment.status,
            "changed": outcome.changed,
        }
    )


@require_GET
def receipt(request, pk: int):
    if not request.user.is_authenticated:
        return _to_login(request)
    payment = Payment.objects.select_related("dossier", "receipt").filter(pk=pk, status=PaymentStatus.PAID).first()
    receipt_row = getattr(payment, "receipt", None) if payment else None
    if receipt_row is None or not services.is_payer(request.user, payment.dossier):
        raise Http404("Không tìm thấy biên lai.")
    pdf = services.receipt_pdf(receipt_row)
    log_access(
        user=request.user,
        objects=[receipt_row],
        object_type="receipt",
        ref=lambda r: r.number,
        subject=lambda r: r.payer_id_number,
        dossier=lambda r: payment.dossier.code,
        action="export",
        purpose="Tải biên lai điện tử",
        request=request,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bien-lai-{receipt_row.number}.pdf"'
    return response


@require_GET
def my_payments(request):
    """"My payments": every payment for the dossiers of the citizen (and the enterprises they represent)."""
    from django.db.models import Q

    from motcua.identity.services import person_of

    if not request.user.is_authenticated:
        return _to_login(request)
    ids = services.payer_id_numbers(person_of(request.user))
    if not ids:
        return render(request, "portal/unverified.html", status=403)
    payments = list(
        Payment.objects.filter(Q(dossier__applicant_id_number__in=ids) | Q(dossier__owner_id_number__in=ids))
        .select_related("dossier__version", "receipt")
        .order_by("-created_at", "-id")[:200]
    )
    return render(request, "payments/mine.html", {"payments": payments, "format_vnd": format_vnd})
