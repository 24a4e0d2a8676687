"""Engagement admin: service groups and appointment slot rules are configured here; tickets,
appointments, ratings and feedback are read-only with their history (every change goes through
the services: ``services``, ``appointments``, ``ratings``, ``feedback``)."""

from __future__ import annotations

from django.contrib import admin

from .models import (
    Appointment,
    AppointmentEvent,
    Feedback,
    FeedbackEvent,
    Notification,
    NotificationPreference,
    Rating,
    ServiceGroup,
    SlotRule,
    Ticket,
    TicketEvent,
)


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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the services only: viewable, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SlotRule)
class SlotRuleAdmin(admin.ModelAdmin):
    list_display = ["desk", "group", "slot_minutes", "capacity", "days_ahead", "active"]
    list_editable = ["slot_minutes", "capacity", "days_ahead", "active"]
    list_filter = ["active", "desk__kind"]
    search_fields = ["desk__code", "desk__name", "group__name"]
    autocomplete_fields = ["desk"]
    list_select_related = ["desk", "group"]


class AppointmentEventInline(ReadOnlyInline):
    model = AppointmentEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "payload"]
    readonly_fields = fields


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ["code", "start", "desk", "procedure_code", "full_name", "status", "ticket"]
    list_filter = ["status", "day", "desk__kind"]
    search_fields = ["code", "id_number", "full_name", "desk__code", "procedure_code"]
    date_hierarchy = "day"
    list_select_related = ["desk", "ticket"]
    inlines = [AppointmentEventInline]


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["dossier", "overall", "created_at"]
    list_filter = ["overall"]
    search_fields = ["dossier__code"]
    date_hierarchy = "created_at"
    list_select_related = ["dossier"]


class FeedbackEventInline(ReadOnlyInline):
    model = FeedbackEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "note", "payload"]
    readonly_fields = fields


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "agency", "subject", "status", "received_at", "due_at", "assignee"]
    list_filter = ["kind", "status"]
    search_fields = ["code", "subject", "agency__name", "agency__code"]
    date_hierarchy = "received_at"
    list_select_related = ["agency", "assignee"]
    inlines = [FeedbackEventInline]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["masked_id_number", "email_enabled", "sms_enabled", "updated_at"]

    @admin.display(description="số định danh / mã số doanh nghiệp", ordering="id_number")
    def masked_id_number(self, obj):  # the list needs no full ID (search still takes one)
        from motcua.privacy.masking import mask_id

        return mask_id(obj.id_number)
    list_filter = ["email_enabled", "sms_enabled"]
    search_fields = ["id_number"]


@admin.action(description="Gửi lại các thông báo đã chọn (không thành công)")
def resend_notifications(modeladmin, request, queryset):
    from .notifications import requeue

    count = requeue(queryset.values_list("pk", flat=True))
    modeladmin.message_user(request, f"Đã xếp lại hàng đợi {count} thông báo.")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "dossier", "kind", "channel", "recipient", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["dossier__code", "recipient"]
    date_hierarchy = "created_at"
    list_select_related = ["dossier"]
    readonly_fields = ["dossier", "event"]
    actions = [resend_notifications]
