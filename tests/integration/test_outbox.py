"""The outbox: every dossier event that matters to another system is written with it (one
transaction), delivered in order per dossier with retries and idempotency keys, dead letters held
and replayed; webhooks signed; the synced share per agency."""

import json
import threading

import pytest
import requests
from flask import Flask, request

from motcua.dossiers import services
from motcua.dossiers.models import Dossier, Event
from motcua.integration import outbox
from motcua.integration.models import NATIONAL_PORTAL, MessageStatus, OutboxMessage, Subscription
from motcua.integration.webhooks import verify
from simulators.common import serve_in_thread

from .conftest import held_by_portal

AN = {"name": "Nguyễn Văn An", "id_number": "001085012345"}


def received(users, procedure="1.001193"):
    d, _ = services.create_dossier(
        user=users["motcua.xa"],
        procedure_code=procedure,
        channel="counter",
        applicant=AN,
        components=["TP01", "TP02"],
        identity={"status": "verified"},
        fee_paid=True,
    )
    return d


def national(d):
    return list(OutboxMessage.objects.filter(dossier=d, receiver=NATIONAL_PORTAL).order_by("seq"))


def test_events_write_their_messages_in_the_same_transaction(users):
    d = received(users)
    msgs = national(d)
    assert [(m.seq, m.payload["action"], m.payload["national_status"]) for m in msgs] == [
        (1, "submit", 1),
        (2, "receive", 2),
    ]
    assert msgs[0].key == f"national_portal:{msgs[0].event_id}" and msgs[1].payload["dossier_code"] == d.code
    services.act(d, "transfer", user=users["motcua.xa"])  # 2 → 4: sent
    services.act(d, "acknowledge", user=users["chuyenvien.xa"])  # no status change: not sent
    assert [m.payload["action"] for m in national(d)] == ["submit", "receive", "transfer"]
    # A refused action writes neither an event nor a message.
    with pytest.raises(services.DossierError):
        services.act(d, "return_result", user=users["motcua.xa"])
    assert len(national(d)) == 3 and Event.objects.filter(dossier=d).count() == 4


def test_drain_delivers_in_order_once(users, portal):
    d = received(users)
    services.act(d, "transfer", user=users["motcua.xa"])
    counts = outbox.drain()
    assert counts["delivered"] == 3 and counts["failed"] == 0
    held = held_by_portal(portal, d.code)
    assert [(e["seq"], e["action"]) for e in held] == [(1, "submit"), (2, "receive"), (3, "transfer")]
    assert outbox.national_sync_state(d)["synced"] is True
    assert outbox.drain()["claimed"] == 0  # nothing left
    # Delivered again (a worker that died before marking them): the portal answers "duplicate".
    outbox.replay(OutboxMessage.objects.filter(dossier=d).values_list("pk", flat=True))
    OutboxMessage.objects.filter(dossier=d).update(status=MessageStatus.PENDING)
    assert outbox.drain()["delivered"] == 3
    assert len(held_by_portal(portal, d.code)) == 3
    summary = requests.get(f"{portal}/_sim/summary", timeout=2).json()
    assert summary["events"] == 3 and summary["duplicates"] == 3


def test_receiver_down_retries_with_backoff_and_keeps_order(users, portal, settings):
    settings.OUTBOX_RETRY_BASE = 0.01
    d = received(users)
    requests.post(f"{portal}/_sim/faults", json={"mode": "error", "status": 503, "remaining": 3}, timeout=2)
    first = outbox.drain_once()
    assert first["failed"] == 1 and first["delivered"] == 0  # the 2nd message waits for the 1st
    m = national(d)[0]
    assert m.attempts == 1 and m.status == "pending" and "503" in m.last_error or m.last_error
    import time

    for _ in range(20):
        time.sleep(0.05)
        outbox.drain()
        if outbox.national_sync_state(d)["synced"]:
            break
    assert [e["seq"] for e in held_by_portal(portal, d.code)] == [1, 2]


def test_a_rejected_message_is_dead_holds_the_rest_and_can_be_replayed(users, portal, settings):
    d = received(users)
    first = national(d)[0]
    good = dict(first.payload)
    OutboxMessage.objects.filter(pk=first.pk).update(payload={**good, "national_status": 99})  # invalid there
    counts = outbox.drain()
    assert counts["delivered"] == 0
    first.refresh_from_db()
    assert first.status == MessageStatus.DEAD and first.last_error
    assert national(d)[1].status == MessageStatus.PENDING  # held back: order is kept
    assert outbox.national_sync_state(d) == {"synced": False, "pending": 1, "dead": 1, "last_delivered_at": None}
    OutboxMessage.objects.filter(pk=first.pk).update(payload=good)  # fixed by an administrator
    assert outbox.replay([first.pk]) == 1
    assert outbox.drain()["delivered"] == 2
    assert [e["seq"] for e in held_by_portal(portal, d.code)] == [1, 2]


def test_synced_share_per_agency(users, portal):
    a, b = received(users), received(users)
    outbox.drain()
    received(users)  # not yet sent
    (row,) = outbox.synced_share_by_agency()
    assert (row["agency"], row["dossiers"], row["synced"]) == (a.agency.code, 3, 2) and row["share"] == 66.7
    assert b.agency_id == a.agency_id


