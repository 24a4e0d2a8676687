"""Structured API errors: every 4xx is {"error": {"code", "message", "details"}} in Vietnamese."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

MESSAGES = {
    exceptions.NotAuthenticated: ("not_authenticated", "Bạn cần đăng nhập hoặc cung cấp mã truy cập."),
    exceptions.AuthenticationFailed: ("authentication_failed", "Thông tin xác thực không hợp lệ."),
    exceptions.PermissionDenied: ("permission_denied", "Bạn không có quyền thực hiện thao tác này."),
    exceptions.NotFound: ("not_found", "Không tìm thấy dữ liệu yêu cầu."),
    exceptions.MethodNotAllowed: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    exceptions.Throttled: ("throttled", "Bạn gửi quá nhiều yêu cầu, vui lòng thử lại sau."),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "Định dạng dữ liệu không được hỗ trợ."),
    exceptions.ParseError: ("parse_error", "Dữ liệu gửi lên không đọc được."),
}


class ApiError(exceptions.APIException):
    """A domain error with a Vietnamese message and a machine-readable code."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, code: str = "invalid", details=None, status_code: int | None = None):
        super().__init__(message, code)
        self.error_code, self.message, self.details = code, message, details
        if status_code:
            self.status_code = status_code


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = ApiError("Dữ liệu không hợp lệ.", "invalid", exc.messages)
    response = drf_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        body = {"code": exc.error_code, "message": exc.message, "details": exc.details}
    elif isinstance(exc, exceptions.ValidationError):
        body = {"code": "invalid", "message": "Dữ liệu không hợp lệ.", "details": response.data}
    else:
        code, message = next(
            ((c, m) for cls, (c, m) in MESSAGES.items() if isinstance(exc, cls)),
            ("error", str(exc.detail) if hasattr(exc, "detail") else "Lỗi yêu cầu."),
        )
        body = {"code": code, "message": message, "details": None}
    return Response({"error": body}, status=response.status_code, headers=_headers(response))


def _headers(response):
    return {k: v for k, v in response.items() if k.lower() in ("www-authenticate", "retry-after", "allow")}
