"""Bearer tokens of django-oauth-toolkit, with the machine client's ``ApiClient`` loaded once per
request (``request.api_client``) and an inactive client refused (401 ``client_inactive``). Its
OpenAPI description is in ``schema``."""

from __future__ import annotations

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.exceptions import AuthenticationFailed


class ClientInactive(AuthenticationFailed):
    default_detail = "Ứng dụng kết nối đã bị tạm ngừng; liên hệ quản trị hệ thống."
    default_code = "client_inactive"


class ClientOAuth2Authentication(OAuth2Authentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        client = None
        if token.user_id is None:  # client credentials: a machine client
            from .models import ApiClient

            client = ApiClient.objects.filter(application_id=token.application_id).first()
            if client is not None and not client.active:
                raise ClientInactive()
        request.api_client = client
        return user, token
