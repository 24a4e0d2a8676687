"""Writing the audit log: one call per read/export/print of personal data (``log_access``), one
bulk insert per batch of dossier events (``log_events``), one row per administrative change or
sign-in (``log_change``, ``log_auth``; see ``signals``)."""

from __future__ import annotations

from .context import actor, actor_roles, ip_of
from .models import AuditEntry, DataAccess, Kind

ACCESS_ACTIONS = {Kind.READ, Kind.EXPORT, Kind.PRINT}
_AGENCY_CODES: dict[int, str] = {}  # agency id → electronic ID code (stable: a reorganization makes new rows)


def agency_code(agency_id: int | None) -> str:
    if not agency_id:
        return ""
    code = _AGENCY_CODES.get(agency_id)
    if code is None:
        from motcua.org.models import Agency

        code = Agency.objects.filter(pk=agency_id).values_list("code", flat=True).first() or ""
        if code:
            _AGENCY_CODES[agency_id] = code
    return code


def _ip(request) -> str | None:
    return ip_of(request)


def log_access(
    *,
    user=None,
    client_id: str = "",
    objects,
    object_type: str,
    ref=lambda o: o.code,
    subject=lambda o: getattr(o, "owner_id_number", ""),
    action: str = "read",
    purpose: str = "",
    request=None,
    dossier=lambda o: getattr(o, "code", "") if hasattr(o, "version_id") else "",
) -> int:
    """Log that ``user`` (or machine client ``client_id``) read ``objects`` (one bulk insert)."""
    user = user if user is not None and getattr(user, "is_authenticated", False) else None
    roles, agencies = actor_roles(user.pk if user is not None else None)
    ip = _ip(request) if request is not None else actor()[2]
    rows = [
        DataAccess(
            kind=action if action in ACCESS_ACTIONS else Kind.READ,
            user=user,
            client_id=client_id,
            roles=roles,
            agencies=agencies,
            action=action,
            object_type=object_type,
            object_ref=str(ref(o))[:60],
            subject_id_number=str(subject(o) or "")[:20],
            purpose=purpose[:120],
            dossier_code=str(dossier(o) or "")[:40],
            ip=ip,
        )
        for o in objects
    ]
    if len(rows) == 1:
        rows[0].save()  # one INSERT (bulk_create would add BEGIN/COMMIT round trips)
    elif rows:
        DataAccess.objects.bulk_create(rows)
    return len(rows)


def log_events(events) -> None:
    """One change row per dossier event (called by ``dossiers.services.save_events``, same transaction;
    one bulk insert). Never personal values: the action, the states, the event id."""
    from motcua.dossiers.models import Event

    if not events:
        return
    _, client_id, ip = actor()
    rows = []
    for e in events:
        dossier = e.dossier if Event.dossier.is_cached(e) else None
        # The role the actor acted in and the agency of the step: the event carries both (no query).
        agency = e.agency if e.agency_id and Event.agency.is_cached(e) else None
        roles = e.actor_role or ""
        agencies = agency.code if agency is not None else agency_code(e.agency_id)
        code = dossier.code if dossier is not None else ""
        rows.append(
            AuditEntry(
                kind=Kind.CHANGE,
                user_id=e.actor_id,
                client_id=client_id,
                roles=roles,
                agencies=agencies,
                action=e.action[:40],
                object_type="dossier",
                object_ref=(code or str(e.dossier_id))[:60],
                subject_id_number=(getattr(dossier, "owner_id_number", "") or "")[:20],
                dossier_code=code[:40],
                ip=ip,
                detail={
                    "event": e.pk,
                    "from": e.from_state or "",
                    "to": e.to_state or "",
                    **({"step": e.step_id} if e.step_id else {}),
                },
            )
        )
    AuditEntry.objects.bulk_create(rows)


def log_change(
    *,
    action: str,
    object_type: str,
    object_ref: str,
    subject: str = "",
    dossier: str = "",
    detail: dict | None = None,
    purpose: str = "",
    user=None,
) -> AuditEntry:
    """One change row for an administrative record (actor and address from the request, if any)."""
    request_user, client_id, ip = actor()
    user = user if user is not None else request_user
    roles, agencies = actor_roles(user.pk if user is not None else None)
    row = AuditEntry(
        kind=Kind.CHANGE,
        user=user,
        client_id=client_id,
        roles=roles,
        agencies=agencies,
        action=action[:40],
        object_type=object_type[:40],
        object_ref=str(object_ref)[:60],
        subject_id_number=str(subject or "")[:20],
        dossier_code=str(dossier or "")[:40],
        purpose=purpose[:120],
        ip=ip,
        detail=detail or {},
    )
    row.save()
    return row


def log_auth(*, action: str, user=None, username: str = "", request=None) -> AuditEntry:
    """A sign-in, sign-out or failed sign-in (the username only, never the password)."""
    user = user if user is not None and getattr(user, "is_authenticated", False) else None
    roles, agencies = actor_roles(user.pk if user is not None else None)
    row = AuditEntry(
        kind=Kind.AUTH,
        user=user,
        roles=roles,
        agencies=agencies,
        action=action,
        object_type="session",
        object_ref=(username or (user.get_username() if user is not None else ""))[:60],
        ip=ip_of(request) if request is not None else actor()[2],
        detail={"username": username[:150]} if username else {},
    )
    row.save()
    return row


def log_export(*, user, what: str, filters: dict, count: int, request=None, kind: str = Kind.EXPORT) -> AuditEntry:
    """A view or an export of the audit log itself (it holds personal data too). Filtered by a data
    subject, the row names them: their access log shows who looked at their trail."""
    user = user if user is not None and getattr(user, "is_authenticated", False) else None
    roles, agencies = actor_roles(user.pk if user is not None else None)
    kept = {k: str(v) for k, v in filters.items() if v not in ("", None)}
    row = AuditEntry(
        kind=kind,
        user=user,
        roles=roles,
        agencies=agencies,
        action=kind,
        object_type="audit_log",
        object_ref=what[:60],
        subject_id_number=kept.get("subject", "")[:20],
        dossier_code=kept.get("dossier", "")[:40],
        purpose="kiểm toán",
        ip=ip_of(request) if request is not None else actor()[2],
        detail={"filters": kept, "rows": count},
    )
    row.save()
    return row
