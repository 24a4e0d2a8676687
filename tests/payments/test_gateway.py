"""The gateway adapter against the simulator: signatures, idempotent creation, status,
reconciliation list, faults and retries."""

import time
import uuid

import pytest
import requests

from motcua.payments import gateway as gw
from simulators.payment.app import sign as simulator_sign

from .conftest import KEY, SECRET

FIELDS = {
    "transaction_id": "GD1",
    "order_id": "MC1",
    "amount": "50000",
    "status": "success",
    "paid_at": "2026-11-25T09:00:00+07:00",
}


def signed(**change):
    fields = {**FIELDS, "timestamp": str(int(time.time())), **change}
    fields["signature"] = gw.sign(fields, SECRET)
    return fields


def test_signature_is_the_same_on_both_sides():
    fields = signed()
    assert gw.canonical(fields) == (
        f"transaction_id=GD1&order_id=MC1&amount=50000&status=success&paid_at=2026-11-25T09:00:00+07:00"
        f"&timestamp={fields['timestamp']}"
    )
    assert simulator_sign(fields, SECRET) == fields["signature"]


def test_verify(payment_gateway):
    checked = gw.gateway().verify(signed())
    assert checked["amount"] == 50000 and checked["status"] == "success"
    for bad, code in [
        ({**signed(), "amount": "5000"}, "bad_signature"),
        ({**signed(), "signature": signed()["signature"].upper()}, None),  # hex case does not matter
        (signed(timestamp=str(int(time.time()) - 3600)), "expired"),
        (signed(timestamp=str(int(time.time()) + 3600)), "expired"),
        (signed(amount="năm mươi"), "invalid_fields"),
        ({k: v for k, v in signed().items() if k != "order_id"}, "missing_fields"),
    ]:
        if code is None:
            gw.gateway().verify(bad)
            continue
        with pytest.raises(gw.BadSignature) as exc:
            gw.gateway().verify(bad)
        assert exc.value.code == code


def create(order_id=None, amount=50000):
    return gw.gateway().create_payment(
        order_id=order_id or f"MC{uuid.uuid4().hex[:12]}",
        amount=amount,
        description="Nộp lệ phí",
        return_url="http://127.0.0.1:9/ve",
        callback_url="http://127.0.0.1:9/callback",
    )


def test_create_is_idempotent_by_order_and_status_is_queryable(payment_gateway):
    first = create("MC-IDEM-1")
    assert create("MC-IDEM-1") == first and first["pay_url"].startswith(f"{payment_gateway}/pay/")
    status = gw.gateway().status(first["transaction_id"])
    assert status["status"] == "pending" and status["amount"] == 50000 and status["order_id"] == "MC-IDEM-1"
    assert gw.gateway().status("GD-KHONG-CO") is None
    with pytest.raises(gw.GatewayError, match="409"):
        create("MC-IDEM-1", amount=1)


def test_reconciliation_list_of_the_day(fresh_gateway):
    import datetime as dt

    from motcua.workcalendar.engine import VN_TZ

    tx = create()
    today = dt.datetime.now(VN_TZ).date()
    assert [t["transaction_id"] for t in gw.gateway().transactions(today)] == [tx["transaction_id"]]
    assert gw.gateway().transactions(today - dt.timedelta(days=1)) == []


def test_api_key_is_required(payment_gateway):
    answer = requests.post(f"{payment_gateway}/api/v1/payments", json={}, timeout=2)
    assert answer.status_code == 401
    answer = requests.post(
        f"{payment_gateway}/api/v1/payments",
        json={"order_id": "x", "amount": -1},
        timeout=2,
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert answer.status_code == 400 and "Số tiền" in answer.json()["message"]


def test_a_passing_error_is_retried_a_lasting_one_is_unavailable(payment_gateway):
    requests.post(f"{payment_gateway}/_sim/faults", json={"mode": "error", "remaining": 1}, timeout=2)
    assert create()["transaction_id"]  # the POST was retried (idempotent by order id)
    requests.post(f"{payment_gateway}/_sim/faults", json={"mode": "error"}, timeout=2)
    with pytest.raises(gw.Unavailable, match="đang gặp sự cố"):
        create()


def test_timeout_is_unavailable(payment_gateway, settings):
    settings.PAYMENT_GATEWAY_TIMEOUT = 0.2
    settings.PAYMENT_GATEWAY_RETRIES = 0
    requests.post(f"{payment_gateway}/_sim/faults", json={"mode": "timeout", "delay_ms": 600}, timeout=2)
    with pytest.raises(gw.Unavailable, match="không phản hồi"):
        gw.gateway().status("GD1")


def test_pay_page_is_vietnamese_and_decides_once(payment_gateway):
    tx = create()
    page = requests.get(tx["pay_url"], timeout=2)
    assert "Cổng thanh toán (mô phỏng)" in page.text and "50.000 đồng" in page.text
    assert requests.post(tx["pay_url"], data={"action": "steal"}, allow_redirects=False, timeout=2).status_code == 400
    requests.post(f"{payment_gateway}/_sim/callbacks", json={"mode": "none"}, timeout=2)
    requests.post(tx["pay_url"], data={"action": "cancel"}, allow_redirects=False, timeout=2)
    requests.post(tx["pay_url"], data={"action": "pay"}, allow_redirects=False, timeout=2)
    assert gw.gateway().status(tx["transaction_id"])["status"] == "cancelled"
    assert "đã hủy" in requests.get(tx["pay_url"], timeout=2).text
