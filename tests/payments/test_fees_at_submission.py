"""Fees of a new dossier with exemptions applied (declared at the counter / through the API, derived
from the channel and the e-form), and procedures paid before processing: the received dossier waits
for the fees with its legal clock stopped, and the clock starts when the payment arrives."""

import datetime as dt

import pytest
from django.utils import timezone

from motcua.catalog.models import ProcedureVersion
from motcua.dossiers import services as dossiers
from motcua.dossiers.models import Dossier
from motcua.dossiers.states import State
from motcua.engagement import notifications
from motcua.payments import fees
from motcua.payments.models import Receipt
from motcua.workcalendar.services import get_calendar

from .conftest import AN, BIRTH
from .test_flow import signed_payment

CALLBACK = "/thanh-toan/callback/"
MARITAL = "1.004873"  # certificate of marital status: 10.000 đồng, 50 % online, free for poor households


def counter(users, *, procedure=BIRTH, components=("TP01", "TP02"), **kw):
    d, _ = dossiers.create_dossier(
        user=users["motcua.xa"],
        procedure_code=procedure,
        channel="counter",
        applicant=AN,
        components=list(components),
        identity={"status": "verified"},
        **kw,
    )
    return d


def online(procedure, form_data=None, components=(), **kw):
    d, _ = dossiers.create_dossier(
        user=None,
        procedure_code=procedure,
        channel="online",
        agency_code="000.01.31.H99",
        applicant=AN,
        components=list(components),
        form_data=form_data or {},
        **kw,
    )
    return d


def pay_first(code=BIRTH):
    ProcedureVersion.objects.filter(procedure__code=code).update(pay_before_processing=True)


# ------------------------------------------------------------------------------------------------
# The rule (pure): what a dossier tells the exemptions
# ------------------------------------------------------------------------------------------------
SCHEMA = {
    "type": "object",
    "properties": {
        "child_birth_date": {"type": "string", "format": "date", "x-fee-fact": "in_time:60"},
        "birth_date": {"type": "string", "format": "date", "x-fee-fact": "birth_date"},
        "poor_household": {"type": "boolean", "x-fee-fact": "poor_household"},
        "note": {"type": "string"},
    },
}


def test_facts_from_the_eform_the_channel_and_the_claims():
    on = dt.date(2026, 11, 25)
    facts = fees.facts_for(
        SCHEMA,
        {"child_birth_date": "2026-09-26", "birth_date": "1960-01-01", "poor_household": True, "note": "x"},
        channel="online",
        on=on,
        claims=["disabled", "not-a-condition"],
    )
    assert facts == {
        "channel": "online",
        "on": on,
        "disabled": True,
        "in_time": True,  # 60 days after the birth: still in time
        "birth_date": dt.date(1960, 1, 1),
        "poor_household": True,
    }
    late = fees.facts_for(SCHEMA, {"child_birth_date": "2026-09-25", "poor_household": False}, channel="counter", on=on)
    assert late == {"channel": "counter", "on": on}  # 61 days: late; an unticked box claims nothing
    future = fees.facts_for(SCHEMA, {"child_birth_date": "2026-12-01"}, channel="counter", on=on)
    assert "in_time" not in future  # a date after the submission is not "in time"
    assert fees.conditions_met(fees.facts_for(SCHEMA, {"birth_date": "1960-01-01"}, channel="x", on=on)) == {"elderly"}


# ------------------------------------------------------------------------------------------------
# At submission
# ------------------------------------------------------------------------------------------------
def test_declared_exemption_at_the_counter_makes_the_dossier_exempt(users):
    d = counter(users, fee_exemptions=["poor_household"])
    assert d.fee_status == "exempt" and d.fee_amount == 0
    (line,) = d.fee_detail["lines"]
    assert line["base_amount"] == 8000 and line["amount"] == 0 and line["reason"].startswith("Miễn: ")
    assert d.fee_detail["claims"] == ["poor_household"]
    plain = counter(users)
    assert plain.fee_status == "unpaid" and plain.fee_amount == 8000 and plain.fee_detail["total"] == 8000


def test_an_unknown_exemption_is_refused_and_nothing_is_written(users):
    before = Dossier.objects.count()
    with pytest.raises(dossiers.InvalidInput) as err:
        counter(users, fee_exemptions=["rich"])
    assert err.value.code == "invalid_fee_exemptions" and "poor_household" in err.value.message
    assert Dossier.objects.count() == before


def test_online_submission_gets_the_online_reduction(users):
    d = online(MARITAL)
    assert d.fee_status == "unpaid" and d.fee_amount == 5000
    assert d.fee_detail["lines"][0]["reason"].startswith("Giảm 50%: ")


