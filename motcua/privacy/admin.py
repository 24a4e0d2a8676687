from django.contrib import admin
from django.utils import timezone

from .models import Breach


@admin.register(Breach)
class BreachAdmin(admin.ModelAdmin):
    list_display = ["__str__", "detected_at", "status", "deadline_display", "time_left", "reported_at"]
    list_filter = ["status", "sensitive"]
    search_fields = ["title", "description"]
    date_hierarchy = "detected_at"
    readonly_fields = ["deadline_display", "time_left", "created_by", "created_at", "updated_at"]

    @admin.display(description="hạn thông báo (72 giờ)")
    def deadline_display(self, obj):
        return timezone.localtime(obj.deadline).strftime("%d/%m/%Y %H:%M") if obj.detected_at else "—"

    @admin.display(description="thời gian còn lại")
    def time_left(self, obj):
        return obj.deadline_text() if obj.detected_at else "—"

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
