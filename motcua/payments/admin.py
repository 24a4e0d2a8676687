"""Read-only admin lists of payments, receipts and reconciliation issues (written only by services)."""

from django.contrib import admin

from motcua.common.admin import ReadOnlyAdmin

from .models import Payment, Receipt, ReconciliationIssue


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["order_id", "dossier", "amount", "status", "transaction_id", "created_at", "paid_at"]
    list_filter = ["status"]
    search_fields = ["order_id", "transaction_id", "dossier__code"]
    date_hierarchy = "created_at"
    list_select_related = ["dossier"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["number", "agency", "payer_name", "amount", "issued_at", "signed"]
    list_filter = ["year", "signed"]
    search_fields = ["number", "payer_name", "payer_id_number", "payment__order_id"]
    list_select_related = ["agency"]


@admin.register(ReconciliationIssue)
class ReconciliationIssueAdmin(ReadOnlyAdmin):
    list_display = ["day", "kind", "order_id", "transaction_id", "our_amount", "gateway_amount", "resolved"]
    list_filter = ["kind", "resolved", "day"]
    search_fields = ["order_id", "transaction_id"]
