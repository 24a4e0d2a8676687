"""Personal-data breaches (Law 91/2025 on Personal Data Protection, Decree 356/2025).

A breach is recorded as soon as it is detected; the specialised personal-data protection authority
must be notified within 72 hours of detection (``deadline``), the data subjects when the breach may
harm them. The runbook is docs/BREACH.md; the notification is printed from the breach page.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone


def _hours() -> int:
    return int(getattr(settings, "PRIVACY_BREACH_DEADLINE_HOURS", 72))


class BreachStatus(models.TextChoices):
    DETECTED = "detected", "Mới phát hiện"
    CONTAINED = "contained", "Đã ngăn chặn, đang đánh giá"
    REPORTED = "reported", "Đã thông báo cơ quan chuyên trách"
    CLOSED = "closed", "Đã khắc phục, kết thúc"


class Breach(models.Model):
    detected_at = models.DateTimeField("thời điểm phát hiện", default=timezone.now, db_index=True)
    occurred_at = models.DateTimeField("thời điểm xảy ra (nếu biết)", null=True, blank=True)
    title = models.CharField("tóm tắt", max_length=200)
    description = models.TextField("mô tả vi phạm")
    data_categories = models.TextField("loại dữ liệu cá nhân bị ảnh hưởng")
    sensitive = models.BooleanField("có dữ liệu cá nhân nhạy cảm", default=False)
    subjects_count = models.PositiveIntegerField("số chủ thể dữ liệu bị ảnh hưởng (ước tính)", null=True, blank=True)
    records_count = models.PositiveIntegerField("số bản ghi bị ảnh hưởng (ước tính)", null=True, blank=True)
    consequences = models.TextField("hậu quả, thiệt hại có thể xảy ra", blank=True)
    measures = models.TextField("biện pháp đã và sẽ thực hiện", blank=True)
    contact = models.CharField("đầu mối liên hệ (họ tên, chức vụ, điện thoại, thư điện tử)", max_length=300, blank=True)
    reported_at = models.DateTimeField("thời điểm thông báo cơ quan chuyên trách", null=True, blank=True)
    late_reason = models.TextField("lý do thông báo chậm (nếu quá 72 giờ)", blank=True)
    subjects_notified_at = models.DateTimeField("thời điểm thông báo chủ thể dữ liệu", null=True, blank=True)
    status = models.CharField("trạng thái", max_length=20, choices=BreachStatus.choices, default=BreachStatus.DETECTED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="người lập",
    )
    created_at = models.DateTimeField("lập lúc", auto_now_add=True)
    updated_at = models.DateTimeField("cập nhật lúc", auto_now=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        verbose_name = "vi phạm dữ liệu cá nhân"
        verbose_name_plural = "vi phạm dữ liệu cá nhân"

    def __str__(self) -> str:
        return f"{self.number} – {self.title}"

    @property
    def number(self) -> str:
        """Register number: <sequence>/<year of detection>/VPDL."""
        year = timezone.localtime(self.detected_at).year if self.detected_at else timezone.now().year
        return f"{self.pk or 0:03d}/{year}/VPDL"

    @property
    def deadline(self) -> dt.datetime:
        """When the authority must have been notified: 72 hours after detection."""
        return self.detected_at + dt.timedelta(hours=_hours())

    def seconds_left(self, now: dt.datetime | None = None) -> int:
        """Seconds until the deadline (negative: overdue); measured at notification once reported."""
        at = self.reported_at or now or timezone.now()
        return int((self.deadline - at).total_seconds())

    def overdue(self, now: dt.datetime | None = None) -> bool:
        return self.seconds_left(now) < 0

    def deadline_text(self, now: dt.datetime | None = None) -> str:
        """The deadline in words (never colour only)."""
        left = self.seconds_left(now)
        span = _span(abs(left))
        if self.reported_at:
            return "Đã thông báo đúng hạn" if left >= 0 else f"Đã thông báo, chậm {span}"
        return f"Còn {span}" if left >= 0 else f"Quá hạn {span}"


def _span(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours >= 24:
        days, hours = divmod(hours, 24)
        return f"{days} ngày {hours} giờ" if hours else f"{days} ngày"
    if hours:
        return f"{hours} giờ {minutes} phút" if minutes else f"{hours} giờ"
    return f"{minutes} phút" if minutes else "dưới 1 phút"
