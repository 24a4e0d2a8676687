"""Notifications to the applicant: email (Django mail; console in development) and SMS (the SMS
gateway adapter below; ``simulators.sms`` in development and tests).

Flow: ``dossiers.services`` saves an event whose action is in ``NOTIFY_ACTIONS`` → on commit,
``notify_on_commit`` → ``queue_for_event(event_id)`` writes one outbox row (``Notification``) per
channel — pending, or skipped with the reason (channel turned off in the applicant's
``NotificationPreference``, no contact, invalid phone) — and enqueues ``deliver_task`` for each
pending row → ``deliver(notification_id)`` sends it (sent / failed; a failed row is retried by
re-enqueueing with ``run_after`` up to ``NOTIFICATION_MAX_ATTEMPTS``).

Idempotency: one row per (event, channel) (unique constraint); a row is sent at most once by us
(sent/skipped rows are never sent again; a worker claims an attempt with a conditional update) and
the SMS gateway de-duplicates by the idempotency key ``notification-<id>-<row key>``.

Texts are Django templates in ``engagement/notifications/<template>.{subject,email,sms}.txt``: the
SMS is at most ``SMS_MAX_CHARS`` (160) characters with the dossier code and the tracking URL (a long
reason is shortened there, the email has it in full); dates are dd/mm/yyyy (Vietnam time).

Settings (read with defaults): ``SMS_GATEWAY_URL`` (http://127.0.0.1:8105), ``SMS_GATEWAY_API_KEY``
(motcua-sim), ``SMS_GATEWAY_TIMEOUT`` (5.0 s per attempt), ``SMS_GATEWAY_RETRIES`` (2, on connection
errors / timeouts / 5xx, backoff 0.2 s), ``NOTIFICATION_MAX_ATTEMPTS`` (5), ``NOTIFICATION_RETRY_DELAYS``
(seconds before attempt 2, 3, …: 60, 300, 900, 3600), ``NOTIFICATION_MAX_AGE_HOURS`` (48: events older
than this — back-dated imports, demo data — notify nobody), ``DEFAULT_FROM_EMAIL``, ``MOTCUA_PUBLIC_URL``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass

import requests
from django import forms
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import task

from motcua.common.http import SessionPool

from .models import Notification, NotificationChannel, NotificationPreference, NotificationStatus

logger = logging.getLogger(__name__)

Channel = NotificationChannel
Status = NotificationStatus

SMS_MAX_CHARS = 160
TEMPLATE_DIR = "engagement/notifications"
DEFAULT_SMS_URL = "http://127.0.0.1:8105"
DEFAULT_SMS_KEY = "motcua-sim"
DEFAULT_RETRY_DELAYS = (60, 300, 900, 3600)


def _setting(name: str, default):
    return getattr(settings, name, default)


# ------------------------------------------------------------------------------------------------
# Which events notify, with which template (data)
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    code: str  # Notification.kind
    label: str
    template: str  # engagement/notifications/<template>.{subject,email,sms}.txt


RECEIVED = Kind("received", "Đã tiếp nhận hồ sơ", "received")
SUPPLEMENT = Kind("supplement_requested", "Yêu cầu bổ sung, hoàn thiện hồ sơ", "supplement_requested")
RESULT_READY = Kind("result_ready", "Đã có kết quả", "result_ready")
LATE = Kind("late", "Xin lỗi và hẹn lại ngày trả kết quả", "late")

KINDS: dict[str, Kind] = {
    "receive": RECEIVED,  # received at the counter (create_dossier)
    "accept": RECEIVED,  # an online submission accepted by the desk
    "request_supplement": SUPPLEMENT,
    "deliver": RESULT_READY,  # the result is at the one-stop desk, ready to be returned
    "apologize": LATE,  # late: the apology with the new due date and the reason
}
NOTIFY_ACTIONS = frozenset(KINDS)
CHANNELS = (Channel.EMAIL, Channel.SMS)


# ------------------------------------------------------------------------------------------------
# SMS gateway adapter
# ------------------------------------------------------------------------------------------------
class SmsError(Exception):
    """The gateway refused the message (4xx): retrying will not help. ``str()`` is Vietnamese."""


class SmsUnavailable(SmsError):
    """Down, timing out or answering 5xx: try again later."""


class SmsGateway:
    """``POST {SMS_GATEWAY_URL}/api/v1/messages`` with a bearer key; a pooled session per thread,
    a timeout per attempt and retries with backoff (POST included: the gateway de-duplicates by
    the idempotency key)."""

    LABEL = "Hệ thống gửi tin nhắn SMS"

    def __init__(self) -> None:
        self._sessions = SessionPool()

    @property
    def base_url(self) -> str:
        return str(_setting("SMS_GATEWAY_URL", DEFAULT_SMS_URL)).rstrip("/")

    def _session(self) -> requests.Session:
        retries = int(_setting("SMS_GATEWAY_RETRIES", 2))
        key = (self.base_url, retries)
        # POST too: the gateway de-duplicates by the idempotency key.
        return self._sessions.get(key, retries=retries, methods=("GET", "POST"), backoff=0.2, pool=8)

    def send(self, phone: str, text: str, idempotency_key: str) -> str:
        """Send one SMS; returns the gateway's message id (the same id for the same key)."""
        try:
            response = self._session().post(
                f"{self.base_url}/api/v1/messages",
                json={"to": phone, "text": text, "idempotency_key": idempotency_key},
                headers={
                    "Authorization": f"Bearer {_setting('SMS_GATEWAY_API_KEY', DEFAULT_SMS_KEY)}",
                    "Accept": "application/json",
                },
                timeout=float(_setting("SMS_GATEWAY_TIMEOUT", 5.0)),
            )
        except requests.RequestException as exc:
            logger.warning("SMS gateway unreachable: %s", exc.__class__.__name__)
            raise SmsUnavailable(f"{self.LABEL} không phản hồi (hết thời gian chờ hoặc mất kết nối).") from None
        if response.status_code >= 500:
            raise SmsUnavailable(f"{self.LABEL} đang gặp sự cố (mã lỗi {response.status_code}).")
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code not in (200, 201, 202):
            message = str(body.get("message", "")) if isinstance(body, dict) else ""
            raise SmsError(f"{self.LABEL} từ chối tin nhắn (mã lỗi {response.status_code}). {message}".strip())
        if not isinstance(body, dict) or not body.get("id"):
            raise SmsUnavailable(f"{self.LABEL} trả lời không đúng định dạng.")
        return str(body["id"])


