"""Online payment of a dossier's fees and charges: the only code that writes payments and receipts.

Flow: ``start_payment`` (a Payment row with our ``order_id``, then the gateway gives a pay URL) →
the citizen pays at the gateway → the gateway notifies us: ``handle_callback`` (signed
server-to-server callback), or we ask it: ``refresh_from_gateway`` (the browser came back without
a callback having arrived) and ``reconciliation.reconcile`` (end of day). All three end in
``apply_gateway_status``, the one idempotent place that changes a payment:

* a payment is paid once: a repeated or late notification changes nothing (it is only recorded);
* ``paid`` is final: a "failed"/"cancelled" arriving after "success" (out of order) does not undo it;
* the amount must be the amount we asked for;
* on the first success, in one transaction: the payment, its e-receipt (gap-free number per
  agency per year) and the dossier — ``act(dossier, "pay_fee", by="system")`` when the agency
  asked for the fee (awaiting_fee), else the fee due at submission is marked paid.

The receipt's PDF is rendered (and signed with the agency's certificate when one is available) on
first download, outside the payment transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from motcua.dossiers import services as dossier_services
from motcua.dossiers.models import Dossier, FeeStatus
from motcua.dossiers.states import FINAL_STATES, Actor, State
from motcua.workcalendar.engine import VN_TZ

from . import fees
from .gateway import BadSignature, GatewayError, gateway
from .models import IssueKind, Payment, PaymentStatus, Receipt, ReceiptSequence, ReconciliationIssue

logger = logging.getLogger(__name__)

# How long a pending payment's pay URL is offered again instead of creating a new payment.
REUSE_PENDING = dt.timedelta(minutes=30)
MAX_NOTIFICATIONS = 50  # recorded per payment (a misbehaving gateway cannot grow a row forever)
STATUS_OF = {
    "success": PaymentStatus.PAID,
    "failed": PaymentStatus.FAILED,
    "cancelled": PaymentStatus.CANCELLED,
}


class PaymentError(Exception):
    """A refused request: Vietnamese ``message``, machine ``code``, HTTP ``status``."""

    def __init__(self, message: str, code: str = "invalid", status: int = 400):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


# ------------------------------------------------------------------------------------------------
# Who pays, what is due
# ------------------------------------------------------------------------------------------------
def payer_id_numbers(person) -> set[str]:
    """The identifiers a citizen pays for: their own, and the enterprises they represent."""
    from motcua.identity.services import organizations_of

    if person is None:
        return set()
    return {person.id_number} | {o.code for o in organizations_of(person)}


def is_payer(user, dossier: Dossier) -> bool:
    """A logged-in citizen who is the dossier's applicant or owner (or represents them)."""
    from motcua.identity.services import person_of

    ids = payer_id_numbers(person_of(user))
    return bool(ids & {dossier.applicant_id_number, dossier.owner_id_number})


def amount_due(dossier: Dossier) -> int:
    """What the dossier still owes (0: nothing to pay online)."""
    if dossier.fee_status != FeeStatus.UNPAID or dossier.state in FINAL_STATES:
        return 0
    return int(dossier.fee_amount or 0)


def describe(dossier: Dossier) -> str:
    return f"Nộp phí, lệ phí hồ sơ {dossier.code}"[:255]


# ------------------------------------------------------------------------------------------------
# Starting a payment
# ------------------------------------------------------------------------------------------------
def _new_order_id(now: dt.datetime) -> str:
    return f"MC{now.astimezone(VN_TZ):%y%m%d}{secrets.token_hex(8).upper()}"


def start_payment(dossier: Dossier, *, user, return_url: str, callback_url: str, now=None) -> Payment:
    """A payment for what ``dossier`` owes, registered at the gateway (``pay_url`` to send the
    citizen to). A pending payment of the same amount made recently is offered again (a double
    click, a back button) — the gateway knows it by the same order id."""
    now = now or timezone.now()
    amount = amount_due(dossier)
    if amount <= 0:
        raise PaymentError(f"Hồ sơ {dossier.code} không có khoản phí, lệ phí nào cần thanh toán.", "nothing_due", 409)
    payment = (
        Payment.objects.filter(
            dossier=dossier, status=PaymentStatus.PENDING, amount=amount, created_at__gte=now - REUSE_PENDING
        )
        .order_by("-created_at")
        .first()
    )
    if payment is None:
        from motcua.identity.services import person_of

        person = person_of(user)
        payment = Payment.objects.create(
            dossier=dossier,
            order_id=_new_order_id(now),
            amount=amount,
            description=describe(dossier),
            created_by=user if user is not None and user.is_authenticated else None,
            payer_id_number=person.id_number if person else "",
        )
    if payment.pay_url and payment.transaction_id:
        return payment
    # Outside any transaction: no lock is held while the gateway answers; a failure leaves the
    # payment pending without a pay URL, and trying again sends the same order id.
    try:
        answer = gateway().create_payment(
            order_id=payment.order_id,
            amount=payment.amount,
            description=payment.description,
            return_url=return_url,
            callback_url=callback_url,
        )
    except GatewayError as exc:
        raise PaymentError(f"{exc} Vui lòng thử lại sau.", "gateway_unavailable", 503) from None
    Payment.objects.filter(pk=payment.pk).update(
        transaction_id=answer["transaction_id"], pay_url=answer["pay_url"], updated_at=timezone.now()
    )
    payment.transaction_id, payment.pay_url = answer["transaction_id"], answer["pay_url"]
    return payment


