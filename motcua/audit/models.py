"""The audit log (Law 91/2025, Decree 356/2025; issue 10): one append-only, hash-chained table.

Every read, export and print of personal data (``services.log_access``), every change of a dossier
(``services.log_events``, called by ``dossiers.services.save_events``), every change of an
administrative record (``signals``: catalog, organization, accounts, identity, consents, payments,
API clients, integrations, certificates) and every sign-in / sign-out / failed sign-in is one row:
who (user or machine client, their roles and agencies at that moment), what, which object, dossier
and data subject, why, when, from where.

Rows are inserted plainly (no lock on the hot path) and sealed shortly after by ``chain.seal``: a
contiguous ``seq``, the previous row's hash and ``hash = HMAC-SHA256(key, prev_hash || row)``.
``manage.py verify_audit`` recomputes the chain. Database triggers (``guards``) refuse UPDATE of a
sealed row or of any row's content and DELETE (except the retention purge); the ORM refuses too.

``DataAccess`` (the name every reader of personal-data access uses, e.g. a citizen's access log)
shows the personal-data access rows only; ``AuditEntry`` is the same table, every kind.
"""

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    READ = "read", "Xem"
    EXPORT = "export", "Xuất dữ liệu"
    PRINT = "print", "In"
    CHANGE = "change", "Thay đổi"
    AUTH = "auth", "Đăng nhập, đăng xuất"


ACCESS_KINDS = (Kind.READ, Kind.EXPORT, Kind.PRINT)


class AppendOnly(ValueError):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Nhật ký kiểm toán không được sửa.")

    def delete(self):
        raise AppendOnly("Nhật ký kiểm toán không được xóa.")

    # ``bulk_update`` goes through ``update``; ``_raw_delete`` is left for nobody (the purge uses SQL).


class AccessManager(models.Manager.from_queryset(AuditQuerySet)):
    """Personal-data access only (read / export / print)."""

    def get_queryset(self):
        return super().get_queryset().filter(kind__in=ACCESS_KINDS)


class DataAccess(models.Model):
    at = models.DateTimeField("thời điểm", auto_now_add=True, db_index=True)
    kind = models.CharField("loại", max_length=10, choices=Kind.choices, default=Kind.READ)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    client_id = models.CharField("ứng dụng", max_length=100, blank=True)
    # The actor's roles and agencies (electronic ID codes) at that moment, comma-separated.
    roles = models.CharField("vai trò", max_length=200, blank=True)
    agencies = models.CharField("cơ quan", max_length=200, blank=True)
    # read | export | print; for a change: the dossier action, or create / update / delete; for auth:
    # login / logout / login_failed.
    action = models.CharField("thao tác", max_length=40, default="read")
    object_type = models.CharField("loại dữ liệu", max_length=40)
    object_ref = models.CharField("mã đối tượng", max_length=60, db_index=True)
    subject_id_number = models.CharField("số định danh chủ thể dữ liệu", max_length=20, blank=True, db_index=True)
    purpose = models.CharField("mục đích", max_length=120, blank=True)
    # The dossier the read was for (a document reused by reference is read for another dossier).
    dossier_code = models.CharField("hồ sơ", max_length=40, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # Small and never personal values: changed field names, the event id, a failed login's username.
    detail = models.JSONField("chi tiết", default=dict, blank=True)
    # The chain (set once by ``chain.seal``).
    seq = models.BigIntegerField("số thứ tự chuỗi", null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    objects = AccessManager()

    class Meta:
        ordering = ["-id"]
        verbose_name = "nhật ký truy cập dữ liệu cá nhân"
        verbose_name_plural = "nhật ký truy cập dữ liệu cá nhân"
        indexes = [
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unsealed"),
            models.Index(fields=["user", "id"], name="audit_user"),
            models.Index(fields=["dossier_code", "id"], name="audit_dossier"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.user_id or self.client_id} {self.action} {self.object_ref}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly("Nhật ký kiểm toán không được sửa.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Nhật ký kiểm toán không được xóa.")


class AuditEntry(DataAccess):
    """The whole audit log (every kind): the staff audit page, export, verification."""

    objects = models.Manager.from_queryset(AuditQuerySet)()

    class Meta:
        proxy = True
        ordering = ["-id"]
        verbose_name = "nhật ký kiểm toán"
        verbose_name_plural = "nhật ký kiểm toán"


class ChainState(models.Model):
    """The chain's head (one row, locked by the sealer) and its start after retention purges.

    ``start_mac`` authenticates the start (an attacker with database access cannot move it to hide a
    deleted prefix)."""

    head_seq = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default="0" * 64)
    sealed_at = models.DateTimeField(null=True, blank=True)
    start_seq = models.BigIntegerField(default=1)
    start_prev_hash = models.CharField(max_length=64, default="0" * 64)
    start_mac = models.CharField(max_length=64, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "trạng thái chuỗi nhật ký"
        verbose_name_plural = "trạng thái chuỗi nhật ký"

    def __str__(self) -> str:
        return f"#{self.head_seq}"


class PurgeMark(models.Model):
    """SQLite only: a row here (inside the purge's transaction) lets the guard trigger allow DELETE."""

    class Meta:
        verbose_name = "đánh dấu xóa theo thời hạn lưu"

    def __str__(self) -> str:
        return str(self.pk)
