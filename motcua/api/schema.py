"""OpenAPI: the machine clients' OAuth2 scheme (client-credentials flow with every scope) and, per
operation, the scopes the view requires of a machine client (``required_scopes``). Loaded by
``ApiConfig.ready``."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .authentication import ClientOAuth2Authentication


class ClientOAuth2Scheme(OpenApiAuthenticationExtension):
    target_class = ClientOAuth2Authentication
    name = "oauth2"
    priority = 1  # before drf-spectacular's own extension for the parent class

    def get_security_requirement(self, auto_schema):
        from .permissions import scopes_for

        view = auto_schema.view
        scopes = scopes_for(view, auto_schema.method)
        requirements = [] if scopes is None else [{self.name: list(scopes)}]
        if getattr(view, "public", False):
            requirements.append({})  # anonymous calls are allowed too
        return requirements

    def get_security_definition(self, auto_schema):
        from oauth2_provider.scopes import get_scopes_backend

        return {
            "type": "oauth2",
            "description": (
                "Ứng dụng kết nối (hệ thống chuyên ngành, nền tảng LGSP) lấy mã truy cập bằng client credentials "
                "tại `/o/token/`; mỗi thao tác yêu cầu phạm vi (scope) ghi ở thao tác đó. Cán bộ dùng Token hoặc "
                "phiên đăng nhập và theo quyền của vai trò."
            ),
            "flows": {
                "clientCredentials": {
                    "tokenUrl": reverse("oauth2_provider:token"),
                    "scopes": dict(get_scopes_backend().get_all_scopes()),
                }
            },
        }
