"""API permissions: staff users (session/token) or machine clients (OAuth2 client credentials)."""

from rest_framework.permissions import BasePermission


def client_application(request):
    """The OAuth2 application of a machine client's token (no user), else None."""
    token = request.auth
    application = getattr(token, "application", None)
    if application is not None and getattr(token, "user_id", None) is None:
        return application
    return None


class IsStaffOrClient(BasePermission):
    """An authenticated staff user, or a machine client with a valid client-credentials token."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated) or client_application(request) is not None
