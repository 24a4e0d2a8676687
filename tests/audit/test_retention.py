"""Retention of the other growing logs: API calls and delivered outbox messages (the latest per
receiver and dossier is kept: the next message's seq counts from it)."""

import datetime as dt

from django.contrib.sessions.models import Session
from django.utils import timezone

from motcua.api.models import ApiCall
from motcua.audit import retention
from motcua.integration.models import MessageStatus, OutboxMessage

from .test_capture import receive


def test_api_calls_older_than_the_retention_are_purged(db, settings):
    settings.API_CALL_RETENTION_DAYS = 365
    now = timezone.now()
    for days in (400, 366, 10):
        ApiCall.objects.create(
            at=now - dt.timedelta(days=days), client_id="c", method="GET", path="/", status=200, duration_ms=1
        )
    assert retention.purge_api_calls(now) == 2
    assert list(ApiCall.objects.values_list("client_id", flat=True)) == ["c"]


def test_delivered_outbox_messages_are_purged_except_the_latest(users, settings):
    settings.OUTBOX_DELIVERED_RETENTION_DAYS = 90
    d = receive(users)
    event = d.events.first()
    now = timezone.now()
    old = now - dt.timedelta(days=100)
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                receiver="test",
                dossier=d,
                event=event,
                seq=seq,
                key=f"test:{seq}",
                status=status,
                next_attempt_at=old,
                created_at=old,
                delivered_at=old if status == MessageStatus.DELIVERED else None,
            )
            for seq, status in [(1, "delivered"), (2, "delivered"), (3, "dead"), (4, "delivered")]
        ]
    )
    OutboxMessage.objects.filter(receiver="test", seq=2).update(delivered_at=now - dt.timedelta(days=5))
    assert retention.purge_outbox(now) == 1  # seq 1 only: 2 is recent, 3 is not delivered, 4 is the latest
    assert sorted(OutboxMessage.objects.filter(receiver="test").values_list("seq", flat=True)) == [2, 3, 4]


def test_expired_sessions_are_purged_and_live_ones_kept(db):
    now = timezone.now()
    for key, days in (("expired-long-ago", -40), ("expired-just-now", -0.01), ("live", 0.5)):
        Session.objects.create(session_key=key, session_data="", expire_date=now + dt.timedelta(days=days))
    assert retention.purge_sessions(now) == 2
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]


def test_purge_all_runs_every_retention(db):
    assert retention.purge_all() == {
        "audit": 0,
        "api_calls": 0,
        "outbox": 0,
        "sessions": 0,
        "drafts": 0,
        "draft_files": 0,
    }
