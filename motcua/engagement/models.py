"""Citizen engagement at the one-stop desk and around it.

* Queue (xếp hàng lấy số): service groups, tickets, their event history and the gap-free daily
  ticket sequence — written by ``engagement.services`` only.
* Appointments (đặt lịch hẹn): slot rules per desk / service group, the booked count of each slot,
  appointments and their history — written by ``engagement.appointments`` only.
* Citizen evaluation of a returned dossier (đánh giá) — ``engagement.ratings``.
* Feedback and complaints (phản ánh, kiến nghị) with their append-only history —
  ``engagement.feedback``.

Every state change is one service call in one transaction that writes its event row too.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from motcua.org.models import Agency, Counter, Desk, StaffMembership
from motcua.org.roles import Role

from .states import (
    ACTIVE_APPOINTMENT_STATUSES,
    PRIORITY_RANK,
    AppointmentStatus,
    FeedbackKind,
    FeedbackStatus,
    Priority,
    Status,
)


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


# ------------------------------------------------------------------------------------------------
# Appointments (đặt lịch hẹn)
# ------------------------------------------------------------------------------------------------
class SlotRule(models.Model):
    """How a desk (or one of its service groups) offers appointments: slot length and how many
    people one slot takes. Slots themselves are generated from the working calendar (working days,
    office hours), never stored in advance; a group without its own rule uses the desk's."""

    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="slot_rules", verbose_name="bộ phận một cửa")
    group = models.ForeignKey(
        ServiceGroup,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="slot_rules",
        verbose_name="nhóm dịch vụ",
        help_text="Để trống: áp dụng cho mọi nhóm dịch vụ chưa có quy định riêng.",
    )
    slot_minutes = models.PositiveSmallIntegerField("độ dài mỗi khung giờ (phút)", default=30)
    capacity = models.PositiveSmallIntegerField("số lượt hẹn tối đa mỗi khung giờ", default=2)
    days_ahead = models.PositiveSmallIntegerField("được đặt trước tối đa (ngày)", default=14)
    active = models.BooleanField("đang nhận đặt lịch", default=True)

    class Meta:
        ordering = ["desk", "group"]
        verbose_name = "quy định đặt lịch hẹn"
        verbose_name_plural = "quy định đặt lịch hẹn"
        constraints = [
            models.UniqueConstraint(fields=["desk", "group"], name="slot_rule_desk_group"),
            models.UniqueConstraint(fields=["desk"], condition=Q(group__isnull=True), name="slot_rule_desk_default"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5, slot_minutes__lte=240), name="slot_rule_minutes"),
        ]

    def __str__(self) -> str:
        scope = f"nhóm {self.group.letter}" if self.group_id else "mọi nhóm"
        return f"{self.desk.code} – {scope}: {self.slot_minutes} phút, {self.capacity} lượt"


class AppointmentSlot(models.Model):
    """The booked count of one slot of a rule. Created on the first booking; the upsert in
    ``appointments._take`` increments it only below the capacity, atomically (row lock on
    PostgreSQL, serialized writers on SQLite), so a slot is never overbooked."""

    rule = models.ForeignKey(SlotRule, on_delete=models.CASCADE, related_name="slots", verbose_name="quy định")
    start = models.DateTimeField("bắt đầu")
    booked = models.PositiveSmallIntegerField("số lượt đã đặt", default=0)

    class Meta:
        ordering = ["start"]
        verbose_name = "khung giờ hẹn"
        verbose_name_plural = "khung giờ hẹn"
        constraints = [models.UniqueConstraint(fields=["rule", "start"], name="appointment_slot_rule_start")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.start:%d/%m/%Y %H:%M}: {self.booked}"


