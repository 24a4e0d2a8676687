"""Organization: administrative units, agencies, one-stop desks, counters, staff and roles.

Levels are data (province → district → commune in the seeds; province → commune since
1 July 2025). Units and agencies are never deleted: a merge or rename ends them at an effective
date and points to a successor, so past dossiers stay attributed to the original and reports
roll them up to the successor (see ``services.successor_map``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from .roles import Role

AGENCY_CODE_VALIDATOR = RegexValidator(
    r"^[0-9A-Z]{2,3}(\.[0-9A-Z]{2,3}){2}\.[A-Z][0-9]{2}$",
    "Mã định danh điện tử không đúng định dạng QCVN 102:2016 (ví dụ 000.00.31.H57).",
)


class AdministrativeLevel(models.Model):
    """A tier of the administrative hierarchy (Tỉnh, Huyện, Xã); rank 1 is the top."""

    code = models.SlugField("mã cấp", max_length=20, unique=True)
    name = models.CharField("tên cấp", max_length=50)
    rank = models.PositiveSmallIntegerField("thứ bậc", unique=True)

    class Meta:
        ordering = ["rank"]
        verbose_name = "cấp hành chính"
        verbose_name_plural = "các cấp hành chính"

    def __str__(self) -> str:
        return self.name


class ActiveQuerySet(models.QuerySet):
    def active_on(self, day: dt.date | None = None):
        """Rows in force on ``day`` (today by default)."""
        day = day or dt.date.today()
        return self.filter(Q(valid_from__lte=day) | Q(valid_from__isnull=True)).filter(
            Q(valid_until__gte=day) | Q(valid_until__isnull=True)
        )


class AdministrativeUnit(models.Model):
    """Province, district or commune with its official unit code (mã đơn vị hành chính)."""

    code = models.CharField("mã đơn vị hành chính", max_length=10, unique=True)
    name = models.CharField("tên", max_length=200)
    level = models.ForeignKey(AdministrativeLevel, on_delete=models.PROTECT, verbose_name="cấp")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="đơn vị cấp trên"
    )
    remote_area = models.BooleanField("vùng sâu, vùng xa", default=False)
    valid_from = models.DateField("hiệu lực từ", null=True, blank=True)
    valid_until = models.DateField("hiệu lực đến", null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
        verbose_name="đơn vị kế thừa",
    )

    objects = ActiveQuerySet.as_manager()

    class Meta:
        ordering = ["level__rank", "code"]
        verbose_name = "đơn vị hành chính"
        verbose_name_plural = "đơn vị hành chính"

    def __str__(self) -> str:
        return self.name


class AgencyKind(models.TextChoices):
    PROVINCE_PC = "province_pc", "UBND cấp tỉnh"
    PROVINCIAL_DEPARTMENT = "provincial_department", "Sở, ban, ngành cấp tỉnh"
    SERVICE_CENTER = "service_center", "Trung tâm Phục vụ hành chính công"
    DISTRICT_PC = "district_pc", "UBND cấp huyện"
    COMMUNE_PC = "commune_pc", "UBND cấp xã"
    POLICE = "police", "Công an"
    SOCIAL_INSURANCE = "social_insurance", "Bảo hiểm xã hội"
    TAX = "tax", "Cơ quan thuế"
    ELECTRICITY = "electricity", "Điện lực"
    OTHER = "other", "Khác"


class Agency(models.Model):
    """A state agency with its electronic identifier (mã định danh điện tử, QCVN 102:2016)."""

    code = models.CharField("mã định danh điện tử", max_length=13, unique=True, validators=[AGENCY_CODE_VALIDATOR])
    name = models.CharField("tên cơ quan", max_length=255)
    short_name = models.CharField("tên viết tắt", max_length=60, blank=True)
    kind = models.CharField("loại cơ quan", max_length=32, choices=AgencyKind.choices)
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, related_name="agencies", verbose_name="đơn vị hành chính"
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="cơ quan chủ quản",
    )
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    phone = models.CharField("điện thoại", max_length=30, blank=True)
    email = models.EmailField("thư điện tử", blank=True)
    valid_from = models.DateField("hiệu lực từ", null=True, blank=True)
    valid_until = models.DateField("hiệu lực đến", null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
        verbose_name="cơ quan kế thừa",
    )

    objects = ActiveQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = "cơ quan"
        verbose_name_plural = "cơ quan"
        indexes = [models.Index(fields=["kind", "unit"])]

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> AdministrativeLevel:
        return self.unit.level

    def name_on(self, day: dt.date) -> str:
        """The agency's name as it was on ``day`` (renames keep their history)."""
        rename = self.renames.filter(effective_date__gt=day).order_by("effective_date").first()
        return rename.old_name if rename else self.name


