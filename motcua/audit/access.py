"""Who may read the audit log (one rule): inspectors and the province office (permission
``audit.view_auditentry``, given to their roles in ``org.roles``) and administrators."""

from __future__ import annotations


def can_audit(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.has_perm("audit.view_auditentry")))
