"""Dossiers (hồ sơ TTHC): the dossier, its components, its process steps, its append-only event
history, linked bundles, and the gap-free daily code sequence.

Nothing outside ``dossiers.services`` writes these tables. Read access goes through
``Dossier.objects.visible_to(user)`` — the one queryset rule every list, detail, action and export
uses.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from motcua.catalog.models import ApplicantType, Component, ProcedureVersion
from motcua.org.models import Agency, Desk
from motcua.org.roles import Role

from .states import NATIONAL_STATUS, PAUSED_STATES, Actor, State

# Roles that read every dossier of the province (provincial office, inspectors).
READ_ALL_ROLES = {Role.CATALOG_ADMIN, Role.INSPECTOR}


class Channel(models.TextChoices):
    COUNTER = "counter", "Trực tiếp tại bộ phận một cửa"
    ONLINE = "online", "Trực tuyến"
    POST = "post", "Qua dịch vụ bưu chính"
    POSTAL_SERVICE = "postal_service", "Bưu chính công ích tiếp nhận thay"
    KIOSK = "kiosk", "Ki-ốt tự phục vụ"


# Channel codes of the national portal: 1 counter, 2 online, 3 post.
NATIONAL_CHANNEL = {
    Channel.COUNTER: 1,
    Channel.KIOSK: 1,
    Channel.ONLINE: 2,
    Channel.POST: 3,
    Channel.POSTAL_SERVICE: 3,
}


class ReturnChannel(models.TextChoices):
    COUNTER = "counter", "Nhận trực tiếp tại bộ phận một cửa"
    POST = "post", "Qua dịch vụ bưu chính"
    ONLINE = "online", "Nhận kết quả điện tử trực tuyến"


class FeeStatus(models.TextChoices):
    NONE = "none", "Không thu phí, lệ phí"
    UNPAID = "unpaid", "Chưa nộp"
    PAID = "paid", "Đã nộp"
    EXEMPT = "exempt", "Được miễn"


class IdentityStatus(models.TextChoices):
    """The applicant checked against the National Population DB / business registry."""

    UNCHECKED = "", "Chưa đối chiếu"
    VERIFIED = "verified", "Đã đối chiếu, khớp"
    MISMATCH = "mismatch", "Thông tin không khớp"
    NOT_FOUND = "not_found", "Không tìm thấy trong cơ sở dữ liệu quốc gia"
    NOT_VERIFIED = "not_verified", "Chưa đối chiếu được (hệ thống quốc gia không phản hồi)"


class Outcome(models.TextChoices):
    APPROVED = "approved", "Giải quyết"
    REJECTED = "rejected", "Không giải quyết (có lý do)"


class DailySequence(models.Model):
    """Last dossier number issued by ``agency`` on ``day`` (row-locked while a dossier is created,
    so numbers are unique and gap-free: a rolled-back creation rolls the counter back too)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "day"], name="dossier_seq_agency_day")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.day:%d/%m/%Y}: {self.last}"


