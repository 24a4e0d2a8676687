"""Project-wide views."""

from django.http import JsonResponse
from django.shortcuts import render

CSRF_MESSAGE = (
    "Phiên làm việc trên trang này đã hết hạn hoặc yêu cầu không hợp lệ (thiếu mã bảo vệ CSRF). "
    "Vui lòng tải lại trang rồi thực hiện lại thao tác."
)


def csrf_failure(request, reason: str = ""):
    """A POST without a valid CSRF token: a Vietnamese 403 (a structured error for the API)."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": {"code": "csrf_failed", "message": CSRF_MESSAGE, "details": {}}}, status=403)
    return render(request, "staff_only.html", {"title": "Yêu cầu không hợp lệ", "message": CSRF_MESSAGE}, status=403)
