"""Organization: hierarchy (3 and 2 levels), reorganization with history, roles → permissions."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from motcua.org.demo import load_org
from motcua.org.models import AdministrativeUnit, Agency, AgencyKind, Desk, StaffMembership
from motcua.org.roles import Role
from motcua.org.services import (
    ReorganizationError,
    current_agency,
    merge_agencies,
    rename_agency,
    successor_map,
    sync_user_groups,
)

pytestmark = pytest.mark.django_db


def test_demo_three_level_hierarchy(demo_org):
    province = AdministrativeUnit.objects.get(code="99")
    districts = AdministrativeUnit.objects.filter(parent=province, level__code="district")
    assert districts.count() == 3
    communes = AdministrativeUnit.objects.filter(parent__in=districts, level__code="commune")
    assert communes.count() == 12
    assert Agency.objects.filter(kind=AgencyKind.COMMUNE_PC).count() == 12
    assert Desk.objects.get(code="TTPVHCC").counters.count() == 8
    # Every agency code follows QCVN 102:2016 (validators run on full_clean).
    for agency in Agency.objects.all():
        agency.full_clean()


def test_load_demo_is_idempotent(demo_org):
    before = (AdministrativeUnit.objects.count(), Agency.objects.count(), StaffMembership.objects.count())
    load_org()
    assert (AdministrativeUnit.objects.count(), Agency.objects.count(), StaffMembership.objects.count()) == before


def test_two_level_switch_keeps_history(demo_org):
    load_org(two_level=True)
    today = dt.date(2026, 1, 1)
    active_communes = AdministrativeUnit.objects.active_on(today).filter(level__code="commune")
    assert active_communes.count() == 6
    assert all(u.parent.code == "99" for u in active_communes)  # province → commune
    assert not AdministrativeUnit.objects.active_on(today).filter(level__code="district").exists()
    old = Agency.objects.get(code="000.01.31.H99")  # UBND phường Bình Minh, merged
    assert old.valid_until == dt.date(2025, 6, 30)
    assert current_agency(old).name == "UBND phường An Hòa"
    # Before the reorganization the old commune was in force.
    assert AdministrativeUnit.objects.active_on(dt.date(2025, 6, 1)).filter(code="99001").exists()
    load_org(two_level=True)  # idempotent too
    assert AdministrativeUnit.objects.active_on(today).filter(level__code="commune").count() == 6


def test_department_merger_rolls_up(demo_org):
    labour = Agency.objects.get(code="000.00.15.H99")
    home_affairs = Agency.objects.get(code="000.00.07.H99")
    assert labour.successor == home_affairs and labour.valid_until == dt.date(2025, 2, 28)
    assert successor_map()[labour.pk] == home_affairs.pk


def test_merge_chain_and_rename_history(demo_org):
    a = Agency.objects.get(code="000.00.13.H99")
    b = Agency.objects.get(code="000.00.14.H99")
    rename_agency(b, "Sở Văn hóa và Thể thao", dt.date(2026, 1, 1), "Quyết định 01/QĐ-UBND")
    assert b.name_on(dt.date(2025, 12, 31)) == "Sở Văn hóa, Thể thao và Du lịch"
    assert b.name_on(dt.date(2026, 1, 2)) == "Sở Văn hóa và Thể thao"
    merge_agencies([a], b, dt.date(2026, 6, 1))
    labour = Agency.objects.get(code="000.00.15.H99")
    merge_agencies([Agency.objects.get(code="000.00.07.H99")], b, dt.date(2026, 7, 1))
    assert successor_map()[labour.pk] == b.pk  # chains resolve to the last successor
    assert successor_map()[a.pk] == b.pk


def test_reorganization_errors(demo_org):
    a = Agency.objects.get(code="000.00.13.H99")
    with pytest.raises(ReorganizationError, match="chính nó"):
        merge_agencies([a], a, dt.date(2026, 1, 1))
    with pytest.raises(ReorganizationError, match="không được để trống"):
        rename_agency(a, "  ", dt.date(2026, 1, 1))


def test_roles_map_to_permissions(demo_org):
    User = get_user_model()
    admin = User.objects.get(username="vanphong")
    assert admin.is_staff  # catalog admins use the Django admin
    assert admin.has_perm("catalog.add_procedureversion")
    assert admin.has_perm("workcalendar.add_dayoverride")
    officer = User.objects.get(username="motcua.xa")
    assert not officer.is_staff
    assert officer.has_perm("catalog.view_procedureversion")
    assert not officer.has_perm("catalog.add_procedureversion")
    inspector = User.objects.get(username="thanhtra")
    assert inspector.has_perm("org.view_agency") and not inspector.has_perm("org.change_agency")


def test_deactivating_a_membership_removes_its_permissions(demo_org):
    User = get_user_model()
    user = User.objects.get(username="vanphong")
    m = user.memberships.get(role=Role.CATALOG_ADMIN)
    m.active = False
    m.save()
    user = User.objects.get(pk=user.pk)
    sync_user_groups(user)
    assert not user.is_staff
    assert not user.has_perm("catalog.add_procedureversion")
