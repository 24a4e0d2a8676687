"""Working-day calendar data: admin decisions that override the statutory holidays, office hours.

Statutory holidays (incl. lunar Tết and Hùng Kings, and yearly substitute days the ``holidays``
package knows) come from code; each year's Government decisions (extra days off, make-up working
Saturdays) and local office hours are entered here and win over it.
"""

from django.core.exceptions import ValidationError
from django.db import models


class DayOverride(models.Model):
    class Kind(models.TextChoices):
        DAY_OFF = "off", "Ngày nghỉ"
        WORKING_DAY = "working", "Ngày làm việc (làm bù)"

    province = models.ForeignKey(
        "org.AdministrativeUnit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        verbose_name="tỉnh",
        help_text="Để trống: áp dụng toàn quốc.",
    )
    date = models.DateField("ngày")
    kind = models.CharField("loại", max_length=10, choices=Kind.choices)
    reason = models.CharField("lý do", max_length=255)
    decision = models.CharField("văn bản quyết định", max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date"]
        unique_together = [("province", "date")]
        verbose_name = "ngày nghỉ / làm bù theo quyết định"
        verbose_name_plural = "ngày nghỉ / làm bù theo quyết định"

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} – {self.get_kind_display()}: {self.reason}"


class OfficeHours(models.Model):
    """Office sessions from ``valid_from`` until the next row (per province, or nationwide)."""

    province = models.ForeignKey(
        "org.AdministrativeUnit", null=True, blank=True, on_delete=models.CASCADE, verbose_name="tỉnh"
    )
    valid_from = models.DateField("áp dụng từ ngày")
    morning_start = models.TimeField("sáng từ", default="07:00")
    morning_end = models.TimeField("sáng đến", default="11:30")
    afternoon_start = models.TimeField("chiều từ", default="13:30")
    afternoon_end = models.TimeField("chiều đến", default="17:00")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-valid_from"]
        unique_together = [("province", "valid_from")]
        verbose_name = "giờ làm việc"
        verbose_name_plural = "giờ làm việc"

    def __str__(self) -> str:
        return (
            f"Từ {self.valid_from:%d/%m/%Y}: {self.morning_start:%H:%M}–{self.morning_end:%H:%M}, "
            f"{self.afternoon_start:%H:%M}–{self.afternoon_end:%H:%M}"
        )

    def clean(self) -> None:
        if not (self.morning_start < self.morning_end <= self.afternoon_start < self.afternoon_end):
            raise ValidationError("Giờ làm việc không hợp lệ: các buổi phải theo thứ tự và không chồng lấn.")
