"""The VNeID OpenID Connect client (authorization code + PKCE S256), built with Authlib.

Authlib checks what matters: ``state`` bound to the session, the PKCE verifier, the ID token's
RS256 signature against the provider's JWKS, issuer, audience, expiry and ``nonce``. The provider
is configuration (``VNEID_ISSUER``, ``VNEID_CLIENT_ID``, ``VNEID_CLIENT_SECRET``); a client is
built per configuration so a changed setting (tests, a re-pointed deployment) takes effect.
"""

from __future__ import annotations

import threading

from authlib.integrations.django_client import OAuth
from django.conf import settings

_lock = threading.Lock()
_clients: dict[tuple, object] = {}


def client():
    key = (settings.VNEID_ISSUER, settings.VNEID_CLIENT_ID, settings.VNEID_CLIENT_SECRET)
    with _lock:
        if key not in _clients:
            oauth = OAuth()
            oauth.register(
                "vneid",
                client_id=settings.VNEID_CLIENT_ID,
                client_secret=settings.VNEID_CLIENT_SECRET,
                server_metadata_url=f"{settings.VNEID_ISSUER.rstrip('/')}/.well-known/openid-configuration",
                client_kwargs={
                    "scope": "openid profile phone address",
                    "code_challenge_method": "S256",
                    "default_timeout": settings.NATIONAL_TIMEOUT * 2,
                },
            )
            _clients[key] = oauth.create_client("vneid")
        return _clients[key]
