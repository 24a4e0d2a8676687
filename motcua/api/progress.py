"""What other systems follow once a dossier is submitted: its progress (``status:read``: state and
history, no personal data) and its result documents (``results:read``: the signed e-results).

Same access as every dossier endpoint (``dossiers.readable``): the staff rule, or the dossiers of
a machine client's agencies; an invisible dossier is a 404."""

from __future__ import annotations

from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from motcua.audit.services import log_access
from motcua.documents.models import Document, Kind
from motcua.dossiers.models import Event
from motcua.dossiers.states import event_label

from .base import ApiView
from .dossiers import ProcedureRefSerializer, RefSerializer, _errors, _not_found, readable
from .errors import ApiError
from .permissions import RESULTS_SCOPE, STATUS_SCOPE, client_application


# ------------------------------------------------------------------------------------------------
# Progress (status:read)
# ------------------------------------------------------------------------------------------------
class StatusEventSerializer(serializers.Serializer):
    action = serializers.CharField()
    action_label = serializers.SerializerMethodField()
    at = serializers.DateTimeField()
    actor_role = serializers.CharField(help_text="Vai trò thực hiện (không kèm tên người thực hiện).")
    agency = RefSerializer(allow_null=True)
    from_state = serializers.CharField()
    to_state = serializers.CharField()

    def get_action_label(self, event) -> str:
        return event_label(event.action)


class DossierStatusSerializer(serializers.Serializer):
    code = serializers.CharField()
    procedure = ProcedureRefSerializer(source="version")
    state = serializers.CharField()
    state_label = serializers.CharField()
    national_status_code = serializers.IntegerField()
    agency = RefSerializer(help_text="Cơ quan giải quyết.")
    submitted_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    paused = serializers.BooleanField(help_text="Đang tạm dừng tính thời gian (chờ người nộp).")
    late = serializers.SerializerMethodField(help_text="Quá hạn (tính theo thời gian làm việc).")
    finished_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField(help_text="approved, rejected hoặc rỗng (chưa có kết quả).")
    events = StatusEventSerializer(many=True, source="events_list", help_text="Lịch sử xử lý, cũ trước.")

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_late(self, d) -> bool:
        return d.is_late(self.context.get("now"))


class DossierStatusView(ApiView):
    """Trạng thái và lịch sử xử lý hồ sơ."""

    required_scopes = [STATUS_SCOPE]
    dossier_kwarg = "code"

    @extend_schema(
        operation_id="dossiers_status",
        summary="Trạng thái, tiến độ hồ sơ",
        description=(
            "Trạng thái (kèm mã trạng thái quốc gia), hạn, tạm dừng, quá hạn và lịch sử chuyển trạng thái của hồ sơ "
            "(thao tác, thời điểm, vai trò, cơ quan), không kèm dữ liệu cá nhân. Ứng dụng kết nối cần phạm vi "
            "`status:read` và chỉ xem hồ sơ của cơ quan được phép; hồ sơ không có quyền xem trả 404."
        ),
        responses={200: DossierStatusSerializer, **_errors(401, 403, 404, 429)},
    )
    def get(self, request, code):
        dossier = (
            readable(request)
            .select_related("version__procedure", "agency")
            .filter(code=code)
            .only(
                "id",
                "code",
                "version__name",
                "version__procedure__code",
                "state",
                "agency__code",
                "agency__name",
                "submitted_at",
                "received_at",
                "due_at",
                "paused_at",
                "remaining_units",
                "finished_at",
                "returned_at",
                "outcome",
            )
            .first()
        )
        if dossier is None:
            raise _not_found(code)
        dossier.events_list = list(
            Event.objects.filter(dossier=dossier)
            .select_related("agency")
            .only("action", "at", "actor_role", "agency__code", "agency__name", "from_state", "to_state")
            .order_by("id")
        )
        return Response(DossierStatusSerializer(dossier, context={"now": timezone.now()}).data)


