"""API access: staff users (token or session, their role rules apply in the domain) and machine
clients (OAuth2 client credentials) limited by scopes and by their agencies.

One permission class, ``ApiAccess``, reads the view's ``required_scopes``: a list of scopes (every
method) or ``{"GET": [...], "POST": [...]}``; a method a machine client may not call is left out
(``None``). ``public = True`` lets anonymous callers in (public data). ``client_dossiers`` is the one
rule for the dossiers a machine client may read or create."""

from __future__ import annotations

from rest_framework import status
from rest_framework.permissions import BasePermission

STATUS_SCOPE = "status:read"
RESULTS_SCOPE = "results:read"
READ_SCOPE = "dossiers:read"
CREATE_SCOPE = "dossiers:create"


def client_application(request):
    """The OAuth2 application of a machine client's token (no user), else None."""
    token = request.auth
    application = getattr(token, "application", None)
    if application is not None and getattr(token, "user_id", None) is None:
        return application
    return None


def api_client(request):
    """The machine client's ``ApiClient`` (None for staff, anonymous callers and applications that
    were never registered as a client)."""
    if client_application(request) is None:
        return None
    return getattr(request, "api_client", None)


def client_dossiers(client):
    """Dossiers a machine client may read (and the only ones it may create): those whose handling
    agency or receiving agency is one of its agencies. None of them without an ``ApiClient`` or agencies."""
    from motcua.dossiers.models import Dossier

    ids = client.agency_ids() if client is not None else []
    if not ids:
        return Dossier.objects.none()
    from django.db.models import Q

    return Dossier.objects.filter(Q(agency_id__in=ids) | Q(receiving_agency_id__in=ids))


def scopes_for(view, method: str) -> tuple[str, ...] | None:
    """The scopes a machine client needs for ``method`` on ``view``; None: clients may not call it."""
    method = method.upper()
    if method == "HEAD":
        method = "GET"
    if method == "OPTIONS":
        return ()
    required = getattr(view, "required_scopes", None)
    if isinstance(required, dict):
        required = required.get(method)
    return None if required is None else tuple(required)


class ApiAccess(BasePermission):
    """Staff users; machine clients holding the view's scopes; anyone on a ``public`` view."""

    def has_permission(self, request, view) -> bool:
        from .errors import ApiError  # not at import: the settings load this module while DRF's views load

        if client_application(request) is not None:
            scopes = scopes_for(view, request.method)
            if scopes is None:
                raise ApiError(
                    "Ứng dụng kết nối (client) không được thực hiện thao tác này; chỉ cán bộ có thẩm quyền được làm.",
                    "client_not_allowed",
                    status_code=status.HTTP_403_FORBIDDEN,
                )
            if not request.auth.allow_scopes(scopes):
                missing = sorted(set(scopes) - set(request.auth.scope.split()))
                raise ApiError(
                    f"Mã truy cập của ứng dụng không có phạm vi '{' '.join(missing)}' cần cho thao tác này.",
                    "insufficient_scope",
                    {"required_scopes": list(scopes), "missing_scopes": missing},
                    status_code=status.HTTP_403_FORBIDDEN,
                )
            return True
        if getattr(view, "public", False):
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        from motcua.accounts.services import is_staff_user

        if not is_staff_user(request.user):  # a citizen's session or token is not a staff credential
            raise ApiError(
                "Chỉ cán bộ, công chức hoặc ứng dụng kết nối được cấp quyền mới dùng được API này.",
                "staff_only",
                status_code=status.HTTP_403_FORBIDDEN,
            )
        return True


# The name the settings used before scopes were enforced per view.
IsStaffOrClient = ApiAccess
