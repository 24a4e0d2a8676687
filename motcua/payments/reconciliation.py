"""Daily reconciliation with the payment gateway (đối soát giao dịch).

``reconcile(day)`` compares our payments created on ``day`` (Vietnam time) with the gateway's list
for that day and records each difference once as a ``ReconciliationIssue`` (a re-run updates,
never duplicates):

* the gateway says paid and we are not: fixed here through the same idempotent path as a callback
  (``services.apply_gateway_status``), recorded as a resolved "missed callback";
* the gateway says failed/cancelled and we are still pending: our side follows (no issue);
* a transaction the gateway has and we do not ("foreign"), one we have and it does not, different
  amounts, or paid here but not there: recorded for a person to look at;
* a payment of a past day that never reached the gateway (no transaction id) expires.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from motcua.workcalendar.engine import VN_TZ

from . import services
from .gateway import GatewayError, gateway
from .models import IssueKind, Payment, PaymentStatus


def _bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=VN_TZ)
    return start, start + dt.timedelta(days=1)


def _amount(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def reconcile(day: dt.date, *, now: dt.datetime | None = None) -> dict:
    """Reconcile ``day``; returns a report (counts, fixed order ids, issue ids). Raises
    ``gateway.GatewayError`` when the gateway's list cannot be had (nothing is changed then)."""
    now = now or timezone.now()
    items = gateway().transactions(day)
    start, end = _bounds(day)
    ours = list(Payment.objects.filter(created_at__gte=start, created_at__lt=end))
    by_txid = {p.transaction_id: p for p in ours if p.transaction_id}
    report = {"day": day.isoformat(), "gateway": len(items), "ours": len(ours), "matched": 0, "fixed": [], "issues": []}
    seen: set[int] = set()

    def issue(kind, payment=None, **values):
        report["issues"].append(services.record_issue(day, kind, payment, **values).pk)

    for item in items:
        txid, order_id = str(item.get("transaction_id") or ""), str(item.get("order_id") or "")
        g_status, g_amount = str(item.get("status") or ""), _amount(item.get("amount"))
        payment = by_txid.get(txid) or Payment.objects.filter(order_id=order_id).first()
        if payment is None:
            issue(
                IssueKind.MISSING_HERE,
                order_id=order_id,
                transaction_id=txid,
                gateway_amount=g_amount,
                gateway_status=g_status,
                detail="Cổng thanh toán có giao dịch này nhưng hệ thống không có đơn hàng tương ứng.",
            )
            continue
        seen.add(payment.pk)
        values = {
            "transaction_id": txid,
            "our_amount": payment.amount,
            "gateway_amount": g_amount,
            "our_status": payment.status,
            "gateway_status": g_status,
        }
        if (payment.transaction_id and payment.transaction_id != txid) or g_amount != payment.amount:
            issue(IssueKind.AMOUNT_MISMATCH, payment, **values, detail="Số tiền hoặc mã giao dịch không khớp.")
            continue
        if g_status == "success" and payment.status != PaymentStatus.PAID:
            outcome = services.apply_gateway_status(
                payment.pk,
                status=g_status,
                transaction_id=txid,
                amount=g_amount,
                paid_at=str(item.get("paid_at") or ""),
                raw=item,
                source="reconciliation",
                now=now,
            )
            report["fixed"].append(payment.order_id)
            receipt = outcome.receipt.number if outcome.receipt else ""
            issue(
                IssueKind.MISSED_CALLBACK,
                payment,
                **values,
                resolved=True,
                detail=f"Không nhận được thông báo từ cổng; đã cập nhật khi đối soát (biên lai {receipt}).",
            )
        elif g_status in ("failed", "cancelled") and payment.status == PaymentStatus.PENDING:
            services.apply_gateway_status(
                payment.pk,
                status=g_status,
                transaction_id=txid,
                amount=g_amount,
                raw=item,
                source="reconciliation",
                now=now,
            )
            report["fixed"].append(payment.order_id)
        elif payment.status == PaymentStatus.PAID and g_status != "success":
            issue(IssueKind.STATUS_MISMATCH, payment, **values, detail="Hệ thống ghi đã thanh toán, cổng thì không.")
        else:
            report["matched"] += 1

    for payment in ours:
        if payment.pk in seen:
            continue
        if payment.transaction_id:
            issue(
                IssueKind.MISSING_AT_GATEWAY,
                payment,
                our_amount=payment.amount,
                our_status=payment.status,
                detail="Hệ thống có giao dịch này nhưng danh sách đối soát của cổng thanh toán không có.",
            )
        elif payment.status == PaymentStatus.PENDING and day < now.astimezone(VN_TZ).date():
            Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING, transaction_id__isnull=True).update(
                status=PaymentStatus.EXPIRED, updated_at=now
            )
    return report


def yesterday(now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(VN_TZ).date() - dt.timedelta(days=1)


@task()
def reconcile_task(day: str | None = None, attempt: int = 1) -> dict | None:
    """The end-of-day job: ``day`` as ISO ``YYYY-MM-DD`` (default: yesterday, Vietnam time). When the
    gateway cannot be reached it is tried again later (``RETRY_DELAYS``), for the same day."""
    target = dt.date.fromisoformat(day) if day else yesterday()
    try:
        return reconcile(target)
    except GatewayError:
        if attempt > len(RETRY_DELAYS):
            raise
        run_after = timezone.now() + dt.timedelta(seconds=RETRY_DELAYS[attempt - 1])
        reconcile_task.using(run_after=run_after).enqueue(target.isoformat(), attempt + 1)
        return None


RETRY_DELAYS = (300, 900, 3600, 3 * 3600)  # seconds: 5 min, 15 min, 1 h, 3 h
