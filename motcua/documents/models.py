"""The document store (số hóa): every file the system holds — a scanned component, an online upload,
an issued result, a certified e-copy — is a ``Document`` with versions and metadata.

* ``Blob``: content-addressed bytes (sha256, size, type detected by content). Identical content is
  stored once, whichever dossiers, versions or owners refer to it. Stored through Django's
  ``default`` storage (local files, or S3-compatible object storage by configuration).
* ``Document``: what the file *is*: component or result code, dossier, owner (personal ID,
  passport or tax code), number, issuer, issue date, validity, source, who digitized it and when,
  the OCR text and the fields extracted from it (confirmed by an officer before they count as
  metadata), and the signature check of a signed PDF.
* ``DocumentVersion``: each upload or re-scan of a document (original blob + its PDF/A with an OCR
  text layer). ``Document.current`` points to the latest.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse


class Source(models.TextChoices):
    PAPER_SCAN = "paper_scan", "Số hóa từ bản giấy"
    ONLINE_UPLOAD = "online_upload", "Tải lên trực tuyến"
    ISSUED_RESULT = "issued_result", "Kết quả giải quyết được cấp"
    CERTIFIED_COPY = "certified_copy", "Bản sao điện tử chứng thực từ bản chính"
    OWNER_UPLOAD = "owner_upload", "Chủ sở hữu tự tải lên"


class Kind(models.TextChoices):
    COMPONENT = "component", "Thành phần hồ sơ"
    RESULT = "result", "Kết quả giải quyết"
    CERTIFIED_COPY = "certified_copy", "Bản sao chứng thực"
    PERSONAL = "personal", "Giấy tờ cá nhân tự lưu"  # the owner's own upload: never an authoritative record


class OwnerType(models.TextChoices):
    CITIZEN = "citizen", "Công dân"
    ORGANIZATION = "organization", "Tổ chức"


class PaperKind(models.TextChoices):
    """Papers whose fields the pipeline extracts (``documents.extract``)."""

    CCCD = "cccd", "Thẻ căn cước / căn cước công dân"
    BIRTH_CERTIFICATE = "birth_certificate", "Giấy khai sinh"
    BUSINESS_REGISTRATION = "business_registration", "Giấy chứng nhận đăng ký doanh nghiệp"


class OcrStatus(models.TextChoices):
    PENDING = "pending", "Chờ số hóa"
    RUNNING = "running", "Đang nhận dạng (OCR)"
    DONE = "done", "Đã nhận dạng"
    NO_TEXT = "no_text", "Không có chữ để nhận dạng"
    FAILED = "failed", "Nhận dạng thất bại"
    SKIPPED = "skipped", "Không cần nhận dạng"


def blob_path(instance: Blob, filename: str) -> str:
    sha = instance.sha256
    return f"blobs/{sha[:2]}/{sha[2:4]}/{sha}"


class Blob(models.Model):
    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField("dung lượng (byte)")
    content_type = models.CharField("định dạng (theo nội dung)", max_length=60)
    file = models.FileField("tệp", upload_to=blob_path, max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "nội dung tệp"
        verbose_name_plural = "nội dung tệp"

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.content_type}, {self.size} B)"


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user) -> DocumentQuerySet:
        """The access rule for documents: those of a dossier the user may read (one rule:
        ``Dossier.objects.visible_to``), and those issued or certified by the user's agencies."""
        from motcua.dossiers.models import Dossier

        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        # Correlated per document (an index lookup of its dossier): a newest-first search over a large
        # scope stops after a page without computing every dossier the user may read.
        readable = Dossier.objects.visible_to(user).filter(pk=models.OuterRef("dossier_id"))
        return self.filter(
            models.Q(models.Exists(readable)) | self._own_agencies(user) | self._reused_or_shared(user)
        )

    @staticmethod
    def _reused_or_shared(user) -> models.Q:
        """The e-data store's part of the rule: a document a readable dossier reuses by reference,
        and a document its owner shared (consent with purpose and expiry) with one of the user's agencies."""
        from motcua.dossiers.models import Dossier
        from motcua.org.models import StaffMembership
        from motcua.wallet.models import Consent, Reuse

        reading = Dossier.objects.visible_to(user).filter(pk=models.OuterRef("dossier_id"))
        reused = Reuse.objects.filter(document=models.OuterRef("pk"), status="accepted").filter(
            models.Exists(reading)
        )
        agencies = StaffMembership.objects.filter(user=user, active=True).values("agency")
        shared = (
            Consent.objects.active()
            .filter(agency__in=agencies, owner_id_number=models.OuterRef("owner_id_number"))
            .filter(models.Q(document__isnull=True) | models.Q(document=models.OuterRef("pk")))
        )
        return models.Q(models.Exists(reused)) | models.Q(models.Exists(shared))

    def without_dossier_visible_to(self, user) -> DocumentQuerySet:
        """The second half of the rule alone: documents outside any dossier, of the user's agencies."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(self._own_agencies(user)) if not user.is_superuser else self.filter(dossier__isnull=True)

    @staticmethod
    def _own_agencies(user) -> models.Q:
        from motcua.org.models import StaffMembership

        agencies = StaffMembership.objects.filter(user=user, active=True).values("agency")
        return models.Q(dossier__isnull=True, agency__in=agencies)


class Document(models.Model):
    kind = models.CharField("loại", max_length=20, choices=Kind.choices, default=Kind.COMPONENT)
    dossier = models.ForeignKey(
        "dossiers.Dossier", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    agency = models.ForeignKey(
        "org.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="cơ quan"
    )
    component_code = models.CharField("mã thành phần", max_length=40, blank=True)
    result_code = models.CharField("mã kết quả", max_length=40, blank=True)
    # What paper this is, across procedures: "<procedure code>:<result or component code>"
    # (e.g. "1.001193:KQ01", a birth certificate). The catalog's reuse mapping names these.
    doc_type = models.CharField("mã loại giấy tờ", max_length=60, blank=True)
    name = models.CharField("tên tệp", max_length=255)
    title = models.CharField("tên giấy tờ", max_length=255, blank=True)
    current = models.ForeignKey(
        "DocumentVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Owner and the paper's own data (metadata).
    owner_type = models.CharField("loại chủ sở hữu", max_length=20, choices=OwnerType.choices, blank=True)
    owner_id_number = models.CharField("số định danh / hộ chiếu / mã số thuế", max_length=20, blank=True)
    owner_name = models.CharField("tên chủ sở hữu", max_length=255, blank=True)
    doc_number = models.CharField("số, ký hiệu", max_length=60, blank=True)
    issuer = models.CharField("cơ quan cấp", max_length=255, blank=True)
    issue_date = models.DateField("ngày cấp", null=True, blank=True)
    valid_until = models.DateField("hiệu lực đến", null=True, blank=True)  # null: no expiry
    revoked_at = models.DateTimeField("thời điểm thu hồi, hủy bỏ", null=True, blank=True)
    revoked_reason = models.CharField("lý do thu hồi", max_length=500, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField("nguồn", max_length=20, choices=Source.choices, default=Source.PAPER_SCAN)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="người số hóa",
    )
    uploaded_at = models.DateTimeField("thời điểm số hóa", auto_now_add=True)
    # Digitization pipeline.
    ocr_status = models.CharField("số hóa (OCR)", max_length=12, choices=OcrStatus.choices, default=OcrStatus.PENDING)
    ocr_stage = models.CharField("bước đang thực hiện", max_length=60, blank=True)
    ocr_error = models.CharField("lỗi nhận dạng", max_length=500, blank=True)
    ocr_attempts = models.PositiveSmallIntegerField(default=0)
    ocr_seconds = models.FloatField(null=True, blank=True)
    pages = models.PositiveIntegerField("số trang", null=True, blank=True)
    text = models.TextField("nội dung nhận dạng", blank=True)
    detected_kind = models.CharField("loại giấy tờ nhận biết", max_length=40, blank=True, choices=PaperKind.choices)
    fields = models.JSONField("thông tin trích xuất", default=list, blank=True)
    fields_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fields_confirmed_at = models.DateTimeField(null=True, blank=True)
    signatures = models.JSONField("kiểm tra chữ ký số", default=list, blank=True)
    signed = models.BooleanField("đã ký số", default=False)
    # The dossier event an issued result was made for (one result document per issue).
    source_event = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    # Folded (no diacritics, đ → d) title + metadata + text: what full-text search reads.
    search_text = models.TextField(blank=True, editable=False)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["dossier", "component_code", "id"]
        verbose_name = "tài liệu"
        verbose_name_plural = "tài liệu"
        constraints = [
            models.UniqueConstraint(
                fields=["source_event"], condition=models.Q(source_event__isnull=False), name="doc_one_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["owner_id_number", "kind"], name="doc_owner_kind"),
            models.Index(fields=["agency", "kind", "issue_date"], name="doc_agency_kind_day"),
            models.Index(fields=["owner_id_number", "doc_type"], name="doc_owner_type"),
        ]

    def __str__(self) -> str:
        return f"{self.component_code or self.result_code} – {self.title or self.name}"

    def get_absolute_url(self) -> str:
        return reverse("backoffice:document", args=[self.pk])

    @property
    def uri(self) -> str:
        """The document's stable address in the e-data store (``wallet.uris`` resolves it)."""
        from motcua.wallet.uris import uri_of

        return uri_of(self)

    def valid_on(self, day) -> bool:
        """Issued or accepted, not revoked, not expired on ``day`` (only such are reused)."""
        return self.revoked_at is None and (self.valid_until is None or self.valid_until >= day)

    # The current version's bytes, for callers that only need "the file".
    @property
    def blob(self) -> Blob | None:
        return self.current.blob if self.current_id else None

    @property
    def content_type(self) -> str:
        return self.blob.content_type if self.blob else ""

    @property
    def size(self) -> int:
        return self.blob.size if self.blob else 0

    @property
    def sha256(self) -> str:
        return self.blob.sha256 if self.blob else ""

    @property
    def pdf(self) -> Blob | None:
        """The searchable PDF/A of the current version (or the original when it is already final)."""
        if not self.current_id:
            return None
        return self.current.pdf or (self.current.blob if self.current.blob.content_type == "application/pdf" else None)

    @property
    def fields_pending(self) -> bool:
        return bool(self.fields) and self.fields_confirmed_at is None


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("phiên bản")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+", verbose_name="bản gốc")
    pdf = models.ForeignKey(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="bản PDF/A có lớp chữ"
    )
    name = models.CharField("tên tệp", max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="doc_version_number")]
        verbose_name = "phiên bản tài liệu"
        verbose_name_plural = "phiên bản tài liệu"

    def __str__(self) -> str:
        return f"{self.document_id} v{self.number}"
