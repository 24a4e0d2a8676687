from django.contrib import admin

from .models import AuditEntry, ChainState


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly):
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
class ChainStateAdmin(ReadOnly):
    list_display = ["head_seq", "sealed_at", "start_seq", "purged_at"]