class Bundle(models.Model):
    """A linked bundle (thủ tục liên thông): one submission driving several procedures."""

    kind = models.CharField("loại liên thông", max_length=40)
    code = models.CharField("mã hồ sơ liên thông", max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "hồ sơ liên thông"
        verbose_name_plural = "hồ sơ liên thông"

    def __str__(self) -> str:
        return self.code


def access_scope(user) -> tuple[set[int], set[int]] | None:
    """(agencies, desks) whose dossiers ``user`` may read; None = every dossier (superuser, the
    provincial office and inspectors); empty sets = none."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set(), set()
    if user.is_superuser:
        return None
    from motcua.audit.context import memberships  # once per request, shared with the audit rows

    rows = memberships(user.pk)
    if any(role in READ_ALL_ROLES for role, _, _, _ in rows):
        return None
    return {agency for _, agency, _, _ in rows}, {desk for _, _, _, desk in rows if desk}


class DossierQuerySet(models.QuerySet):
    def visible_to(self, user) -> DossierQuerySet:
        """The access rule: an officer sees dossiers received at their desk, handled by their agency,
        or with a step at their agency; the provincial office and inspectors see all but the dossiers
        of confidential procedures."""
        scope = access_scope(user)
        if scope is None:  # province-wide, except confidential procedures (administrators: everything)
            return self if user.is_superuser else self.filter(confidential=False)
        agencies, desks = scope
        if not agencies:
            return self.none()
        step_here = Step.objects.filter(dossier=OuterRef("pk"), agency__in=agencies)
        return self.filter(
            Q(desk__in=desks) | Q(agency__in=agencies) | Q(receiving_agency__in=agencies) | Exists(step_here)
        )

    def visible_ids(self, user, limit: int) -> list[int] | None:
        """The same rule as ``visible_to``, as up to ``limit`` dossier ids read through one index per
        disjunct (a UNION); None when the user may read all dossiers *or more than ``limit``* (the
        caller then filters with ``visible_to``). Lets a search over a small scope start from it."""
        scope = access_scope(user)
        if scope is None:
            return None
        agencies, desks = scope
        if not agencies:
            return []
        parts = [
            Dossier.objects.filter(desk__in=desks).order_by().values_list("pk", flat=True),
            Dossier.objects.filter(agency__in=agencies).order_by().values_list("pk", flat=True),
            Dossier.objects.filter(receiving_agency__in=agencies).order_by().values_list("pk", flat=True),
            Step.objects.filter(agency__in=agencies).order_by().values_list("dossier_id", flat=True),
        ]
        # UNION ALL streams (a plain UNION would read every part before the limit applies).
        ids = list(parts[0].union(*parts[1:], all=True)[: limit + 1])
        return sorted(set(ids)) if len(ids) <= limit else None

    def late(self, now: dt.datetime | None = None) -> DossierQuerySet:
        """Late in working time: finished after the due instant, or still open past it (a paused
        dossier is late only if it was already overdue when its clock stopped)."""
        now = now or timezone.now()
        return self.filter(
            Q(finished_at__isnull=False, finished_at__gt=models.F("due_at"))
            | Q(finished_at__isnull=True, paused_at__isnull=True, due_at__lt=now)
            | Q(finished_at__isnull=True, paused_at__isnull=False, remaining_units__lt=0)
        )


class Dossier(models.Model):
    code = models.CharField("mã hồ sơ", max_length=40, unique=True)
    bundle = models.ForeignKey(
        Bundle, null=True, blank=True, on_delete=models.PROTECT, related_name="dossiers", verbose_name="liên thông"
    )
    bundle_order = models.PositiveSmallIntegerField(null=True, blank=True)
    version = models.ForeignKey(ProcedureVersion, on_delete=models.PROTECT, verbose_name="thủ tục (phiên bản)")
    # Applicant (người nộp) and owner (chủ hồ sơ) may differ.
    applicant_type = models.CharField(max_length=20, choices=ApplicantType.choices, default=ApplicantType.CITIZEN)
    applicant_name = models.CharField("người nộp", max_length=255)
    applicant_id_number = models.CharField("số định danh người nộp", max_length=20, db_index=True)
    applicant_phone = models.CharField("điện thoại", max_length=30, blank=True)
    applicant_email = models.EmailField("thư điện tử", blank=True)
    applicant_address = models.CharField("địa chỉ", max_length=500, blank=True)
    owner_type = models.CharField(max_length=20, choices=ApplicantType.choices, default=ApplicantType.CITIZEN)
    owner_name = models.CharField("chủ hồ sơ", max_length=255)
    owner_id_number = models.CharField("số định danh chủ hồ sơ", max_length=20, db_index=True)
    form_data = models.JSONField("tờ khai điện tử", default=dict, blank=True)  # the e-form, as submitted
    identity_status = models.CharField(
        "đối chiếu định danh", max_length=16, choices=IdentityStatus.choices, default="", blank=True
    )
    identity_checked_at = models.DateTimeField("thời điểm đối chiếu", null=True, blank=True)
    identity_detail = models.JSONField("kết quả đối chiếu", default=dict, blank=True)
    channel = models.CharField("kênh tiếp nhận", max_length=20, choices=Channel.choices)
    desk = models.ForeignKey(Desk, on_delete=models.PROTECT, related_name="dossiers", verbose_name="nơi tiếp nhận")
    receiving_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="received_dossiers", verbose_name="cơ quan tiếp nhận"
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="dossiers", verbose_name="cơ quan giải quyết"
    )
    state = models.CharField("trạng thái", max_length=24, choices=State.choices)
    resume_state = models.CharField(max_length=24, choices=State.choices, blank=True)
    current_step = models.ForeignKey(
        "Step", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="bước hiện tại"
    )
    submitted_at = models.DateTimeField("thời điểm nộp")
    received_at = models.DateTimeField("thời điểm tiếp nhận", null=True, blank=True)
    due_at = models.DateTimeField("hạn trả kết quả", null=True, blank=True)
    original_due_at = models.DateTimeField("hạn trả kết quả ban đầu", null=True, blank=True)
    paused_at = models.DateTimeField("tạm dừng tính thời gian từ", null=True, blank=True)
    remaining_units = models.BigIntegerField(null=True, blank=True)  # working units left when paused
    paused_units = models.BigIntegerField(default=0)  # working units spent waiting for the applicant
    finished_at = models.DateTimeField("thời điểm có kết quả", null=True, blank=True)
    returned_at = models.DateTimeField("thời điểm trả kết quả", null=True, blank=True)
    closed_at = models.DateTimeField("thời điểm kết thúc", null=True, blank=True)
    return_channel = models.CharField(
        "hình thức nhận kết quả", max_length=10, choices=ReturnChannel.choices, default=ReturnChannel.COUNTER
    )
    return_address = models.CharField("địa chỉ nhận kết quả", max_length=500, blank=True)
    fee_status = models.CharField("phí, lệ phí", max_length=10, choices=FeeStatus.choices, default=FeeStatus.NONE)
    fee_amount = models.PositiveBigIntegerField("số tiền phí, lệ phí (đồng)", default=0)
    # The fee quote at submission (``payments.fees.FeeQuote.as_dict()`` + the declared ``claims``):
    # each line with its exemption and reason, so slips and receipts show why less is due.
    fee_detail = models.JSONField("chi tiết phí, lệ phí", default=dict, blank=True)
    outcome = models.CharField("kết quả", max_length=10, choices=Outcome.choices, blank=True)
    outcome_reason = models.TextField("lý do", blank=True)
    apology_count = models.PositiveSmallIntegerField(default=0)
    lock_version = models.PositiveIntegerField(default=1)  # optimistic concurrency (ETag)
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField("ghi chú", blank=True)
    # Set when a closed dossier is exported to the archive (``dossiers.archive``), with the export's record.
    archived_at = models.DateTimeField("thời điểm nộp lưu", null=True, blank=True)
    # The procedure's confidentiality at intake (``Procedure.confidential``): read only by the agencies
    # handling it, never province-wide (``visible_to``).
    confidential = models.BooleanField("hạn chế truy cập", default=False, db_default=False)

    objects = DossierQuerySet.as_manager()

    class Meta:
        verbose_name = "hồ sơ"
        verbose_name_plural = "hồ sơ"
        indexes = [
            models.Index(fields=["state", "id"]),
            models.Index(fields=["agency", "state", "id"]),
            models.Index(fields=["desk", "state", "id"]),
            models.Index(fields=["due_at"]),
            models.Index(fields=["received_at"]),
            # The open dossiers (a few % of all): the reports' live stock and late counts read only these.
            models.Index(
                fields=["agency", "version"],
                name="dossier_open",
                condition=models.Q(received_at__isnull=False, finished_at__isnull=True, closed_at__isnull=True),
                include=["due_at", "paused_at", "remaining_units"],
            ),
            # The archive export reads closed dossiers in (closed_at, id) order, in keyset batches.
            models.Index(fields=["closed_at", "id"], name="dossier_closed"),
            # The national-systems status page: not-verified counts and the latest check per outcome.
            models.Index(fields=["identity_status", "applicant_type", "identity_checked_at"], name="dossier_identity"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def national_status_code(self) -> int:
        return NATIONAL_STATUS[self.state]

    @property
    def state_label(self) -> str:
        return State(self.state).label

    @property
    def paused(self) -> bool:
        return self.state in PAUSED_STATES

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.lock_version}"'

    def is_late(self, now: dt.datetime | None = None) -> bool:
        if self.due_at is None:
            return False
        if self.finished_at:
            return self.finished_at > self.due_at
        if self.paused_at:
            return (self.remaining_units or 0) < 0
        return (now or timezone.now()) > self.due_at


class DossierComponent(models.Model):
    """A component handed in (or reused) for a dossier, as checked at intake."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey(Component, null=True, blank=True, on_delete=models.PROTECT)
    code = models.CharField("mã thành phần", max_length=40)
    name = models.CharField("tên thành phần", max_length=500)
    required = models.BooleanField(default=True)
    provided = models.BooleanField("đã nộp", default=True)
    copies = models.PositiveSmallIntegerField("số bản", default=1)
    source = models.CharField("nguồn", max_length=40, default="applicant")  # applicant | linked | data_store
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["dossier", "id"]
        verbose_name = "thành phần hồ sơ đã nộp"
        verbose_name_plural = "thành phần hồ sơ đã nộp"

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class StepStatus(models.TextChoices):
    PENDING = "pending", "Chưa đến lượt"
    ACTIVE = "active", "Đang xử lý"
    DONE = "done", "Đã hoàn thành"
    SENT_BACK = "sent_back", "Bị trả lại"
    SKIPPED = "skipped", "Bỏ qua"


class Step(models.Model):
    """A step of the dossier's process, instantiated from the procedure version's steps."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField("thứ tự")
    name = models.CharField("tên bước", max_length=255)
    role = models.CharField("vai trò", max_length=32, choices=Role.choices)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="dossier_steps", verbose_name="cơ quan")
    parallel = models.BooleanField("xin ý kiến song song", default=False)
    budget_units = models.BigIntegerField("thời gian quy định (đơn vị giờ làm việc)")
    status = models.CharField(max_length=12, choices=StepStatus.choices, default=StepStatus.PENDING)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    paused_units = models.BigIntegerField(default=0)
    used_units = models.BigIntegerField(default=0)  # working time used over all its runs
    acknowledged_at = models.DateTimeField("thời điểm xác nhận nhận hồ sơ", null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opinion = models.TextField("ý kiến", blank=True)

    class Meta:
        ordering = ["dossier", "order", "id"]
        verbose_name = "bước xử lý hồ sơ"
        verbose_name_plural = "bước xử lý hồ sơ"
        indexes = [
            models.Index(fields=["agency", "status"]),
            # The work inbox, in due order (keyset on due_at, id): a unit's active steps, the steps
            # assigned to an officer, and the unassigned steps of a role at an agency.
            models.Index(fields=["agency", "status", "due_at", "id"], name="step_inbox_agency"),
            models.Index(fields=["assignee", "status", "due_at", "id"], name="step_inbox_assignee"),
            models.Index(
                fields=["agency", "role", "status", "due_at", "id"],
                condition=Q(assignee__isnull=True),
                name="step_inbox_unassigned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class Event(models.Model):
    """One row per state change, step change or hand-over. Append-only: never updated or deleted."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events")
    action = models.CharField("thao tác", max_length=40)
    at = models.DateTimeField("thời điểm")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    actor_name = models.CharField("người thực hiện", max_length=255)
    actor_role = models.CharField("vai trò", max_length=20, choices=Actor.choices)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, verbose_name="cơ quan")
    from_state = models.CharField(max_length=24, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=24, choices=State.choices)
    step = models.ForeignKey(Step, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    reason = models.TextField("lý do", blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["dossier", "id"]
        verbose_name = "lịch sử xử lý"
        verbose_name_plural = "lịch sử xử lý"

    def __str__(self) -> str:
        return f"{self.action} {self.at:%d/%m/%Y %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Lịch sử xử lý hồ sơ không được sửa.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Lịch sử xử lý hồ sơ không được xóa.")


class SlipTemplate(models.Model):
    """A province's wording/layout of a printed slip (Circular 03/2025 forms 01–07), editable in the
    admin. Without a row the packaged template ``dossiers/slips/<code>.html`` is used."""

    code = models.CharField("mẫu số", max_length=2, unique=True)
    name = models.CharField("tên mẫu", max_length=255)
    body = models.TextField("nội dung (Django template, HTML)")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "mẫu phiếu"
        verbose_name_plural = "mẫu phiếu"

    def __str__(self) -> str:
        return f"Mẫu {self.code} – {self.name}"


class DossierNote(models.Model):
    """A note between officers about a dossier (not shown to the applicant). Append-only: a note
    is part of the dossier's record, so it is never edited or deleted."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, verbose_name="cơ quan")
    text = models.TextField("nội dung")
    created_at = models.DateTimeField("thời điểm", default=timezone.now)

    class Meta:
        ordering = ["dossier", "id"]
        verbose_name = "ghi chú nội bộ"
        verbose_name_plural = "ghi chú nội bộ"

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.created_at:%d/%m/%Y %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Ghi chú nội bộ không được sửa.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ghi chú nội bộ không được xóa.")


class SavedFilter(models.Model):
    """A named filter of an officer's work inbox (the query string of the inbox page)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField("tên bộ lọc", max_length=80)
    querystring = models.CharField("điều kiện lọc", max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user", "name"]
        verbose_name = "bộ lọc đã lưu"
        verbose_name_plural = "bộ lọc đã lưu"
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_filter_user_name")]

    def __str__(self) -> str:
        return self.name


class Draft(models.Model):
    """An online submission being composed (hồ sơ nháp): resumable, submitted at most once.

    ``key`` is the idempotency key of the submission: submitting twice (double click, a retry after a
    lost answer) returns the dossier created the first time."""

    key = models.UUIDField(unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dossier_drafts")
    applicant_id_number = models.CharField(max_length=20)
    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, verbose_name="thủ tục (phiên bản)")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    form_data = models.JSONField(default=dict, blank=True)
    # component code → {"reuse": <store address | population_db | business_registry>} or
    # {"files": [{"sha256", "name", "content_type", "size"}]} (bytes stored once as blobs)
    components = models.JSONField(default=dict, blank=True)
    return_channel = models.CharField(max_length=20, default="online")
    return_address = models.CharField(max_length=500, blank=True)
    dossier = models.OneToOneField("Dossier", null=True, blank=True, on_delete=models.SET_NULL, related_name="draft")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "hồ sơ nháp"
        verbose_name_plural = "hồ sơ nháp"

    def __str__(self) -> str:
        return f"{self.applicant_id_number} – {self.version_id}"
