from django.contrib import admin

from motcua.common.admin import ReadOnlyAdmin

from .models import AuditEntry, ChainState


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "kind",
        "user",
        "client_id",
        "roles",
        "action",
        "object_type",
        "object_ref",
        "dossier_code",
        "seq",
    ]
    list_filter = ["kind"]
    search_fields = ["object_ref", "dossier_code", "subject_id_number", "user__username", "client_id"]
    show_full_result_count = False


@admin.register(ChainState)
class ChainStateAdmin(ReadOnlyAdmin):
    list_display = ["head_seq", "sealed_at", "start_seq", "purged_at"]