# ------------------------------------------------------------------------------------------------
# Result documents (results:read)
# ------------------------------------------------------------------------------------------------
class ResultDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    result_code = serializers.CharField(help_text="Mã kết quả của thủ tục.")
    title = serializers.CharField(help_text="Tên giấy tờ.")
    doc_number = serializers.CharField(help_text="Số, ký hiệu.")
    issuer = serializers.CharField(help_text="Cơ quan cấp.")
    issue_date = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True, help_text="Hiệu lực đến (null: không thời hạn).")
    revoked_at = serializers.DateTimeField(allow_null=True, help_text="Thời điểm thu hồi, hủy bỏ (nếu có).")
    signed = serializers.BooleanField(help_text="Đã ký số.")
    uri = serializers.CharField(help_text="Địa chỉ giấy tờ trong kho dữ liệu điện tử (dùng để tái sử dụng).")
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="Dung lượng (byte).")
    sha256 = serializers.CharField()
    download = serializers.SerializerMethodField(help_text="Đường dẫn tải tệp.")

    def get_download(self, doc) -> str:
        return self.context["request"].build_absolute_uri(f"/api/v1/dossiers/{doc.dossier.code}/results/{doc.pk}")


def _results(request, code: str):
    dossier = readable(request).filter(code=code).only("id", "code", "owner_id_number").first()
    if dossier is None:
        raise _not_found(code)
    documents = (
        Document.objects.filter(dossier=dossier, kind=Kind.RESULT, current__isnull=False)
        .select_related("current__blob")
        .order_by("id")
    )
    return dossier, documents


def _log(request, dossier, purpose: str) -> None:
    application = client_application(request)
    log_access(
        user=request.user if application is None else None,
        client_id=application.client_id if application is not None else "",
        objects=[dossier],
        object_type="dossier",
        action="read",
        purpose=purpose,
        request=request,
    )


class DossierResultsView(ApiView):
    """Kết quả giải quyết của hồ sơ."""

    required_scopes = [RESULTS_SCOPE]
    dossier_kwarg = "code"

    @extend_schema(
        operation_id="dossiers_results",
        summary="Kết quả giải quyết của hồ sơ",
        description=(
            "Các giấy tờ kết quả điện tử (đã ký số) của hồ sơ: mã kết quả, số, cơ quan cấp, ngày cấp, hiệu lực, "
            "thu hồi, địa chỉ trong kho dữ liệu và đường dẫn tải. Ứng dụng kết nối cần phạm vi `results:read`. "
            "Mỗi lần đọc được ghi nhật ký truy cập dữ liệu cá nhân."
        ),
        responses={200: ResultDocumentSerializer(many=True), **_errors(401, 403, 404, 429)},
    )
    def get(self, request, code):
        dossier, documents = _results(request, code)
        documents = list(documents)
        for doc in documents:
            doc.dossier = dossier
        _log(request, dossier, "xem kết quả giải quyết")
        return Response(ResultDocumentSerializer(documents, many=True, context={"request": request}).data)


class DossierResultFileView(ApiView):
    """Tải tệp kết quả giải quyết."""

    required_scopes = [RESULTS_SCOPE]
    dossier_kwarg = "code"

    @extend_schema(
        operation_id="dossiers_result_file",
        summary="Tải tệp kết quả giải quyết",
        description="Tệp kết quả (PDF đã ký số). Ứng dụng kết nối cần phạm vi `results:read`.",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="Kết quả (PDF)."),
            **_errors(401, 403, 404, 429),
        },
    )
    def get(self, request, code, document):
        dossier, documents = _results(request, code)
        doc = documents.filter(pk=document).first()
        if doc is None:
            raise ApiError(
                f"Hồ sơ {code} không có kết quả số {document}.", "not_found", status_code=status.HTTP_404_NOT_FOUND
            )
        _log(request, dossier, f"tải kết quả giải quyết {doc.result_code}")
        blob = doc.current.blob
        response = FileResponse(
            blob.file.open("rb"),
            content_type=blob.content_type,
            as_attachment=True,
            filename=f"{doc.result_code or 'KQ'}-{dossier.code}.pdf"
            if blob.content_type == "application/pdf"
            else doc.name,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        return response