_gateway = SmsGateway()


def sms_gateway() -> SmsGateway:
    return _gateway


# ------------------------------------------------------------------------------------------------
# Preferences
# ------------------------------------------------------------------------------------------------
def preferences(id_number: str) -> NotificationPreference:
    """The applicant's choice (an unsaved default with both channels on when none was recorded)."""
    found = NotificationPreference.objects.filter(id_number=id_number).first() if id_number else None
    return found or NotificationPreference(id_number=id_number or "")


def set_preferences(id_number: str, *, email: bool | None = None, sms: bool | None = None) -> NotificationPreference:
    """Record a person's channels (None = leave as is); returns the saved preference."""
    id_number = (id_number or "").strip()
    if not id_number:
        raise ValueError("Thiếu số định danh cá nhân.")
    with transaction.atomic():
        pref, _ = NotificationPreference.objects.select_for_update().get_or_create(id_number=id_number)
        if email is not None:
            pref.email_enabled = bool(email)
        if sms is not None:
            pref.sms_enabled = bool(sms)
        pref.save()
    return pref


class PreferenceForm(forms.Form):
    """The citizen's account page (or the desk) edits the two switches with this form."""

    email_enabled = forms.BooleanField(label="Nhận thông báo qua thư điện tử", required=False)
    sms_enabled = forms.BooleanField(label="Nhận thông báo qua tin nhắn SMS", required=False)

    @classmethod
    def for_person(cls, id_number: str, data=None) -> PreferenceForm:
        pref = preferences(id_number)
        return cls(data=data, initial={"email_enabled": pref.email_enabled, "sms_enabled": pref.sms_enabled})

    def save(self, id_number: str) -> NotificationPreference:
        return set_preferences(
            id_number, email=self.cleaned_data["email_enabled"], sms=self.cleaned_data["sms_enabled"]
        )


# ------------------------------------------------------------------------------------------------
# Texts
# ------------------------------------------------------------------------------------------------
_PHONE = re.compile(r"(?:\+?84|0)(\d{9})")


def normalize_phone(value: str) -> str | None:
    """A Vietnamese mobile number as ``0xxxxxxxxx`` (spaces, dots, dashes and +84/84 accepted), else None."""
    compact = re.sub(r"[\s.\-()]", "", value or "")
    match = _PHONE.fullmatch(compact)
    return f"0{match.group(1)}" if match else None


def _component_names(d, codes) -> list[str]:
    names = dict(d.components.filter(code__in=list(codes)).values_list("code", "name"))
    return [f"{names[c]} ({c})" if c in names else str(c) for c in codes]


