"""Graceful degradation: for each national system, its simulator fails, the user's action still succeeds
through our real code (with a clear Vietnamese mark), the work is queued and shown on the staff page
"Tình trạng kết nối hệ thống quốc gia"; the system comes back, the retry runs and completes."""

import re

import pytest
import requests
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend

from motcua.dossiers.models import Dossier, Event
from motcua.engagement import notifications
from motcua.engagement.models import Notification
from motcua.identity.tasks import verify_applicant_task
from motcua.integration import outbox
from motcua.integration.models import OutboxMessage
from motcua.payments.models import Payment
from motcua.payments.reconciliation import reconcile_task
from motcua.workcalendar.engine import VN_TZ
from tests.api.conftest import receive
from tests.engagement.conftest_notifications import sms_fixture, sms_simulator_fixture  # noqa: F401
from tests.integration.conftest import held_by_portal, national_portal_sim, portal  # noqa: F401
from tests.payments.conftest import awaiting_fee, callback_mode, fresh_gateway  # noqa: F401
from tests.payments.conftest import citizen as payer  # noqa: F401
from tests.wallet.test_reuse import URL as INTAKE
from tests.wallet.test_reuse import form

PAGE = "/can-bo/he-thong/"
DOWN = {"mode": "error", "status": 503}


def fault(url, on=True):
    if on:
        requests.post(f"{url}/_sim/faults", json=DOWN, timeout=2).raise_for_status()
    else:
        requests.delete(f"{url}/_sim/faults", timeout=2).raise_for_status()


def row(client, code) -> tuple[str, list[int]]:
    """The status and the queue counts of one system on the staff page."""
    r = client.get(PAGE)
    assert r.status_code == 200
    html = r.content.decode()
    tr = re.search(rf'<tr id="system-{code}" data-status="(\w+)">(.*?)</tr>', html, re.S)
    assert tr, html[:2000]
    return tr.group(1), [int(n) for n in re.findall(r'data-queue="\d+">(\d+)<', tr.group(2))]


def queued(task_name) -> list:
    return [r for r in default_task_backend.results if r.task.name == task_name]


def test_the_page_is_for_staff_only(client, users, payer):  # noqa: F811
    assert client.get(PAGE).status_code == 302  # to the sign-in page
    client.force_login(payer)  # a citizen
    assert client.get(PAGE).status_code == 403
    client.force_login(users["motcua.xa"])
    page = client.get(PAGE).content.decode()
    assert "Tình trạng kết nối hệ thống quốc gia" in page and "Cơ sở dữ liệu quốc gia về dân cư" in page


def test_population_db_down_intake_goes_on_not_verified_then_checked_again(
    client, users, simulators, django_capture_on_commit_callbacks
):
    client.force_login(users["motcua.xa"])
    default_task_backend.clear()
    fault(simulators["population"])
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(INTAKE, form(procedure="1.001193", provided=["TP01", "TP02"]))
    assert r.status_code == 302, r.content.decode()[:2000]
    d = Dossier.objects.get()
    assert d.identity_status == "not_verified"
    done = client.get(r["Location"]).content.decode()
    assert "Chưa đối chiếu được" in done and "không phản hồi" in done
    assert [t.args[0] for t in queued("verify_applicant_task")] == [d.pk]
    assert row(client, "population") == ("degraded", [1])

    fault(simulators["population"], on=False)
    cache.clear()
    assert verify_applicant_task.call(d.pk) == "verified"
    d.refresh_from_db()
    assert d.identity_status == "verified" and Event.objects.filter(dossier=d, action="verify_identity").exists()
    assert row(client, "population") == ("ok", [0])


def test_national_portal_down_the_dossier_is_received_and_synced_later(client, users, portal, settings):  # noqa: F811
    settings.OUTBOX_RETRY_BASE = 0.01
    fault(portal)
    d = receive(users)  # the officer's action succeeds while the portal is down
    assert d.state == "received"
    first = outbox.drain()
    assert first["delivered"] == 0 and first["failed"] >= 1
    waiting = OutboxMessage.objects.filter(dossier=d, receiver="national_portal", status="pending")
    assert waiting.count() == 2 and waiting.filter(attempts=1).exists()
    assert outbox.national_sync_state(d)["synced"] is False
    client.force_login(users["motcua.xa"])
    assert row(client, "national_portal") == ("degraded", [2, 0])

    fault(portal, on=False)
    OutboxMessage.objects.filter(dossier=d).update(next_attempt_at=timezone.now())  # the retry is due
    assert outbox.drain()["delivered"] == 2
    assert [e["seq"] for e in held_by_portal(portal, d.code)] == [1, 2]
    assert outbox.national_sync_state(d)["synced"] is True
    assert row(client, "national_portal") == ("ok", [0, 0])


def test_payment_gateway_down_reconciliation_is_retried_and_fixes_the_payment(
    client,
    users,
    payer,  # noqa: F811
    payment_gateway,
    fresh_gateway,  # noqa: F811
    settings,
    tmp_path,
):
    settings.SIGNING_PKI_DIR = tmp_path / "pki"
    callback_mode(fresh_gateway, "none")  # the citizen pays, the gateway's callback never arrives
    d = awaiting_fee(users, 50000)
    client.force_login(payer)
    r = client.post(reverse("payments:pay", args=[d.code]))
    assert r.status_code == 302, r.content.decode()[:3000]
    pay_url = r["Location"]
    requests.post(pay_url, data={"action": "pay"}, allow_redirects=False, timeout=10)
    payment = Payment.objects.get(dossier=d)
    assert payment.status == "pending"

    fault(fresh_gateway)
    default_task_backend.clear()
    day = timezone.now().astimezone(VN_TZ).date().isoformat()
    assert reconcile_task.call(day) is None  # the nightly job: gateway down → tried again later
    (retry,) = queued("reconcile_task")
    assert retry.args == [day, 2]
    client.force_login(users["motcua.xa"])
    assert row(client, "payment")[1] == [1]

    fault(fresh_gateway, on=False)
    report = reconcile_task.call(*retry.args)
    assert payment.order_id in report["fixed"]
    payment.refresh_from_db()
    d.refresh_from_db()
    assert payment.status == "paid" and d.fee_status == "paid"
    assert row(client, "payment") == ("ok", [0])


def test_sms_gateway_down_the_notification_is_retried_and_sent(client, users, sms):
    d = receive(users)
    got = {n.channel: n for n in notifications.queue_for_event(d.events.get(action="receive").pk)}
    default_task_backend.clear()
    fault(sms)
    assert notifications.deliver(got["sms"].pk) == "failed"  # nothing raised to the caller
    n = Notification.objects.get(pk=got["sms"].pk)
    assert "Sẽ thử lại" in n.last_error and n.status == "failed"
    client.force_login(users["motcua.xa"])
    status, counts = row(client, "sms")
    assert status == "degraded" and counts[1] == 1

    fault(sms, on=False)
    assert notifications.deliver_task.call(n.pk) == "sent"
    assert Notification.objects.get(pk=n.pk).status == "sent"
    assert row(client, "sms") == ("ok", [0, 0])


pytestmark = pytest.mark.django_db
