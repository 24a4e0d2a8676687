"""Writing the personal-data access log: one call per read/export/print of personal data."""

from __future__ import annotations

from .models import DataAccess


def _ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


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
    rows = [
        DataAccess(
            user=user,
            client_id=client_id,
            action=action,
            object_type=object_type,
            object_ref=str(ref(o))[:60],
            subject_id_number=str(subject(o) or "")[:20],
            purpose=purpose[:120],
            dossier_code=str(dossier(o) or "")[:40],
            ip=_ip(request),
        )
        for o in objects
    ]
    if len(rows) == 1:
        rows[0].save()  # one INSERT (bulk_create would add BEGIN/COMMIT round trips)
    elif rows:
        DataAccess.objects.bulk_create(rows)
    return len(rows)
