from django.contrib import admin

from .models import DayOverride, OfficeHours


@admin.register(DayOverride)
class DayOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "reason", "decision", "province"]
    list_filter = ["kind", "province"]
    date_hierarchy = "date"
    search_fields = ["reason", "decision"]


@admin.register(OfficeHours)
class OfficeHoursAdmin(admin.ModelAdmin):
    list_display = ["valid_from", "morning_start", "morning_end", "afternoon_start", "afternoon_end", "province"]
