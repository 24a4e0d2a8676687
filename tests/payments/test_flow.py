"""Paying a dossier's fees through the gateway simulator: pages, signed callbacks (idempotent,
out-of-order safe, amounts checked), the return page, receipts."""

from urllib.parse import parse_qsl, urlsplit

import requests
from django.urls import reverse

from motcua.audit.models import DataAccess
from motcua.dossiers.models import Dossier
from motcua.dossiers.states import State
from motcua.payments.gateway import sign
from motcua.payments.models import IssueKind, Payment, Receipt, ReconciliationIssue

from .conftest import SECRET, awaiting_fee, callback_mode, received

CALLBACK = "/thanh-toan/callback/"


def start(client, dossier) -> str:
    response = client.post(reverse("payments:pay", args=[dossier.code]))
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def pay_at_gateway(pay_url: str, action: str = "pay") -> dict:
    """The citizen presses a button on the gateway's page; returns the signed fields it sent back."""
    page = requests.get(pay_url, timeout=5)
    assert page.status_code == 200 and "Cổng thanh toán (mô phỏng)" in page.text
    answer = requests.post(pay_url, data={"action": action}, allow_redirects=False, timeout=10)
    assert answer.status_code == 303
    return dict(parse_qsl(urlsplit(answer.headers["Location"]).query))


def signed_payment(client, dossier, payment_gateway, action="pay") -> dict:
    """Pay with callbacks switched off; the signed fields are those the callback would carry."""
    callback_mode(payment_gateway, "none")
    return pay_at_gateway(start(client, dossier), action)


def pay_events(dossier):
    return list(Dossier.objects.get(pk=dossier.pk).events.filter(action="pay_fee"))


# ------------------------------------------------------------------------------------------------
# End to end: the simulator calls our callback URL (live server)
# ------------------------------------------------------------------------------------------------
def test_pay_end_to_end_through_the_gateway(
    transactional_db, live_server, users, citizen, client, settings, payment_gateway
):
    settings.PAYMENT_PUBLIC_URL = live_server.url
    dossier = awaiting_fee(users, 50000)
    client.force_login(citizen)
    page = client.get(reverse("payments:pay", args=[dossier.code]))
    assert page.status_code == 200 and "50.000 đồng" in page.content.decode()

    pay_url = start(client, dossier)
    assert pay_url.startswith(payment_gateway)
    gateway_page = requests.get(pay_url, timeout=5)
    assert "50.000 đồng" in gateway_page.text and "Thanh toán" in gateway_page.text and "Hủy" in gateway_page.text
    answer = requests.post(pay_url, data={"action": "pay"}, allow_redirects=False, timeout=10)
    assert answer.status_code == 303
    back = answer.headers["Location"]
    assert back.startswith(f"{live_server.url}/cong-dan/thanh-toan/ket-qua/?")

    delivered = requests.get(f"{payment_gateway}/_sim/callbacks", timeout=2).json()["deliveries"]
    assert delivered[-1]["url"] == f"{live_server.url}{CALLBACK}" and delivered[-1]["status_code"] == 200

    dossier.refresh_from_db()
    assert dossier.state == State.IN_PROCESSING and dossier.fee_status == "paid"
    payment = Payment.objects.get(dossier=dossier)
    assert payment.status == "paid" and payment.paid_at is not None and payment.notifications[0]["source"] == "callback"
    (event,) = pay_events(dossier)
    assert event.actor_role == "system" and event.payload["receipt"] == payment.receipt.number
    assert event.payload["amount"] == 50000
    assert payment.receipt.number == f"BL-{dossier.receiving_agency.code}-{payment.receipt.year}-000001"

    result = client.get(back.removeprefix(live_server.url))
    assert result.status_code == 200 and "Thanh toán thành công" in result.content.decode()


# ------------------------------------------------------------------------------------------------
# Who may pay
# ------------------------------------------------------------------------------------------------
def test_who_may_pay(client, users, dossier, citizen, other_citizen):
    url = reverse("payments:pay", args=[dossier.code])
    response = client.post(url)  # anonymous: to the citizen login
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))
    client.force_login(other_citizen)  # not the applicant nor the owner: as if it did not exist
    assert client.get(url).status_code == 404 and client.post(url).status_code == 404
    assert not Payment.objects.exists()
    client.force_login(citizen)
    nothing_due = received(users, fee_paid=True)
    response = client.post(reverse("payments:pay", args=[nothing_due.code]))
    assert response.status_code == 409 and "không có khoản phí" in response.content.decode()


def test_double_click_reuses_the_pending_payment(client, dossier, citizen):
    client.force_login(citizen)
    assert start(client, dossier) == start(client, dossier)
    assert Payment.objects.count() == 1


