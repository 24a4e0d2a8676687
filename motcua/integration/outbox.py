"""The transactional outbox: dossier events → other systems, losing nothing, in order per dossier.

Writing: ``enqueue(events)`` is called by ``dossiers.services.save_events`` in the transaction that
writes the events, so a message exists if and only if its event does. Each message gets the next
``seq`` of its (receiver, dossier) — the dossier row is locked by the caller, so that is race-free —
a payload snapshot and the idempotency key ``<receiver>:<event id>``.

Receivers (``receivers_for``, the one rule): the national portal for events that change the national
status or carry dates/results it shows (``NATIONAL_ACTIONS``), every active webhook subscription
whose agency / procedure / action filters match, and the specialized system that processes the
procedure when a dossier is handed over (``specialized.systems_for``).

Delivering: ``drain`` (``manage.py run_outbox``, started by ``scripts/run``) claims due messages with
a lease (``lease_until``: a worker that dies mid-way loses its claim when the lease ends), groups
them by (receiver, dossier), skips a group whose earlier message is not delivered yet (order),
and sends each group in ``seq`` order on a thread pool (different dossiers in parallel). Success →
delivered; a retryable failure → next attempt after exponential back-off with jitter; a permanent
one, or too many attempts → dead (the dead-letter list in the admin, where it can be replayed). A
dead message holds back the later messages of its dossier for that receiver, so order is kept.
Delivery is at least once; receivers dedupe by the idempotency key, so each event arrives once.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from motcua.dossiers.slips import public_url_base
from motcua.dossiers.states import NATIONAL_STATUS

from . import specialized
from .models import NATIONAL_PORTAL, ExternalTask, MessageStatus, OutboxMessage, Subscription

log = logging.getLogger(__name__)

# Sent to the national portal besides any change of the national status code: the submission, the
# decision (result) and a new due date after an apology.
NATIONAL_ACTIONS = frozenset({"submit", "issue_result", "apologize", "return_result"})


def _setting(name: str, default):
    return getattr(settings, name, default)


# ------------------------------------------------------------------------------------------------
# Writing (inside the event's transaction)
# ------------------------------------------------------------------------------------------------
def wants_national(event) -> bool:
    """The national portal hears of this event (status code changed, or a date/result it shows)."""
    before = NATIONAL_STATUS.get(event.from_state) if event.from_state else None
    return event.action in NATIONAL_ACTIONS or before != NATIONAL_STATUS.get(event.to_state)


def active_subscriptions() -> list[Subscription]:
    """Active webhook subscriptions with their agency ids (one query, two when there are some). Not
    cached: a cache would outlive a rolled-back transaction and point messages at a missing row."""
    items = list(Subscription.objects.filter(active=True).prefetch_related("agencies"))
    for s in items:
        s.agency_ids = {a.pk for a in s.agencies.all()}
    return items


def _matches(sub: Subscription, event, dossier) -> bool:
    if sub.agency_ids and not ({dossier.agency_id, dossier.receiving_agency_id} & sub.agency_ids):
        return False
    if sub.procedures and dossier.version.procedure.code not in sub.procedures:
        return False
    return not sub.actions or event.action in sub.actions


def receivers_for(event, dossier) -> list[tuple[str, Subscription | None]]:
    out: list[tuple[str, Subscription | None]] = []
    if _setting("NATIONAL_PORTAL_SYNC", True) and wants_national(event):
        out.append((NATIONAL_PORTAL, None))
    out += [(s.receiver, s) for s in active_subscriptions() if _matches(s, event, dossier)]
    return out


def webhook_payload(event, dossier) -> dict:
    """What a subscriber receives (no personal data beyond what the public tracking shows)."""

    def iso(value):
        return timezone.localtime(value).isoformat() if value else None

    return {
        "event": {
            "id": event.pk,
            "action": event.action,
            "at": iso(event.at),
            "from_state": event.from_state,
            "to_state": event.to_state,
            "national_status": NATIONAL_STATUS.get(event.to_state),
            "agency": event.agency.code if event.agency_id and event.agency else None,
        },
        "dossier": {
            "code": dossier.code,
            "procedure": dossier.version.procedure.code,
            "agency": dossier.agency.code,
            "received_at": iso(dossier.received_at),
            "due_at": iso(dossier.due_at),
        },
    }


def enqueue(events) -> list[OutboxMessage]:
    """Outbox messages for ``events`` (saved, same transaction as the caller's)."""
    from .national_portal import payload_for

    now = timezone.now()
    planned = []
    tasks = {}
    for event in events:
        dossier = event.dossier
        for receiver, sub in receivers_for(event, dossier):
            planned.append((receiver, sub, event, dossier))
        for system in specialized.systems_for(event, dossier):  # hand the processing over
            task, _ = ExternalTask.objects.get_or_create(dossier=dossier, system=system)
            tasks[(system.receiver, event.pk)] = task
            planned.append((system.receiver, None, event, dossier))
    if not planned:
        return []
    dossier_ids = {d.pk for _, _, _, d in planned}
    last = {
        (row["receiver"], row["dossier_id"]): row["top"]
        for row in OutboxMessage.objects.filter(dossier_id__in=dossier_ids, receiver__in={r for r, *_ in planned})
        .values("receiver", "dossier_id")
        .annotate(top=Max("seq"))
    }
    rows = []
    for receiver, sub, event, dossier in planned:
        seq = last.get((receiver, dossier.pk), 0) + 1
        last[(receiver, dossier.pk)] = seq
        if receiver == NATIONAL_PORTAL:
            payload = payload_for(event, dossier, seq)
        elif receiver.startswith("system:"):
            task = tasks[(receiver, event.pk)]
            payload = specialized.handover_payload(event, dossier, task, public_url_base())
        else:
            payload = webhook_payload(event, dossier)
        rows.append(
            OutboxMessage(
                receiver=receiver,
                subscription=sub,
                dossier=dossier,
                event=event,
                seq=seq,
                key=f"{receiver}:{event.pk}",
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
        )
    return OutboxMessage.objects.bulk_create(rows)


# ------------------------------------------------------------------------------------------------
# Delivering
# ------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    message_id: int
    ok: bool
    error: str = ""
    permanent: bool = False


def backoff(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: exponential from ``OUTBOX_RETRY_BASE`` (2 s), capped at
    ``OUTBOX_RETRY_MAX`` (1 h), ±20 % jitter so a recovering receiver is not hit all at once."""
    base = float(_setting("OUTBOX_RETRY_BASE", 2.0))
    cap = float(_setting("OUTBOX_RETRY_MAX", 3600.0))
    delay = min(base * 2 ** max(attempts - 1, 0), cap)
    return delay * random.uniform(0.8, 1.2)


def _send(message: OutboxMessage) -> Outcome:
    """One delivery attempt; never raises."""
    try:
        if message.receiver == NATIONAL_PORTAL:
            from .national_portal import OutOfOrder, Rejected, Retryable, national_portal

            try:
                national_portal().push(message.payload, message.key)
            except OutOfOrder as exc:  # an earlier event is missing there: retried (and visible) until fixed
                return Outcome(message.pk, False, str(exc))
            except Rejected as exc:
                # A wrong API key is our configuration, not this event's fault: keep retrying (the admin
                # sees the message); anything else the portal refuses goes to the dead-letter list.
                return Outcome(message.pk, False, str(exc), permanent=exc.status_code not in (401, 403))
            except Retryable as exc:
                return Outcome(message.pk, False, str(exc))
            return Outcome(message.pk, True)
        from .webhooks import WebhookRejected, WebhookRetry, send

        try:
            send(message)
        except WebhookRejected as exc:
            return Outcome(message.pk, False, str(exc), permanent=True)
        except WebhookRetry as exc:
            return Outcome(message.pk, False, str(exc))
        return Outcome(message.pk, True)
    except Exception as exc:  # noqa: BLE001 (a bug or an odd failure: retried, recorded, never lost)
        log.exception("outbox delivery of %s failed", message.key)
        return Outcome(message.pk, False, f"Lỗi không xác định: {exc}"[:1000])


def _send_group(messages: list[OutboxMessage]) -> list[Outcome]:
    outcomes = []
    for message in messages:
        outcome = _send(message)
        outcomes.append(outcome)
        if not outcome.ok:
            break  # keep the order: the rest of this dossier waits for this one
    return outcomes


def claim(limit: int, now: dt.datetime, lease: float) -> list[OutboxMessage]:
    """Lease up to ``limit`` due messages to this worker (a dead worker's lease simply runs out)."""
    token = uuid.uuid4().hex
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    with transaction.atomic():
        due = OutboxMessage.objects.filter(free, status=MessageStatus.PENDING, next_attempt_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
        if not ids:
            return []
        OutboxMessage.objects.filter(free, pk__in=ids).update(
            lease_until=now + dt.timedelta(seconds=lease), lease_token=token
        )
    return list(
        OutboxMessage.objects.filter(lease_token=token, status=MessageStatus.PENDING)
        .select_related("subscription")
        .order_by("receiver", "dossier_id", "seq")
    )


def _runnable_groups(messages: list[OutboxMessage]) -> tuple[list[list[OutboxMessage]], list[OutboxMessage]]:
    """(groups whose first message is next in line, messages held back by an earlier undelivered one)."""
    groups: dict[tuple[str, int], list[OutboxMessage]] = defaultdict(list)
    for m in messages:
        groups[(m.receiver, m.dossier_id)].append(m)
    waiting = defaultdict(list)
    for row in (
        OutboxMessage.objects.filter(dossier_id__in={k[1] for k in groups})
        .exclude(status=MessageStatus.DELIVERED)
        .values_list("receiver", "dossier_id", "seq")
    ):
        waiting[(row[0], row[1])].append(row[2])
    runnable, held = [], []
    for key, group in groups.items():
        ours = {m.seq for m in group}
        first = group[0].seq
        # Consecutive from the first: a gap means an earlier message is leased by another worker.
        run = [group[0]]
        for m in group[1:]:
            if m.seq != run[-1].seq + 1:
                break
            run.append(m)
        if any(s < first and s not in ours for s in waiting.get(key, ())):
            held += group
        else:
            runnable.append(run)
            held += group[len(run) :]
    return runnable, held


def _record(outcomes: list[Outcome], by_id: dict[int, OutboxMessage], now: dt.datetime) -> None:
    ok = [o.message_id for o in outcomes if o.ok]
    if ok:
        OutboxMessage.objects.filter(pk__in=ok).update(
            status=MessageStatus.DELIVERED,
            delivered_at=now,
            attempts=F("attempts") + 1,
            lease_until=None,
            lease_token="",
        )
    max_attempts = int(_setting("OUTBOX_MAX_ATTEMPTS", 15))
    for o in outcomes:
        if o.ok:
            continue
        m = by_id[o.message_id]
        attempts = m.attempts + 1
        dead = o.permanent or attempts >= max_attempts
        OutboxMessage.objects.filter(pk=m.pk).update(
            attempts=attempts,
            last_error=o.error[:1000],
            status=MessageStatus.DEAD if dead else MessageStatus.PENDING,
            next_attempt_at=now + dt.timedelta(seconds=backoff(attempts)),
            lease_until=None,
            lease_token="",
        )


def _release(messages: list[OutboxMessage]) -> None:
    if messages:
        OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(lease_until=None, lease_token="")


def drain_once(*, limit: int | None = None, threads: int | None = None, now: dt.datetime | None = None) -> dict:
    """Claim and deliver one batch; returns counts ``{"claimed", "delivered", "failed", "held"}``."""
    limit = limit or int(_setting("OUTBOX_BATCH", 500))
    threads = threads or int(_setting("OUTBOX_THREADS", 8))
    lease = float(_setting("OUTBOX_LEASE_SECONDS", 60))
    now = now or timezone.now()
    messages = claim(limit, now, lease)
    if not messages:
        return {"claimed": 0, "delivered": 0, "failed": 0, "held": 0}
    runnable, held = _runnable_groups(messages)
    _release(held)
    by_id = {m.pk: m for m in messages}
    outcomes: list[Outcome] = []
    if len(runnable) <= 1 or threads <= 1:
        for group in runnable:
            outcomes += _send_group(group)
    else:
        with ThreadPoolExecutor(max_workers=min(threads, len(runnable))) as pool:
            for result in pool.map(_send_group, runnable):
                outcomes += result
    sent = {o.message_id for o in outcomes}
    _release([m for group in runnable for m in group if m.pk not in sent])  # after a failure in a group
    _record(outcomes, by_id, timezone.now())
    delivered = sum(1 for o in outcomes if o.ok)
    return {"claimed": len(messages), "delivered": delivered, "failed": len(outcomes) - delivered, "held": len(held)}


def drain(*, until_empty: bool = True, max_seconds: float | None = None, **kwargs) -> dict:
    """Drain batches until nothing is due (or ``max_seconds``); returns the summed counts."""
    total = {"claimed": 0, "delivered": 0, "failed": 0, "held": 0}
    started = time.monotonic()
    while True:
        counts = drain_once(**kwargs)
        for k, v in counts.items():
            total[k] += v
        if not counts["claimed"] or not until_empty:
            break
        if counts["delivered"] == 0 and counts["failed"] == 0:
            break  # only held messages: wait for their predecessors
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            break
    return total


# ------------------------------------------------------------------------------------------------
# Dead letters, sync state, KPI
# ------------------------------------------------------------------------------------------------
def replay(message_ids) -> int:
    """Dead (or stuck) messages back to pending, attempts from zero, due now."""
    return (
        OutboxMessage.objects.filter(pk__in=list(message_ids))
        .exclude(status=MessageStatus.DELIVERED)
        .update(
            status=MessageStatus.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            lease_until=None,
            lease_token="",
            last_error="",
        )
    )


def national_sync_state(dossier) -> dict:
    """``{"synced": bool, "pending": n, "dead": n, "last_delivered_at"}`` of the national portal sync."""
    rows = OutboxMessage.objects.filter(dossier=dossier, receiver=NATIONAL_PORTAL).aggregate(
        pending=Count("id", filter=Q(status=MessageStatus.PENDING)),
        dead=Count("id", filter=Q(status=MessageStatus.DEAD)),
        last=Max("delivered_at"),
    )
    return {
        "synced": rows["pending"] == 0 and rows["dead"] == 0,
        "pending": rows["pending"],
        "dead": rows["dead"],
        "last_delivered_at": rows["last"],
    }


def synced_share_by_agency() -> list[dict]:
    """Per handling agency: dossiers with national-portal messages, those fully synced, the share (%).
    One aggregate query."""
    rows = (
        OutboxMessage.objects.filter(receiver=NATIONAL_PORTAL)
        .values("dossier__agency__code", "dossier__agency__name")
        .annotate(
            dossiers=Count("dossier", distinct=True),
            unsynced=Count("dossier", distinct=True, filter=~Q(status=MessageStatus.DELIVERED)),
        )
        .order_by("dossier__agency__code")
    )
    out = []
    for r in rows:
        synced = r["dossiers"] - r["unsynced"]
        out.append(
            {
                "agency": r["dossier__agency__code"],
                "name": r["dossier__agency__name"],
                "dossiers": r["dossiers"],
                "synced": synced,
                "share": round(100 * synced / r["dossiers"], 1) if r["dossiers"] else 100.0,
            }
        )
    return out
