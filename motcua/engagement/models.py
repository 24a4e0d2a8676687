"""Queue at the one-stop desk (xếp hàng lấy số): service groups, tickets, their event history and
the gap-free daily ticket sequence.

Nothing outside ``engagement.services`` writes these tables: every state change of a ticket is one
service call in one transaction that writes its ``TicketEvent`` too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from motcua.org.models import Counter, Desk

from .states import PRIORITY_RANK, Priority, Status


class ServiceGroup(models.Model):
    """A queue of a desk (nhóm dịch vụ), e.g. "A – Hộ tịch, chứng thực", serving some fields.

    A group with no fields takes every procedure; a counter serves a group when they share a
    field or either of them has none (``services.groups_served_by``).
    """

    desk = models.ForeignKey(
        Desk, on_delete=models.CASCADE, related_name="service_groups", verbose_name="bộ phận một cửa"
    )
    letter = models.CharField(
        "chữ cái đầu số", max_length=2, help_text="Tiền tố của số thứ tự, ví dụ A → A012 (chữ in hoa)."
    )
    name = models.CharField("tên nhóm", max_length=255)
    fields = models.ManyToManyField("catalog.Field", blank=True, verbose_name="lĩnh vực")
    order = models.PositiveSmallIntegerField("thứ tự hiển thị", default=0)
    active = models.BooleanField("đang hoạt động", default=True)

    class Meta:
        ordering = ["desk", "order", "letter"]
        constraints = [models.UniqueConstraint(fields=["desk", "letter"], name="queue_group_desk_letter")]
        verbose_name = "nhóm dịch vụ (xếp hàng)"
        verbose_name_plural = "nhóm dịch vụ (xếp hàng)"

    def __str__(self) -> str:
        return f"{self.letter} – {self.name}"

    def save(self, *args, **kwargs):
        self.letter = self.letter.strip().upper()
        super().save(*args, **kwargs)


class TicketSequence(models.Model):
    """Last number issued by ``desk`` for ``group`` on ``day``: the upsert in ``services`` locks the
    row until the issuing transaction ends, so numbers are unique and a rollback leaves no gap."""

    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(ServiceGroup, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["desk", "group", "day"], name="queue_seq_desk_group_day")]

    def __str__(self) -> str:
        return f"{self.desk_id}/{self.group_id} {self.day:%d/%m/%Y}: {self.last}"


class Ticket(models.Model):
    """A queue ticket (số thứ tự) for one visit, or its continuation after a transfer."""

    desk = models.ForeignKey(Desk, on_delete=models.PROTECT, related_name="tickets", verbose_name="bộ phận một cửa")
    group = models.ForeignKey(
        ServiceGroup, on_delete=models.PROTECT, related_name="tickets", verbose_name="nhóm dịch vụ"
    )
    day = models.DateField("ngày")  # local date (Asia/Ho_Chi_Minh) of issue
    number = models.PositiveIntegerField("số thứ tự")
    code = models.CharField("số hiển thị", max_length=12)
    priority = models.CharField("ưu tiên", max_length=12, choices=Priority.choices, default=Priority.NONE)
    rank = models.PositiveSmallIntegerField("thứ tự ưu tiên", default=1, editable=False)
    status = models.CharField("trạng thái", max_length=12, choices=Status.choices, default=Status.WAITING)
    issued_at = models.DateTimeField("thời điểm lấy số")  # keeps its place after a transfer
    queued_at = models.DateTimeField("thời điểm vào hàng chờ")  # issue, or transfer to this queue
    called_at = models.DateTimeField("thời điểm gọi số", null=True, blank=True)
    last_called_at = models.DateTimeField("thời điểm gọi gần nhất", null=True, blank=True)
    served_at = models.DateTimeField("thời điểm bắt đầu tiếp nhận", null=True, blank=True)
    finished_at = models.DateTimeField("thời điểm kết thúc", null=True, blank=True)
    target_counter = models.ForeignKey(
        Counter,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="chuyển đến quầy",
    )
    counter = models.ForeignKey(
        Counter, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets", verbose_name="quầy"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="queue_tickets",
        verbose_name="cán bộ",
    )
    recall_count = models.PositiveSmallIntegerField("số lần gọi lại", default=0)
    transferred_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transferred_to",
        verbose_name="chuyển từ số",
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="queue_tickets",
        verbose_name="hồ sơ đã tiếp nhận",
    )
    # Measurements in seconds, stored when they become known so reports aggregate plain integers
    # the same way on SQLite and PostgreSQL.
    wait_seconds = models.PositiveIntegerField("thời gian chờ (giây)", null=True, blank=True)
    service_seconds = models.PositiveIntegerField("thời gian phục vụ (giây)", null=True, blank=True)
    intake_seconds = models.PositiveIntegerField("thời gian tiếp nhận hồ sơ (giây)", null=True, blank=True)

    class Meta:
        ordering = ["-day", "rank", "issued_at", "id"]
        verbose_name = "số thứ tự"
        verbose_name_plural = "số thứ tự"
        constraints = [
            # A transfer continues the same number, so only original tickets are unique.
            models.UniqueConstraint(
                fields=["desk", "group", "day", "number"],
                condition=Q(transferred_from__isnull=True),
                name="queue_ticket_number_unique",
            )
        ]
        indexes = [
            # The queue: waiting tickets of a desk today, priority first, then by issue time.
            models.Index(fields=["desk", "day", "status", "rank", "issued_at", "id"], name="queue_ticket_queue"),
            models.Index(fields=["counter", "status"], name="queue_ticket_counter"),
            models.Index(fields=["day", "desk"], name="queue_ticket_day"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.day:%d/%m/%Y})"

    def save(self, *args, **kwargs):
        self.rank = PRIORITY_RANK[Priority(self.priority)]
        super().save(*args, **kwargs)

    @property
    def is_priority(self) -> bool:
        return self.priority != Priority.NONE

    @property
    def wait_minutes(self) -> int | None:
        return None if self.wait_seconds is None else round(self.wait_seconds / 60)


class TicketEvent(models.Model):
    """Append-only history of a ticket: one row per state change (never updated or deleted)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", verbose_name="số thứ tự")
    action = models.CharField("thao tác", max_length=20)
    at = models.DateTimeField("thời điểm")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="người thực hiện",
    )
    counter = models.ForeignKey(
        Counter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="quầy"
    )
    from_status = models.CharField("trạng thái trước", max_length=12, blank=True)
    to_status = models.CharField("trạng thái sau", max_length=12)
    payload = models.JSONField("dữ liệu", default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "lịch sử số thứ tự"
        verbose_name_plural = "lịch sử số thứ tự"

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action} {self.at:%d/%m/%Y %H:%M}"
