"""Dossier endpoints: ``/api/v1/dossiers/…`` (staff; machine clients by scope) and the public
tracking page ``/api/v1/public/dossiers/<code>``.

Thin: parse, call ``motcua.dossiers.services``, serialize. Access is ``readable``: the staff rule
``Dossier.objects.visible_to``, or for a machine client the dossiers of its agencies
(``permissions.client_dossiers``); an invisible dossier is a 404, exactly as an unknown one. A machine
client reads with ``dossiers:read``, submits online dossiers for its agencies with ``dossiers:create``
and never acts on a dossier.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re

from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from motcua.audit.services import log_access
from motcua.catalog.services import version_in_force
from motcua.common import submission_limits
from motcua.common.inputs import as_int
from motcua.dossiers import services, slips, tracking
from motcua.dossiers.bundles import BUNDLES
from motcua.dossiers.models import Channel, Dossier, Event, ReturnChannel, Step
from motcua.dossiers.states import TRANSITIONS, Actor, State, event_label
from motcua.identity.ids import mask_name
from motcua.identity.verification import verify
from motcua.wallet import services as wallet
from motcua.workcalendar.engine import UNITS_PER_DAY, VN_TZ, OutOfCalendarRange

from .base import ApiView
from .errors import ApiError
from .permissions import CREATE_SCOPE, READ_SCOPE, api_client, client_application, client_dossiers

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_IDEMPOTENCY_KEY = 80
TRUE_VALUES = {"true", "1", "yes", "có"}
FALSE_VALUES = {"false", "0", "no", "không"}
# Events that are not transitions of the table (intake).


# ------------------------------------------------------------------------------------------------
# Access
# ------------------------------------------------------------------------------------------------
def readable(request):
    """Dossiers the caller may read: the access rule for staff (``Dossier.objects.visible_to``), the
    dossiers of its agencies for a machine client (``client_dossiers``; its scopes are checked by
    ``ApiAccess`` from the view's ``required_scopes``)."""
    if client_application(request) is not None:
        return client_dossiers(api_client(request))
    return Dossier.objects.visible_to(request.user)


def _not_found(code: str) -> ApiError:
    return ApiError(f"Không tìm thấy hồ sơ có mã '{code}'.", "not_found", status_code=status.HTTP_404_NOT_FOUND)


# ------------------------------------------------------------------------------------------------
# Serializers: input
# ------------------------------------------------------------------------------------------------
class PartyInputSerializer(serializers.Serializer):
    type = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="Loại: citizen (công dân) hoặc organization."
    )
    name = serializers.CharField(max_length=255, help_text="Họ tên (công dân) hoặc tên tổ chức.")
    id_number = serializers.CharField(
        max_length=20, help_text="Số định danh cá nhân (12 số), CMND (9 số) hoặc mã số thuế (10/13 số)."
    )
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30, help_text="Số điện thoại.")
    email = serializers.CharField(required=False, allow_blank=True, max_length=254, help_text="Thư điện tử.")
    address = serializers.CharField(required=False, allow_blank=True, max_length=500, help_text="Địa chỉ.")


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "description": "Mã thành phần hồ sơ (số bản theo quy định)."},
            {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "copies": {"type": "integer", "minimum": 1},
                    "reuse": {
                        "type": "string",
                        "description": "Không nộp lại: địa chỉ giấy tờ trong kho dữ liệu (vn.gov.…) hoặc "
                        "population_db / business_registry (khai thác từ CSDL quốc gia).",
                    },
                },
                "required": ["code"],
            },
        ]
    }
)
class ComponentItemField(serializers.Field):
    """A component handed in: its code, or {"code", "copies"}."""

    default_error_messages = {
        "invalid": "Thành phần hồ sơ phải là mã (chuỗi) hoặc đối tượng có code và copies.",
        "copies": "Số bản của thành phần hồ sơ phải là số nguyên từ 1 đến 99.",
        "reuse": "reuse phải là địa chỉ giấy tờ trong kho dữ liệu hoặc population_db / business_registry.",
    }

    def to_internal_value(self, data):
        if isinstance(data, str) and data.strip():
            return data.strip()
        if isinstance(data, dict) and isinstance(data.get("code"), str) and data["code"].strip():
            item = {"code": data["code"].strip()}
            copies = data.get("copies")
            if copies is not None:
                if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= 99:
                    self.fail("copies")
                item["copies"] = copies
            reuse = data.get("reuse")
            if reuse is not None:
                if not isinstance(reuse, str) or not reuse.strip() or len(reuse) > 120:
                    self.fail("reuse")
                item["reuse"] = reuse.strip()
            return item
        self.fail("invalid")

    def to_representation(self, value):
        return value


class IntakeInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, help_text="Kênh tiếp nhận.")
    desk = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=40,
        help_text="Mã bộ phận một cửa tiếp nhận (bỏ trống: bộ phận của cán bộ).",
    )
    applicant = PartyInputSerializer(help_text="Người nộp hồ sơ.")
    owner = PartyInputSerializer(required=False, allow_null=True, help_text="Chủ hồ sơ (bỏ trống nếu là người nộp).")
    components = serializers.ListField(
        child=ComponentItemField(), required=False, default=list, max_length=100, help_text="Thành phần hồ sơ đã nộp."
    )
    return_channel = serializers.ChoiceField(
        choices=ReturnChannel.choices,
        required=False,
        default=ReturnChannel.COUNTER,
        help_text="Hình thức nhận kết quả.",
    )
    return_address = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=500, help_text="Địa chỉ nhận kết quả (bưu chính)."
    )
    fee_exemptions = serializers.ListField(
        child=serializers.ChoiceField(
            choices=["poor_household", "ethnic_minority", "disabled", "social_policy", "in_time"]
        ),
        required=False,
        default=list,
        max_length=5,
        help_text="Đối tượng miễn, giảm phí, lệ phí người nộp kê khai (bộ phận một cửa kiểm tra giấy tờ chứng minh).",
    )

    def intake_args(self) -> dict:
        v = self.validated_data
        return {
            "channel": v["channel"],
            "desk_code": v.get("desk") or None,
            "applicant": dict(v["applicant"]),
            "owner": dict(v["owner"]) if v.get("owner") else None,
            "components": v["components"],
            "return_channel": v["return_channel"],
            "return_address": v["return_address"],
            "fee_exemptions": list(v.get("fee_exemptions") or []),
        }


