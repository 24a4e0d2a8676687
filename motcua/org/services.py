"""Organization services: roles → groups, reorganizations (merge, rename) and roll-up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .models import AdministrativeUnit, Agency, AgencyRename
from .roles import ADMIN_SITE_ROLES, ROLE_PERMISSIONS, Role


class ReorganizationError(ValueError):
    """A merge or rename that would break the history (Vietnamese message)."""


def sync_roles() -> None:
    """Create one auth Group per role carrying exactly the permissions of ROLE_PERMISSIONS."""
    perms = {f"{p.content_type.app_label}.{p.codename}": p for p in Permission.objects.select_related("content_type")}
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.label)
        wanted = [perms[name] for name in ROLE_PERMISSIONS[role] if name in perms]
        group.permissions.set(wanted)


def sync_user_groups(user) -> None:
    """Make the user's groups mirror their active memberships; admin-site roles get is_staff."""
    roles = set(user.memberships.filter(active=True).values_list("role", flat=True))
    groups = Group.objects.filter(name__in=[Role(r).label for r in roles])
    user.groups.set(groups)
    wants_staff = bool(roles & {r.value for r in ADMIN_SITE_ROLES}) or user.is_superuser
    if user.is_staff != wants_staff:
        user.is_staff = wants_staff
        user.save(update_fields=["is_staff"])


@transaction.atomic
def rename_agency(agency: Agency, new_name: str, effective: dt.date, decision: str = "") -> Agency:
    """Rename an agency from ``effective`` on; the old name stays for dates before it."""
    if not new_name.strip():
        raise ReorganizationError("Tên mới của cơ quan không được để trống.")
    if agency.renames.filter(effective_date__gte=effective).exists():
        raise ReorganizationError("Đã có quyết định đổi tên cơ quan từ ngày này hoặc sau ngày này.")
    AgencyRename.objects.create(
        agency=agency, old_name=agency.name, new_name=new_name, effective_date=effective, decision=decision
    )
    agency.name = new_name
    agency.save(update_fields=["name"])
    return agency


def _end_into(obj, successor, effective: dt.date, label: str) -> None:
    if obj.pk == successor.pk:
        raise ReorganizationError(f"Không thể hợp nhất {label} vào chính nó.")
    if obj.valid_until is not None and obj.valid_until < effective:
        raise ReorganizationError(f"{obj} đã hết hiệu lực trước ngày hợp nhất.")
    obj.valid_until = effective - dt.timedelta(days=1)
    obj.successor = successor
    obj.save(update_fields=["valid_until", "successor"])


@transaction.atomic
def merge_agencies(sources: Iterable[Agency], into: Agency, effective: dt.date) -> Agency:
    """Merge ``sources`` into ``into`` from ``effective``: they end the day before and point to it.

    Nothing attributed to a source is rewritten; reports roll it up via ``successor_map``.
    """
    for agency in sources:
        _end_into(agency, into, effective, "cơ quan")
    if into.valid_from is None or into.valid_from > effective:
        into.valid_from = into.valid_from or effective
        into.save(update_fields=["valid_from"])
    return into


@transaction.atomic
def merge_units(sources: Iterable[AdministrativeUnit], into: AdministrativeUnit, effective: dt.date):
    """Merge administrative units (e.g. communes in the 2025 reorganization)."""
    for unit in sources:
        _end_into(unit, into, effective, "đơn vị hành chính")
    return into


def _resolve(chain: dict[int, int | None]) -> dict[int, int]:
    resolved: dict[int, int] = {}
    for start in chain:
        seen = [start]
        current = start
        while chain.get(current) is not None and chain[current] not in seen:
            current = chain[current]
            seen.append(current)
        resolved[start] = current
    return resolved


def successor_map() -> dict[int, int]:
    """{agency id: id of the agency it rolls up to today} — one query, used by reports."""
    return _resolve(dict(Agency.objects.values_list("id", "successor_id")))


def unit_successor_map() -> dict[int, int]:
    return _resolve(dict(AdministrativeUnit.objects.values_list("id", "successor_id")))


def current_agency(agency: Agency) -> Agency:
    """The agency that today carries ``agency``'s responsibilities (itself if never merged)."""
    seen = {agency.pk}
    while agency.successor_id and agency.successor_id not in seen:
        agency = agency.successor
        seen.add(agency.pk)
    return agency


def agencies_of_user(user) -> list[Agency]:
    return list(Agency.objects.filter(memberships__user=user, memberships__active=True).distinct())
