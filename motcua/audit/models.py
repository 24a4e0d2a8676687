"""Personal-data access log (Law 91/2025, Decree 356/2025): who read whose data, when, why.

Append-only. Tamper evidence (hash chain) and retention come with the security issue; the rows
are written from day one so that no read is ever unlogged.
"""

from django.conf import settings
from django.db import models


class DataAccess(models.Model):
    at = models.DateTimeField("thời điểm", auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    client_id = models.CharField("ứng dụng", max_length=100, blank=True)
    action = models.CharField("thao tác", max_length=20, default="read")  # read | export | print
    object_type = models.CharField("loại dữ liệu", max_length=40)
    object_ref = models.CharField("mã đối tượng", max_length=60, db_index=True)
    subject_id_number = models.CharField("số định danh chủ thể dữ liệu", max_length=20, blank=True, db_index=True)
    purpose = models.CharField("mục đích", max_length=120, blank=True)
    # The dossier the read was for (a document reused by reference is read for another dossier).
    dossier_code = models.CharField("hồ sơ", max_length=40, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "nhật ký truy cập dữ liệu cá nhân"
        verbose_name_plural = "nhật ký truy cập dữ liệu cá nhân"

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.user_id or self.client_id} {self.action} {self.object_ref}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Nhật ký truy cập không được sửa.")
        super().save(*args, **kwargs)
