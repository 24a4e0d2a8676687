"""People and organizations known to the province, and the accounts that resolve to them.

A ``Person`` is keyed by the 12-digit personal ID number: every login (VNeID, a local account
linked to it) and every document of the e-data store resolves to one person by that number.
An ``Organization`` is keyed by its enterprise/tax code; its representatives are people.
The national databases stay the source of truth: ``record`` keeps the last answer they gave.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Sex(models.TextChoices):
    MALE = "male", "Nam"
    FEMALE = "female", "Nữ"


class Person(models.Model):
    id_number = models.CharField("số định danh cá nhân", max_length=12, unique=True)
    full_name = models.CharField("họ và tên", max_length=255)
    date_of_birth = models.DateField("ngày sinh", null=True, blank=True)
    sex = models.CharField("giới tính", max_length=10, choices=Sex.choices, blank=True)
    phone = models.CharField("số điện thoại", max_length=30, blank=True)
    email = models.EmailField("thư điện tử", blank=True)
    record = models.JSONField("dữ liệu từ CSDL quốc gia về dân cư", default=dict, blank=True)
    verified_at = models.DateTimeField("thời điểm xác thực gần nhất", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "công dân"
        verbose_name_plural = "công dân"

    def __str__(self) -> str:
        return f"{self.full_name} ({self.id_number})"


class Organization(models.Model):
    code = models.CharField("mã số doanh nghiệp / mã số thuế", max_length=14, unique=True)
    name = models.CharField("tên tổ chức", max_length=500)
    status = models.CharField("tình trạng", max_length=20, blank=True)
    record = models.JSONField("dữ liệu từ CSDL quốc gia về đăng ký doanh nghiệp", default=dict, blank=True)
    verified_at = models.DateTimeField("thời điểm xác thực gần nhất", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "tổ chức, doanh nghiệp"
        verbose_name_plural = "tổ chức, doanh nghiệp"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class RepresentativeRole(models.TextChoices):
    LEGAL = "legal_representative", "Người đại diện theo pháp luật"
    AUTHORIZED = "authorized", "Người được ủy quyền"


class Representative(models.Model):
    """A person who may act for an organization (and see its e-data store)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="representatives")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="representations")
    role = models.CharField("tư cách", max_length=24, choices=RepresentativeRole.choices)
    source = models.CharField("căn cứ", max_length=40)  # business_registry | authorization document
    verified_at = models.DateTimeField("thời điểm xác minh")
    revoked_at = models.DateTimeField("thời điểm chấm dứt", null=True, blank=True)

    class Meta:
        verbose_name = "người đại diện"
        verbose_name_plural = "người đại diện"
        constraints = [models.UniqueConstraint(fields=["organization", "person", "role"], name="representative_once")]

    def __str__(self) -> str:
        return f"{self.person_id} – {self.get_role_display()} – {self.organization_id}"


class LinkMethod(models.TextChoices):
    VNEID = "vneid", "Đăng nhập bằng VNeID"
    LINKED = "linked", "Liên kết với tài khoản VNeID"
    COUNTER = "counter", "Xác thực tại bộ phận một cửa"


class CitizenAccount(models.Model):
    """A citizen's login (a Django user) and the person it resolves to.

    ``person`` is set only once the account is proven to belong to that person: a VNeID login, a
    local account linked from a VNeID session, or a check at the desk. ``claimed_id_number`` is
    what a local account typed in at sign-up, trusted for nothing."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="citizen")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts")
    vneid_sub = models.CharField("mã định danh VNeID (sub)", max_length=64, unique=True, null=True, blank=True)
    claimed_id_number = models.CharField("số định danh tự khai", max_length=12, blank=True)
    linked_via = models.CharField("cách xác thực", max_length=10, choices=LinkMethod.choices, blank=True)
    linked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "tài khoản công dân"
        verbose_name_plural = "tài khoản công dân"

    def __str__(self) -> str:
        return f"{self.user} → {self.person_id or '-'}"