def test_gateway_down_is_a_friendly_503_and_retry_uses_the_same_order(client, dossier, citizen, payment_gateway):
    client.force_login(citizen)
    requests.post(f"{payment_gateway}/_sim/faults", json={"mode": "error", "status": 503}, timeout=2)
    response = client.post(reverse("payments:pay", args=[dossier.code]))
    assert response.status_code == 503 and "Cổng thanh toán" in response.content.decode()
    order = Payment.objects.get().order_id
    requests.delete(f"{payment_gateway}/_sim/faults", timeout=2)
    start(client, dossier)
    assert Payment.objects.get().order_id == order and Payment.objects.get().transaction_id


# ------------------------------------------------------------------------------------------------
# Callbacks
# ------------------------------------------------------------------------------------------------
def test_duplicate_callback_changes_nothing(client, dossier, citizen, payment_gateway):
    client.force_login(citizen)
    fields = signed_payment(client, dossier, payment_gateway)
    first = client.post(CALLBACK, fields, content_type="application/json")
    assert first.status_code == 200 and first.json() == {
        "result": "ok",
        "order_id": fields["order_id"],
        "status": "paid",
        "changed": True,
    }
    again = client.post(CALLBACK, fields)  # form-encoded this time
    assert again.status_code == 200 and again.json()["changed"] is False
    assert len(pay_events(dossier)) == 1 and Receipt.objects.count() == 1
    assert len(Payment.objects.get().notifications) == 2  # both recorded


def test_twice_and_out_of_order_delivery_from_the_gateway(
    transactional_db, live_server, users, citizen, client, settings, payment_gateway
):
    settings.PAYMENT_PUBLIC_URL = live_server.url
    client.force_login(citizen)
    for mode in ("twice", "out_of_order"):
        dossier = awaiting_fee(users, 30000)
        callback_mode(payment_gateway, mode)
        pay_at_gateway(start(client, dossier))
        deliveries = requests.get(f"{payment_gateway}/_sim/callbacks", timeout=2).json()["deliveries"][-2:]
        assert [d["status_code"] for d in deliveries] == [200, 200]
        dossier.refresh_from_db()
        assert dossier.fee_status == "paid" and len(pay_events(dossier)) == 1
        assert Payment.objects.get(dossier=dossier).status == "paid"


