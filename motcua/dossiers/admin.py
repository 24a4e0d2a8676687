"""Dossiers admin.

* ``SlipTemplate`` (Mẫu phiếu) is the one thing editable here: a province's wording/layout of the
  printed slips 01–07, a Django template checked for syntax on save, with a PDF preview.
* Dossiers are read-only (with their components, steps and event history as inlines): every change
  goes through ``services.act`` and history is never rewritten. The list shows only what
  ``Dossier.objects.visible_to(user)`` allows; opening a dossier, printing a slip or exporting the
  tracking book writes the personal-data access log.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template import TemplateSyntaxError, engines
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from motcua.audit.services import log_access

from . import slips
from .models import Dossier, DossierComponent, Event, SlipTemplate, Step

SLIP_CHOICES = [(number, f"Mẫu {number} – {title}") for number, title in slips.SLIP_TITLES.items()]


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# ------------------------------------------------------------------------------------------------
# Slip templates (editable)
# ------------------------------------------------------------------------------------------------
class SlipTemplateForm(forms.ModelForm):
    code = forms.ChoiceField(label="Mẫu số", choices=SLIP_CHOICES)

    class Meta:
        model = SlipTemplate
        fields = ["code", "name", "body"]
        widgets = {
            "body": forms.Textarea(
                attrs={"rows": 32, "cols": 130, "spellcheck": "false", "style": "font-family:monospace"}
            )
        }
        help_texts = {
            "body": 'Mẫu Django (HTML). Nên bắt đầu bằng {% extends "dossiers/slips/base.html" %} và sửa các khối '
            "{% block content %}, {% block signatures %}. Các biến dùng được: " + slips.CONTEXT_HELP,
        }

    def clean_body(self):
        body = self.cleaned_data["body"]
        if not body.strip():
            raise ValidationError("Nội dung mẫu phiếu không được để trống.")
        try:
            engines["django"].from_string(body)
        except TemplateSyntaxError as exc:
            raise ValidationError(f"Mẫu phiếu có lỗi cú pháp: {exc}") from None
        return body


@admin.register(SlipTemplate)
class SlipTemplateAdmin(admin.ModelAdmin):
    form = SlipTemplateForm
    list_display = ["code", "name", "updated_at", "preview_link"]
    list_display_links = ["code", "name"]
    readonly_fields = ["updated_at", "preview_link"]
    fields = ["code", "name", "body", "updated_at", "preview_link"]
    ordering = ["code"]

    @admin.display(description="Xem trước")
    def preview_link(self, obj):
        if obj is None or obj.pk is None:
            return "Lưu mẫu để xem trước."
        url = reverse("admin:dossiers_sliptemplate_preview", args=[obj.pk])
        return format_html('<a href="{}" target="_blank">Xem trước (PDF, hồ sơ gần nhất phù hợp)</a>', url)

    def get_changeform_initial_data(self, request):
        """``?code=01`` on the add page starts from the packaged wording of that slip."""
        initial = super().get_changeform_initial_data(request)
        code = str(initial.get("code") or "")
        if code in slips.SLIP_TITLES:
            initial.setdefault("name", slips.SLIP_TITLES[code])
            initial.setdefault("body", slips.packaged_template_source(code))
        return initial

    def changelist_view(self, request, extra_context=None):
        existing = set(SlipTemplate.objects.values_list("code", flat=True))
        add = reverse("admin:dossiers_sliptemplate_add")
        starters = [(f"{add}?code={n}", label) for n, label in SLIP_CHOICES if n not in existing]
        extra_context = {**(extra_context or {}), "slip_starters": starters}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view(self.preview_view)
        return [path("<int:pk>/xem-truoc/", view, name="dossiers_sliptemplate_preview"), *super().get_urls()]

    def preview_view(self, request, pk: int):
        template = SlipTemplate.objects.filter(pk=pk).first()
        if template is None:
            raise Http404("Không tìm thấy mẫu phiếu.")
        if not self.has_view_permission(request, template):
            raise PermissionDenied
        visible = Dossier.objects.visible_to(request.user).order_by("-id")
        code = request.GET.get("ho_so")
        if code:
            visible = visible.filter(code=code)
        try:
            if template.code == slips.BOOK:
                pdf = slips.tracking_book_pdf(visible[:20])
                shown = list(visible[:20])
            else:
                pdf, shown = None, []
                for dossier in visible[:200]:
                    try:
                        pdf = slips.render_slip(dossier, template.code)
                    except ValueError:
                        continue
                    shown = [dossier]
                    break
                if pdf is None:
                    raise ValueError(f"Chưa có hồ sơ nào áp dụng được mẫu {template.code} để xem trước.")
        except ValueError as exc:
            self.message_user(request, str(exc), messages.WARNING)
            return HttpResponseRedirect(reverse("admin:dossiers_sliptemplate_change", args=[pk]))
        log_access(
            user=request.user,
            objects=shown,
            object_type="dossier",
            action="print",
            purpose="xem trước mẫu phiếu",
            request=request,
        )
        return _pdf_response(pdf, f"xem-truoc-mau-{template.code}.pdf")


# ------------------------------------------------------------------------------------------------
# Dossiers (read-only)
# ------------------------------------------------------------------------------------------------
class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ComponentInline(ReadOnlyInline):
    model = DossierComponent
    fields = ["code", "name", "required", "provided", "copies", "source", "note"]
    readonly_fields = fields


class StepInline(ReadOnlyInline):
    model = Step
    fields = [
        "order",
        "name",
        "agency",
        "role",
        "parallel",
        "status",
        "assignee",
        "started_at",
        "due_at",
        "finished_at",
        "budget",
        "used",
        "acknowledged_at",
        "opinion",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("agency", "assignee")

    @admin.display(description="thời gian quy định")
    def budget(self, obj):
        return slips.fmt_budget(obj.budget_units)

    @admin.display(description="thời gian đã dùng")
    def used(self, obj):
        return slips.fmt_units(obj.used_units)


class EventInline(ReadOnlyInline):
    model = Event
    fields = [
        "at",
        "action",
        "from_state",
        "to_state",
        "actor_name",
        "actor_role",
        "agency",
        "step",
        "reason",
        "payload",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("agency", "step")


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    list_display = ["code", "procedure", "applicant_name", "state", "agency", "received_at", "due_at", "late"]
    list_filter = ["state", "channel", "return_channel"]
    search_fields = ["=code", "applicant_name"]
    list_select_related = ["version", "agency"]
    list_per_page = 50
    show_full_result_count = False
    inlines = [ComponentInline, StepInline, EventInline]
    actions = ["export_book_xlsx", "export_book_pdf"]
    fieldsets = [
        ("Hồ sơ", {"fields": ["code", "bundle", "version", "state", "channel", "desk", "receiving_agency", "agency"]}),
        (
            "Người nộp, chủ hồ sơ",
            {
                "fields": [
                    "applicant_name",
                    "applicant_id_number",
                    "applicant_phone",
                    "applicant_email",
                    "applicant_address",
                    "owner_name",
                    "owner_id_number",
                ]
            },
        ),
        (
            "Thời hạn",
            {
                "fields": [
                    "submitted_at",
                    "received_at",
                    "original_due_at",
                    "due_at",
                    "paused_at",
                    "finished_at",
                    "returned_at",
                    "closed_at",
                    "apology_count",
                ]
            },
        ),
        (
            "Kết quả",
            {"fields": ["return_channel", "return_address", "fee_status", "fee_amount", "outcome", "outcome_reason"]},
        ),
        ("Phiếu in", {"fields": ["slip_links"]}),
    ]
    readonly_fields = ["slip_links"]

    # Read-only: every change is an action with its event (services.act).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    @admin.display(description="thủ tục", ordering="version__name")
    def procedure(self, obj):
        return obj.version.name

    @admin.display(description="trễ hạn", boolean=True)
    def late(self, obj):
        return obj.is_late()

    @admin.display(description="Phiếu in")
    def slip_links(self, obj):
        if obj is None or obj.pk is None:
            return ""
        numbers = slips.applicable_slips(obj)
        if not numbers:
            return "Chưa có phiếu nào áp dụng cho hồ sơ này."
        return format_html_join(
            " · ",
            '<a href="{}" target="_blank">Mẫu {} – {}</a>',
            ((reverse("admin:dossiers_dossier_slip", args=[obj.pk, n]), n, slips.SLIP_TITLES[n]) for n in numbers),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = response.context_data.get("original") if isinstance(response, TemplateResponse) else None
        if obj is not None:
            log_access(user=request.user, objects=[obj], object_type="dossier", purpose="quản trị", request=request)
        return response

    def get_urls(self):
        view = self.admin_site.admin_view(self.slip_view)
        return [path("<int:pk>/phieu/<str:number>/", view, name="dossiers_dossier_slip"), *super().get_urls()]

    def slip_view(self, request, pk: int, number: str):
        dossier = self.get_object(request, str(pk))
        if dossier is None:
            raise Http404("Không tìm thấy hồ sơ.")
        if not self.has_view_permission(request, dossier):
            raise PermissionDenied
        try:
            pdf = slips.render_slip(dossier, number)
        except ValueError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:dossiers_dossier_change", args=[pk]))
        log_access(
            user=request.user,
            objects=[dossier],
            object_type="dossier",
            action="print",
            purpose=f"in mẫu {number}",
            request=request,
        )
        return _pdf_response(pdf, f"{dossier.code}-mau-{number}.pdf")

    def _book(self, request, queryset, kind: str):
        dossiers = list(queryset.select_related(*slips.BOOK_RELATIONS).order_by("received_at", "id"))
        log_access(
            user=request.user,
            objects=dossiers,
            object_type="dossier",
            action="export",
            purpose="sổ theo dõi hồ sơ",
            request=request,
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        if kind == "xlsx":
            response = HttpResponse(
                slips.tracking_book_xlsx(dossiers),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = f'attachment; filename="so-theo-doi-ho-so-{stamp}.xlsx"'
            return response
        response = _pdf_response(slips.tracking_book_pdf(dossiers), f"so-theo-doi-ho-so-{stamp}.pdf")
        response["Content-Disposition"] = f'attachment; filename="so-theo-doi-ho-so-{stamp}.pdf"'
        return response

    @admin.action(description="Tải Sổ theo dõi hồ sơ (Excel) của các hồ sơ đã chọn")
    def export_book_xlsx(self, request, queryset):
        return self._book(request, queryset, "xlsx")

    @admin.action(description="Tải Sổ theo dõi hồ sơ (PDF) của các hồ sơ đã chọn")
    def export_book_pdf(self, request, queryset):
        return self._book(request, queryset, "pdf")
