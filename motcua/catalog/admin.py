from decimal import Decimal

from django import forms
from django.contrib import admin

from .models import Component, Fee, Field, Procedure, ProcedureVersion, ProcessStep, ResultType
from .services import check_budgets


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class VersionInline(admin.TabularInline):
    model = ProcedureVersion
    fields = ["number", "name", "effective_from", "effective_until", "time_limit_days", "online_level"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["code", "__str__"]
    search_fields = ["code", "versions__name"]
    inlines = [VersionInline]


class ComponentInline(admin.TabularInline):
    model = Component
    extra = 0


class ResultInline(admin.TabularInline):
    model = ResultType
    extra = 0


class FeeInline(admin.TabularInline):
    model = Fee
    extra = 0


class StepFormSet(forms.BaseInlineFormSet):
    """Step budgets must fit the legal limit entered on the parent form (catalog.services rule)."""

    def clean(self):
        super().clean()
        limit = self.instance.time_limit_days
        if limit is None:
            return
        budgets = [
            (f.cleaned_data["budget_days"], f.cleaned_data.get("parallel", False))
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("budget_days") is not None
        ]
        problem = check_budgets(Decimal(limit), budgets)
        if problem:
            raise forms.ValidationError(problem)


class StepInline(admin.TabularInline):
    model = ProcessStep
    formset = StepFormSet
    extra = 0


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(admin.ModelAdmin):
    list_display = [
        "procedure",
        "number",
        "name",
        "field",
        "time_limit_days",
        "online_level",
        "effective_from",
        "effective_until",
        "essential",
    ]
    list_filter = ["online_level", "essential", "levels", "field"]
    search_fields = ["procedure__code", "name", "search_text"]
    autocomplete_fields = ["procedure", "field", "agencies"]
    filter_horizontal = ["levels"]
    readonly_fields = ["content_hash"]
    inlines = [ComponentInline, ResultInline, FeeInline, StepInline]