class DossierCreateSerializer(IntakeInputSerializer):
    procedure = serializers.CharField(max_length=40, help_text="Mã thủ tục hành chính, ví dụ 1.001193.")
    agency = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=40,
        help_text="Mã định danh điện tử của cơ quan giải quyết (bỏ trống: cơ quan mà bộ phận một cửa phục vụ).",
    )
    fee_paid = serializers.BooleanField(
        required=False, default=False, help_text="Đã thu phí, lệ phí cùng hồ sơ tại bộ phận một cửa."
    )


class BundleCreateSerializer(IntakeInputSerializer):
    kind = serializers.CharField(max_length=40, help_text="Loại liên thông: " + ", ".join(BUNDLES) + ".")
    choices = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=list,
        max_length=10,
        help_text="Mã thủ tục được chọn ở các vị trí có lựa chọn (ví dụ 1.010058 hoặc 1.010059).",
    )
    agencies = serializers.DictField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=dict,
        help_text="Cơ quan giải quyết theo từng thủ tục: {mã thủ tục: mã cơ quan} (không bắt buộc).",
    )


class ActionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=4000, help_text="Lý do / nội dung (nếu cần)."
    )
    data = serializers.DictField(
        required=False, default=dict, help_text="Dữ liệu riêng của thao tác (ví dụ missing, amount, new_due)."
    )
    expected_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Phiên bản hồ sơ đã xem (thay cho header If-Match; If-Match được ưu tiên).",
    )


def _validated(serializer_class, request):
    if not isinstance(request.data, dict):
        raise ApiError("Nội dung yêu cầu phải là một đối tượng JSON.", "invalid_body")
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer


# ------------------------------------------------------------------------------------------------
# Serializers: output
# ------------------------------------------------------------------------------------------------
class RefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ProcedureRefSerializer(serializers.Serializer):
    code = serializers.CharField(source="procedure.code")
    name = serializers.CharField()


class DossierRowSerializer(serializers.Serializer):
    """One compact row of the dossier list."""

    code = serializers.CharField()
    procedure = ProcedureRefSerializer(source="version")
    state = serializers.CharField()
    state_label = serializers.CharField()
    national_status_code = serializers.IntegerField()
    agency = RefSerializer(help_text="Cơ quan giải quyết.")
    channel = serializers.CharField()
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    late = serializers.SerializerMethodField(help_text="Quá hạn (tính theo thời gian làm việc).")
    applicant_name = serializers.CharField()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_late(self, obj) -> bool:
        return obj.is_late(self.context.get("now"))


class DossierPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="Trang tiếp theo (null nếu hết).")
    page_size = serializers.IntegerField()
    results = DossierRowSerializer(many=True)


class ApplicantOutSerializer(serializers.Serializer):
    type = serializers.CharField(source="applicant_type")
    name = serializers.CharField(source="applicant_name")
    id_number = serializers.CharField(source="applicant_id_number")
    phone = serializers.CharField(source="applicant_phone")
    email = serializers.CharField(source="applicant_email")
    address = serializers.CharField(source="applicant_address")
    identity_status = serializers.CharField(
        help_text="Đối chiếu CSDL quốc gia: verified, mismatch, not_found, not_verified (rỗng: chưa đối chiếu)."
    )
    identity_checked_at = serializers.DateTimeField(allow_null=True)


class OwnerOutSerializer(serializers.Serializer):
    type = serializers.CharField(source="owner_type")
    name = serializers.CharField(source="owner_name")
    id_number = serializers.CharField(source="owner_id_number")


class ComponentOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    required = serializers.BooleanField()
    provided = serializers.BooleanField()
    copies = serializers.IntegerField()
    source = serializers.CharField(
        help_text="applicant, linked, data_store (tái sử dụng), population_db, business_registry (khai thác CSDL)."
    )
    note = serializers.CharField()


class UserRefSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        # Vietnamese order: family (last_name) then given name (first_name).
        return " ".join(f"{user.last_name} {user.first_name}".split()) or user.get_username()


def _days(units: int) -> float:
    return round(units / UNITS_PER_DAY, 2)