class AgencyRename(models.Model):
    """History of an agency's names: from ``effective_date`` on it is called ``new_name``."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="renames")
    old_name = models.CharField("tên cũ", max_length=255)
    new_name = models.CharField("tên mới", max_length=255)
    effective_date = models.DateField("ngày hiệu lực")
    decision = models.CharField("quyết định", max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_date"]
        verbose_name = "lịch sử đổi tên cơ quan"
        verbose_name_plural = "lịch sử đổi tên cơ quan"

    def __str__(self) -> str:
        return f"{self.old_name} → {self.new_name} ({self.effective_date:%d/%m/%Y})"


class DeskKind(models.TextChoices):
    PROVINCIAL_CENTER = "provincial_center", "Trung tâm Phục vụ hành chính công tỉnh"
    DISTRICT_DESK = "district_desk", "Bộ phận Một cửa cấp huyện"
    COMMUNE_DESK = "commune_desk", "Bộ phận Một cửa cấp xã"
    AGENCY_DESK = "agency_desk", "Bộ phận Một cửa của cơ quan"


class Desk(models.Model):
    """A one-stop desk (Trung tâm Phục vụ hành chính công / Bộ phận Một cửa)."""

    code = models.CharField("mã bộ phận", max_length=20, unique=True)
    name = models.CharField("tên bộ phận", max_length=255)
    kind = models.CharField("loại", max_length=32, choices=DeskKind.choices)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="desks", verbose_name="cơ quan chủ quản")
    served_agencies = models.ManyToManyField(
        Agency, blank=True, related_name="served_by_desks", verbose_name="các cơ quan được tiếp nhận hồ sơ"
    )
    address = models.CharField("địa chỉ", max_length=255)
    phone = models.CharField("điện thoại", max_length=30, blank=True)
    latitude = models.DecimalField("vĩ độ", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("kinh độ", max_digits=9, decimal_places=6, null=True, blank=True)
    opening_hours = models.CharField("giờ làm việc", max_length=255, blank=True)
    active = models.BooleanField("đang hoạt động", default=True)
    # What the province contracts the public postal service (bưu chính công ích) for at this desk.
    postal_receives = models.BooleanField("bưu chính công ích được tiếp nhận hồ sơ thay", default=False)
    postal_returns = models.BooleanField("bưu chính công ích được trả kết quả thay", default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = "bộ phận một cửa"
        verbose_name_plural = "bộ phận một cửa"

    def __str__(self) -> str:
        return self.name

    def postal_allows(self, action: str) -> bool:
        """May postal-service staff do ``action`` on behalf of this desk (receive / return)?"""
        if action in ("receive", "supplement"):
            return self.postal_receives
        if action == "return_result":
            return self.postal_returns
        return False


class Counter(models.Model):
    """A counter (quầy) at a desk; may be dedicated to some fields (lĩnh vực)."""

    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="counters", verbose_name="bộ phận một cửa")
    number = models.PositiveSmallIntegerField("số quầy")
    name = models.CharField("tên quầy", max_length=255)
    fields = models.ManyToManyField("catalog.Field", blank=True, verbose_name="lĩnh vực phụ trách")
    active = models.BooleanField("đang hoạt động", default=True)

    class Meta:
        ordering = ["desk", "number"]
        unique_together = [("desk", "number")]
        verbose_name = "quầy"
        verbose_name_plural = "quầy"

    def __str__(self) -> str:
        return f"Quầy {self.number} – {self.desk}"


class StaffMembership(models.Model):
    """A role a staff member holds in an agency (optionally at a desk / counter).

    A person may hold several roles; role → permissions is ``roles.ROLE_PERMISSIONS`` (data).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name="cán bộ"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships", verbose_name="cơ quan")
    role = models.CharField("vai trò", max_length=32, choices=Role.choices)
    desk = models.ForeignKey(Desk, null=True, blank=True, on_delete=models.PROTECT, verbose_name="bộ phận một cửa")
    counter = models.ForeignKey(Counter, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="quầy")
    title = models.CharField("chức vụ", max_length=120, blank=True)
    active = models.BooleanField("đang hoạt động", default=True)

    class Meta:
        unique_together = [("user", "agency", "role")]
        verbose_name = "phân công cán bộ"
        verbose_name_plural = "phân công cán bộ"

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.agency}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        from .services import sync_user_groups

        sync_user_groups(self.user)