class Appointment(models.Model):
    """A citizen's appointment at a desk (lịch hẹn). At the desk it becomes a priority ticket
    (``appointments.check_in``)."""

    code = models.CharField("mã lịch hẹn", max_length=12, unique=True)
    desk = models.ForeignKey(
        Desk, on_delete=models.PROTECT, related_name="appointments", verbose_name="bộ phận một cửa"
    )
    rule = models.ForeignKey(SlotRule, on_delete=models.PROTECT, related_name="appointments", verbose_name="quy định")
    group = models.ForeignKey(
        ServiceGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointments",
        verbose_name="nhóm dịch vụ",
    )
    procedure_code = models.CharField("mã thủ tục", max_length=40)
    procedure_name = models.CharField("tên thủ tục", max_length=500)
    id_number = models.CharField("số định danh cá nhân", max_length=12, db_index=True)
    full_name = models.CharField("họ và tên", max_length=255)
    phone = models.CharField("số điện thoại", max_length=30, blank=True)
    day = models.DateField("ngày hẹn")  # local date of ``start``
    start = models.DateTimeField("giờ hẹn")
    end = models.DateTimeField("kết thúc khung giờ")
    status = models.CharField(
        "trạng thái", max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    created_at = models.DateTimeField("thời điểm đặt")
    checked_in_at = models.DateTimeField("thời điểm đến", null=True, blank=True)
    ticket = models.OneToOneField(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointment",
        verbose_name="số thứ tự đã cấp",
    )

    class Meta:
        ordering = ["start", "id"]
        verbose_name = "lịch hẹn"
        verbose_name_plural = "lịch hẹn"
        constraints = [
            # One active booking per person, desk and day — also under concurrent requests.
            models.UniqueConstraint(
                fields=["id_number", "desk", "day"],
                condition=Q(status__in=ACTIVE_APPOINTMENT_STATUSES),
                name="appointment_one_per_person_day",
            )
        ]
        indexes = [models.Index(fields=["desk", "day", "status"], name="appointment_desk_day")]

    def __str__(self) -> str:
        return f"{self.code} ({self.start:%d/%m/%Y %H:%M})"


class AppointmentEvent(models.Model):
    """Append-only history of an appointment."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("thao tác", max_length=20)
    at = models.DateTimeField("thời điểm")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField("trạng thái trước", max_length=12, blank=True)
    to_status = models.CharField("trạng thái sau", max_length=12)
    payload = models.JSONField("dữ liệu", default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "lịch sử lịch hẹn"
        verbose_name_plural = "lịch sử lịch hẹn"

    def __str__(self) -> str:
        return f"{self.appointment_id} {self.action} {self.at:%d/%m/%Y %H:%M}"


# ------------------------------------------------------------------------------------------------
# Citizen evaluation (đánh giá mức độ hài lòng)
# ------------------------------------------------------------------------------------------------
class Rating(models.Model):
    """The applicant's evaluation of a returned dossier: one per dossier. ``scores`` maps each
    criterion of ``states.RATING_CRITERIA`` the applicant rated to a level 1–5."""

    dossier = models.OneToOneField(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="rating", verbose_name="hồ sơ"
    )
    id_number = models.CharField("số định danh người đánh giá", max_length=12)
    scores = models.JSONField("đánh giá theo tiêu chí", default=dict, blank=True)
    overall = models.PositiveSmallIntegerField("mức độ hài lòng chung")
    comment = models.TextField("ý kiến khác", blank=True)
    created_at = models.DateTimeField("thời điểm đánh giá")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "đánh giá của công dân"
        verbose_name_plural = "đánh giá của công dân"
        constraints = [models.CheckConstraint(condition=Q(overall__gte=1, overall__lte=5), name="rating_overall_1_5")]
        indexes = [models.Index(fields=["created_at"], name="rating_created")]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.overall}"


# ------------------------------------------------------------------------------------------------
# Feedback and complaints (phản ánh, kiến nghị)
# ------------------------------------------------------------------------------------------------
class FeedbackQuerySet(models.QuerySet):
    def handled_by(self, user) -> FeedbackQuerySet:
        """What ``user`` may handle (assign, answer, publish): feedback about the agencies they
        work in (any active membership); superusers: everything."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        agencies = StaffMembership.objects.filter(user=user, active=True).values("agency_id")
        return self.filter(agency_id__in=agencies)

    def visible_to(self, user) -> FeedbackQuerySet:
        """The access rule for reading: what they handle, plus everything for inspectors and the
        provincial office (oversight); citizens and anonymous users see nothing here."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if StaffMembership.objects.filter(
            user=user, active=True, role__in=[Role.INSPECTOR, Role.CATALOG_ADMIN]
        ).exists():
            return self
        return self.handled_by(user)

    def published(self) -> FeedbackQuerySet:
        return self.filter(status=FeedbackStatus.PUBLISHED)


class Feedback(models.Model):
    """A citizen's report (phản ánh) or proposal (kiến nghị) about an agency's handling of
    administrative procedures. Anonymous senders leave a contact (phone or e-mail)."""

    code = models.CharField("mã phản ánh, kiến nghị", max_length=20, unique=True)
    kind = models.CharField("loại", max_length=12, choices=FeedbackKind.choices)
    id_number = models.CharField("số định danh người gửi", max_length=12, blank=True, db_index=True)
    sender_name = models.CharField("họ và tên người gửi", max_length=255, blank=True)
    phone = models.CharField("số điện thoại", max_length=30, blank=True)
    email = models.EmailField("thư điện tử", blank=True)
    address = models.CharField("địa chỉ", max_length=500, blank=True)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="feedback", verbose_name="cơ quan bị phản ánh, kiến nghị"
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
        verbose_name="hồ sơ liên quan",
    )
    subject = models.CharField("tiêu đề", max_length=255)
    content = models.TextField("nội dung")
    status = models.CharField(
        "trạng thái", max_length=12, choices=FeedbackStatus.choices, default=FeedbackStatus.RECEIVED
    )
    received_at = models.DateTimeField("thời điểm tiếp nhận")
    due_at = models.DateTimeField("hạn trả lời")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_feedback",
        verbose_name="cán bộ xử lý",
    )
    assigned_at = models.DateTimeField("thời điểm phân công", null=True, blank=True)
    answer = models.TextField("nội dung trả lời", blank=True)
    answered_at = models.DateTimeField("thời điểm trả lời", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="người trả lời",
    )
    published = models.BooleanField("đã công khai", default=False)
    published_at = models.DateTimeField("thời điểm công khai", null=True, blank=True)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "phản ánh, kiến nghị"
        verbose_name_plural = "phản ánh, kiến nghị"
        indexes = [
            models.Index(fields=["agency", "status", "due_at"], name="feedback_agency_inbox"),
            models.Index(fields=["status", "published_at"], name="feedback_published"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.status in (FeedbackStatus.RECEIVED, FeedbackStatus.ASSIGNED)

    def is_late(self, now=None) -> bool:
        """Answered after the due date, or still open past it."""
        if self.answered_at is not None:
            return self.answered_at > self.due_at
        return (now or timezone.now()) > self.due_at


class FeedbackEvent(models.Model):
    """Append-only history of a feedback (never updated or deleted)."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("thao tác", max_length=20)
    at = models.DateTimeField("thời điểm")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField("trạng thái trước", max_length=12, blank=True)
    to_status = models.CharField("trạng thái sau", max_length=12)
    note = models.TextField("ghi chú", blank=True)
    payload = models.JSONField("dữ liệu", default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "lịch sử phản ánh, kiến nghị"
        verbose_name_plural = "lịch sử phản ánh, kiến nghị"

    def __str__(self) -> str:
        return f"{self.feedback_id} {self.action} {self.at:%d/%m/%Y %H:%M}"


# ------------------------------------------------------------------------------------------------
# Notifications to applicants (email, SMS) — written by ``engagement.notifications`` only
# ------------------------------------------------------------------------------------------------
class NotificationChannel(models.TextChoices):
    EMAIL = "email", "Thư điện tử"
    SMS = "sms", "Tin nhắn SMS"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Chờ gửi"
    SENT = "sent", "Đã gửi"
    FAILED = "failed", "Gửi không thành công"
    SKIPPED = "skipped", "Không gửi"


class NotificationPreference(models.Model):
    """A person's (or organization's) choice of channels, by personal ID / enterprise code.

    No row = both channels on (a channel is used only when the dossier has that contact)."""

    id_number = models.CharField("số định danh / mã số doanh nghiệp", max_length=20, unique=True)
    email_enabled = models.BooleanField("nhận thông báo qua thư điện tử", default=True)
    sms_enabled = models.BooleanField("nhận thông báo qua SMS", default=True)
    updated_at = models.DateTimeField("cập nhật lúc", auto_now=True)

    class Meta:
        verbose_name = "lựa chọn nhận thông báo"
        verbose_name_plural = "lựa chọn nhận thông báo"

    def __str__(self) -> str:
        return self.id_number

    def allows(self, channel: str) -> bool:
        return self.email_enabled if channel == NotificationChannel.EMAIL else self.sms_enabled


class Notification(models.Model):
    """An outbox row: one message of one dossier event on one channel (never two for the same pair)."""

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="notifications", verbose_name="hồ sơ"
    )
    event = models.ForeignKey(
        "dossiers.Event", on_delete=models.CASCADE, related_name="notifications", verbose_name="sự kiện"
    )
    kind = models.CharField("loại thông báo", max_length=30)
    channel = models.CharField("kênh", max_length=10, choices=NotificationChannel.choices)
    recipient = models.CharField("người nhận (địa chỉ thư / số điện thoại)", max_length=255, blank=True)
    subject = models.CharField("tiêu đề", max_length=255, blank=True)
    body = models.TextField("nội dung", blank=True)
    status = models.CharField(
        "trạng thái", max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("số lần gửi", default=0)
    last_error = models.TextField("lỗi gần nhất / lý do không gửi", blank=True)
    provider_id = models.CharField("mã tin của nhà cung cấp", max_length=100, blank=True)
    key = models.UUIDField("khóa chống gửi trùng", default=uuid.uuid4, editable=False, unique=True)
    created_at = models.DateTimeField("tạo lúc", default=timezone.now)
    last_attempt_at = models.DateTimeField("lần gửi gần nhất", null=True, blank=True)
    sent_at = models.DateTimeField("gửi thành công lúc", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["event", "channel"], name="notification_event_channel")]
        indexes = [models.Index(fields=["status", "created_at"], name="notification_status")]
        verbose_name = "thông báo gửi người nộp"
        verbose_name_plural = "thông báo gửi người nộp"

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.kind} → {self.recipient or '—'}"