class StepOutSerializer(serializers.Serializer):
    """A process step with the working time used against its budget (1 day = 28 800 units)."""

    id = serializers.IntegerField()
    order = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()
    role_label = serializers.CharField(source="get_role_display")
    agency = RefSerializer()
    parallel = serializers.BooleanField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    assignee = UserRefSerializer(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    used_units = serializers.SerializerMethodField(help_text="Thời gian đã dùng (đơn vị giờ làm việc).")
    budget_units = serializers.IntegerField(help_text="Thời gian quy định (đơn vị giờ làm việc).")
    overrun_units = serializers.SerializerMethodField(help_text="Vượt thời gian quy định (đơn vị).")
    used_days = serializers.SerializerMethodField(help_text="Số ngày làm việc đã dùng.")
    budget_days = serializers.SerializerMethodField(help_text="Số ngày làm việc quy định.")
    opinion = serializers.CharField()

    def _usage(self, step) -> dict:
        return self.context["usage"].get(step.pk, {"used_units": step.used_units, "overrun_units": 0})

    @extend_schema_field(OpenApiTypes.INT)
    def get_used_units(self, step) -> int:
        return self._usage(step)["used_units"]

    @extend_schema_field(OpenApiTypes.INT)
    def get_overrun_units(self, step) -> int:
        return self._usage(step)["overrun_units"]

    @extend_schema_field(OpenApiTypes.FLOAT)
    def get_used_days(self, step) -> float:
        return _days(self._usage(step)["used_units"])

    @extend_schema_field(OpenApiTypes.FLOAT)
    def get_budget_days(self, step) -> float:
        return _days(step.budget_units)


class EventOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    action_label = serializers.SerializerMethodField()
    at = serializers.DateTimeField()
    actor_name = serializers.CharField()
    actor_role = serializers.CharField()
    actor_role_label = serializers.SerializerMethodField()
    agency = RefSerializer(allow_null=True)
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    step = serializers.SerializerMethodField(help_text="Thứ tự bước liên quan (nếu có).")
    reason = serializers.CharField()
    payload = serializers.JSONField()

    def get_action_label(self, event) -> str:
        return event_label(event.action)

    def get_actor_role_label(self, event) -> str:
        return Actor(event.actor_role).label if event.actor_role in Actor.values else event.actor_role

    @extend_schema_field(OpenApiTypes.INT)
    def get_step(self, event) -> int | None:
        return event.step.order if event.step_id else None


class OverrunSerializer(serializers.Serializer):
    step = serializers.IntegerField(help_text="Thứ tự bước.")
    name = serializers.CharField()
    agency = serializers.CharField(help_text="Mã cơ quan của bước.")
    used_units = serializers.IntegerField()
    budget_units = serializers.IntegerField()
    overrun_units = serializers.IntegerField()
    overrun_days = serializers.FloatField()


class BundleRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    order = serializers.IntegerField(help_text="Vị trí của hồ sơ trong chuỗi liên thông.")


class DossierDetailSerializer(DossierRowSerializer):
    """The whole dossier: parties, components, steps (time used vs budget), history, overrun."""

    lock_version = serializers.IntegerField(help_text="Phiên bản (dùng cho If-Match / expected_version).")
    channel_label = serializers.CharField(source="get_channel_display")
    desk = RefSerializer(help_text="Bộ phận một cửa tiếp nhận.")
    receiving_agency = RefSerializer(help_text="Cơ quan tiếp nhận.")
    applicant = ApplicantOutSerializer(source="*")
    owner = OwnerOutSerializer(source="*")
    submitted_at = serializers.DateTimeField()
    original_due_at = serializers.DateTimeField(allow_null=True)
    paused = serializers.BooleanField(help_text="Đang tạm dừng tính thời gian (chờ người nộp).")
    finished_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    return_channel = serializers.CharField()
    return_address = serializers.CharField()
    fee_status = serializers.CharField()
    fee_amount = serializers.IntegerField()
    outcome = serializers.CharField()
    outcome_reason = serializers.CharField()
    apology_count = serializers.IntegerField()
    bundle = serializers.SerializerMethodField()
    current_step = serializers.SerializerMethodField(help_text="Thứ tự bước hiện tại.")
    components = ComponentOutSerializer(many=True)
    steps = serializers.SerializerMethodField()
    events = EventOutSerializer(many=True)
    overrun = serializers.SerializerMethodField(help_text="Các bước vượt thời gian (hồ sơ quá hạn).")

    @extend_schema_field(BundleRefSerializer(allow_null=True))
    def get_bundle(self, d):
        if not d.bundle_id:
            return None
        return {"code": d.bundle.code, "kind": d.bundle.kind, "order": d.bundle_order}

    @extend_schema_field(OpenApiTypes.INT)
    def get_current_step(self, d) -> int | None:
        return next((s.order for s in d.steps.all() if s.pk == d.current_step_id), None)

    @extend_schema_field(StepOutSerializer(many=True))
    def get_steps(self, d):
        return StepOutSerializer(d.steps.all(), many=True, context=self.context).data

    @extend_schema_field(OverrunSerializer(many=True))
    def get_overrun(self, d):
        return [
            {
                "step": r["step"].order,
                "name": r["step"].name,
                "agency": r["step"].agency.code,
                "used_units": r["used_units"],
                "budget_units": r["budget_units"],
                "overrun_units": r["overrun_units"],
                "overrun_days": _days(r["overrun_units"]),
            }
            for r in self.context["overrun"]
        ]


class BundleMemberSerializer(serializers.Serializer):
    code = serializers.CharField()
    state = serializers.CharField()
    procedure = serializers.CharField(source="version.procedure.code")
    agency = serializers.CharField(source="agency.code")


class BundleOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    dossiers = BundleMemberSerializer(many=True)


class PublicBundleMemberSerializer(serializers.Serializer):
    code = serializers.CharField()
    procedure = ProcedureRefSerializer(source="version")
    state = serializers.CharField()
    state_label = serializers.CharField()


class PublicBundleSerializer(serializers.Serializer):
    code = serializers.CharField()
    dossiers = PublicBundleMemberSerializer(many=True)


class PublicDossierSerializer(serializers.Serializer):
    """What anyone may see with a dossier code: progress only, the applicant's name masked."""

    code = serializers.CharField()
    procedure = ProcedureRefSerializer(source="version")
    state = serializers.CharField()
    state_label = serializers.CharField()
    national_status_code = serializers.IntegerField()
    agency = RefSerializer(help_text="Cơ quan giải quyết.")
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
    applicant = serializers.SerializerMethodField(help_text="Tên người nộp đã che (ví dụ N*** V** An).")
    bundle = serializers.SerializerMethodField(help_text="Hồ sơ liên thông cùng chuỗi (null nếu không có).")

    def get_applicant(self, d) -> str:
        return mask_name(d.applicant_name)

    @extend_schema_field(PublicBundleSerializer(allow_null=True))
    def get_bundle(self, d):
        members = self.context.get("members")
        if not d.bundle_id or members is None:
            return None
        return {"code": d.bundle.code, "dossiers": PublicBundleMemberSerializer(members, many=True).data}


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Mã lỗi (máy đọc).")
    message = serializers.CharField(help_text="Thông báo lỗi bằng tiếng Việt.")
    details = serializers.JSONField(allow_null=True)


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


def _errors(*codes: int) -> dict:
    texts = {
        400: "Dữ liệu không hợp lệ.",
        401: "Chưa xác thực.",
        403: "Không có quyền.",
        404: "Không tìm thấy hồ sơ (hoặc không có quyền xem).",
        409: "Trạng thái hồ sơ không cho phép thao tác này.",
        412: "Hồ sơ đã được người khác cập nhật (ETag/phiên bản không khớp).",
        429: "Quá nhiều yêu cầu.",
    }
    return {c: OpenApiResponse(ErrorSerializer, description=texts[c]) for c in codes}


_EXAMPLE_APPLICANT = {"name": "Nguyễn Văn An", "id_number": "001085012345", "phone": "0912345678", "address": "Thôn 1"}
CREATE_EXAMPLES = [
    OpenApiExample(
        "counter",
        summary="Tiếp nhận tại quầy (cán bộ một cửa)",
        value={
            "procedure": "1.001193",
            "channel": "counter",
            "desk": "MC-99001",
            "applicant": _EXAMPLE_APPLICANT,
            "components": ["TP01", "TP02"],
            "return_channel": "counter",
            "fee_paid": True,
        },
        request_only=True,
    ),
    OpenApiExample(
        "online_client",
        summary="Hồ sơ trực tuyến (ứng dụng kết nối, phạm vi dossiers:create)",
        value={
            "procedure": "1.001193",
            "channel": "online",
            "agency": "000.01.31.H99",
            "applicant": _EXAMPLE_APPLICANT,
            "components": ["TP01", "TP02"],
            "return_channel": "online",
        },
        request_only=True,
    ),
]
BUNDLE_EXAMPLES = [
    OpenApiExample(
        "birth_bundle_online",
        summary="Liên thông khai sinh, trực tuyến",
        value={
            "kind": "khai_sinh",
            "channel": "online",
            "desk": "MC-99001",
            "applicant": _EXAMPLE_APPLICANT,
            "components": ["TP01", "TP02"],
        },
        request_only=True,
    ),
]

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, description="Khóa chống tạo trùng (tối đa 80 ký tự)."
)
ETAG_HEADER = OpenApiParameter(
    "ETag", str, OpenApiParameter.HEADER, response=True, description='Phiên bản hồ sơ, dạng "<id>-<phiên bản>".'
)


