"""The outbox (every dossier event another system must hear about, written in the event's own
transaction) and the webhook subscriptions of other systems."""

from __future__ import annotations

import secrets

from django.db import models

NATIONAL_PORTAL = "national_portal"


def new_secret() -> str:
    return secrets.token_hex(32)


class Subscription(models.Model):
    """Another system (LGSP, a specialized system) subscribed to dossier events, optionally only of
    some agencies, procedures or actions (empty: all). Payloads are signed with ``secret``."""

    name = models.CharField("hệ thống nhận", max_length=200)
    url = models.URLField("địa chỉ nhận (URL)", max_length=1000)
    secret = models.CharField("khóa ký (HMAC-SHA256)", max_length=128, default=new_secret)
    agencies = models.ManyToManyField(
        "org.Agency", blank=True, related_name="+", verbose_name="chỉ hồ sơ của các cơ quan (để trống: tất cả)"
    )
    procedures = models.JSONField("chỉ các thủ tục (mã; để trống: tất cả)", default=list, blank=True)
    actions = models.JSONField("chỉ các thao tác (để trống: tất cả)", default=list, blank=True)
    active = models.BooleanField("đang hoạt động", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "đăng ký nhận sự kiện (webhook)"
        verbose_name_plural = "đăng ký nhận sự kiện (webhook)"

    def __str__(self) -> str:
        return self.name

    @property
    def receiver(self) -> str:
        return f"webhook:{self.pk}"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Chờ gửi"
    DELIVERED = "delivered", "Đã gửi"
    DEAD = "dead", "Lỗi, ngừng gửi (chờ xử lý)"


class OutboxMessage(models.Model):
    """One event for one receiver. Delivered in ``seq`` order per (receiver, dossier), at least once,
    with the idempotency key ``key`` (a receiver that honours it sees each event exactly once)."""

    receiver = models.CharField("nơi nhận", max_length=60)  # "national_portal" | "webhook:<id>"
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey("dossiers.Event", on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveIntegerField("thứ tự trong hồ sơ")
    key = models.CharField("khóa chống trùng (Idempotency-Key)", max_length=100, unique=True)
    payload = models.JSONField("nội dung", default=dict)  # built when the event is written (a snapshot)
    status = models.CharField("trạng thái", max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveIntegerField("số lần gửi", default=0)
    next_attempt_at = models.DateTimeField("gửi lần tới")
    lease_until = models.DateTimeField(null=True, blank=True)  # a worker holds it until then
    lease_token = models.CharField(max_length=32, blank=True)
    last_error = models.CharField("lỗi gần nhất", max_length=1000, blank=True)
    created_at = models.DateTimeField("thời điểm tạo")
    delivered_at = models.DateTimeField("thời điểm gửi thành công", null=True, blank=True)

    class Meta:
        verbose_name = "thông điệp gửi đi"
        verbose_name_plural = "hộp thư gửi đi (outbox)"
        constraints = [models.UniqueConstraint(fields=["receiver", "dossier", "seq"], name="outbox_order")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["dossier", "receiver", "status"], name="outbox_dossier"),
        ]

    def __str__(self) -> str:
        return self.key


class ExternalSystem(models.Model):
    """A specialized system (civil status, residence, land, tax, social insurance…) that does the
    processing of some procedures: their dossiers are handed to it when transferred for processing,
    and it sends the decision back (``POST /api/v1/external-tasks/<token>/result``, signed)."""

    code = models.SlugField("mã hệ thống", max_length=40, unique=True)
    name = models.CharField("tên hệ thống", max_length=200)
    url = models.URLField("địa chỉ nhận hồ sơ (URL)", max_length=1000)
    secret = models.CharField("khóa ký (HMAC-SHA256, cả hai chiều)", max_length=128, default=new_secret)
    procedures = models.JSONField("các thủ tục do hệ thống này giải quyết (mã)", default=list)
    active = models.BooleanField("đang hoạt động", default=True)

    class Meta:
        verbose_name = "hệ thống chuyên ngành"
        verbose_name_plural = "hệ thống chuyên ngành"

    def __str__(self) -> str:
        return self.name

    @property
    def receiver(self) -> str:
        return f"system:{self.code}"


class TaskStatus(models.TextChoices):
    SENT = "sent", "Đã chuyển, chờ kết quả"
    DONE = "done", "Đã có kết quả"


class ExternalTask(models.Model):
    """One dossier handed to a specialized system; ``token`` addresses its answer."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="external_tasks")
    system = models.ForeignKey(ExternalSystem, on_delete=models.PROTECT, related_name="tasks")
    token = models.CharField(max_length=64, unique=True, default=new_secret)
    status = models.CharField("trạng thái", max_length=10, choices=TaskStatus.choices, default=TaskStatus.SENT)
    result = models.JSONField("kết quả nhận về", default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "hồ sơ chuyển hệ thống chuyên ngành"
        verbose_name_plural = "hồ sơ chuyển hệ thống chuyên ngành"
        constraints = [models.UniqueConstraint(fields=["dossier", "system"], name="one_task_per_system")]

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.system_id}"
