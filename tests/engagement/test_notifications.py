"""Notifications to the applicant (email + SMS): queued on commit for received / supplement requested /
result ready / late (apology), per the applicant's preferences, one message per event and channel,
delivered through Django mail and the SMS gateway simulator (real HTTP), retried while it is down."""

import datetime as dt
import time

import pytest
import requests
from django_tasks import default_task_backend

from motcua.dossiers import services
from motcua.engagement import notifications
from motcua.engagement.models import Notification
from motcua.workcalendar.engine import VN_TZ
from tests.engagement.conftest_notifications import SMS_KEY, sms_fixture, sms_simulator_fixture, sms_to  # noqa: F401

pytestmark = pytest.mark.usefixtures("sms")

AN = {"name": "Nguyễn Văn An", "id_number": "001085012345", "phone": "0912345678", "email": "an@example.vn"}
T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ)  # a Monday morning


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def receive(users, applicant=None, hours: float = 0):
    d, _ = services.create_dossier(
        user=users["motcua.xa"],
        procedure_code="1.001193",
        channel="counter",
        desk_code="MC-99001",
        applicant=applicant or AN,
        components=["TP01", "TP02"],
        fee_paid=True,
        now=at(hours),
    )
    return d


def act(users, d, action, who, hours, **kw):
    return services.act(d, action, user=users[who], now=at(hours), **kw)


def rows(d, kind=None):
    qs = Notification.objects.filter(dossier=d)
    if kind:
        qs = qs.filter(kind=kind)
    return {n.channel: n for n in qs}


def queued_deliveries() -> list:
    return [r for r in default_task_backend.results if r.task.name == "deliver_task"]


def deliver_all(d) -> None:
    for n in Notification.objects.filter(dossier=d, status="pending"):
        assert notifications.deliver(n.pk) == "sent", Notification.objects.get(pk=n.pk).last_error


