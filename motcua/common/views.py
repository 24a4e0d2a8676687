"""Project-wide views and the refusals that are the same for every page and API route."""

from django.http import JsonResponse
from django.shortcuts import render

CSRF_MESSAGE = (
    "Phiên làm việc trên trang này đã hết hạn hoặc yêu cầu không hợp lệ (thiếu mã bảo vệ CSRF). "
    "Vui lòng tải lại trang rồi thực hiện lại thao tác."
)
NUL_MESSAGE = (
    "Dữ liệu gửi lên có ký tự không hợp lệ (ký tự rỗng NUL). Vui lòng kiểm tra lại địa chỉ hoặc nội dung đã nhập."
)


def refusal(request, *, code: str, message: str, status: int):
    """A refused request: a structured error on the API, a Vietnamese page elsewhere."""
    if request.path_info.startswith("/api/"):
        body = {"error": {"code": code, "message": message, "details": {}}}
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})  # UTF-8 like DRF
    return render(request, "staff_only.html", {"title": "Yêu cầu không hợp lệ", "message": message}, status=status)


def csrf_failure(request, reason: str = ""):
    """A POST without a valid CSRF token: a Vietnamese 403 (a structured error for the API)."""
    return refusal(request, code="csrf_failed", message=CSRF_MESSAGE, status=403)
