"""Who sees which agencies in reports (one rule, used by every report page and export): the
province office and inspectors (permission ``reports.view_dailyflow``, given to their roles in
``org.roles``) and administrators see the whole province; everyone else sees the agencies they are
a member of."""

from __future__ import annotations


def report_scope(user) -> set[int] | None:
    """The agency ids ``user`` may report on, or None for the whole province."""
    if user.is_superuser or user.has_perm("reports.view_dailyflow"):
        return None
    return set(user.memberships.filter(active=True).values_list("agency_id", flat=True))