# ------------------------------------------------------------------------------------------------
# Detail helpers
# ------------------------------------------------------------------------------------------------
def _with_detail(qs):
    return qs.select_related("version__procedure", "desk", "receiving_agency", "agency", "bundle").prefetch_related(
        "components",
        Prefetch("steps", queryset=Step.objects.select_related("agency", "assignee")),
        Prefetch("events", queryset=Event.objects.select_related("agency", "step").order_by("id")),
    )


def log_read(request, dossiers, *, action: str = "read", purpose: str) -> None:
    """Every read of personal data through the API is logged (who or which client, what, why)."""
    application = client_application(request)
    log_access(
        user=request.user if application is None else None,
        client_id=application.client_id if application is not None else "",
        objects=dossiers,
        object_type="dossier",
        action=action,
        purpose=purpose,
        request=request,
    )


def _detail_response(
    request, dossier: Dossier, status_code: int = 200, headers: dict | None = None, purpose: str = "xem hồ sơ"
) -> Response:
    log_read(request, [dossier], purpose=purpose)
    now = timezone.now()
    usage = services.step_usage(dossier, now)
    overrun = services.overrun_steps(dossier, now)
    context = {"now": now, "usage": {r["step"].pk: r for r in usage}, "overrun": overrun}
    response = Response(DossierDetailSerializer(dossier, context=context).data, status=status_code, headers=headers)
    response["ETag"] = dossier.etag
    return response


def _detail_location(request, code: str) -> str:
    return request.build_absolute_uri(f"/api/v1/dossiers/{code}")


def _idempotency_key(request, client=None) -> str | None:
    """The ``Idempotency-Key`` header. The domain scopes keys by user; machine clients have none, so
    a client's key is made its own (a digest with its client_id) before it reaches the domain."""
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if not key:
        return None
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise ApiError(
            f"Idempotency-Key phải là chuỗi in được, tối đa {MAX_IDEMPOTENCY_KEY} ký tự.", "invalid_idempotency_key"
        )
    application = client_application(request)
    if client is not None and application is not None:
        digest = hashlib.sha256(f"{application.client_id}\n{key}".encode()).hexdigest()
        return f"api-client-{digest}"
    return key


def _calendar_guard(call):
    """Run a service call; a date outside the configured working calendar is a 400, not a 500."""
    try:
        return call()
    except OutOfCalendarRange as exc:
        raise ApiError(str(exc), "out_of_range") from None


# ------------------------------------------------------------------------------------------------
# List filters and keyset pagination
# ------------------------------------------------------------------------------------------------
def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "id" or as_int(value) is None:
            raise ValueError
        return as_int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError("Con trỏ phân trang (cursor) không hợp lệ.", "invalid_cursor") from None


def _instant(raw: str, name: str, end_of_day: bool) -> dt.datetime:
    """An ISO date (the start of that day, or the start of the next day for an upper bound) or
    datetime (Vietnam time when it has no offset)."""
    text = raw.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            if end_of_day:
                day += dt.timedelta(days=1)
            return dt.datetime(day.year, day.month, day.day, tzinfo=VN_TZ)
        instant = dt.datetime.fromisoformat(text.replace(" ", "+") if "T" in text else text)
    except ValueError:
        raise ApiError(
            f"Tham số '{name}' phải là ngày (YYYY-MM-DD) hoặc thời điểm ISO 8601; nhận được '{raw}'.",
            f"invalid_{name}",
        ) from None
    return instant if instant.tzinfo else instant.replace(tzinfo=VN_TZ)


