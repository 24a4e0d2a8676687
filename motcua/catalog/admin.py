"""Catalog admin.

A version that has taken effect (``effective_from`` <= today) may have dossiers received under it,
so it is never edited: its page is read-only (inlines too) and it cannot be deleted. A change is a
new version (``services.new_version``: action and button "Tạo phiên bản mới"), editable until
its effective date. Dates chain: a version closes the day before its successor starts.
"""

import datetime as dt
from decimal import Decimal
from functools import cache

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from . import services
from .models import Component, Fee, Field, Procedure, ProcedureVersion, ProcessStep, ResultType
from .services import CatalogError, check_budgets


def is_published(version: ProcedureVersion | None) -> bool:
    """Has this (saved) version taken effect? Then it is frozen."""
    return version is not None and version.pk is not None and version.effective_from <= timezone.localdate()


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
    list_display = ["code", "__str__", "confidential", "retention_years"]
    list_filter = ["confidential"]
    search_fields = ["code", "versions__name"]
    inlines = [VersionInline]


class VersionPartInline(admin.TabularInline):
    """A part of a version (component, result, fee, step): frozen with its published version."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return not is_published(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not is_published(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not is_published(obj) and super().has_delete_permission(request, obj)


class ComponentInline(VersionPartInline):
    model = Component


class ResultInline(VersionPartInline):
    model = ResultType


class FeeInline(VersionPartInline):
    model = Fee


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


class StepInline(VersionPartInline):
    model = ProcessStep
    formset = StepFormSet


DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def _d(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


class VersionForm(forms.ModelForm):
    """Dates keep the chain of versions: no start in the past, none overlapping a neighbour."""

    # No Meta: ModelAdmin.get_form builds it (model and fields) around this class.

    def clean(self):
        data = super().clean()
        start = data.get("effective_from")
        instance = self.instance
        procedure = instance.procedure if instance.pk else data.get("procedure")
        if start is None or procedure is None or (instance.pk and "effective_from" not in self.changed_data):
            return data
        today = timezone.localdate()
        if start < today:
            self.add_error("effective_from", f"Ngày hiệu lực {_d(start)} đã qua; phải từ hôm nay ({_d(today)}) trở đi.")
        others = procedure.versions.exclude(pk=instance.pk)
        if instance.pk:
            earlier = others.filter(effective_from__lt=instance.effective_from).order_by("-effective_from").first()
            later = others.filter(effective_from__gt=instance.effective_from).order_by("effective_from").first()
        else:
            earlier, later = others.order_by("-effective_from").first(), None
        if earlier and start <= earlier.effective_from:
            self.add_error(
                "effective_from",
                f"Phiên bản {earlier.number} hiệu lực từ {_d(earlier.effective_from)}; ngày hiệu lực phải sau ngày đó.",
            )
        if later and start >= later.effective_from:
            self.add_error(
                "effective_from",
                f"Phiên bản {later.number} hiệu lực từ {_d(later.effective_from)}; ngày hiệu lực phải trước ngày đó.",
            )
        until = data.get("effective_until", instance.effective_until)
        if until and start > until:
            self.add_error("effective_from", f"Ngày hiệu lực phải trước ngày hết hiệu lực ({_d(until)}).")
        return data


class NewVersionForm(forms.Form):
    effective_from = forms.DateField(
        label="Ngày hiệu lực của phiên bản mới",
        input_formats=DATE_FORMATS,
        help_text="Nhập theo dạng dd/mm/yyyy, không sớm hơn hôm nay. "
        "Phiên bản đang áp dụng sẽ hết hiệu lực vào ngày liền trước.",
        error_messages={
            "required": "Hãy nhập ngày hiệu lực của phiên bản mới.",
            "invalid": "Ngày hiệu lực không hợp lệ; hãy nhập theo dạng dd/mm/yyyy (ví dụ 01/01/2026).",
        },
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "autocomplete": "off"}),
    )


# Templates live here (not in templates/admin/...) so the feature stays in one file.
CHANGE_FORM_TEMPLATE = """{% extends "admin/change_form.html" %}{% load admin_urls %}
{% block object-tools-items %}{% if can_create_version %}
<li><a href="{% url opts|admin_urlname:'new_version' original.pk|admin_urlquote %}" class="addlink">
Tạo phiên bản mới</a></li>
{% endif %}{{ block.super }}{% endblock %}
{% block form_top %}{% if published %}<p class="help">Phiên bản này đã có hiệu lực
từ {{ original.effective_from|date:"d/m/Y" }} nên không được sửa hoặc xoá
(có thể đã có hồ sơ tiếp nhận theo phiên bản này).
Để thay đổi, hãy tạo phiên bản mới.</p>{% endif %}{% endblock %}
"""

NEW_VERSION_TEMPLATE = """{% extends "admin/base_site.html" %}{% load i18n admin_urls %}
{% block bodyclass %}{{ block.super }} app-{{ opts.app_label }} model-{{ opts.model_name }} change-form{% endblock %}
{% block breadcrumbs %}<div class="breadcrumbs">
<a href="{% url 'admin:index' %}">{% translate 'Home' %}</a>
&rsaquo; <a href="{% url 'admin:app_list' app_label=opts.app_label %}">{{ opts.app_config.verbose_name }}</a>
&rsaquo; <a href="{% url opts|admin_urlname:'changelist' %}">{{ opts.verbose_name_plural|capfirst }}</a>
&rsaquo; <a href="{% url opts|admin_urlname:'change' original.pk|admin_urlquote %}">
{{ original|truncatewords:"18" }}</a>
&rsaquo; {{ title }}
</div>{% endblock %}
{% block content %}<div id="content-main">
<p>Sao chép phiên bản {{ original.number }} (hiệu lực từ {{ original.effective_from|date:"d/m/Y" }})
cùng thành phần hồ sơ, kết quả, phí, lệ phí, quy trình, cấp và cơ quan thực hiện thành phiên bản {{ next_number }}.
{% if open_version %}Phiên bản {{ open_version.number }} sẽ hết hiệu lực
vào ngày liền trước ngày hiệu lực mới.{% endif %}
Phiên bản mới được sửa cho đến khi có hiệu lực.</p>
<form method="post" novalidate>{% csrf_token %}
<fieldset class="module aligned">{% for field in form %}
<div class="form-row{% if field.errors %} errors{% endif %}">{{ field.errors }}
<div class="flex-container">{{ field.label_tag }} {{ field }}</div>
{% if field.help_text %}<div class="help" id="{{ field.auto_id }}_helptext">{{ field.help_text }}</div>{% endif %}
</div>{% endfor %}</fieldset>
<div class="submit-row">
<input type="submit" class="default" value="Tạo phiên bản mới">
<a href="{% url opts|admin_urlname:'change' original.pk|admin_urlquote %}" class="closelink">Huỷ</a>
</div>
</form>
</div>{% endblock %}
"""


@cache
def _template(source: str):
    return engines["django"].from_string(source)


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
    form = VersionForm
    actions = ["create_new_version"]

    @property
    def change_form_template(self):
        return _template(CHANGE_FORM_TEMPLATE)

    # --- Published versions are frozen -------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        return not is_published(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not is_published(obj) and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk is not None:
            fields += ["procedure", "number", "effective_until"]  # identity and the chain's end date
        return fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "published": is_published(obj),
            "can_create_version": obj is not None and self.has_add_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """Keep the chain when a future version's start moves (or a version is added): whatever
        is open on the new start closes the day before (the change view runs in a transaction)."""
        if "effective_from" in form.changed_data:
            before = obj.procedure.versions.exclude(pk=obj.pk).filter(effective_from__lt=obj.effective_from)
            if change:
                previous = before.order_by("-effective_from").first()
                old_start = form.initial["effective_from"]
                if previous and (
                    previous.effective_until is None
                    or previous.effective_until == old_start - dt.timedelta(days=1)
                    or previous.effective_until >= obj.effective_from
                ):
                    previous.effective_until = obj.effective_from - dt.timedelta(days=1)
                    previous.save(update_fields=["effective_until"])
            else:
                before.filter(Q(effective_until__isnull=True) | Q(effective_until__gte=obj.effective_from)).update(
                    effective_until=obj.effective_from - dt.timedelta(days=1)
                )
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        self._reopen_previous(obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset.order_by("-effective_from"):
                self._reopen_previous(obj)
                obj.delete()

    @staticmethod
    def _reopen_previous(obj):
        """Deleting a (future) version hands its period back to the version before it."""
        previous = (
            obj.procedure.versions.exclude(pk=obj.pk)
            .filter(effective_from__lt=obj.effective_from, effective_until=obj.effective_from - dt.timedelta(days=1))
            .order_by("-effective_from")
            .first()
        )
        if previous:
            previous.effective_until = obj.effective_until
            previous.save(update_fields=["effective_until"])

    # --- New version: action, button and page ------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/phien-ban-moi/",
                self.admin_site.admin_view(self.new_version_view),
                name="{}_{}_new_version".format(*info),
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Tạo phiên bản mới", permissions=["add"])
    def create_new_version(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Hãy chọn đúng một phiên bản để tạo phiên bản mới.", messages.ERROR)
            return None
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_new_version", args=[queryset.get().pk])
        )

    def new_version_view(self, request, object_id):
        version = self.get_object(request, unquote(object_id))
        if version is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not (self.has_view_permission(request, version) and self.has_add_permission(request)):
            raise PermissionDenied
        latest = version.procedure.versions.order_by("-number").first()
        if request.method == "POST":
            form = NewVersionForm(request.POST)
            if form.is_valid():
                try:
                    created = services.new_version(version, form.cleaned_data["effective_from"], user=request.user)
                except CatalogError as exc:
                    for error in exc.errors:
                        self.message_user(request, error, messages.ERROR)
                except IntegrityError:  # another version was numbered at the same moment
                    self.message_user(request, "Một phiên bản khác vừa được tạo cùng lúc; hãy thử lại.", messages.ERROR)
                else:
                    self.log_addition(request, created, f"Tạo từ phiên bản {version.number}.")
                    closed = (
                        f"; các phiên bản trước hết hiệu lực ngày {_d(created.effective_from - dt.timedelta(days=1))}"
                        if created.number > 1
                        else ""
                    )
                    self.message_user(
                        request,
                        f"Đã tạo phiên bản {created.number} của thủ tục {created.procedure.code} từ phiên bản "
                        f"{version.number}, hiệu lực từ {_d(created.effective_from)}{closed}. "
                        + (
                            "Có thể chỉnh sửa phiên bản mới cho đến khi có hiệu lực."
                            if not is_published(created)
                            else "Phiên bản mới đã có hiệu lực nên không sửa được."
                        ),
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[created.pk])
                    )
            else:
                for errors in form.errors.values():
                    for error in errors:
                        self.message_user(request, error, messages.ERROR)
        else:
            today = timezone.localdate()
            start = max(today, latest.effective_from) + dt.timedelta(days=1)
            form = NewVersionForm(initial={"effective_from": start})
        context = {
            **self.admin_site.each_context(request),
            "title": "Tạo phiên bản mới",
            "subtitle": str(version),
            "opts": self.opts,
            "original": version,
            "form": form,
            "media": self.media + form.media,
            "next_number": (latest.number + 1) if latest else 1,
            "open_version": version.procedure.versions.filter(effective_until__isnull=True)
            .order_by("-effective_from")
            .first(),
        }
        return TemplateResponse(request, _template(NEW_VERSION_TEMPLATE), context)
