from django.contrib import admin, messages

from . import outbox
from .models import MessageStatus, OutboxMessage, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "active", "created_at"]
    list_filter = ["active"]
    filter_horizontal = ["agencies"]
    search_fields = ["name", "url"]


@admin.action(description="Gửi lại các thông điệp đã chọn")
def replay(modeladmin, request, queryset):
    count = outbox.replay(queryset.values_list("pk", flat=True))
    messages.success(request, f"Đã đưa {count} thông điệp về hàng chờ gửi.")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """The dead-letter list is the filter "Lỗi, ngừng gửi"; replay puts messages back in line."""

    list_display = ["key", "receiver", "dossier", "seq", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status", "receiver"]
    search_fields = ["key", "dossier__code"]
    list_select_related = ["dossier"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = [replay]
    show_full_result_count = False  # a large table: no COUNT(*) of everything

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-id")

    def changelist_view(self, request, extra_context=None):
        if "status__exact" not in request.GET and not request.GET.get("q"):
            dead = OutboxMessage.objects.filter(status=MessageStatus.DEAD).count()
            if dead:
                messages.warning(request, f"Có {dead} thông điệp lỗi đang chờ xử lý (lọc “Lỗi, ngừng gửi”).")
        return super().changelist_view(request, extra_context)
