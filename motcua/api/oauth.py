"""django-oauth-toolkit hooks for machine clients (``OAUTH2_PROVIDER`` in the settings):

* ``ApiClientScopes``: the scopes an application may ask for are those its ``ApiClient`` grants
  (``/o/token/`` answers ``invalid_scope`` for any other); an application without one gets the public
  scopes only. A token asked for without ``scope`` gets every scope the client is granted.
* ``ClientValidator``: an inactive client cannot obtain a token (``invalid_client``).
"""

from __future__ import annotations

from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import SettingsScopes

# Scopes of public data (the catalog and the working calendar): granted to every application.
PUBLIC_SCOPES = ("catalog:read", "calendar:read")


def _client_of(application):
    from .models import ApiClient

    if application is None or application.pk is None:
        return None
    return ApiClient.objects.filter(application=application).only("scopes", "active").first()


class ApiClientScopes(SettingsScopes):
    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        every = super().get_available_scopes(application, request, *args, **kwargs)
        if application is None:
            return every
        client = _client_of(application)
        if client is None:
            return [s for s in every if s in PUBLIC_SCOPES]
        if not client.active:
            return []
        granted = set(client.scope_list) | set(PUBLIC_SCOPES)
        return [s for s in every if s in granted]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return super().get_default_scopes(application, request, *args, **kwargs)
        return self.get_available_scopes(application, request, *args, **kwargs)


class ClientValidator(OAuth2Validator):
    def authenticate_client(self, request, *args, **kwargs):
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        client = _client_of(getattr(request, "client", None))
        return client is None or client.active