def context_for(event) -> dict:
    """Template context of an event's notification (every date dd/mm/yyyy, Vietnam time)."""
    from motcua.dossiers.models import ReturnChannel
    from motcua.dossiers.slips import fmt_date, fmt_datetime, tracking_url
    from motcua.payments.fees import format_vnd

    d = event.dossier
    payload = event.payload or {}
    due = d.due_at
    if payload.get("due_at"):
        due = dt.datetime.fromisoformat(payload["due_at"])
    new_due = dt.datetime.fromisoformat(payload["new_due"]) if payload.get("new_due") else None
    old_due = dt.datetime.fromisoformat(payload["old_due"]) if payload.get("old_due") else None
    missing = _component_names(d, payload.get("missing") or []) + [str(i) for i in payload.get("items") or []]
    return {
        "name": d.applicant_name,
        "code": d.code,
        "procedure": d.version.name,
        "agency": d.agency.name,
        "desk": d.desk.name,
        "desk_address": d.desk.address,
        "received_at": fmt_datetime(d.received_at),
        "due": fmt_datetime(due),
        "due_date": fmt_date(due),
        "old_due": fmt_datetime(old_due),
        "new_due": fmt_datetime(new_due),
        "new_due_date": fmt_date(new_due),
        "reason": (event.reason or "").strip(),
        "missing": missing,
        "actor": event.actor_name,
        "event_at": fmt_datetime(event.at),
        "outcome": d.outcome,
        "outcome_reason": d.outcome_reason,
        "return_code": d.return_channel,
        "return_channel": ReturnChannel(d.return_channel).label if d.return_channel in ReturnChannel.values else "",
        "url": tracking_url(d.code),
        # Received but waiting for the fees (the procedure is paid before processing): no due date yet.
        "awaiting_fee": event.to_state == "awaiting_fee",
        "fee": format_vnd(d.fee_amount),
    }


def _render(name: str, context: dict) -> str:
    return render_to_string(f"{TEMPLATE_DIR}/{name}", context)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def sms_text(kind: Kind, context: dict) -> str:
    """The SMS of ``kind``, at most ``SMS_MAX_CHARS`` characters: a long reason is shortened with "…"."""
    text = " ".join(_render(f"{kind.template}.sms.txt", context).split())
    reason = context.get("reason") or ""
    if len(text) > SMS_MAX_CHARS and reason:
        keep = max(len(reason) - (len(text) - SMS_MAX_CHARS) - 1, 0)
        cut = reason[:keep]
        if " " in cut and not reason[keep : keep + 1].isspace():
            cut = cut.rsplit(" ", 1)[0]  # end on a whole word
        short = cut.rstrip(" ,.;:") + "…"
        text = " ".join(_render(f"{kind.template}.sms.txt", {**context, "reason": short}).split())
        text = text.replace("….", "…")
    if len(text) > SMS_MAX_CHARS:  # a very long public URL: keep the start, never exceed
        text = text[: SMS_MAX_CHARS - 1] + "…"
    return text


def email_text(kind: Kind, context: dict) -> tuple[str, str]:
    subject = " ".join(_render(f"{kind.template}.subject.txt", context).split())
    return subject[:255], _tidy(_render(f"{kind.template}.email.txt", context))


# ------------------------------------------------------------------------------------------------
# Queueing
# ------------------------------------------------------------------------------------------------
def notify_on_commit(*events) -> None:
    """Called by ``dossiers.services`` with the events it saved: the ones that notify are queued
    once the transaction commits (a failure there is logged, never breaks the dossier action)."""
    for event in events:
        if event is not None and event.action in NOTIFY_ACTIONS and event.pk:
            transaction.on_commit(lambda pk=event.pk: queue_for_event(pk), robust=True)


def _recipient(channel: str, d, pref: NotificationPreference) -> tuple[str, str]:
    """(recipient, reason it is skipped or "")."""
    if channel == Channel.EMAIL:
        address = (d.applicant_email or "").strip()
        if not pref.email_enabled:
            return address, "Người nộp đã tắt nhận thông báo qua thư điện tử."
        return (address, "") if address else ("", "Hồ sơ không có địa chỉ thư điện tử của người nộp.")
    raw = (d.applicant_phone or "").strip()
    if not pref.sms_enabled:
        return raw, "Người nộp đã tắt nhận thông báo qua SMS."
    if not raw:
        return "", "Hồ sơ không có số điện thoại của người nộp."
    phone = normalize_phone(raw)
    return (phone, "") if phone else (raw, f"Số điện thoại {raw} không phải số di động hợp lệ.")


