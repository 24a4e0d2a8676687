"""The request an audit row is written in (who, from where), without passing it around.

``AuditContextMiddleware`` puts the request in a context variable for the time of the request;
``actor()`` reads the user lazily (DRF authenticates inside the view and sets the underlying
request's user), ``actor_roles(user)`` reads the actor's active roles and agencies once per request.
"""

from __future__ import annotations

import contextvars
import ipaddress
from dataclasses import dataclass, field

_current: contextvars.ContextVar[_Context | None] = contextvars.ContextVar("motcua_audit_context", default=None)


@dataclass
class _Context:
    request: object
    memberships: dict[int, list] = field(default_factory=dict)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(_Context(request))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


def current_request():
    ctx = _current.get()
    return ctx.request if ctx else None


def ip_of(request) -> str | None:
    """The client address (REMOTE_ADDR, as the hardening part sets it behind a proxy), or None when
    missing or not an address (a test request, "unknown")."""
    if request is None:
        return None
    value = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def actor():
    """(user or None, client_id, ip) of the current request, if any."""
    request = current_request()
    if request is None:
        return None, "", None
    user = getattr(request, "user", None)  # evaluated now, not at the start of the request
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    # An OAuth2 machine client (DRF sets the underlying request's ``auth``: the access token).
    application = getattr(getattr(request, "auth", None), "application", None)
    client_id = (getattr(application, "client_id", "") or "")[:100]
    return user, client_id, ip_of(request)


def memberships(user_id: int | None) -> list[tuple[str, int, str, int | None]]:
    """(role, agency id, agency code, desk id) of the user's active staff memberships — read once per
    request and shared by the access rule (``dossiers.models.access_scope``), "who is staff"
    (``accounts.services.is_staff_user``) and the audit rows' roles and agencies."""
    if not user_id:
        return []
    ctx = _current.get()
    if ctx is not None and user_id in ctx.memberships:
        return ctx.memberships[user_id]
    from motcua.org.models import StaffMembership

    rows = list(
        StaffMembership.objects.filter(user_id=user_id, active=True).values_list(
            "role", "agency_id", "agency__code", "desk_id"
        )
    )
    if ctx is not None:
        ctx.memberships[user_id] = rows
    return rows


def actor_roles(user_id: int | None) -> tuple[str, str]:
    """("role,role", "agency code,agency code") of the user's active memberships (cached per request)."""
    rows = memberships(user_id)
    return (
        ",".join(sorted({r for r, _, _, _ in rows}))[:200],
        ",".join(sorted({a for _, _, a, _ in rows}))[:200],
    )


def forget_roles(user_id: int | None) -> None:
    """A membership changed in this request: read the user's memberships afresh next time."""
    ctx = _current.get()
    if ctx is not None and user_id:
        ctx.memberships.pop(user_id, None)
