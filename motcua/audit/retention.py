"""Retention of the logs that grow without end: the audit log (``chain.purge``, ≥ 12 months), the
machine clients' API calls (``API_CALL_RETENTION_DAYS``) and the delivered outbox messages
(``OUTBOX_DELIVERED_RETENTION_DAYS``); and expired sessions (they name a signed-in person and their stated
purposes, and nothing else removes them from the database); online drafts never submitted
(``DRAFT_RETENTION_DAYS``, ``dossiers.online.purge_stale_drafts``). Deleted in batches (short locks)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import chain

BATCH = 10000


def _batched_delete(table: str, where: str, params: list) -> int:
    total = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} t WHERE {where} LIMIT {BATCH})", params
            )
            deleted = cursor.rowcount
        total += deleted
        if deleted < BATCH:
            return total


def purge_api_calls(now: dt.datetime | None = None) -> int:
    from motcua.api.models import ApiCall

    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.API_CALL_RETENTION_DAYS)
    return _batched_delete(ApiCall._meta.db_table, "t.at < %s", [cutoff])


def purge_outbox(now: dt.datetime | None = None) -> int:
    """Delivered messages past the retention, except each (receiver, dossier)'s latest: the next
    message's ``seq`` is counted from it (``outbox.enqueue``)."""
    from motcua.integration.models import OutboxMessage

    table = OutboxMessage._meta.db_table
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.OUTBOX_DELIVERED_RETENTION_DAYS)
    return _batched_delete(
        table,
        f"t.status = 'delivered' AND t.delivered_at < %s AND t.seq < (SELECT MAX(o.seq) FROM {table} o "
        "WHERE o.receiver = t.receiver AND o.dossier_id = t.dossier_id)",
        [cutoff],
    )


def purge_sessions(now: dt.datetime | None = None) -> int:
    """Sessions past their expiry date (``SESSION_COOKIE_AGE`` or an idle/absolute end already passed)."""
    from django.contrib.sessions.models import Session

    cutoff, total = now or timezone.now(), 0
    while True:
        keys = list(Session.objects.filter(expire_date__lt=cutoff).values_list("session_key", flat=True)[:BATCH])
        if not keys:
            return total
        total += Session.objects.filter(session_key__in=keys).delete()[0]


def purge_drafts(now: dt.datetime | None = None) -> dict[str, int]:
    from motcua.dossiers.online import purge_stale_drafts

    return purge_stale_drafts(now)


def purge_all(now: dt.datetime | None = None) -> dict[str, int]:
    return {
        "audit": chain.purge(now),
        "api_calls": purge_api_calls(now),
        "outbox": purge_outbox(now),
        "sessions": purge_sessions(now),
        **purge_drafts(now),
    }
