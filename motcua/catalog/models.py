"""Procedure catalog (danh mục thủ tục hành chính), versioned.

``Procedure`` is the stable identity (national code); everything a dossier depends on lives in a
``ProcedureVersion`` with an effective date. A dossier keeps the version it was received under,
so versions are never edited once published: a change is a new version (``services.publish``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from motcua.common.text import fold
from motcua.org.models import AdministrativeLevel, Agency, AgencyKind
from motcua.org.roles import Role

PROCEDURE_CODE_VALIDATOR = RegexValidator(
    r"^[0-9]\.[0-9]{6}(\.[0-9A-Za-z]+)?$", "Mã thủ tục không đúng định dạng (ví dụ 1.001193)."
)
HALF = Decimal("0.5")


def validate_half_days(value: Decimal) -> None:
    if value is None:
        return
    if value < 0 or (Decimal(value) / HALF) % 1 != 0:
        raise ValidationError("Số ngày làm việc phải là bội số của 0,5 và không âm.")


class Field(models.Model):
    """Field (lĩnh vực) a procedure belongs to, e.g. Hộ tịch, Đất đai."""

    code = models.CharField("mã lĩnh vực", max_length=40, unique=True)
    name = models.CharField("tên lĩnh vực", max_length=255)

    class Meta:
        ordering = ["name"]
        verbose_name = "lĩnh vực"
        verbose_name_plural = "lĩnh vực"

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    """Stable identity of a procedure across versions."""

    code = models.CharField("mã thủ tục", max_length=30, unique=True, validators=[PROCEDURE_CODE_VALIDATOR])
    # How long closed dossiers are kept (the province's decision, kept across versions and catalog syncs):
    # years after closing, 0 = permanently, empty = the default of the procedure's field
    # (``dossiers.archive.retention_years``).
    retention_years = models.PositiveSmallIntegerField(
        "thời hạn bảo quản hồ sơ (năm, 0 = vĩnh viễn)",
        null=True,
        blank=True,
        help_text="Để trống: theo lĩnh vực (mặc định 10 năm). 0: bảo quản vĩnh viễn.",
    )
    # Confidential procedures (adoption, gender re-determination, …): their dossiers are read only by the
    # agencies handling them — not province-wide by the provincial office or inspectors (who still count
    # them in the reports). Copied to each dossier at intake (``Dossier.confidential``).
    confidential = models.BooleanField(
        "thủ tục có hồ sơ hạn chế truy cập",
        default=False,
        help_text="Hồ sơ của thủ tục này chỉ cơ quan trực tiếp giải quyết được xem (không mở cho cấp tỉnh, thanh tra).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "thủ tục hành chính"
        verbose_name_plural = "thủ tục hành chính"

    def __str__(self) -> str:
        current = self.version_on()
        return f"{self.code} – {current.name}" if current else self.code

    def version_on(self, day: dt.date | None = None) -> ProcedureVersion | None:
        """The version in force on ``day`` (today by default)."""
        return ProcedureVersion.objects.filter(procedure=self).in_force(day).order_by("-effective_from").first()


class OnlineLevel(models.TextChoices):
    FULL = "full", "Toàn trình"
    PARTIAL = "partial", "Một phần"
    NONE = "none", "Không trực tuyến"


class ApplicantType(models.TextChoices):
    CITIZEN = "citizen", "Công dân"
    ORGANIZATION = "organization", "Tổ chức, doanh nghiệp"


class VersionQuerySet(models.QuerySet):
    def in_force(self, day: dt.date | None = None):
        """Versions whose effective period contains ``day``."""
        day = day or dt.date.today()
        return self.filter(effective_from__lte=day).filter(
            Q(effective_until__isnull=True) | Q(effective_until__gte=day)
        )


class ProcedureVersion(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="versions", verbose_name="thủ tục")
    number = models.PositiveIntegerField("phiên bản")
    effective_from = models.DateField("hiệu lực từ")
    effective_until = models.DateField("hiệu lực đến", null=True, blank=True)
    name = models.CharField("tên thủ tục", max_length=500)
    field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="versions", verbose_name="lĩnh vực")
    levels = models.ManyToManyField(AdministrativeLevel, verbose_name="cấp thực hiện")
    agency_kind = models.CharField("loại cơ quan thực hiện", max_length=32, choices=AgencyKind.choices, blank=True)
    agencies = models.ManyToManyField(Agency, blank=True, verbose_name="cơ quan thực hiện")
    time_limit_days = models.DecimalField(
        "thời hạn giải quyết (ngày làm việc)", max_digits=5, decimal_places=1, validators=[validate_half_days]
    )
    online_level = models.CharField("mức độ trực tuyến", max_length=10, choices=OnlineLevel.choices)
    location_independent = models.BooleanField("tiếp nhận không phụ thuộc địa giới hành chính", default=False)
    essential = models.BooleanField("thuộc 25 dịch vụ công thiết yếu", default=False)
    # The applicant pays the fees before processing starts: a received dossier with fees unpaid waits
    # ("chờ thực hiện nghĩa vụ tài chính") and its legal clock starts when the payment arrives.
    pay_before_processing = models.BooleanField("nộp phí, lệ phí trước khi giải quyết", default=False)
    applicant_types = models.JSONField("đối tượng thực hiện", default=list)
    description = models.TextField("mô tả", blank=True)
    legal_basis = models.TextField("căn cứ pháp lý", blank=True)
    # The online e-form (tờ khai điện tử) as JSON Schema; empty: the generic declaration
    # (``dossiers.eforms.DEFAULT_SCHEMA``). Validated as a schema on import.
    form_schema = models.JSONField("biểu mẫu điện tử (JSON Schema)", default=dict, blank=True)
    search_text = models.TextField(editable=False, default="")
    name_folded = models.CharField(max_length=500, editable=False, default="")
    content_hash = models.CharField(max_length=64, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["procedure__code", "-number"]
        unique_together = [("procedure", "number")]
        verbose_name = "phiên bản thủ tục"
        verbose_name_plural = "phiên bản thủ tục"
        indexes = [models.Index(fields=["effective_from", "effective_until"])]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number} – {self.name}"

    def save(self, *args, **kwargs):
        self.name_folded = fold(self.name)
        field_name = self.field.name if self.field_id else ""
        self.search_text = " ".join(filter(None, [fold(self.name), self.procedure.code, fold(field_name)]))
        super().save(*args, **kwargs)

    @property
    def total_budget_days(self) -> Decimal:
        return sum((s.budget_days for s in self.steps.all()), Decimal(0))


class ComponentForm(models.TextChoices):
    ORIGINAL = "original", "Bản chính"
    COPY = "copy", "Bản sao"
    CERTIFIED_COPY = "certified_copy", "Bản sao chứng thực"
    ORIGINAL_OR_COPY = "original_or_copy", "Bản chính hoặc bản sao"


class DataSource(models.TextChoices):
    """A national database that replaces a paper: the applicant is not asked for it when it answers."""

    NONE = "", "Không"
    POPULATION = "population", "Cơ sở dữ liệu quốc gia về dân cư"
    BUSINESS_REGISTRY = "business_registry", "Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp"
    EFORM = "eform", "Tờ khai điện tử (khi nộp trực tuyến)"


def validate_doc_types(value) -> None:
    if not isinstance(value, list) or not all(
        isinstance(v, str) and re.fullmatch(r"[0-9A-Za-z.\-_]{1,30}:[0-9A-Za-z.\-_]{1,40}", v) for v in value
    ):
        raise ValidationError(
            'Danh sách mã loại giấy tờ được tái sử dụng phải có dạng ["<mã thủ tục>:<mã kết quả>", …], '
            'ví dụ ["1.001193:KQ01"].'
        )


class Component(models.Model):
    """A dossier component (thành phần hồ sơ) the applicant hands in."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="components")
    order = models.PositiveSmallIntegerField("thứ tự", default=0)
    code = models.CharField("mã thành phần", max_length=40)
    name = models.CharField("tên thành phần", max_length=500)
    required = models.BooleanField("bắt buộc", default=True)
    form = models.CharField("hình thức", max_length=20, choices=ComponentForm.choices, default=ComponentForm.ORIGINAL)
    copies = models.PositiveSmallIntegerField("số bản", default=1, validators=[MinValueValidator(1)])
    reusable = models.BooleanField("được tái sử dụng từ kho dữ liệu", default=False)
    # The "only once" mapping: the papers (by document type, "<procedure>:<result/component code>")
    # that satisfy this component when the owner already holds a valid one, and the national
    # database that replaces it outright.
    reuse_from = models.JSONField(
        "giấy tờ đã cấp được tái sử dụng", default=list, blank=True, validators=[validate_doc_types]
    )
    data_source = models.CharField(
        "khai thác từ cơ sở dữ liệu", max_length=20, choices=DataSource.choices, default="", blank=True
    )
    template = models.CharField("mẫu đơn, tờ khai", max_length=500, blank=True)
    template_file = models.FileField("tệp mẫu", upload_to="catalog/templates/", blank=True)

    class Meta:
        ordering = ["version", "order"]
        unique_together = [("version", "code")]
        verbose_name = "thành phần hồ sơ"
        verbose_name_plural = "thành phần hồ sơ"

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class ResultType(models.Model):
    """A result (kết quả) the procedure issues, with its code and validity period."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="results")
    code = models.CharField("mã kết quả", max_length=40)
    name = models.CharField("tên kết quả", max_length=500)
    validity_days = models.PositiveIntegerField("thời hạn hiệu lực (ngày)", null=True, blank=True)

    class Meta:
        ordering = ["version", "code"]
        unique_together = [("version", "code")]
        verbose_name = "kết quả giải quyết"
        verbose_name_plural = "kết quả giải quyết"

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class FeeKind(models.TextChoices):
    FEE = "fee", "Phí"
    CHARGE = "charge", "Lệ phí"


class ExemptionCondition(models.TextChoices):
    ONLINE = "online", "Nộp hồ sơ trực tuyến"
    POOR_HOUSEHOLD = "poor_household", "Hộ nghèo, cận nghèo"
    ETHNIC_MINORITY = "ethnic_minority", "Người dân tộc thiểu số ở vùng khó khăn"
    DISABLED = "disabled", "Người khuyết tật"
    CHILD_UNDER_6 = "child_under_6", "Trẻ em dưới 6 tuổi"
    ELDERLY = "elderly", "Người cao tuổi"
    SOCIAL_POLICY = "social_policy", "Đối tượng chính sách xã hội"
    IN_TIME = "in_time", "Đăng ký đúng hạn"


def validate_exemptions(value) -> None:
    if not isinstance(value, list):
        raise ValidationError("Danh sách miễn, giảm phải là một mảng.")
    for item in value:
        if not isinstance(item, dict) or set(item) - {"condition", "percent", "description"}:
            raise ValidationError("Mỗi mục miễn, giảm gồm: condition, percent, description.")
        if item.get("condition") not in ExemptionCondition.values:
            raise ValidationError(f"Điều kiện miễn, giảm không hợp lệ: {item.get('condition')!r}.")
        percent = item.get("percent")
        if not isinstance(percent, int) or not 0 < percent <= 100:
            raise ValidationError("Tỷ lệ miễn, giảm phải là số nguyên từ 1 đến 100.")


class Fee(models.Model):
    """A fee (phí) or charge (lệ phí) in VND, with exemption rules as data."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="fees")
    kind = models.CharField("loại", max_length=10, choices=FeeKind.choices)
    name = models.CharField("tên phí, lệ phí", max_length=500)
    amount = models.PositiveBigIntegerField("mức thu (đồng)")
    exemptions = models.JSONField("miễn, giảm", default=list, blank=True, validators=[validate_exemptions])

    class Meta:
        ordering = ["version", "id"]
        verbose_name = "phí, lệ phí"
        verbose_name_plural = "phí, lệ phí"

    def __str__(self) -> str:
        return f"{self.name}: {self.amount:,} đồng".replace(",", ".")


class ProcessStep(models.Model):
    """A step of the internal process (quy trình nội bộ) with its time budget."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField("thứ tự")
    name = models.CharField("tên bước", max_length=255)
    role = models.CharField("vai trò thực hiện", max_length=32, choices=Role.choices)
    agency_kind = models.CharField("loại cơ quan thực hiện", max_length=32, choices=AgencyKind.choices)
    budget_days = models.DecimalField(
        "thời gian (ngày làm việc)", max_digits=5, decimal_places=1, validators=[validate_half_days]
    )
    parallel = models.BooleanField("xin ý kiến song song", default=False)

    class Meta:
        ordering = ["version", "order"]
        unique_together = [("version", "order")]
        verbose_name = "bước xử lý"
        verbose_name_plural = "quy trình nội bộ"

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"
