"""End-of-day reconciliation with the gateway: a missed callback is fixed through the idempotent
path, a foreign transaction and other differences are recorded once; the command and the task."""

import datetime as dt
import time
import uuid
from io import StringIO

import pytest
import requests
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from motcua.dossiers.models import Dossier
from motcua.dossiers.states import State
from motcua.payments import gateway as gw
from motcua.payments.models import IssueKind, Payment, ReconciliationIssue
from motcua.payments.reconciliation import reconcile, reconcile_task
from motcua.workcalendar.engine import VN_TZ

from .conftest import SECRET, awaiting_fee, callback_mode


def today():
    return timezone.now().astimezone(VN_TZ).date()


def pay(client, dossier, action="pay"):
    pay_url = client.post(reverse("payments:pay", args=[dossier.code]))["Location"]
    requests.post(pay_url, data={"action": action}, allow_redirects=False, timeout=10)
    return Payment.objects.get(dossier=dossier)


@pytest.fixture
def logged_in(client, citizen):
    client.force_login(citizen)
    return client


def test_missed_callback_is_fixed_and_a_foreign_transaction_flagged(logged_in, users, fresh_gateway):
    callback_mode(fresh_gateway, "none")  # the callback never arrives
    missed = awaiting_fee(users, 50000)
    payment = pay(logged_in, missed)
    assert payment.status == "pending"
    foreign = gw.gateway().create_payment(
        order_id=f"KHAC{uuid.uuid4().hex[:8]}",
        amount=12000,
        description="Không phải của MotCua",
        return_url="http://127.0.0.1:9/",
        callback_url="http://127.0.0.1:9/",
    )
    cancelled = pay(logged_in, awaiting_fee(users, 20000), action="cancel")
    untouched = awaiting_fee(users, 30000)
    logged_in.post(reverse("payments:pay", args=[untouched.code]))  # opened, never paid

    report = reconcile(today())

    assert report["gateway"] == 4 and report["ours"] == 3 and report["matched"] == 1
    assert sorted(report["fixed"]) == sorted([payment.order_id, cancelled.order_id])
    payment.refresh_from_db()
    assert payment.status == "paid" and payment.notifications[-1]["source"] == "reconciliation"
    d = Dossier.objects.get(pk=missed.pk)
    assert d.state == State.IN_PROCESSING and d.events.filter(action="pay_fee").count() == 1
    assert Payment.objects.get(pk=cancelled.pk).status == "cancelled"
    issues = {i.kind: i for i in ReconciliationIssue.objects.all()}
    assert set(issues) == {IssueKind.MISSED_CALLBACK, IssueKind.MISSING_HERE}
    assert issues[IssueKind.MISSED_CALLBACK].resolved and issues[IssueKind.MISSED_CALLBACK].payment == payment
    here = issues[IssueKind.MISSING_HERE]
    assert here.transaction_id == foreign["transaction_id"] and here.gateway_amount == 12000 and not here.resolved

    again = reconcile(today())  # re-running changes nothing and records nothing twice
    assert again["fixed"] == [] and ReconciliationIssue.objects.count() == 2
    assert d.events.filter(action="pay_fee").count() == 1

    # The gateway's late callback after reconciliation is harmless too.
    record = gw.gateway().status(payment.transaction_id)
    late = {k: str(record[k]) for k in ("transaction_id", "order_id", "amount", "status", "paid_at")}
    late["timestamp"] = str(int(time.time()))
    late["signature"] = gw.sign(late, SECRET)
    answer = logged_in.post("/thanh-toan/callback/", late, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["changed"] is False
    assert d.events.filter(action="pay_fee").count() == 1


def test_paid_here_but_not_at_the_gateway(logged_in, users, fresh_gateway, payment_gateway, settings):
    """A payment the gateway does not list for the day (here: made at another gateway instance)."""
    settings.PAYMENT_GATEWAY_URL = payment_gateway
    callback_mode(payment_gateway, "none")
    d = awaiting_fee(users, 40000)
    payment = pay(logged_in, d)
    settings.PAYMENT_GATEWAY_URL = fresh_gateway
    report = reconcile(today())
    assert report["gateway"] == 0
    issue = ReconciliationIssue.objects.get()
    assert issue.kind == IssueKind.MISSING_AT_GATEWAY and issue.payment == payment


def test_payment_that_never_reached_the_gateway_expires_and_a_gateway_down_changes_nothing(users, fresh_gateway):
    d = awaiting_fee(users, 10000)
    payment = Payment.objects.create(dossier=d, order_id="MC-CU", amount=10000)
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
    requests.post(f"{fresh_gateway}/_sim/faults", json={"mode": "error"}, timeout=2)
    with pytest.raises(CommandError, match="Không đối soát được"):
        call_command("reconcile_payments", stdout=StringIO())  # yesterday by default
    assert Payment.objects.get(pk=payment.pk).status == "pending" and not ReconciliationIssue.objects.exists()
    requests.delete(f"{fresh_gateway}/_sim/faults", timeout=2)
    reconcile(today() - dt.timedelta(days=1))
    assert Payment.objects.get(pk=payment.pk).status == "expired"


def test_command_and_task(logged_in, users, fresh_gateway):
    callback_mode(fresh_gateway, "none")
    payment = pay(logged_in, awaiting_fee(users, 50000))
    out = StringIO()
    call_command("reconcile_payments", "--date", today().strftime("%d/%m/%Y"), stdout=out)
    text = out.getvalue()
    assert f"Đối soát ngày {today():%d/%m/%Y}" in text and "đã cập nhật 1" in text
    assert "Cổng báo đã thanh toán, hệ thống chưa ghi nhận" in text
    assert Payment.objects.get(pk=payment.pk).status == "paid"
    with pytest.raises(CommandError, match="dd/mm/yyyy"):
        call_command("reconcile_payments", "--date", "2026-11-25")
    assert reconcile_task.call(today().isoformat())["matched"] == 1
    result = reconcile_task.enqueue(today().isoformat())  # the dummy backend records it
    assert result.args == [today().isoformat()]


def test_reconcile_task_retries_later_when_the_gateway_is_down(db, settings):
    from django_tasks import default_task_backend

    from motcua.payments.reconciliation import reconcile_task

    settings.PAYMENT_GATEWAY_URL = "http://127.0.0.1:9"  # nothing listens: the gateway is down
    settings.PAYMENT_GATEWAY_RETRIES = 0
    assert reconcile_task.call("2026-11-24") is None
    (retry,) = [r for r in default_task_backend.results if r.task.name == "reconcile_task"]
    assert retry.args == ["2026-11-24", 2] and retry.task.run_after is not None