def _filtered(qs, params, now: dt.datetime):
    states = [s.strip() for s in params.get("state", "").split(",") if s.strip()]
    unknown = [s for s in states if s not in State.values]
    if unknown:
        raise ApiError(
            f"Trạng thái '{unknown[0]}' không hợp lệ. Các trạng thái: {', '.join(State.values)}.",
            "invalid_state",
        )
    if states:
        qs = qs.filter(state__in=states)
    for name, lookup in (("agency", "agency__code"), ("desk", "desk__code"), ("procedure", "version__procedure__code")):
        value = params.get(name, "").strip()
        if len(value) > 40:
            raise ApiError(f"Tham số '{name}' quá dài (tối đa 40 ký tự).", f"invalid_{name}")
        if value:
            qs = qs.filter(**{lookup: value})
    due_from = due_to = None
    if params.get("due_from", "").strip():
        due_from = _instant(params["due_from"], "due_from", end_of_day=False)
        qs = qs.filter(due_at__gte=due_from)
    if params.get("due_to", "").strip():
        due_to = _instant(params["due_to"], "due_to", end_of_day=True)
        # A date is inclusive (before the next day); a datetime is inclusive too.
        qs = qs.filter(due_at__lt=due_to) if len(params["due_to"].strip()) == 10 else qs.filter(due_at__lte=due_to)
    if due_from and due_to and due_from > due_to:
        raise ApiError("'due_from' phải trước hoặc bằng 'due_to'.", "invalid_due_range")
    for name, lookup, upper in (("received_from", "received_at__gte", False), ("received_to", "received_at__lt", True)):
        if params.get(name, "").strip():
            qs = qs.filter(**{lookup: _instant(params[name], name, end_of_day=upper)})
    late = params.get("late", "").strip().lower()
    if late:
        if late in TRUE_VALUES:
            qs = qs.late(now)
        elif late in FALSE_VALUES:
            qs = qs.exclude(pk__in=Dossier.objects.late(now).values("pk"))
        else:
            raise ApiError("Tham số 'late' phải là true hoặc false.", "invalid_late")
    return qs


def _page_size(params) -> int:
    raw = params.get("page_size", "").strip()
    if not raw:
        return DEFAULT_PAGE_SIZE
    size = as_int(raw, minimum=1, maximum=MAX_PAGE_SIZE)
    if size is None:
        raise ApiError(f"Tham số 'page_size' phải là số nguyên từ 1 đến {MAX_PAGE_SIZE}.", "invalid_page_size")
    return size


ROW_FIELDS = (
    "id",
    "code",
    "version__name",
    "version__procedure__code",
    "state",
    "agency__code",
    "agency__name",
    "channel",
    "received_at",
    "due_at",
    "finished_at",
    "paused_at",
    "remaining_units",
    "applicant_name",
    "owner_id_number",  # the access log records whose data was read
)


RECEIVED_PARAMETERS = [
    OpenApiParameter("received_from", str, description="Tiếp nhận từ (ngày YYYY-MM-DD hoặc ISO 8601)."),
    OpenApiParameter("received_to", str, description="Tiếp nhận đến hết ngày (YYYY-MM-DD) hoặc thời điểm ISO 8601."),
]


# ------------------------------------------------------------------------------------------------
# Views
# ------------------------------------------------------------------------------------------------
class DossierListCreateView(ApiView):
    """Danh sách hồ sơ (theo quyền truy cập) và tiếp nhận hồ sơ mới."""

    required_scopes = {"GET": [READ_SCOPE], "POST": [CREATE_SCOPE]}

    @extend_schema(
        operation_id="dossiers_list",
        summary="Danh sách hồ sơ",
        description=(
            "Hồ sơ mà người gọi được xem (bộ phận một cửa tiếp nhận, cơ quan giải quyết, cơ quan có bước xử lý; "
            "Văn phòng UBND tỉnh và thanh tra xem tất cả; ứng dụng kết nối cần phạm vi `dossiers:read` và chỉ xem hồ "
            "sơ có cơ quan giải quyết hoặc cơ quan tiếp nhận là cơ quan được phép). "
            "Phân trang theo con trỏ (mới nhất trước): dùng liên kết `next`."
        ),
        parameters=[
            OpenApiParameter("state", str, description="Trạng thái (có thể nhiều, phân cách bằng dấu phẩy)."),
            OpenApiParameter("agency", str, description="Mã định danh điện tử của cơ quan giải quyết."),
            OpenApiParameter("desk", str, description="Mã bộ phận một cửa tiếp nhận."),
            OpenApiParameter("procedure", str, description="Mã thủ tục hành chính."),
            OpenApiParameter("due_from", str, description="Hạn trả kết quả từ (ngày YYYY-MM-DD hoặc ISO 8601)."),
            OpenApiParameter("due_to", str, description="Hạn trả kết quả đến (ngày YYYY-MM-DD hoặc ISO 8601)."),
            OpenApiParameter("late", bool, description="true: chỉ hồ sơ quá hạn; false: chỉ hồ sơ chưa quá hạn."),
            *RECEIVED_PARAMETERS,
            OpenApiParameter("cursor", str, description="Con trỏ trang (lấy từ liên kết `next`)."),
            OpenApiParameter("page_size", int, description=f"Số hồ sơ mỗi trang (1–{MAX_PAGE_SIZE}, mặc định 20)."),
        ],
        responses={200: DossierPageSerializer, **_errors(400, 401, 403, 429)},
    )
    def get(self, request):
        params = request.query_params
        now = timezone.now()
        size = _page_size(params)
        qs = _filtered(readable(request), params, now)
        if params.get("cursor"):
            qs = qs.filter(id__lt=decode_cursor(params["cursor"]))
        rows = list(qs.select_related("version__procedure", "agency").only(*ROW_FIELDS).order_by("-id")[: size + 1])
        next_url = None
        if len(rows) > size:
            rows = rows[:size]
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", encode_cursor(rows[-1].id))
        log_read(request, rows, purpose="danh sách hồ sơ")
        results = DossierRowSerializer(rows, many=True, context={"now": now}).data
        return Response({"next": next_url, "page_size": size, "results": results})

    @extend_schema(
        operation_id="dossiers_create",
        summary="Tiếp nhận hồ sơ",
        description=(
            "Tiếp nhận hồ sơ tại bộ phận một cửa (trực tiếp, bưu chính, ki-ốt) hoặc ghi nhận hồ sơ nộp trực tuyến. "
            "Tại quầy phải đủ thành phần bắt buộc. Gửi header `Idempotency-Key` để gửi lại an toàn: lần gửi lại trả "
            "200 với cùng hồ sơ. Ứng dụng kết nối (phạm vi `dossiers:create`) chỉ gửi hồ sơ trực tuyến "
            "(`channel` = online, nêu `desk` hoặc `agency`) cho các cơ quan được phép; hồ sơ được ghi nhận là hồ sơ "
            "người nộp gửi trực tuyến và chờ bộ phận một cửa kiểm tra, tiếp nhận."
        ),
        request=DossierCreateSerializer,
        examples=CREATE_EXAMPLES,
        parameters=[
            IDEMPOTENCY_HEADER,
            ETAG_HEADER,
        ],
        responses={
            201: OpenApiResponse(DossierDetailSerializer, description="Đã tiếp nhận hồ sơ."),
            200: OpenApiResponse(DossierDetailSerializer, description="Gửi lại (cùng Idempotency-Key)."),
            **_errors(400, 401, 403, 429),
        },
    )
    def post(self, request):
        _creation_allowed(request)
        body = _validated(DossierCreateSerializer, request)
        v = body.validated_data
        client = _creating_client(request, v["channel"], v["fee_paid"])
        key = _idempotency_key(request, client)
        user = None if client is not None else request.user
        args = body.intake_args()
        reused = _reuses(v, args)

        def create():
            with transaction.atomic():
                dossier, created = services.create_dossier(
                    user=user,
                    via=_client_name(client),
                    idempotency_key=key,
                    fee_paid=v["fee_paid"],
                    procedure_code=v["procedure"],
                    agency_code=v.get("agency") or None,
                    **args,
                )
                if client is not None:
                    _within_agencies(client, [dossier])
                if created and reused:
                    wallet.record_reuses(dossier, reused, [], user=user)
            return dossier, created

        dossier, created = _calendar_guard(create)
        self.audit_dossier_code = dossier.code
        if not created:  # a replay: read it back (a new one comes with its rows loaded)
            dossier = _with_detail(Dossier.objects).get(pk=dossier.pk)
        return _detail_response(
            request,
            dossier,
            status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            {"Location": _detail_location(request, dossier.code)},
            purpose="tiếp nhận hồ sơ",
        )


