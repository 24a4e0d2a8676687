"""Security headers that Django's own middleware does not set (or sets only for some responses).

Django's ``SecurityMiddleware`` sets X-Content-Type-Options, Referrer-Policy, Cross-Origin-Opener-Policy and
(over HTTPS, when configured) HSTS; ``XFrameOptionsMiddleware`` sets X-Frame-Options; django-csp sets the
Content-Security-Policy. This one adds Permissions-Policy and makes sure the others are present on every
response that passed through the stack (a view may still set its own value first).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import csp.middleware
from django.conf import settings


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy:
            response.headers.setdefault("Permissions-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", getattr(settings, "SECURE_REFERRER_POLICY", "") or "same-origin")
        response.headers.setdefault(
            "Cross-Origin-Opener-Policy", getattr(settings, "SECURE_CROSS_ORIGIN_OPENER_POLICY", "") or "same-origin"
        )
        if not getattr(response, "xframe_options_exempt", False):
            response.headers.setdefault("X-Frame-Options", getattr(settings, "X_FRAME_OPTIONS", "DENY"))
        return response


def origin(url: str) -> str:
    """``https://{s}.tile.example.org/{z}/...`` → ``https://*.tile.example.org`` (a CSP host source); "" if none."""
    parts = urlsplit(url or "")
    host = parts.netloc.split("@")[-1]
    if "{" in host:  # Leaflet's {s} sub-domains
        host = "*." + host.split(".", 1)[1] if "." in host else ""
    return f"{parts.scheme}://{host}" if parts.scheme in ("http", "https") and host else ""


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp, with the hosts that come from other settings read per request (VNeID issuer, payment
    gateway, map tiles): a deployment or a test that points them elsewhere gets a policy that follows."""

    def get_policy_parts(self, request, response, report_only: bool = False):
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        directives = (getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}).get("DIRECTIVES", {})
        live = {}
        if "form-action" in directives:
            extra = [origin(getattr(settings, n, "")) for n in ("VNEID_ISSUER", "PAYMENT_GATEWAY_URL")]
            live["form-action"] = _merged(directives["form-action"], extra)
        if "img-src" in directives:
            live["img-src"] = _merged(directives["img-src"], [origin(getattr(settings, "MAP_TILE_URL", ""))])
        parts.replace = {**live, **(parts.replace or {})}
        return parts


def _merged(base, extra) -> list:
    out = list(base)
    out += [e for e in extra if e and e not in out]
    return out
