"""Documents: the files of a dossier (component scans and uploads; later results and certified
copies). The digitization issue extends this with versions, OCR text, metadata and signatures."""

from django.conf import settings
from django.db import models
from django.urls import reverse


class Source(models.TextChoices):
    PAPER_SCAN = "paper_scan", "Số hóa từ bản giấy"
    ONLINE_UPLOAD = "online_upload", "Tải lên trực tuyến"


class Document(models.Model):
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="documents", verbose_name="hồ sơ"
    )
    component_code = models.CharField("mã thành phần", max_length=40)
    name = models.CharField("tên tệp", max_length=255)
    file = models.FileField("tệp", upload_to="dossiers/%Y/%m/")
    content_type = models.CharField("định dạng (theo nội dung)", max_length=60)
    size = models.PositiveBigIntegerField("dung lượng (byte)")
    sha256 = models.CharField(max_length=64, db_index=True)
    source = models.CharField("nguồn", max_length=20, choices=Source.choices, default=Source.PAPER_SCAN)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField("thời điểm số hóa", auto_now_add=True)

    class Meta:
        ordering = ["dossier", "component_code", "id"]
        verbose_name = "tài liệu"
        verbose_name_plural = "tài liệu"

    def __str__(self) -> str:
        return f"{self.component_code} – {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("backoffice:document", args=[self.pk])
