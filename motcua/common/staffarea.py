"""The staff area (``/can-bo/…``) is for staff: a logged-in citizen (or any account that holds no
active staff membership) gets a Vietnamese 403 there, before any view runs. Anonymous visitors go on to
the views, which send them to the login page. The API applies the same rule in
``motcua.api.permissions.ApiAccess``; "who is staff" is ``motcua.accounts.services.is_staff_user``."""

from __future__ import annotations

from django.shortcuts import render

from motcua.accounts.services import is_staff_user

STAFF_PREFIX = "/can-bo/"


class StaffAreaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(STAFF_PREFIX):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and not is_staff_user(user):
                return render(
                    request,
                    "staff_only.html",
                    {"message": "Trang này chỉ dành cho cán bộ, công chức. Tài khoản của bạn không có quyền truy cập."},
                    status=403,
                )
        return self.get_response(request)
