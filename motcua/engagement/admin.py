"""Queue admin: service groups are configured here; tickets and their history are read-only
(every change goes through ``engagement.services``)."""

from __future__ import annotations

from django.contrib import admin

from .models import ServiceGroup, Ticket, TicketEvent


@admin.register(ServiceGroup)
class ServiceGroupAdmin(admin.ModelAdmin):
    list_display = ["letter", "name", "desk", "order", "active"]
    list_display_links = ["letter", "name"]
    list_filter = ["active", "desk__kind"]
    list_editable = ["order", "active"]
    search_fields = ["name", "letter", "desk__code", "desk__name"]
    autocomplete_fields = ["desk"]
    filter_horizontal = ["fields"]
    list_select_related = ["desk"]


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    fields = ["at", "action", "from_status", "to_status", "counter", "actor", "payload"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "day",
        "desk",
        "group",
        "priority",
        "status",
        "issued_at",
        "called_at",
        "counter",
        "officer",
    ]
    list_filter = ["status", "priority", "day", "desk__kind"]
    search_fields = ["code", "desk__code", "desk__name"]
    date_hierarchy = "day"
    list_select_related = ["desk", "group", "counter", "officer"]
    inlines = [TicketEventInline]
    readonly_fields = [
        "desk",
        "group",
        "day",
        "number",
        "code",
        "priority",
        "status",
        "issued_at",
        "queued_at",
        "called_at",
        "last_called_at",
        "served_at",
        "finished_at",
        "target_counter",
        "counter",
        "officer",
        "recall_count",
        "transferred_from",
        "dossier",
        "wait_seconds",
        "service_seconds",
        "intake_seconds",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
