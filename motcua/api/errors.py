"""Structured API errors: every 4xx is {"error": {"code", "message", "details"}} in Vietnamese."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from motcua.dossiers.services import DossierError

from .authentication import ClientInactive

MESSAGES = {
    # Subclasses before their bases (the first match wins).
    ClientInactive: ("client_inactive", "Ứng dụng kết nối đã bị tạm ngừng; liên hệ quản trị hệ thống."),
    exceptions.NotAuthenticated: ("not_authenticated", "Bạn cần đăng nhập hoặc cung cấp mã truy cập."),
    exceptions.AuthenticationFailed: ("authentication_failed", "Thông tin xác thực không hợp lệ."),
    exceptions.PermissionDenied: ("permission_denied", "Bạn không có quyền thực hiện thao tác này."),
    exceptions.NotFound: ("not_found", "Không tìm thấy dữ liệu yêu cầu."),
    exceptions.MethodNotAllowed: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    exceptions.Throttled: ("throttled", "Bạn gửi quá nhiều yêu cầu, vui lòng thử lại sau."),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "Định dạng dữ liệu không được hỗ trợ."),
    exceptions.ParseError: ("parse_error", "Dữ liệu gửi lên không đọc được (JSON không hợp lệ)."),
    exceptions.NotAcceptable: ("not_acceptable", "Định dạng phản hồi yêu cầu không được hỗ trợ."),
}

# Field-level validation messages in Vietnamese, by DRF error code (DRF ships no Vietnamese text).
FIELD_MESSAGES = {
    "required": "Trường này là bắt buộc.",
    "null": "Trường này không được để trống (null).",
    "blank": "Trường này không được để trống.",
    "invalid": "Giá trị không hợp lệ.",
    "not_a_list": "Phải là một danh sách (mảng).",
    "not_a_dict": "Phải là một đối tượng (JSON object).",
    "empty": "Danh sách không được rỗng.",
    "max_length": "Giá trị quá dài.",
    "min_length": "Giá trị quá ngắn.",
    "max_value": "Giá trị quá lớn.",
    "min_value": "Giá trị quá nhỏ.",
    "max_string_length": "Giá trị quá lớn.",
    "invalid_choice": "Giá trị không nằm trong danh sách cho phép.",
    "date": "Phải là ngày (YYYY-MM-DD).",
    "datetime": "Phải là thời điểm (ISO 8601).",
    "make_aware": "Thời điểm không hợp lệ theo múi giờ.",
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
    elif isinstance(exc, DossierError):  # a refused domain request: its status, code and message
        exc = ApiError(exc.message, exc.code, exc.details, status_code=exc.status)
    response = drf_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        body = {"code": exc.error_code, "message": exc.message, "details": exc.details}
    elif isinstance(exc, exceptions.ValidationError):
        details = _vietnamese(exc.detail)
        body = {"code": "invalid", "message": _summary(details), "details": details}
    else:
        code, message = next(
            ((c, m) for cls, (c, m) in MESSAGES.items() if isinstance(exc, cls)),
            ("error", str(exc.detail) if hasattr(exc, "detail") else "Lỗi yêu cầu."),
        )
        details = {"retry_after": exc.wait} if isinstance(exc, exceptions.Throttled) and exc.wait else None
        body = {"code": code, "message": message, "details": details}
    return Response({"error": body}, status=response.status_code, headers=_headers(response))


def _headers(response):
    return {k: v for k, v in response.items() if k.lower() in ("www-authenticate", "retry-after", "allow")}


def _vietnamese(detail):
    """DRF's error tree (dicts/lists of ErrorDetail) with each message put in Vietnamese by its code
    (a message raised by our own code is already Vietnamese and is kept)."""
    if isinstance(detail, dict):
        return {key: _vietnamese(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_vietnamese(value) for value in detail]
    if isinstance(detail, exceptions.ErrorDetail) and detail.code in FIELD_MESSAGES and _is_drf_text(detail):
        return FIELD_MESSAGES[detail.code]
    return str(detail)


def _is_drf_text(detail) -> bool:
    """DRF's own (English) messages are ASCII; ours carry Vietnamese letters."""
    return str(detail).isascii()


def _summary(details, limit: int = 3) -> str:
    """'Dữ liệu không hợp lệ: applicant.id_number: Trường này là bắt buộc.' (first few problems)."""
    problems: list[str] = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, [*path, str(key)] if key != "non_field_errors" else path)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, [*path, str(i)] if isinstance(value, dict | list) else path)
        else:
            problems.append(f"{'.'.join(path)}: {node}" if path else str(node))

    walk(details, [])
    if not problems:
        return "Dữ liệu không hợp lệ."
    more = f" (và {len(problems) - limit} lỗi khác)" if len(problems) > limit else ""
    return "Dữ liệu không hợp lệ: " + "; ".join(problems[:limit]) + more