def _creation_allowed(request) -> None:
    """Dossier creation per machine client / staff user: API_DOSSIER_CREATE_RATE (fixed window), else 429."""
    client = client_application(request)
    who = f"client:{client.client_id}" if client is not None else f"user:{request.user.pk}"
    allowed, wait = submission_limits.allow("api_dossier_create", who, "API_DOSSIER_CREATE_RATE")
    if not allowed:
        raise exceptions.Throttled(wait=wait)


def _client_name(client) -> str:
    """How a machine client appears in a dossier's history (the actor of its submission)."""
    if client is None:
        return ""
    application = getattr(client, "application", None)
    return f"Hệ thống {getattr(application, 'name', '') or getattr(application, 'client_id', '')}".strip()


def _creating_client(request, channel: str, fee_paid: bool = False):
    """The machine client creating a dossier (None for staff), once checked: it submits online
    dossiers only (a desk officer receives at a counter and collects fees) and must have agencies.

    The submission is recorded as made by the client's system (``create_dossier(via=...)``: actor
    "system", its name); the client is also in the API call log and the personal-data access log."""
    if client_application(request) is None:
        return None
    client = api_client(request)
    if channel != Channel.ONLINE:
        raise ApiError(
            "Ứng dụng kết nối chỉ được gửi hồ sơ trực tuyến (channel = online); tiếp nhận trực tiếp, bưu chính, "
            "ki-ốt do bộ phận một cửa thực hiện.",
            "client_channel_not_allowed",
            {"allowed_channels": [Channel.ONLINE.value]},
            status_code=status.HTTP_403_FORBIDDEN,
        )
    if fee_paid:
        raise ApiError(
            "Ứng dụng kết nối không được xác nhận đã thu phí, lệ phí (fee_paid); phí được nộp trực tuyến hoặc tại "
            "bộ phận một cửa.",
            "client_fee_not_allowed",
            status_code=status.HTTP_403_FORBIDDEN,
        )
    if client is None or not client.agency_ids():
        raise ApiError(
            "Ứng dụng kết nối chưa được giao cơ quan nào nên không được gửi hồ sơ.",
            "agency_out_of_scope",
            status_code=status.HTTP_403_FORBIDDEN,
        )
    return client


def _within_agencies(client, dossiers) -> None:
    """Every dossier a client creates is one of its agencies' (handling or receiving agency), else
    the whole creation is rolled back (the caller's transaction)."""
    ids = [d.pk for d in dossiers]
    if client_dossiers(client).filter(pk__in=ids).count() != len(set(ids)):
        raise ApiError(
            "Ứng dụng kết nối chỉ được gửi hồ sơ cho các cơ quan được phép (cơ quan giải quyết hoặc bộ phận một "
            "cửa tiếp nhận thuộc cơ quan được giao).",
            "agency_out_of_scope",
            {"agencies": sorted(d.agency.code for d in dossiers)},
            status_code=status.HTTP_403_FORBIDDEN,
        )


def _reuses(v: dict, args: dict) -> list:
    """Components the caller marked ``reuse`` (nothing uploaded): checked against the e-data store
    and the national databases by ``wallet.resolve_reuses``; ``args["components"]`` get their source."""
    refs = {c["code"]: c["reuse"] for c in args["components"] if isinstance(c, dict) and c.get("reuse")}
    if not refs:
        return []
    version = version_in_force(v["procedure"], timezone.localdate())
    if version is None:
        return []  # create_dossier explains the unknown procedure
    applicant = args["applicant"]
    owner_ids = [applicant.get("id_number", ""), (args.get("owner") or {}).get("id_number", "")]
    population = registry = False
    if any(r in ("population_db", "business_registry") for r in refs.values()):
        kind = "organization" if applicant.get("type") == "organization" else "citizen"
        check = verify(applicant.get("id_number", ""), applicant.get("name", ""), kind=kind)
        population = check.answered and check.source == "population"
        registry = check.answered and check.source == "business"
    try:
        picked = wallet.resolve_reuses(
            version, owner_ids, refs, population_answered=population, registry_answered=registry
        )
    except wallet.WalletError as exc:
        raise ApiError(exc.message, exc.code) from None
    sources = {p.component.code: p.source for p in picked}
    args["components"] = [
        {k: val for k, val in {**c, "source": sources.get(c["code"])}.items() if k != "reuse" and val is not None}
        if isinstance(c, dict)
        else c
        for c in args["components"]
    ]
    return picked


