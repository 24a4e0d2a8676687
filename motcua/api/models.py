"""Machine clients of the open API (specialized systems of the province, the provincial integration
platform LGSP) and the log of every call they make.

* ``ApiClient``: what a registered OAuth2 application (client-credentials grant) may do: the scopes
  it may ask for, the agencies whose dossiers it may read or create (none when empty), its rate
  limit, and whether it is active. An application without one gets the public scopes only and no
  dossier.
* ``ApiCall``: one row per request made with a client-credentials token (append-only).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from oauth2_provider.settings import oauth2_settings

RATE_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(s|sec|m|min|h|hour|d|day)\s*$", re.IGNORECASE)


def validate_rate(value: str) -> None:
    if value and not RATE_PATTERN.match(value):
        raise ValidationError("Giới hạn phải có dạng <số yêu cầu>/<s|min|hour|day>, ví dụ 600/min.")


class ApiClient(models.Model):
    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="api_client",
        verbose_name="ứng dụng OAuth2",
    )
    agencies = models.ManyToManyField(
        "org.Agency",
        blank=True,
        related_name="+",
        verbose_name="cơ quan được phép",
        help_text="Ứng dụng chỉ đọc và gửi hồ sơ của các cơ quan này (cơ quan giải quyết hoặc cơ quan tiếp nhận). "
        "Để trống: không hồ sơ nào.",
    )
    scopes = models.CharField(
        "phạm vi được cấp",
        max_length=300,
        blank=True,
        help_text="Các phạm vi (scope) ứng dụng được xin khi lấy mã truy cập, cách nhau bởi dấu cách.",
    )
    rate = models.CharField(
        "giới hạn tần suất",
        max_length=20,
        blank=True,
        validators=[validate_rate],
        help_text="Ví dụ 600/min, 20/s, 10000/day. Để trống: mức mặc định của hệ thống (API_CLIENT_DEFAULT_RATE).",
    )
    active = models.BooleanField("đang hoạt động", default=True)
    note = models.TextField(
        "ghi chú", blank=True, help_text="Hệ thống, đơn vị quản lý, đầu mối liên hệ, văn bản cho phép."
    )
    created_at = models.DateTimeField("ngày đăng ký", auto_now_add=True)

    class Meta:
        verbose_name = "ứng dụng kết nối API"
        verbose_name_plural = "ứng dụng kết nối API"

    def __str__(self) -> str:
        return self.application.name or self.application.client_id

    @property
    def name(self) -> str:
        return str(self)

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def agency_ids(self) -> list[int]:
        """The ids of the client's agencies (one query, kept on the instance for the request)."""
        if not hasattr(self, "_agency_ids"):
            self._agency_ids = list(
                self.agencies.through.objects.filter(apiclient=self).values_list("agency_id", flat=True)
            )
        return self._agency_ids


class ApiCall(models.Model):
    """One request of a machine client. Append-only: never updated or deleted."""

    at = models.DateTimeField("thời điểm", db_index=True)
    client_id = models.CharField("mã ứng dụng (client_id)", max_length=100, db_index=True)
    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="ứng dụng",
    )
    method = models.CharField("phương thức", max_length=10)
    path = models.CharField("đường dẫn", max_length=300)
    status = models.PositiveSmallIntegerField("mã trạng thái")
    duration_ms = models.FloatField("thời gian xử lý (ms)")
    remote_addr = models.GenericIPAddressField("địa chỉ gọi", null=True, blank=True)
    dossier_code = models.CharField("hồ sơ", max_length=40, blank=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "lượt gọi API"
        verbose_name_plural = "nhật ký gọi API"

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M:%S} {self.client_id} {self.method} {self.path} {self.status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Nhật ký gọi API không được sửa.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Nhật ký gọi API không được xóa.")