def test_birth_registered_in_time_online_is_free_and_late_is_charged(users):
    today = timezone.localdate()
    in_time = online(BIRTH, {"child_birth_date": (today - dt.timedelta(days=10)).isoformat()})
    assert in_time.fee_status == "exempt" and in_time.fee_amount == 0
    late = online(BIRTH, {"child_birth_date": (today - dt.timedelta(days=100)).isoformat()})
    assert late.fee_status == "unpaid" and late.fee_amount == 8000


def test_api_accepts_declared_exemptions(users, api_client):
    api_client.force_authenticate(users["motcua.xa"])
    body = {
        "procedure": BIRTH,
        "channel": "counter",
        "applicant": AN,
        "components": ["TP01", "TP02"],
        "fee_exemptions": ["disabled"],
    }
    r = api_client.post("/api/v1/dossiers/", body, format="json")
    assert r.status_code == 201, r.content
    assert Dossier.objects.get(code=r.json()["code"]).fee_status == "exempt"
    r = api_client.post("/api/v1/dossiers/", {**body, "fee_exemptions": ["rich"]}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] in ("invalid", "validation_error", "invalid_input")


# ------------------------------------------------------------------------------------------------
# Paid before processing
# ------------------------------------------------------------------------------------------------
def test_counter_dossier_waits_for_the_fees_with_the_clock_stopped(users):
    pay_first()
    d = counter(users)
    assert d.state == State.AWAITING_FEE and d.paused_at is not None and d.resume_state == State.RECEIVED
    receive = d.events.get(action="receive")
    assert receive.to_state == State.AWAITING_FEE and receive.payload == {"awaiting_fee": True, "amount": 8000}
    text = notifications.sms_text(notifications.RECEIVED, notifications.context_for(receive))
    assert "Vui lòng nộp phí, lệ phí 8.000 đồng" in text and "hẹn trả" not in text
    subject, body = notifications.email_text(notifications.RECEIVED, notifications.context_for(receive))
    assert "Thời hạn giải quyết được tính từ khi Ông/Bà nộp đủ phí" in body

    later = d.received_at + dt.timedelta(days=3)
    d = dossiers.act(d, "pay_fee", user=users["motcua.xa"], data={"receipt": "QUAY-7"}, now=later)
    assert d.state == State.RECEIVED and d.fee_status == "paid" and d.paused_at is None
    assert d.due_at == get_calendar().due_date(later, d.version.time_limit_days)  # the clock starts at payment
    assert Dossier.objects.get(pk=d.pk).steps.filter(status="active").get().started_at == later


def test_fees_collected_with_the_dossier_or_nothing_due_means_no_wait(users):
    pay_first()
    assert counter(users, fee_paid=True).state == State.RECEIVED
    assert counter(users, fee_exemptions=["poor_household"]).state == State.RECEIVED
    assert counter(users).state == State.AWAITING_FEE


def test_online_dossier_accepted_unpaid_waits_then_the_gateway_payment_starts_the_clock(
    client, users, citizen, payment_gateway
):
    pay_first()
    d = online(BIRTH, components=["TP01", "TP02"])
    d = dossiers.act(d, "accept", user=users["motcua.xa"])
    assert d.state == State.AWAITING_FEE
    accept = d.events.get(action="accept")
    assert accept.to_state == State.AWAITING_FEE and accept.payload["awaiting_fee"] is True
    client.force_login(citizen)
    fields = signed_payment(client, d, payment_gateway)
    assert client.post(CALLBACK, fields, content_type="application/json").json()["changed"] is True
    after = Dossier.objects.get(pk=d.pk)
    assert after.state == State.RECEIVED and after.fee_status == "paid" and after.paused_at is None
    assert after.due_at > d.received_at and after.events.filter(action="pay_fee", actor_role="system").exists()
    assert Receipt.objects.get().amount == 8000


def test_online_dossier_paid_before_acceptance_is_received_directly(client, users, citizen, payment_gateway):
    pay_first()
    d = online(BIRTH, components=["TP01", "TP02"])
    client.force_login(citizen)
    fields = signed_payment(client, d, payment_gateway)
    assert client.post(CALLBACK, fields, content_type="application/json").json()["changed"] is True
    d = dossiers.act(d, "accept", user=users["motcua.xa"])
    assert d.state == State.RECEIVED and d.fee_status == "paid"


def test_counter_form_offers_the_declarable_exemptions(client, users):
    client.force_login(users["motcua.xa"])
    page = client.get(f"/can-bo/tiep-nhan/?procedure={BIRTH}").content.decode()
    assert 'name="fee_exemptions" value="poor_household"' in page and 'value="in_time"' in page
    assert 'value="ethnic_minority"' not in page  # not an exemption of this procedure's fee
