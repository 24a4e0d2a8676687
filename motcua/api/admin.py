"""Registering machine clients (ApiClient: scopes, agencies, rate limit, on/off) and reading the log
of their calls (ApiCall, read-only)."""

from django import forms
from django.contrib import admin
from oauth2_provider.settings import oauth2_settings

from .models import ApiCall, ApiClient


def _scope_choices():
    return [(name, f"{name} – {label}") for name, label in oauth2_settings.SCOPES.items()]


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label="Phạm vi được cấp",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Ứng dụng chỉ xin được mã truy cập với các phạm vi này (danh mục và lịch làm việc luôn được phép).",
    )

    class Meta:
        model = ApiClient
        fields = ["application", "agencies", "scopes", "rate", "active", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = _scope_choices()
        if self.instance.pk:
            self.initial["scopes"] = self.instance.scope_list

    def clean_scopes(self):
        return " ".join(self.cleaned_data["scopes"])


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["__str__", "client_id", "scopes", "rate", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["application__name", "application__client_id", "note"]
    autocomplete_fields = ["application", "agencies"]
    readonly_fields = ["created_at"]

    @admin.display(description="client_id", ordering="application__client_id")
    def client_id(self, obj):
        return obj.application.client_id

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("application")


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    list_display = ["at", "client_id", "method", "path", "status", "duration_ms", "remote_addr", "dossier_code"]
    list_filter = ["status", "method"]
    search_fields = ["client_id", "dossier_code", "path"]
    date_hierarchy = "at"
    show_full_result_count = False  # the log grows large: no COUNT(*) over it on every page

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