# ------------------------------------------------------------------------------------------------
# Notifications: the one idempotent path
# ------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    payment: Payment
    changed: bool  # this notification changed the payment (first success / first failure)
    receipt: Receipt | None = None


def handle_callback(fields: Mapping, *, source: str = "callback", now=None) -> Outcome:
    """A signed notification from the gateway (callback body). Raises ``PaymentError``: 400 bad
    signature/fields/amount, 404 unknown order."""
    try:
        signed = gateway().verify(fields)
    except BadSignature as exc:
        raise PaymentError(str(exc), exc.code, 400) from None
    payment = Payment.objects.filter(order_id=signed["order_id"]).first()
    if payment is None:
        raise PaymentError(f"Không có giao dịch với mã đơn hàng {signed['order_id']}.", "unknown_order", 404)
    raw = {k: str(v) for k, v in fields.items()}
    return apply_gateway_status(
        payment.pk,
        status=signed["status"],
        transaction_id=signed["transaction_id"],
        amount=signed["amount"],
        paid_at=signed["paid_at"],
        raw=raw,
        source=source,
        now=now,
    )


def verify_return(fields: Mapping) -> Payment:
    """The browser came back from the gateway: a valid signature tells which payment it is about
    (what it says about the status is not trusted: ``refresh_from_gateway`` asks the gateway)."""
    try:
        signed = gateway().verify(fields)
    except BadSignature as exc:
        raise PaymentError(str(exc), exc.code, 400) from None
    payment = Payment.objects.select_related("dossier").filter(order_id=signed["order_id"]).first()
    if payment is None or (payment.transaction_id and payment.transaction_id != signed["transaction_id"]):
        raise PaymentError("Không tìm thấy giao dịch thanh toán.", "unknown_order", 404)
    return payment


def refresh_from_gateway(payment: Payment, *, now=None) -> Outcome:
    """Ask the gateway for a pending payment's status and apply it (a missed or late callback)."""
    if payment.status != PaymentStatus.PENDING or not payment.transaction_id:
        return Outcome(payment, False)
    try:
        record = gateway().status(payment.transaction_id)
    except GatewayError as exc:
        logger.info("payment %s: status query failed: %s", payment.order_id, exc)
        return Outcome(payment, False)
    if record is None or record.get("order_id") != payment.order_id:
        return Outcome(payment, False)
    try:
        return apply_gateway_status(
            payment.pk,
            status=str(record.get("status", "")),
            transaction_id=payment.transaction_id,
            amount=record.get("amount"),
            paid_at=str(record.get("paid_at") or ""),
            raw=record,
            source="status_query",
            now=now,
        )
    except PaymentError as exc:  # e.g. another amount: left to reconciliation, never a 500 for the citizen
        logger.warning("payment %s: gateway status not applied: %s", payment.order_id, exc)
        return Outcome(payment, False)


def _paid_at(value: str, now: dt.datetime) -> dt.datetime:
    parsed = parse_datetime(value) if value else None
    if parsed is None:
        return now
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=VN_TZ)


