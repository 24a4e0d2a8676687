"""The answer of a specialized system: ``POST /api/v1/external-tasks/<token>/result`` (signed)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import specialized
from .models import ExternalTask
from .webhooks import verify


class ExternalResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["approved", "rejected"], help_text="Kết quả giải quyết.")
    result_number = serializers.CharField(required=False, allow_blank=True, max_length=60, help_text="Số kết quả.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text="Lý do (từ chối).")


class ExternalResultOutSerializer(serializers.Serializer):
    dossier = serializers.CharField()
    outcome = serializers.CharField()
    result_number = serializers.CharField()
    state = serializers.CharField()
    duplicate = serializers.BooleanField()


def _error(code: str, message: str, status_code: int) -> Response:
    return Response({"error": {"code": code, "message": message, "details": None}}, status=status_code)


class ExternalTaskResultView(APIView):
    """Kết quả giải quyết từ hệ thống chuyên ngành."""

    authentication_classes: list = []
    permission_classes = [AllowAny]  # the HMAC signature with the system's own secret authenticates
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="external_task_result",
        summary="Hệ thống chuyên ngành trả kết quả giải quyết hồ sơ",
        description=(
            "Hệ thống chuyên ngành đã nhận hồ sơ (thông điệp chuyển xử lý) gửi kết quả giải quyết về. Ký bằng "
            "HMAC-SHA256 với khóa của hệ thống: X-MotCua-Timestamp (giây Unix) và X-MotCua-Signature = "
            "sha256=<hex của HMAC trên '<timestamp>.<nội dung>'>. Gửi lại cùng nội dung trả về kết quả lần đầu."
        ),
        auth=[],
        parameters=[
            OpenApiParameter("X-MotCua-Timestamp", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-MotCua-Signature", str, OpenApiParameter.HEADER, required=True),
        ],
        request=ExternalResultSerializer,
        responses={
            200: ExternalResultOutSerializer,
            400: OpenApiResponse(description="Dữ liệu không hợp lệ."),
            401: OpenApiResponse(description="Sai chữ ký."),
            404: OpenApiResponse(description="Không tìm thấy yêu cầu xử lý."),
            409: OpenApiResponse(description="Hồ sơ không ở trạng thái nhận kết quả."),
        },
    )
    def post(self, request, token: str):
        task = ExternalTask.objects.select_related("system").filter(token=str(token)[:64]).first()
        if task is None:
            return _error("not_found", "Không tìm thấy yêu cầu xử lý.", status.HTTP_404_NOT_FOUND)
        body = request.body  # the exact bytes that were signed
        if not verify(
            body,
            task.system.secret,
            request.headers.get("X-MotCua-Timestamp", ""),
            request.headers.get("X-MotCua-Signature", ""),
        ):
            return _error("bad_signature", "Chữ ký không hợp lệ hoặc đã quá hạn.", status.HTTP_401_UNAUTHORIZED)
        data = ExternalResultSerializer(data=request.data)
        if not data.is_valid():
            return _error("invalid", "Dữ liệu không hợp lệ.", status.HTTP_400_BAD_REQUEST)
        try:
            answer = specialized.record_result(task.token, dict(data.validated_data))
        except specialized.TaskError as exc:
            return _error(exc.code, exc.message, exc.status)
        return Response(answer)