class BundleCreateView(ApiView):
    """Tiếp nhận hồ sơ liên thông (một lần nộp, nhiều thủ tục)."""

    required_scopes = {"POST": [CREATE_SCOPE]}

    @extend_schema(
        operation_id="dossiers_bundle_create",
        summary="Tiếp nhận hồ sơ liên thông",
        description=(
            "Một lần nộp cho cả chuỗi thủ tục liên thông (khai_sinh, khai_tu): hồ sơ đầu được tiếp nhận, các hồ sơ "
            "sau chờ kết quả của hồ sơ trước. Hỗ trợ header `Idempotency-Key` (gửi lại trả 200). Ứng dụng kết nối "
            "(phạm vi `dossiers:create`) chỉ gửi trực tuyến cho các cơ quan được phép."
        ),
        request=BundleCreateSerializer,
        examples=BUNDLE_EXAMPLES,
        parameters=[
            IDEMPOTENCY_HEADER,
        ],
        responses={
            201: OpenApiResponse(BundleOutSerializer, description="Đã tiếp nhận hồ sơ liên thông."),
            200: OpenApiResponse(BundleOutSerializer, description="Gửi lại (cùng Idempotency-Key)."),
            **_errors(400, 401, 403, 409, 429),
        },
    )
    def post(self, request):
        _creation_allowed(request)
        body = _validated(BundleCreateSerializer, request)
        v = body.validated_data
        client = _creating_client(request, v["channel"])
        key = _idempotency_key(request, client)

        def create():
            with transaction.atomic():
                bundle, created = services.create_bundle(
                    v["kind"],
                    user=None if client is not None else request.user,
                    via=_client_name(client),
                    choices=v["choices"],
                    idempotency_key=key,
                    agencies=dict(v["agencies"]),
                    **body.intake_args(),
                )
                if bundle is not None and client is not None:
                    _within_agencies(client, list(bundle.dossiers.select_related("agency")))
            return bundle, created

        bundle, created = _calendar_guard(create)
        if bundle is None:  # the key was used for a single dossier
            raise ApiError(
                "Idempotency-Key này đã được dùng cho một hồ sơ không liên thông.",
                "idempotency_conflict",
                status_code=status.HTTP_409_CONFLICT,
            )
        self.audit_dossier_code = bundle.code
        members = list(bundle.dossiers.select_related("version__procedure", "agency").order_by("bundle_order"))
        data = {"code": bundle.code, "kind": bundle.kind, "dossiers": BundleMemberSerializer(members, many=True).data}
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DossierDetailView(ApiView):
    """Chi tiết hồ sơ."""

    required_scopes = [READ_SCOPE]
    dossier_kwarg = "code"

    @extend_schema(
        operation_id="dossiers_retrieve",
        summary="Chi tiết hồ sơ",
        description=(
            "Hồ sơ với thành phần, các bước xử lý (thời gian đã dùng so với quy định), lịch sử xử lý và các bước "
            "vượt thời gian (hồ sơ quá hạn). Header `ETag` dùng cho `If-Match` khi thao tác. Hồ sơ không có quyền "
            "xem trả 404."
        ),
        parameters=[ETAG_HEADER],
        responses={200: DossierDetailSerializer, **_errors(401, 403, 404, 429)},
    )
    def get(self, request, code):
        dossier = _with_detail(readable(request)).filter(code=code).first()
        if dossier is None:
            raise _not_found(code)
        return _detail_response(request, dossier)


IF_MATCH_TAG = re.compile(r"(\d+)-(\d+)")


def _expected_version(request, dossier_pk: int, code: str, body_version: int | None) -> int | None:
    """``If-Match: "<pk>-<n>"`` (weak ``W/`` accepted; ``*`` = any) → n; else the body's version."""
    raw = (request.headers.get("If-Match") or "").strip()
    if not raw or raw == "*":
        return body_version
    for tag in raw.split(","):
        tag = tag.strip()
        if tag[:2].upper() == "W/":
            tag = tag[2:]
        match = IF_MATCH_TAG.fullmatch(tag.strip().strip('"'))
        if match and int(match[1]) == dossier_pk:
            return int(match[2])
    raise ApiError(
        f"Hồ sơ {code} đã thay đổi so với phiên bản bạn đang xem (If-Match không khớp); vui lòng tải lại.",
        "stale_version",
        status_code=status.HTTP_412_PRECONDITION_FAILED,
    )


class DossierActionView(ApiView):
    """Thao tác trên hồ sơ theo bảng chuyển trạng thái."""

    required_scopes = None  # staff only: a machine client never acts on a dossier
    dossier_kwarg = "code"

    @extend_schema(
        operation_id="dossiers_act",
        summary="Thao tác trên hồ sơ",
        description=(
            "Thực hiện một thao tác (" + ", ".join(TRANSITIONS) + "). Gửi `If-Match: <ETag>` (hoặc "
            "`expected_version`) để tránh ghi đè: không khớp trả 412. Thao tác không hợp lệ ở trạng thái hiện tại "
            "trả 409; không đúng vai trò trả 403; hồ sơ không có quyền xem trả 404."
        ),
        request=ActionInputSerializer,
        parameters=[
            OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(TRANSITIONS), description="Thao tác."),
            OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, description='ETag đã xem, ví dụ "12-3".'),
            ETAG_HEADER,
        ],
        responses={200: DossierDetailSerializer, **_errors(400, 401, 403, 404, 409, 412, 429)},
    )
    def post(self, request, code, action):
        if action not in TRANSITIONS:
            raise ApiError(f"Không có thao tác '{action}'.", "unknown_action", status_code=status.HTTP_404_NOT_FOUND)
        body = _validated(ActionInputSerializer, request)
        pk = readable(request).filter(code=code).values_list("pk", flat=True).first()
        if pk is None:
            raise _not_found(code)
        v = body.validated_data
        expected = _expected_version(request, pk, code, v.get("expected_version"))
        _calendar_guard(
            lambda: services.act(
                pk, action, user=request.user, expected_version=expected, reason=v["reason"], data=dict(v["data"])
            )
        )
        return _detail_response(request, _with_detail(Dossier.objects).get(pk=pk), purpose=f"thao tác {action}")