def apply_gateway_status(
    payment_id: int,
    *,
    status: str,
    transaction_id: str,
    amount,
    paid_at: str = "",
    raw: Mapping | None = None,
    source: str,
    now=None,
) -> Outcome:
    """What the gateway says about a payment, applied once (see the module docstring)."""
    now = now or timezone.now()
    try:
        amount = int(amount)
    except (TypeError, ValueError):
        raise PaymentError("Số tiền trong thông báo thanh toán không hợp lệ.", "invalid_fields", 400) from None
    with transaction.atomic():
        p = Payment.objects.select_for_update().get(pk=payment_id)
        if p.transaction_id and p.transaction_id != transaction_id:
            raise PaymentError("Mã giao dịch không khớp với đơn hàng.", "transaction_mismatch", 400)
        if amount != p.amount:
            raise PaymentError(
                f"Số tiền thanh toán ({fees.format_vnd(amount)}) không khớp với số tiền phải nộp "
                f"({fees.format_vnd(p.amount)}).",
                "amount_mismatch",
                400,
            )
        if len(p.notifications) < MAX_NOTIFICATIONS:
            p.notifications.append({"source": source, "received_at": now.isoformat(), "fields": dict(raw or {})})
        target = STATUS_OF.get(status)
        receipt = None
        changed = False
        if target == PaymentStatus.PAID and p.status != PaymentStatus.PAID:
            # A success wins over an earlier failure/cancellation/expiry: the money was taken.
            p.status, p.paid_at, changed = PaymentStatus.PAID, _paid_at(paid_at, now), True
        elif target in (PaymentStatus.FAILED, PaymentStatus.CANCELLED) and p.status == PaymentStatus.PENDING:
            p.status, changed = target, True
        p.transaction_id = p.transaction_id or transaction_id
        p.save()
        if changed and p.status == PaymentStatus.PAID:
            receipt = _issue_receipt(p, now)
            _settle_dossier(p, receipt, now)
    return Outcome(p, changed, receipt)


# ------------------------------------------------------------------------------------------------
# Receipt and dossier
# ------------------------------------------------------------------------------------------------
def next_receipt_sequence(agency, year: int) -> int:
    """Take the next receipt number of ``agency`` for ``year`` (inside the paying transaction: the
    upsert locks the counter row until commit, a rollback gives the number back)."""
    table = connection.ops.quote_name(ReceiptSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (agency_id, year, last) VALUES (%s, %s, 1) "
            f"ON CONFLICT (agency_id, year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [agency.pk, year],
        )
        (number,) = cursor.fetchone()
    return number


def format_receipt_number(agency_code: str, year: int, sequence: int) -> str:
    return f"BL-{agency_code}-{year}-{sequence:06d}"


def _receipt_lines(payment: Payment, dossier: Dossier) -> list[dict]:
    quoted = [x for x in (dossier.fee_detail or {}).get("lines", []) if x.get("amount")]
    if quoted and sum(x["amount"] for x in quoted) == payment.amount:  # the quote at submission, exemptions applied
        return [
            {
                "name": x["name"] + (f" ({x['reason']})" if x.get("reason") else ""),
                "kind": _kind_label(x),
                "amount": x["amount"],
            }
            for x in quoted
        ]
    catalog = [(f.name, f.get_kind_display(), int(f.amount)) for f in dossier.version.fees.all() if f.amount]
    if catalog and sum(a for _, _, a in catalog) == payment.amount:
        return [{"name": name, "kind": kind, "amount": amount} for name, kind, amount in catalog]
    return [{"name": f"Phí, lệ phí giải quyết hồ sơ {dossier.code}", "kind": "", "amount": payment.amount}]


def _kind_label(line: dict) -> str:
    from motcua.catalog.models import FeeKind

    return FeeKind(line["kind"]).label if line.get("kind") in FeeKind.values else str(line.get("kind") or "")


def _issue_receipt(payment: Payment, now: dt.datetime) -> Receipt:
    dossier = Dossier.objects.select_related("receiving_agency", "version").get(pk=payment.dossier_id)
    agency = dossier.receiving_agency
    year = (payment.paid_at or now).astimezone(VN_TZ).year
    sequence = next_receipt_sequence(agency, year)
    return Receipt.objects.create(
        payment=payment,
        agency=agency,
        year=year,
        sequence=sequence,
        number=format_receipt_number(agency.code, year, sequence),
        issued_at=now,
        amount=payment.amount,
        payer_name=dossier.applicant_name,
        payer_id_number=payment.payer_id_number or dossier.applicant_id_number,
        lines=_receipt_lines(payment, dossier),
    )


def record_issue(day: dt.date, kind: str, payment: Payment | None = None, **values) -> ReconciliationIssue:
    """Record a difference once per (day, kind, order, transaction); later runs update it."""
    order_id = values.pop("order_id", payment.order_id if payment else "")
    transaction_id = values.pop("transaction_id", (payment.transaction_id or "") if payment else "")
    issue, _ = ReconciliationIssue.objects.update_or_create(
        day=day,
        kind=kind,
        order_id=order_id or "",
        transaction_id=transaction_id or "",
        defaults={"payment": payment, **values},
    )
    return issue


