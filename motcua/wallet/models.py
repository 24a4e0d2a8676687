"""The e-data store's own records (Kho quản lý dữ liệu điện tử của tổ chức, cá nhân).

The documents themselves are ``documents.Document`` rows, addressed by owner (``owner_id_number``)
and type (``doc_type``). This app owns what the store adds to them:

* ``Reuse``: a component of a dossier satisfied by reference — a document the owner already holds,
  or data a national database provides — or a proposed reuse the officer rejected (with the
  reason). These rows are the "only once" record and the source of the reuse metrics.
* ``Consent``: an owner sharing their store (or one document) with an agency, for a purpose, until
  a date. Agencies otherwise see only what a dossier of theirs references.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ReuseSource(models.TextChoices):
    DATA_STORE = "data_store", "Kho dữ liệu điện tử"
    POPULATION_DB = "population_db", "CSDL quốc gia về dân cư"
    BUSINESS_REGISTRY = "business_registry", "CSDL quốc gia về đăng ký doanh nghiệp"


class ReuseStatus(models.TextChoices):
    ACCEPTED = "accepted", "Đã tái sử dụng"
    REJECTED = "rejected", "Cán bộ không chấp nhận"


class Reuse(models.Model):
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="reuses")
    component_code = models.CharField("mã thành phần", max_length=40)
    source = models.CharField("nguồn", max_length=20, choices=ReuseSource.choices)
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="reuses"
    )
    status = models.CharField("kết quả", max_length=10, choices=ReuseStatus.choices)
    reason = models.CharField("lý do không chấp nhận", max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["dossier", "component_code", "id"]
        verbose_name = "tái sử dụng dữ liệu"
        verbose_name_plural = "tái sử dụng dữ liệu"
        indexes = [models.Index(fields=["document", "status"], name="reuse_document_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(source="data_store", document__isnull=False) | ~Q(source="data_store"),
                name="reuse_data_store_has_document",
            ),
            models.CheckConstraint(condition=Q(status="accepted") | ~Q(reason=""), name="reuse_rejection_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}/{self.component_code}: {self.get_source_display()} ({self.status})"


class ConsentQuerySet(models.QuerySet):
    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, granted_at__lte=now, expires_at__gt=now)


class Consent(models.Model):
    """The owner shares their e-data store (or one document of it) with an agency."""

    owner_id_number = models.CharField("số định danh / mã số thuế của chủ sở hữu", max_length=20)
    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="consents")
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.CASCADE, related_name="consents"
    )  # null: every document of the owner
    purpose = models.CharField("mục đích", max_length=255)
    granted_at = models.DateTimeField("thời điểm đồng ý", default=timezone.now)
    expires_at = models.DateTimeField("hết hạn")
    revoked_at = models.DateTimeField("thời điểm rút lại", null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = "đồng ý chia sẻ dữ liệu"
        verbose_name_plural = "đồng ý chia sẻ dữ liệu"
        indexes = [models.Index(fields=["agency", "owner_id_number"], name="consent_agency_owner")]

    def __str__(self) -> str:
        return f"{self.owner_id_number} → {self.agency_id}: {self.purpose}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.granted_at <= now < self.expires_at
