from django.contrib import admin

from .models import AccountState


@admin.register(AccountState)
class AccountStateAdmin(admin.ModelAdmin):
    """Why accounts were disabled; re-enable one by ticking "active" on the user (counts as activity).
    Locked-out logins (django-axes): "Access attempts", delete a row to unlock."""

    list_display = ("user", "disabled_at", "disabled_reason", "reactivated_at")
    list_filter = ("disabled_reason",)
    search_fields = ("user__username",)
    readonly_fields = ("user", "disabled_at", "disabled_reason", "reactivated_at")

    def has_add_permission(self, request):
        return False
