from django.contrib import admin

from .models import AdministrativeLevel, AdministrativeUnit, Agency, AgencyRename, Counter, Desk, StaffMembership


@admin.register(AdministrativeLevel)
class LevelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "rank"]


@admin.register(AdministrativeUnit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "valid_from", "valid_until", "successor"]
    list_filter = ["level", "remote_area"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent", "successor"]


class RenameInline(admin.TabularInline):
    model = AgencyRename
    extra = 0
    readonly_fields = ["old_name", "new_name", "effective_date", "decision"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # renames go through org.services.rename_agency (history is never rewritten)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "unit", "valid_from", "valid_until", "successor"]
    list_filter = ["kind", "unit__level"]
    search_fields = ["code", "name", "short_name"]
    autocomplete_fields = ["unit", "parent", "successor"]
    inlines = [RenameInline]


class CounterInline(admin.TabularInline):
    model = Counter
    extra = 0


@admin.register(Desk)
class DeskAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "agency", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["agency"]
    filter_horizontal = ["served_agencies"]
    inlines = [CounterInline]


@admin.register(StaffMembership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "agency", "desk", "title", "active"]
    list_filter = ["role", "active"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "agency__name"]
    autocomplete_fields = ["user", "agency", "desk"]