def test_admin_lists_dead_letters_and_replays(users, portal, client, admin_user):
    d = received(users)
    m = national(d)[0]
    OutboxMessage.objects.filter(pk=m.pk).update(status=MessageStatus.DEAD, last_error="Cổng từ chối")
    client.force_login(admin_user)
    page = client.get("/admin/integration/outboxmessage/?status__exact=dead").content.decode()
    assert m.key in page and "Cổng từ chối" in page
    r = client.post(
        "/admin/integration/outboxmessage/", {"action": "replay", "_selected_action": [m.pk]}, follow=True
    )
    assert "Đã đưa 1 thông điệp về hàng chờ gửi." in r.content.decode()
    assert OutboxMessage.objects.get(pk=m.pk).status == MessageStatus.PENDING


# ------------------------------------------------------------------------------------------------
# Webhooks
# ------------------------------------------------------------------------------------------------
@pytest.fixture
def receiver():
    """A subscriber that verifies signatures and dedupes by Idempotency-Key; fails the first N."""
    app = Flask(__name__)
    state = {"seen": {}, "bodies": [], "fail": 0, "bad_signature": 0, "lock": threading.Lock(), "secret": ""}

    @app.post("/hook")
    def hook():
        with state["lock"]:
            if state["fail"] > 0:
                state["fail"] -= 1
                return "busy", 503
            body = request.get_data()
            ok = verify(
                body, state["secret"], request.headers["X-MotCua-Timestamp"], request.headers["X-MotCua-Signature"]
            )
            if not ok:
                state["bad_signature"] += 1
                return "bad signature", 401
            key = request.headers["Idempotency-Key"]
            if key not in state["seen"]:
                state["seen"][key] = json.loads(body)
                state["bodies"].append(state["seen"][key])
            return {"ok": True}

    url, stop = serve_in_thread(app, "127.0.0.1", 0)
    state["url"] = url + "/hook"
    yield state
    stop()


def test_webhooks_filtered_signed_retried_and_deduped(users, receiver, settings):
    settings.NATIONAL_PORTAL_SYNC = False
    settings.OUTBOX_RETRY_BASE = 0.01
    commune = users["motcua.xa"].memberships.get().agency
    sub = Subscription.objects.create(name="Hệ thống hộ tịch", url=receiver["url"], procedures=["1.001193"])
    sub.agencies.add(commune)
    other = Subscription.objects.create(name="Chỉ kết hôn", url=receiver["url"], procedures=["1.000894"])
    receiver["secret"] = sub.secret
    d = received(users)
    assert not OutboxMessage.objects.filter(subscription=other).exists()
    assert OutboxMessage.objects.filter(subscription=sub).count() == 2
    receiver["fail"] = 1
    outbox.drain()
    import time

    for _ in range(20):
        time.sleep(0.05)
        outbox.drain()
        if len(receiver["bodies"]) == 2:
            break
    bodies = receiver["bodies"]
    assert [b["event"]["action"] for b in bodies] == ["submit", "receive"]
    assert bodies[0]["dossier"]["code"] == d.code and bodies[0]["seq"] == 1 and receiver["bad_signature"] == 0
    assert "Nguyễn" not in json.dumps(bodies, ensure_ascii=False)  # no personal data in webhooks


def test_webhook_permanent_refusal_is_a_dead_letter(users, receiver, settings):
    settings.NATIONAL_PORTAL_SYNC = False
    sub = Subscription.objects.create(name="Sai khóa", url=receiver["url"])
    receiver["secret"] = "not-the-secret"  # every signature fails: 401
    d = received(users)
    outbox.drain()
    first = OutboxMessage.objects.filter(dossier=d, subscription=sub).order_by("seq").first()
    assert first.status == MessageStatus.DEAD and "401" in first.last_error
    assert Dossier.objects.filter(pk=d.pk).exists()


def test_catalog_sync_from_the_national_database_simulator(users, portal, settings):
    """The simulator publishes the demo catalog without the province's additions, one fee amended and
    one new procedure: the diff shows exactly those, keeping local e-forms and reuse mappings."""
    from motcua.catalog import sync

    settings.NATIONAL_CATALOG_URL = portal
    incoming = sync.fetch()
    changes = {c.code: c.kind for c in sync.diff(incoming)}
    assert changes["2.002165"] == "new" and changes["2.000815"] == "changed"
    assert {k for k, v in changes.items() if v not in ("unchanged",)} == {"2.002165", "2.000815"}


def test_sync_page_and_the_dossier_page_show_the_sync(users, portal, client, admin_user):
    d = received(users)
    client.force_login(users["motcua.xa"])
    page = client.get(f"/can-bo/ho-so/{d.code}/").content.decode()
    assert "Đang chờ đồng bộ 2 sự kiện" in page
    outbox.drain()
    assert "Đã đồng bộ" in client.get(f"/can-bo/ho-so/{d.code}/").content.decode()
    page = client.get("/can-bo/dong-bo-quoc-gia/").content.decode()
    assert d.agency.name in page and "100,0%" in page  # Vietnamese decimal comma
    client.force_login(users["motcua.huyen"] if "motcua.huyen" in users else admin_user)
    assert client.get("/can-bo/dong-bo-quoc-gia/").status_code == 200