def test_failed_after_paid_does_not_undo(client, dossier, citizen, payment_gateway):
    client.force_login(citizen)
    fields = signed_payment(client, dossier, payment_gateway)
    assert client.post(CALLBACK, fields, content_type="application/json").status_code == 200
    late = {**fields, "status": "failed", "paid_at": ""}
    late["signature"] = sign(late, SECRET)
    response = client.post(CALLBACK, late, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "paid" and not response.json()["changed"]
    dossier.refresh_from_db()
    assert dossier.fee_status == "paid" and dossier.state == State.IN_PROCESSING and len(pay_events(dossier)) == 1


def test_cancelled_at_the_gateway_then_paid_again(client, dossier, citizen, payment_gateway):
    client.force_login(citizen)
    fields = signed_payment(client, dossier, payment_gateway, action="cancel")
    response = client.post(CALLBACK, fields, content_type="application/json")
    assert response.json()["status"] == "cancelled"
    dossier.refresh_from_db()
    assert dossier.state == State.AWAITING_FEE
    fields = pay_at_gateway(start(client, dossier))  # a new payment, a new order
    assert client.post(CALLBACK, fields, content_type="application/json").json()["changed"] is True
    assert Payment.objects.filter(dossier=dossier).count() == 2
    dossier.refresh_from_db()
    assert dossier.fee_status == "paid"


BAD_CALLBACKS = [
    ({"signature": "0" * 64}, 400, "bad_signature"),
    ({"amount": "1"}, 400, "bad_signature"),  # tampered after signing
    ({"signature": ""}, 400, "missing_fields"),
    ({"order_id": "MC-KHONG-CO"}, 404, "unknown_order"),
    ({"timestamp": "1000000000"}, 400, "expired"),
    ({"amount": "49000"}, 400, "amount_mismatch"),
    ({"status": "refunded"}, 400, "invalid_fields"),
]


def test_bad_callbacks_are_structured_4xx(client, dossier, citizen, payment_gateway):
    client.force_login(citizen)
    fields = signed_payment(client, dossier, payment_gateway)
    for change, status, code in BAD_CALLBACKS:
        bad = {**fields, **change}
        if code in ("unknown_order", "expired", "amount_mismatch", "invalid_fields"):
            bad["signature"] = sign(bad, SECRET)  # well signed, still refused
        response = client.post(CALLBACK, bad, content_type="application/json")
        assert response.status_code == status, change
        body = response.json()["error"]
        assert body["code"] == code and body["message"], change
    dossier.refresh_from_db()
    assert dossier.state == State.AWAITING_FEE and Payment.objects.get().status == "pending"
    assert Payment.objects.get().notifications == []


def test_malformed_callbacks(client, db):
    assert client.post(CALLBACK, "{not json", content_type="application/json").status_code == 400
    assert client.post(CALLBACK, "[1]", content_type="application/json").status_code == 400
    assert client.post(CALLBACK, {}).json()["error"]["code"] == "missing_fields"
    assert client.get(CALLBACK).status_code == 405


def test_fee_due_at_submission_is_marked_paid_without_touching_the_clock(client, users, citizen, payment_gateway):
    dossier = received(users, fee_paid=False)
    assert dossier.fee_status == "unpaid" and dossier.fee_amount == 8000
    client.force_login(citizen)
    fields = signed_payment(client, dossier, payment_gateway)
    assert fields["amount"] == "8000"
    assert client.post(CALLBACK, fields, content_type="application/json").json()["changed"] is True
    after = Dossier.objects.get(pk=dossier.pk)
    assert after.fee_status == "paid" and after.state == State.RECEIVED and after.due_at == dossier.due_at
    assert Receipt.objects.get().lines == [{"name": "Lệ phí đăng ký khai sinh", "kind": "Lệ phí", "amount": 8000}]


def test_paid_at_the_counter_meanwhile_is_flagged_for_refund(client, users, dossier, citizen, payment_gateway):
    from motcua.dossiers import services as dossiers

    client.force_login(citizen)
    fields = signed_payment(client, dossier, payment_gateway)
    dossiers.act(dossier, "pay_fee", user=users["motcua.xa"], data={"receipt": "QUAY-1"})
    assert client.post(CALLBACK, fields, content_type="application/json").json()["changed"] is True
    assert len(pay_events(dossier)) == 1
    assert ReconciliationIssue.objects.get().kind == IssueKind.DUPLICATE_PAYMENT


# ------------------------------------------------------------------------------------------------
# Return page
# ------------------------------------------------------------------------------------------------
def test_return_without_callback_asks_the_gateway(client, dossier, citizen, payment_gateway):
    client.force_login(citizen)
    fields = signed_payment(client, dossier, payment_gateway)  # no callback delivered
    assert Payment.objects.get().status == "pending"
    response = client.get(reverse("payments:return"), fields)
    assert response.status_code == 200 and "Thanh toán thành công" in response.content.decode()
    assert Payment.objects.get().notifications[-1]["source"] == "status_query"
    assert len(pay_events(dossier)) == 1


def test_return_is_not_trusted_for_state(client, dossier, citizen, payment_gateway):
    """A forged "success" in the browser's query (even well signed) changes nothing: the gateway
    says the payment is still pending."""
    client.force_login(citizen)
    pay_url = start(client, dossier)
    payment = Payment.objects.get()
    forged = {
        "transaction_id": payment.transaction_id,
        "order_id": payment.order_id,
        "amount": "50000",
        "status": "success",
        "paid_at": "2026-01-01T08:00:00+07:00",
        "timestamp": str(int(__import__("time").time())),
    }
    forged["signature"] = sign(forged, SECRET)
    response = client.get(reverse("payments:return"), forged)
    assert response.status_code == 200 and "đang chờ cổng thanh toán xác nhận" in response.content.decode()
    assert Payment.objects.get().status == "pending" and pay_url


def test_return_with_a_bad_signature(client, dossier, citizen, payment_gateway):
    client.force_login(citizen)
    fields = signed_payment(client, dossier, payment_gateway)
    response = client.get(reverse("payments:return"), {**fields, "signature": "x"})
    assert response.status_code == 400 and "Chữ ký" in response.content.decode()


# ------------------------------------------------------------------------------------------------
# Receipts
# ------------------------------------------------------------------------------------------------
def test_receipt_pdf_for_the_owner_only(client, dossier, users, citizen, other_citizen, payment_gateway):
    client.force_login(citizen)
    fields = signed_payment(client, dossier, payment_gateway)
    client.post(CALLBACK, fields, content_type="application/json")
    payment = Payment.objects.get()
    url = reverse("payments:receipt", args=[payment.pk])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    receipt = Receipt.objects.get()
    assert receipt.pdf_id and receipt.signed
    log = DataAccess.objects.get(object_type="receipt")
    assert log.object_ref == receipt.number and log.user == citizen and log.dossier_code == dossier.code
    assert client.get(url).content == response.content  # stored once, served again

    client.force_login(other_citizen)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_receipt_numbers_are_a_gap_free_sequence_per_agency_and_year(client, users, citizen, payment_gateway):
    client.force_login(citizen)
    numbers = []
    for amount in (10000, 20000):
        d = awaiting_fee(users, amount)
        fields = signed_payment(client, d, payment_gateway)
        client.post(CALLBACK, fields, content_type="application/json")
        numbers.append(Receipt.objects.get(payment__dossier=d).sequence)
    assert numbers == [1, 2]
