"""Online payments of fees and charges: payments sent to the payment gateway, e-receipts (biên lai
điện tử) with their gap-free numbers, and the issues a daily reconciliation with the gateway found.

Nothing outside ``payments.services`` / ``payments.reconciliation`` writes these tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from motcua.org.models import Agency


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Chờ thanh toán"
    PAID = "paid", "Đã thanh toán"
    FAILED = "failed", "Thanh toán không thành công"
    CANCELLED = "cancelled", "Đã hủy"
    EXPIRED = "expired", "Hết hạn"


class Payment(models.Model):
    """One attempt to pay a dossier's fees through the gateway. ``order_id`` is ours and is the
    idempotency key the gateway knows the payment by; ``transaction_id`` is the gateway's."""

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="payments", verbose_name="hồ sơ"
    )
    order_id = models.CharField("mã đơn hàng", max_length=40, unique=True)
    transaction_id = models.CharField(
        "mã giao dịch của cổng thanh toán", max_length=64, unique=True, null=True, blank=True
    )
    amount = models.PositiveBigIntegerField("số tiền (đồng)")
    currency = models.CharField("đơn vị tiền", max_length=3, default="VND")
    description = models.CharField("nội dung thanh toán", max_length=255, blank=True)
    status = models.CharField(
        "trạng thái", max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING, db_index=True
    )
    pay_url = models.URLField("địa chỉ thanh toán", max_length=500, blank=True)
    created_at = models.DateTimeField("thời điểm tạo", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("cập nhật lần cuối", auto_now=True)
    paid_at = models.DateTimeField("thời điểm thanh toán", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payer_id_number = models.CharField("số định danh người thanh toán", max_length=20, blank=True)
    # Every notification received about this payment, verbatim (callbacks, return, status queries).
    notifications = models.JSONField("thông báo từ cổng thanh toán", default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "giao dịch thanh toán"
        verbose_name_plural = "giao dịch thanh toán"
        indexes = [models.Index(fields=["dossier", "status"])]

    def __str__(self) -> str:
        return f"{self.order_id} ({self.get_status_display()})"


class ReceiptSequence(models.Model):
    """Last receipt number an agency issued in a year (row-locked while a receipt is issued, so
    numbers have no gaps; a rollback gives the number back)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="receipt_seq_agency_year")]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.year}: {self.last}"


class Receipt(models.Model):
    """The e-receipt of a paid payment: ``BL-<agency e-ID>-<year>-<number, 6 digits>``."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, verbose_name="cơ quan thu")
    year = models.PositiveSmallIntegerField("năm")
    sequence = models.PositiveIntegerField("số thứ tự")
    number = models.CharField("số biên lai", max_length=40, unique=True)
    issued_at = models.DateTimeField("thời điểm lập")
    amount = models.PositiveBigIntegerField("số tiền (đồng)")
    payer_name = models.CharField("người nộp tiền", max_length=255)
    payer_id_number = models.CharField("số định danh người nộp tiền", max_length=20, blank=True)
    lines = models.JSONField("các khoản thu", default=list, blank=True)
    # The PDF is made on first download (rendering and signing stay out of the callback's transaction).
    pdf = models.ForeignKey(
        "documents.Blob", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="tệp PDF"
    )
    signed = models.BooleanField("đã ký số", default=False)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = "biên lai điện tử"
        verbose_name_plural = "biên lai điện tử"
        constraints = [
            models.UniqueConstraint(fields=["agency", "year", "sequence"], name="receipt_agency_year_sequence")
        ]

    def __str__(self) -> str:
        return self.number


class IssueKind(models.TextChoices):
    MISSED_CALLBACK = "missed_callback", "Cổng báo đã thanh toán, hệ thống chưa ghi nhận (đã cập nhật)"
    MISSING_HERE = "missing_here", "Giao dịch có ở cổng thanh toán, không có trong hệ thống"
    MISSING_AT_GATEWAY = "missing_at_gateway", "Giao dịch có trong hệ thống, không có ở cổng thanh toán"
    AMOUNT_MISMATCH = "amount_mismatch", "Số tiền không khớp"
    STATUS_MISMATCH = "status_mismatch", "Trạng thái không khớp"
    DOSSIER_NOT_UPDATED = "dossier_not_updated", "Đã thu tiền nhưng không cập nhật được hồ sơ"
    DUPLICATE_PAYMENT = "duplicate_payment", "Hồ sơ đã nộp phí, lệ phí trước đó (cần hoàn tiền)"


class ReconciliationIssue(models.Model):
    """A difference between our payments and the gateway's (or a paid payment we could not apply)."""

    day = models.DateField("ngày đối soát", db_index=True)
    kind = models.CharField("loại chênh lệch", max_length=24, choices=IssueKind.choices)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="issues", verbose_name="giao dịch"
    )
    order_id = models.CharField("mã đơn hàng", max_length=40, blank=True)
    transaction_id = models.CharField("mã giao dịch", max_length=64, blank=True)
    our_amount = models.BigIntegerField("số tiền trong hệ thống", null=True, blank=True)
    gateway_amount = models.BigIntegerField("số tiền ở cổng", null=True, blank=True)
    our_status = models.CharField("trạng thái trong hệ thống", max_length=16, blank=True)
    gateway_status = models.CharField("trạng thái ở cổng", max_length=16, blank=True)
    detail = models.TextField("chi tiết", blank=True)
    resolved = models.BooleanField("đã xử lý", default=False)
    created_at = models.DateTimeField("thời điểm phát hiện", auto_now_add=True)

    class Meta:
        ordering = ["-day", "id"]
        verbose_name = "chênh lệch đối soát"
        verbose_name_plural = "chênh lệch đối soát"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "order_id", "transaction_id"], name="reconciliation_issue_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.get_kind_display()} {self.order_id or self.transaction_id}"