class PublicTrackingThrottle(BaseThrottle):
    """The tracking rate limit (``dossiers.tracking.allow``: a fixed window per client address,
    ``PUBLIC_TRACKING_RATE``), shared with the tracking page."""

    def allow_request(self, request, view):
        allowed, self._wait = tracking.allow(request)
        return allowed

    def wait(self):
        return getattr(self, "_wait", None)


class PublicDossierView(APIView):
    """Tra cứu tiến độ hồ sơ (công khai)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [PublicTrackingThrottle]

    @extend_schema(
        operation_id="public_dossier_tracking",
        summary="Tra cứu tiến độ hồ sơ",
        description=(
            "Tra cứu công khai bằng mã hồ sơ (không cần đăng nhập): thủ tục, trạng thái, cơ quan giải quyết, "
            "ngày tiếp nhận, hạn và ngày trả kết quả, tên người nộp đã che; kèm các hồ sơ cùng chuỗi liên thông. "
            "Không trả dữ liệu cá nhân khác. Giới hạn số lần tra cứu (429 khi vượt)."
        ),
        auth=[],
        responses={200: PublicDossierSerializer, **_errors(404, 429)},
    )
    def get(self, request, code):
        found = tracking.public_status(code)  # one SQL statement (the hot path: no ORM compilation)
        if found is None:
            raise _not_found(code)
        return Response(tracking.as_json(found))


# ------------------------------------------------------------------------------------------------
# Printed slips (PDF) and the tracking book (slip 07, PDF or Excel)
# ------------------------------------------------------------------------------------------------
BOOK_MAX_ROWS = 5000
FILE_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _file_response(content: bytes, kind: str, filename: str, inline: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type=FILE_TYPES[kind])
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # personal data: never kept by a shared cache
    return response


class DossierSlipView(ApiView):
    """Phiếu in của hồ sơ (mẫu 01–06), PDF."""

    required_scopes = [READ_SCOPE]
    dossier_kwarg = "code"

    @extend_schema(
        operation_id="dossiers_slip",
        summary="In phiếu của hồ sơ (PDF)",
        description=(
            "Mẫu 01 giấy tiếp nhận và hẹn trả, 02 yêu cầu bổ sung, 03 từ chối, 04 xin lỗi và hẹn lại, 05 phiếu kiểm "
            "soát quá trình, 06 thông báo dừng giải quyết (theo mẫu tỉnh đã sửa nếu có). Phiếu chưa áp dụng cho hồ "
            "sơ trả 409. Mỗi lần in được ghi nhật ký truy cập dữ liệu cá nhân."
        ),
        parameters=[OpenApiParameter("number", str, OpenApiParameter.PATH, enum=["01", "02", "03", "04", "05", "06"])],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="Phiếu (PDF, A4)."),
            **_errors(401, 403, 404, 409, 429),
        },
    )
    def get(self, request, code, number):
        if number not in slips.SLIP_TITLES or number == slips.BOOK:
            raise ApiError(f"Không có mẫu phiếu số '{number}'.", "unknown_slip", status_code=status.HTTP_404_NOT_FOUND)
        dossier = readable(request).filter(code=code).first()
        if dossier is None:
            raise _not_found(code)
        try:
            pdf = _calendar_guard(lambda: slips.render_slip(dossier, number))
        except ValueError as exc:
            raise ApiError(str(exc), "slip_not_applicable", status_code=status.HTTP_409_CONFLICT) from None
        log_read(request, [dossier], action="print", purpose=f"in mẫu {number}")
        return _file_response(pdf, "pdf", f"{dossier.code}-mau-{number}.pdf", inline=True)


class TrackingBookView(ApiView):
    """Sổ theo dõi hồ sơ (mẫu 07): PDF hoặc Excel."""

    required_scopes = [READ_SCOPE]

    @extend_schema(
        operation_id="dossiers_tracking_book",
        summary="Sổ theo dõi hồ sơ (mẫu 07)",
        description=(
            f"Các hồ sơ người gọi được xem, lọc như danh sách hồ sơ (thường theo bộ phận và ngày tiếp nhận), xếp "
            f"theo thời điểm tiếp nhận; tối đa {BOOK_MAX_ROWS} hồ sơ mỗi lần (quá số đó trả 400: hãy thu hẹp "
            "khoảng ngày). `book.pdf` (A4 ngang) hoặc `book.xlsx`. Việc xuất được ghi nhật ký truy cập."
        ),
        parameters=[
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(FILE_TYPES)),
            OpenApiParameter("state", str, description="Trạng thái (phân cách bằng dấu phẩy)."),
            OpenApiParameter("agency", str, description="Mã cơ quan giải quyết."),
            OpenApiParameter("desk", str, description="Mã bộ phận một cửa tiếp nhận."),
            OpenApiParameter("procedure", str, description="Mã thủ tục."),
            *RECEIVED_PARAMETERS,
        ],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="Sổ theo dõi (PDF)."),
            (200, FILE_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY, description="Sổ theo dõi (Excel)."),
            **_errors(400, 401, 403, 404, 429),
        },
    )
    def get(self, request, fmt):
        if fmt not in FILE_TYPES:
            raise ApiError("Sổ theo dõi chỉ xuất dạng pdf hoặc xlsx.", "unknown_format", status_code=404)
        now = timezone.now()
        qs = _filtered(readable(request), request.query_params, now).exclude(received_at__isnull=True)
        dossiers = list(qs.select_related(*slips.BOOK_RELATIONS).order_by("received_at", "id")[: BOOK_MAX_ROWS + 1])
        if len(dossiers) > BOOK_MAX_ROWS:
            raise ApiError(
                f"Sổ theo dõi có hơn {BOOK_MAX_ROWS} hồ sơ; vui lòng thu hẹp khoảng ngày tiếp nhận hoặc bộ lọc.",
                "too_many_rows",
            )
        log_read(request, dossiers, action="export", purpose="sổ theo dõi hồ sơ")
        stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
        if fmt == "xlsx":
            content = slips.tracking_book_xlsx(dossiers)
        else:
            content = slips.tracking_book_pdf(dossiers, now=now)
        return _file_response(content, fmt, f"so-theo-doi-ho-so-{stamp}.{fmt}")
