"""REST endpoints under /api/v1/ — thin: parse, call a domain service, serialize."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from motcua.catalog.models import OnlineLevel, ProcedureVersion
from motcua.catalog.services import search_versions
from motcua.org.models import Agency
from motcua.workcalendar.engine import VN_TZ, OutOfCalendarRange, days_to_units, format_due
from motcua.workcalendar.services import get_calendar

from .base import ApiMixin, ApiView
from .errors import ApiError
from .permissions import api_client, client_application
from .serializers import DueDateSerializer, ProcedureDetailSerializer, ProcedureSerializer

MAX_WORKING_DAYS = 1000
CATALOG_SCOPE = "catalog:read"
CALENDAR_SCOPE = "calendar:read"


class DueDateView(ApiView):
    """Hạn xử lý: cộng số ngày làm việc (bội số 0,5) vào một thời điểm, theo lịch làm việc của tỉnh."""

    public = True
    required_scopes = [CALENDAR_SCOPE]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from",
                OpenApiTypes.DATETIME,
                required=True,
                description="Thời điểm tiếp nhận (ISO 8601; không có múi giờ thì hiểu là giờ Việt Nam).",
            ),
            OpenApiParameter(
                "working_days",
                OpenApiTypes.NUMBER,
                required=True,
                description="Số ngày làm việc, bội số của 0,5; 0 = trong ngày.",
            ),
        ],
        responses={200: DueDateSerializer},
    )
    def get(self, request):
        raw_from = request.query_params.get("from", "").strip()
        raw_days = request.query_params.get("working_days", "").strip()
        if not raw_from:
            raise ApiError("Thiếu tham số 'from' (thời điểm bắt đầu, ISO 8601).", "missing_from")
        if not raw_days:
            raise ApiError("Thiếu tham số 'working_days' (số ngày làm việc).", "missing_working_days")
        try:
            start = dt.datetime.fromisoformat(raw_from.replace(" ", "+") if "T" in raw_from else raw_from)
        except ValueError:
            raise ApiError(f"Thời điểm '{raw_from}' không đúng định dạng ISO 8601.", "invalid_from") from None
        try:
            days_to_units(raw_days, max_days=MAX_WORKING_DAYS)
        except ValueError as exc:
            raise ApiError(str(exc), "invalid_working_days") from None
        if start.tzinfo is None:
            start = start.replace(tzinfo=VN_TZ)
        calendar = get_calendar()
        try:
            due = calendar.due_date(start, raw_days)
            begin = calendar.next_working_instant(start)
        except OutOfCalendarRange as exc:
            raise ApiError(str(exc), "out_of_range") from None
        return Response({"due": due.isoformat(), "due_display": format_due(due), "start": begin.isoformat()})


class ProcedurePagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


@extend_schema(
    parameters=[
        OpenApiParameter("q", str, description="Từ khóa (không phân biệt dấu, hoa thường), tên hoặc mã thủ tục."),
        OpenApiParameter("field", str, description="Mã lĩnh vực."),
        OpenApiParameter("agency", str, description="Mã định danh điện tử của cơ quan."),
        OpenApiParameter("level", str, description="Cấp thực hiện: province, district, commune."),
        OpenApiParameter("online_level", str, enum=OnlineLevel.values, description="Mức độ trực tuyến."),
    ]
)
class ProcedureListView(ApiMixin, generics.ListAPIView):
    """Tra cứu thủ tục hành chính đang có hiệu lực, xếp hạng theo mức độ phù hợp."""

    public = True
    required_scopes = [CATALOG_SCOPE]
    serializer_class = ProcedureSerializer
    pagination_class = ProcedurePagination
    filter_backends: list = []

    def get_queryset(self):
        p = self.request.query_params
        agency = None
        if p.get("agency"):
            agency = Agency.objects.select_related("unit").filter(code=p["agency"]).first()
            if agency is None:
                raise ApiError(f"Không tìm thấy cơ quan có mã {p['agency']!r}.", "unknown_agency")
        online_level = p.get("online_level") or None
        if online_level and online_level not in OnlineLevel.values:
            raise ApiError("Mức độ trực tuyến phải là full, partial hoặc none.", "invalid_online_level")
        if len(p.get("q", "")) > 200:
            raise ApiError("Từ khóa tối đa 200 ký tự.", "invalid_q")
        return search_versions(
            p.get("q", ""),
            field=p.get("field") or None,
            agency=agency,
            level=p.get("level") or None,
            online_level=online_level,
        ).prefetch_related("levels")


class ProcedureDetailView(ApiMixin, generics.RetrieveAPIView):
    """Chi tiết thủ tục (phiên bản đang có hiệu lực): thành phần, kết quả, phí, quy trình."""

    public = True
    required_scopes = [CATALOG_SCOPE]
    serializer_class = ProcedureDetailSerializer
    lookup_url_kwarg = "code"

    def get_object(self):
        qs = (
            ProcedureVersion.objects.in_force()
            .select_related("procedure", "field")
            .prefetch_related("levels", "agencies", "components", "results", "fees", "steps")
        )
        return get_object_or_404(qs.order_by("-effective_from"), procedure__code=self.kwargs["code"])


class MeView(ApiView):
    """Người dùng hoặc ứng dụng đang gọi API (kiểm tra mã truy cập)."""

    required_scopes: list[str] = []  # any valid token

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "kind": serializers.CharField(),
                "username": serializers.CharField(allow_null=True),
                "client_id": serializers.CharField(allow_null=True),
                "roles": serializers.ListField(child=serializers.CharField()),
                "agencies": serializers.ListField(child=serializers.CharField()),
                "scopes": serializers.ListField(child=serializers.CharField()),
            },
        )
    )
    def get(self, request):
        application = client_application(request)
        if application is not None:
            client = api_client(request)
            agencies = (
                Agency.objects.filter(pk__in=client.agency_ids()) if client is not None else Agency.objects.none()
            )
            return Response(
                {
                    "kind": "client",
                    "username": None,
                    "client_id": application.client_id,
                    "roles": [],
                    "agencies": sorted(agencies.values_list("code", flat=True)),
                    "scopes": sorted(request.auth.scope.split()),
                }
            )
        user = request.user
        memberships = user.memberships.filter(active=True).select_related("agency")
        return Response(
            {
                "kind": "staff",
                "username": user.get_username(),
                "client_id": None,
                "roles": sorted({m.role for m in memberships}),
                "agencies": sorted({m.agency.code for m in memberships}),
                "scopes": [],
            }
        )