def _settle_dossier(payment: Payment, receipt: Receipt, now: dt.datetime) -> None:
    d = Dossier.objects.get(pk=payment.dossier_id)
    day = now.astimezone(VN_TZ).date()
    status_values = {"our_amount": payment.amount, "our_status": payment.status}
    if d.fee_status != FeeStatus.UNPAID:
        record_issue(
            day,
            IssueKind.DUPLICATE_PAYMENT,
            payment,
            **status_values,
            detail=f"Hồ sơ {d.code} đã ở trạng thái phí “{d.get_fee_status_display()}” khi nhận tiền "
            f"(biên lai {receipt.number}); cần hoàn tiền cho người nộp.",
        )
        return
    if d.fee_amount != payment.amount:
        record_issue(
            day,
            IssueKind.DOSSIER_NOT_UPDATED,
            payment,
            **status_values,
            detail=f"Số tiền đã thu khác số tiền hồ sơ {d.code} phải nộp ({fees.format_vnd(d.fee_amount)}).",
        )
        return
    if d.state == State.AWAITING_FEE:
        try:
            dossier_services.act(d, "pay_fee", by=Actor.SYSTEM, data={"receipt": receipt.number}, now=now)
        except dossier_services.DossierError as exc:
            record_issue(day, IssueKind.DOSSIER_NOT_UPDATED, payment, **status_values, detail=str(exc))
        return
    if d.state in FINAL_STATES:
        record_issue(
            day,
            IssueKind.DOSSIER_NOT_UPDATED,
            payment,
            **status_values,
            detail=f"Hồ sơ {d.code} đã kết thúc (“{d.state_label}”) khi nhận tiền; cần hoàn tiền cho người nộp.",
        )
        return
    _record_fee_paid_at_submission(d, receipt, now)


def _record_fee_paid_at_submission(d: Dossier, receipt: Receipt, now: dt.datetime) -> None:
    """Fees due with the dossier (not asked for by ``request_fee``): the dossier's fee is paid with its
    history event (``dossiers.services.record_fee_payment``); the legal clock is not touched."""
    try:
        dossier_services.record_fee_payment(d.pk, receipt=receipt.number, amount=receipt.amount, now=now)
    except dossier_services.DossierError as exc:
        day = now.astimezone(VN_TZ).date()
        record_issue(day, IssueKind.DOSSIER_NOT_UPDATED, receipt.payment, detail=str(exc))


# ------------------------------------------------------------------------------------------------
# Receipt PDF
# ------------------------------------------------------------------------------------------------
def _vn(instant: dt.datetime | None) -> str:
    return instant.astimezone(VN_TZ).strftime("%H:%M ngày %d/%m/%Y") if instant else ""


def receipt_context(receipt: Receipt) -> dict:
    payment = receipt.payment
    dossier = payment.dossier
    agency = receipt.agency
    issued = receipt.issued_at.astimezone(VN_TZ)
    return {
        "receipt": receipt,
        "payment": payment,
        "dossier": dossier,
        "procedure": dossier.version.name,
        "agency": agency,
        "parent": agency.parent.name if agency.parent_id else "",
        "lines": [{**line, "amount_text": fees.format_vnd(line["amount"])} for line in receipt.lines],
        "total_text": fees.format_vnd(receipt.amount),
        "issued_text": _vn(receipt.issued_at),
        "paid_text": _vn(payment.paid_at),
        "date_line": f"ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}",
    }


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt's PDF: stored on first request (signed by the agency when it has a certificate)."""
    from motcua.documents.services import read_blob, store_bytes

    if receipt.pdf_id:
        return read_blob(receipt.pdf)
    from motcua.dossiers.slips import html_to_pdf

    receipt = Receipt.objects.select_related("payment__dossier__version", "agency__parent").get(pk=receipt.pk)
    pdf = html_to_pdf(render_to_string("payments/receipt.html", receipt_context(receipt)))
    signed = False
    try:
        from motcua.signing.services import SigningError, sign_pdf

        try:
            pdf, signed = sign_pdf(pdf, agency=receipt.agency, reason="Biên lai điện tử thu phí, lệ phí"), True
        except SigningError as exc:
            logger.info("receipt %s left unsigned: %s", receipt.number, exc)
    except Exception:  # a receipt is still a receipt without a signature (e.g. no PKI folder)
        logger.exception("receipt %s: signing failed", receipt.number)
    blob = store_bytes(pdf, "application/pdf")
    Receipt.objects.filter(pk=receipt.pk, pdf__isnull=True).update(pdf=blob, signed=signed)
    return pdf
