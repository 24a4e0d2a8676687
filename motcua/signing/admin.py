from django.contrib import admin

from .models import AgencyCertificate


@admin.register(AgencyCertificate)
class AgencyCertificateAdmin(admin.ModelAdmin):
    list_display = ["agency", "subject", "serial", "not_after", "active"]
    list_filter = ["active"]
    search_fields = ["agency__code", "agency__name", "subject", "serial"]
    autocomplete_fields = ["agency"]
    readonly_fields = ["subject", "serial", "not_after", "updated_at"]
    fields = ["agency", "p12_path", "password_env", "active", "subject", "serial", "not_after", "updated_at"]