def test_receiving_a_dossier_emails_and_texts_the_applicant(users, sms, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        d = receive(users)
    got = rows(d)
    assert set(got) == {"email", "sms"}
    assert {n.status for n in got.values()} == {"pending"} and {n.kind for n in got.values()} == {"received"}
    assert got["email"].recipient == "an@example.vn" and got["sms"].recipient == "0912345678"
    assert sorted(r.args[0] for r in queued_deliveries()) == sorted(n.pk for n in got.values())

    deliver_all(d)

    texts = sms_to(sms, "0912345678")
    assert len(texts) == 1
    text = texts[0]["text"]
    assert d.code in text and f"https://dvc.example.vn/tra-cuu/{d.code}/" in text
    assert len(text) <= 160 and "tiếp nhận" in text and f"{d.due_at.astimezone(VN_TZ):%d/%m/%Y}" in text
    assert texts[0]["idempotency_key"] == notifications.idempotency_key(got["sms"])
    assert texts[0]["idempotency_key"].startswith(f"notification-{got['sms'].pk}-")

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["an@example.vn"] and d.code in mail.subject and "Đã tiếp nhận hồ sơ" in mail.subject
    assert "Kính gửi Ông/Bà Nguyễn Văn An" in mail.body and d.version.name in mail.body
    assert f"Ngày hẹn trả kết quả: {d.due_at.astimezone(VN_TZ):%d/%m/%Y %H:%M}" in mail.body
    assert "Thời điểm tiếp nhận: 02/03/2026 08:00" in mail.body and "{{" not in mail.body

    sent = rows(d)
    assert all(n.status == "sent" and n.attempts == 1 and n.sent_at for n in sent.values())
    assert sent["sms"].provider_id == texts[0]["id"]


def test_the_same_event_twice_sends_one_message_per_channel(users, sms, mailoutbox):
    d = receive(users)  # not committed in this test: queue by hand, twice
    event = d.events.get(action="receive")
    first = notifications.queue_for_event(event.pk)
    again = notifications.queue_for_event(event.pk)
    assert [n.pk for n in first] == [n.pk for n in again] and Notification.objects.filter(event=event).count() == 2
    for n in first:
        assert notifications.deliver(n.pk) == "sent"
        assert notifications.deliver(n.pk) == "sent"  # a second run of the task sends nothing
    assert len(sms_to(sms, "0912345678")) == 1 and len(mailoutbox) == 1
    assert Notification.objects.get(event=event, channel="sms").attempts == 1

    # The gateway too: the same idempotency key is the same message.
    gateway = notifications.sms_gateway()
    assert gateway.send("0912345678", "Thử", "k-1") == gateway.send("0912345678", "Thử", "k-1")
    assert len(sms_to(sms, "0912345678")) == 2


def test_events_that_do_not_notify_and_old_events(users, sms, settings):
    d = receive(users)
    submit = d.events.get(action="submit")
    assert notifications.queue_for_event(submit.pk) == []
    settings.NOTIFICATION_MAX_AGE_HOURS = 48
    receive_event = d.events.get(action="receive")  # 02/03/2026: long before "now"
    assert notifications.queue_for_event(receive_event.pk, now=at(49)) == []
    assert len(notifications.queue_for_event(receive_event.pk, now=at(47))) == 2


def test_preferences_off_means_skipped(users, sms, mailoutbox, django_capture_on_commit_callbacks):
    notifications.set_preferences(AN["id_number"], email=False, sms=False)
    d = receive(users)
    with django_capture_on_commit_callbacks(execute=True):
        got = {n.channel: n for n in notifications.queue_for_event(d.events.get(action="receive").pk)}
    assert {n.status for n in got.values()} == {"skipped"}
    assert "tắt nhận thông báo qua thư điện tử" in got["email"].last_error
    assert "tắt nhận thông báo qua SMS" in got["sms"].last_error
    assert queued_deliveries() == []
    assert notifications.deliver(got["sms"].pk) == "skipped"
    assert sms_to(sms, "0912345678") == [] and mailoutbox == []

    # One channel back on (the form saves both switches).
    form = notifications.PreferenceForm.for_person(AN["id_number"], data={"sms_enabled": "on"})
    assert form.is_valid()
    pref = form.save(AN["id_number"])
    assert (pref.email_enabled, pref.sms_enabled) == (False, True)
    d2 = receive(users, hours=1)
    got = {n.channel: n for n in notifications.queue_for_event(d2.events.get(action="receive").pk)}
    assert (got["email"].status, got["sms"].status) == ("skipped", "pending")


def test_no_phone_skips_the_sms_and_a_bad_number_too(users, sms, django_capture_on_commit_callbacks):
    d = receive(users, {**AN, "phone": ""})
    with django_capture_on_commit_callbacks(execute=True):
        got = {n.channel: n for n in notifications.queue_for_event(d.events.get(action="receive").pk)}
    assert got["sms"].status == "skipped" and "không có số điện thoại" in got["sms"].last_error
    assert got["email"].status == "pending"
    assert [r.args[0] for r in queued_deliveries()] == [got["email"].pk]

    d2 = receive(users, {**AN, "phone": "024 3825 1234 5", "email": ""}, hours=1)
    got = {n.channel: n for n in notifications.queue_for_event(d2.events.get(action="receive").pk)}
    assert got["sms"].status == "skipped" and "không phải số di động" in got["sms"].last_error
    assert got["email"].status == "skipped" and "không có địa chỉ thư điện tử" in got["email"].last_error
    assert notifications.normalize_phone("+84 912.345.678") == "0912345678"


def test_gateway_down_fails_and_queues_a_retry(users, sms, settings, django_capture_on_commit_callbacks):
    d = receive(users)
    got = {n.channel: n for n in notifications.queue_for_event(d.events.get(action="receive").pk)}
    default_task_backend.clear()
    requests.post(f"{sms}/_sim/faults", json={"mode": "error", "status": 503}, timeout=2).raise_for_status()

    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.deliver(got["sms"].pk, now=at(0)) == "failed"
    n = Notification.objects.get(pk=got["sms"].pk)
    assert n.attempts == 1 and "đang gặp sự cố (mã lỗi 503)" in n.last_error and "Sẽ thử lại" in n.last_error
    retries = queued_deliveries()
    assert len(retries) == 1 and retries[0].args == [n.pk]
    assert retries[0].task.run_after == at(0) + dt.timedelta(seconds=60)
    assert sms_to(sms, "0912345678") == []

    # A timeout (every try of the attempt) is the same story.
    requests.post(f"{sms}/_sim/faults", json={"mode": "timeout", "delay_ms": 700, "remaining": 2}, timeout=2)
    assert notifications.deliver(n.pk, now=at(1)) == "failed"
    assert "không phản hồi" in Notification.objects.get(pk=n.pk).last_error
    time.sleep(0.8)  # the simulator finishes the requests we gave up on (same key: still one SMS)

    # Back up: the queued retry sends it once.
    requests.delete(f"{sms}/_sim/faults", timeout=2)
    assert notifications.deliver(n.pk) == "sent"
    assert len(sms_to(sms, "0912345678")) == 1 and Notification.objects.get(pk=n.pk).attempts == 3

    # The last attempt gives up without another retry; a refusal (4xx) is not retried at all.
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    d2 = receive(users, hours=1)
    got = {n.channel: n for n in notifications.queue_for_event(d2.events.get(action="receive").pk)}
    default_task_backend.clear()
    requests.post(f"{sms}/_sim/faults", json={"mode": "error", "status": 503}, timeout=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.deliver(got["sms"].pk) == "failed"
    assert queued_deliveries() == []
    requests.delete(f"{sms}/_sim/faults", timeout=2)
    assert notifications.deliver(got["sms"].pk) == "failed"  # no attempts left

    settings.NOTIFICATION_MAX_ATTEMPTS = 5
    settings.SMS_GATEWAY_API_KEY = "wrong"
    d3 = receive(users, hours=2)
    got = {n.channel: n for n in notifications.queue_for_event(d3.events.get(action="receive").pk)}
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.deliver(got["sms"].pk) == "failed"
    assert queued_deliveries() == []
    assert "từ chối tin nhắn (mã lỗi 401)" in Notification.objects.get(pk=got["sms"].pk).last_error


def test_supplement_request_carries_the_reason(users, sms, mailoutbox, django_capture_on_commit_callbacks):
    d = receive(users)
    reason = "Giấy chứng sinh bị mờ, không đọc được họ tên người mẹ và ngày sinh của trẻ; đề nghị nộp bản rõ nét"
    with django_capture_on_commit_callbacks(execute=True):
        act(users, d, "request_supplement", "motcua.xa", 1, reason=reason, data={"missing": ["TP02"]})
    got = rows(d, "supplement_requested")
    assert set(got) == {"email", "sms"}
    deliver_all(d)
    text = sms_to(sms, "0912345678")[-1]["text"]
    assert len(text) <= 160 and d.code in text and text.endswith(f"/tra-cuu/{d.code}/")
    assert "cần bổ sung: Giấy chứng sinh bị mờ" in text and "…" in text  # shortened to fit
    mail = mailoutbox[-1]
    assert "Yêu cầu bổ sung, hoàn thiện hồ sơ" in mail.subject
    assert (
        reason in mail.body
        and "- Giấy chứng sinh" in mail.body
        and "(TP02)" in mail.body
        and "Ngày yêu cầu: 02/03/2026 09:00" in mail.body
    )


def test_apology_carries_the_new_date_and_the_reason(users, sms, mailoutbox, django_capture_on_commit_callbacks):
    d = act(users, receive(users), "transfer", "motcua.xa", 1)
    old_due = d.due_at
    with django_capture_on_commit_callbacks(execute=True):
        d = act(
            users,
            d,
            "apologize",
            "chuyenvien.xa",
            24,
            reason="Chờ xác minh nơi cư trú",
            data={"new_due": "10/03/2026"},
        )
    got = rows(d, "late")
    assert set(got) == {"email", "sms"}
    deliver_all(d)
    text = sms_to(sms, "0912345678")[-1]["text"]
    assert text.startswith("Xin lỗi, hồ sơ") and "10/03/2026" in text and "Lý do: Chờ xác minh nơi cư trú" in text
    assert len(text) <= 160 and d.code in text
    mail = mailoutbox[-1]
    assert "xin lỗi" in mail.subject.lower() and "Lý do chậm trễ: Chờ xác minh nơi cư trú" in mail.body
    assert "Ngày hẹn trả kết quả mới: 10/03/2026 17:00" in mail.body
    assert f"Ngày hẹn trả kết quả trước đây: {old_due.astimezone(VN_TZ):%d/%m/%Y %H:%M}" in mail.body


def test_result_ready_when_delivered_to_the_desk(users, sms, mailoutbox, django_capture_on_commit_callbacks):
    d = act(users, receive(users), "transfer", "motcua.xa", 0.5)
    d = act(users, d, "acknowledge", "chuyenvien.xa", 0.6)
    d = act(users, d, "forward", "chuyenvien.xa", 2)
    d = act(users, d, "acknowledge", "lanhdao.xa", 2.2)
    d = act(users, d, "issue_result", "lanhdao.xa", 5, data={"result_number": "15/2026"})
    assert rows(d, "result_ready") == {}
    with django_capture_on_commit_callbacks(execute=True):
        d = act(users, d, "deliver", "lanhdao.xa", 5.5)
    got = rows(d, "result_ready")
    assert set(got) == {"email", "sms"}
    deliver_all(d)
    text = sms_to(sms, "0912345678")[-1]["text"]
    assert "đã có kết quả" in text and "bộ phận một cửa" in text and len(text) <= 160
    mail = mailoutbox[-1]
    assert mail.subject == f"Hồ sơ {d.code} đã có kết quả" and "để nhận kết quả" in mail.body


def test_sms_simulator_contract(sms):
    auth = {"Authorization": f"Bearer {SMS_KEY}"}
    r = requests.post(f"{sms}/api/v1/messages", json={"to": "0912345678", "text": "x"}, timeout=2)
    assert r.status_code == 401
    r = requests.post(f"{sms}/api/v1/messages", json={"to": "12", "text": "x"}, headers=auth, timeout=2)
    assert r.status_code == 400 and r.json()["error"] == "invalid_phone"
    body = {"to": "0912345678", "text": "Xin chào", "idempotency_key": "k"}
    first = requests.post(f"{sms}/api/v1/messages", json=body, headers=auth, timeout=2)
    again = requests.post(f"{sms}/api/v1/messages", json=body, headers=auth, timeout=2)
    assert (first.status_code, again.status_code) == (202, 200) and first.json()["id"] == again.json()["id"]
    other = requests.post(f"{sms}/api/v1/messages", json={**body, "text": "Khác"}, headers=auth, timeout=2)
    assert other.status_code == 409
    assert [m["text"] for m in sms_to(sms, "0912345678")] == ["Xin chào"] and sms_to(sms, "0987654321") == []