def queue_for_event(event_id: int, *, now: dt.datetime | None = None) -> list[Notification]:
    """The outbox rows of one event (created once per channel; existing rows are returned as they
    are) and a ``deliver_task`` for each new pending row. Events that do not notify → []."""
    from motcua.dossiers.models import Event

    event = (
        Event.objects.select_related("dossier__version", "dossier__agency", "dossier__desk").filter(pk=event_id).first()
    )
    kind = KINDS.get(event.action) if event is not None else None
    if kind is None:
        return []
    now = now or timezone.now()
    if event.at < now - dt.timedelta(hours=float(_setting("NOTIFICATION_MAX_AGE_HOURS", 48))):
        return []
    existing = {n.channel: n for n in Notification.objects.filter(event=event)}
    if len(existing) == len(CHANNELS):
        return [existing[c] for c in CHANNELS]
    d = event.dossier
    pref = preferences(d.applicant_id_number)
    context = context_for(event)
    rows = []
    for channel in CHANNELS:
        if channel in existing:
            rows.append(existing[channel])
            continue
        recipient, skipped = _recipient(channel, d, pref)
        if channel == Channel.EMAIL:
            subject, body = email_text(kind, context)
        else:
            subject, body = "", sms_text(kind, context)
        row = Notification(
            dossier=d,
            event=event,
            kind=kind.code,
            channel=channel,
            recipient=recipient[:255],
            subject=subject,
            body=body,
            status=Status.SKIPPED if skipped else Status.PENDING,
            last_error=skipped,
            created_at=now,
        )
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:  # queued concurrently for the same event and channel
            rows.append(Notification.objects.get(event=event, channel=channel))
            continue
        if row.status == Status.PENDING:
            transaction.on_commit(lambda pk=row.pk: deliver_task.enqueue(pk))
        rows.append(row)
    return rows


def requeue(notification_ids: Iterable[int]) -> int:
    """Send failed rows again (the admin's action): attempts start over. Returns how many."""
    ids = list(
        Notification.objects.filter(pk__in=list(notification_ids), status=Status.FAILED).values_list("pk", flat=True)
    )
    Notification.objects.filter(pk__in=ids).update(status=Status.PENDING, attempts=0)
    for pk in ids:
        transaction.on_commit(lambda pk=pk: deliver_task.enqueue(pk))
    return len(ids)


# ------------------------------------------------------------------------------------------------
# Delivery
# ------------------------------------------------------------------------------------------------
def max_attempts() -> int:
    return int(_setting("NOTIFICATION_MAX_ATTEMPTS", 5))


def retry_delay(attempt: int) -> int:
    """Seconds to wait after failed attempt ``attempt`` (1-based)."""
    delays = list(_setting("NOTIFICATION_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)) or [60]
    return int(delays[min(attempt, len(delays)) - 1])


def idempotency_key(n: Notification) -> str:
    """The gateway's de-duplication key of a row: its id, plus its random key (ids are reused after
    a database reset while the gateway remembers)."""
    return f"notification-{n.pk}-{n.key.hex[:16]}"


def deliver(notification_id: int, *, now: dt.datetime | None = None) -> str:
    """Send one outbox row now; returns its status. Sent and skipped rows are left alone; a
    failure is recorded and, while attempts remain and it may pass later, retried with a delay."""
    now = now or timezone.now()
    n = Notification.objects.filter(pk=notification_id).first()
    if n is None:
        return ""
    if n.status not in (Status.PENDING, Status.FAILED) or n.attempts >= max_attempts():
        return n.status
    # Claim this attempt: of two workers holding the same row, only one gets it.
    claimed = Notification.objects.filter(pk=n.pk, status=n.status, attempts=n.attempts).update(
        attempts=F("attempts") + 1, last_attempt_at=now
    )
    if not claimed:
        return Notification.objects.values_list("status", flat=True).get(pk=n.pk)
    n.attempts += 1
    retry = False
    try:
        if n.channel == Channel.EMAIL:
            send_mail(n.subject, n.body, settings.DEFAULT_FROM_EMAIL, [n.recipient], fail_silently=False)
            provider_id = ""
        else:
            provider_id = sms_gateway().send(n.recipient, n.body, idempotency_key(n))
    except SmsUnavailable as exc:
        error, retry = str(exc), True
    except SmsError as exc:
        error = str(exc)
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("mail to %s failed: %s", n.recipient, exc.__class__.__name__)
        error, retry = f"Không gửi được thư điện tử ({exc.__class__.__name__}: {exc}).", True
    else:
        Notification.objects.filter(pk=n.pk).update(
            status=Status.SENT, sent_at=timezone.now(), provider_id=provider_id, last_error=""
        )
        return Status.SENT
    if retry and n.attempts < max_attempts():
        error += f" Sẽ thử lại (lần {n.attempts + 1}/{max_attempts()})."
        run_after = now + dt.timedelta(seconds=retry_delay(n.attempts))
        transaction.on_commit(lambda: deliver_task.using(run_after=run_after).enqueue(n.pk))
    Notification.objects.filter(pk=n.pk).update(status=Status.FAILED, last_error=error[:2000])
    return Status.FAILED


@task()
def deliver_task(notification_id: int) -> str:
    return deliver(notification_id)
