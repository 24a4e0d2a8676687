"""Staff page "Tình trạng kết nối hệ thống quốc gia" (/can-bo/he-thong/): for each national system the last
success and the last failure we know of, and the work waiting for it (dossiers not verified, outbox
messages, payments awaiting confirmation, notifications to send, background retries).

Everything comes from aggregates over small, indexed sets — never a scan of a large table:

* population DB / business registry: ``Dossier`` index ``dossier_identity`` (identity_status,
  applicant_type, identity_checked_at): the not-verified count and MAX(identity_checked_at) per outcome;
* national portal: ``OutboxMessage`` index ``outbox_due`` (status, next_attempt_at) for pending/dead
  messages (few), the newest delivered message by primary key;
* payment gateway: ``Payment`` payments of the last 7 days (index on created_at) awaiting confirmation,
  the newest paid payment by primary key;
* SMS gateway: ``Notification`` index ``notification_status`` (status, created_at) for pending and
  failed ones, the newest sent one by primary key;
* background retries: ready rows of the database task queue (its partial index on status READY).

This page reads only what we recorded; it does not call the national systems (an outage shows here as
failures and growing queues, within the next attempt).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.shortcuts import render
from django.utils import timezone

PAYMENT_WINDOW_DAYS = 7


@dataclass
class SystemState:
    code: str
    name: str
    last_success: dt.datetime | None = None
    last_failure: dt.datetime | None = None
    last_error: str = ""
    queues: list[tuple[str, int]] = field(default_factory=list)
    retries: int | None = None
    next_retry: dt.datetime | None = None
    failing: bool = False  # work is waiting after a failed attempt

    @property
    def status(self) -> str:
        """ok | degraded | unknown, from the recorded outcomes and the queues."""
        if self.failing or (self.last_failure and (not self.last_success or self.last_failure >= self.last_success)):
            return "degraded"
        return "ok" if self.last_success else "unknown"

    @property
    def status_label(self) -> str:
        return {
            "ok": "Hoạt động bình thường",
            "degraded": "Gián đoạn — đang chờ thử lại",
            "unknown": "Chưa có dữ liệu",
        }[self.status]


def _ready_tasks(task_name: str) -> int | None:
    """Ready (queued) runs of a background task in the database queue; None with another backend."""
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    if "django_tasks_db" not in backend:
        return None
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status="READY", task_path__endswith=f".{task_name}").count()


def _identity(code: str, name: str, applicant_type: str) -> SystemState:
    from motcua.dossiers.models import Dossier, IdentityStatus

    s = SystemState(code, name)
    base = Dossier.objects.filter(applicant_type=applicant_type, identity_checked_at__isnull=False)
    successes = [
        base.filter(identity_status=status).aggregate(at=Max("identity_checked_at"))["at"]
        for status in (IdentityStatus.VERIFIED, IdentityStatus.MISMATCH, IdentityStatus.NOT_FOUND)
    ]
    s.last_success = max((x for x in successes if x), default=None)
    failed = Dossier.objects.filter(applicant_type=applicant_type, identity_status=IdentityStatus.NOT_VERIFIED)
    s.last_failure = failed.filter(identity_checked_at__isnull=False).aggregate(at=Max("identity_checked_at"))["at"]
    s.queues = [("Hồ sơ chưa đối chiếu được (chờ đối chiếu lại)", failed.count())]
    s.failing = bool(s.queues[0][1]) and bool(s.last_failure) and s.last_failure >= (s.last_success or s.last_failure)
    s.retries = _ready_tasks("verify_applicant_task")
    if s.last_failure:
        s.last_error = "Hệ thống không phản hồi khi đối chiếu định danh."
    return s


def _national_portal() -> SystemState:
    from motcua.integration.models import MessageStatus, OutboxMessage

    s = SystemState("national_portal", "Cổng Dịch vụ công quốc gia (đồng bộ trạng thái hồ sơ)")
    mine = OutboxMessage.objects.filter(receiver="national_portal")
    s.last_success = (
        mine.filter(status=MessageStatus.DELIVERED).order_by("-pk").values_list("delivered_at", flat=True).first()
    )
    pending = mine.filter(status=MessageStatus.PENDING)
    s.queues = [
        ("Thông điệp chờ gửi", pending.count()),
        ("Thông điệp lỗi, cần xử lý (dead letter)", mine.filter(status=MessageStatus.DEAD).count()),
    ]
    failing = (
        mine.filter(status__in=[MessageStatus.PENDING, MessageStatus.DEAD], attempts__gt=0)
        .order_by("-next_attempt_at")
        .values("last_error", "next_attempt_at")
        .first()
    )
    if failing:
        s.last_error = failing["last_error"]
        s.next_retry = pending.filter(attempts__gt=0).aggregate(at=Max("next_attempt_at"))["at"]
        s.failing = True
    return s


def _payments() -> SystemState:
    from motcua.payments.models import Payment, PaymentStatus

    s = SystemState("payment", "Nền tảng thanh toán trực tuyến (Cổng DVC quốc gia)")
    s.last_success = (
        Payment.objects.filter(status=PaymentStatus.PAID).order_by("-pk").values_list("paid_at", flat=True).first()
    )
    since = timezone.now() - dt.timedelta(days=PAYMENT_WINDOW_DAYS)
    waiting = Payment.objects.filter(created_at__gte=since, status=PaymentStatus.PENDING).count()
    s.queues = [(f"Giao dịch chờ xác nhận ({PAYMENT_WINDOW_DAYS} ngày gần nhất)", waiting)]
    s.retries = _ready_tasks("reconcile_task")
    return s


def _sms() -> SystemState:
    from motcua.engagement.models import Notification, NotificationChannel, NotificationStatus

    s = SystemState("sms", "Cổng tin nhắn SMS")
    sms = Notification.objects.filter(channel=NotificationChannel.SMS)
    s.last_success = (
        sms.filter(status=NotificationStatus.SENT).order_by("-pk").values_list("sent_at", flat=True).first()
    )
    since = timezone.now() - dt.timedelta(hours=settings.NOTIFICATION_MAX_AGE_HOURS)
    failed = sms.filter(status=NotificationStatus.FAILED, created_at__gte=since)
    last = failed.order_by("-created_at").values("last_attempt_at", "last_error").first()
    if last:
        s.last_failure, s.last_error = last["last_attempt_at"], last["last_error"]
        s.failing = failed.filter(attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS).exists()
    s.queues = [
        ("Tin nhắn chờ gửi", sms.filter(status=NotificationStatus.PENDING, created_at__gte=since).count()),
        ("Tin nhắn gửi lỗi (sẽ thử lại)", failed.filter(attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS).count()),
    ]
    s.retries = _ready_tasks("deliver_task")
    return s


def system_states() -> list[SystemState]:
    return [
        _identity("population", "Cơ sở dữ liệu quốc gia về dân cư", "citizen"),
        _identity("business", "Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp", "organization"),
        _national_portal(),
        _payments(),
        _sms(),
    ]


def _is_staff(user) -> bool:
    return user.is_superuser or user.memberships.filter(active=True).exists()


@login_required
def system_status(request):
    if not _is_staff(request.user):
        raise PermissionDenied("Trang này chỉ dành cho cán bộ.")
    return render(request, "backoffice/system.html", {"systems": system_states(), "now": timezone.localtime()})
