"""What is written: dossier events (from save_events), administrative changes, sign-ins, reads."""

import datetime as dt
import json

from django.contrib.auth import authenticate, get_user_model
from django.test import Client, RequestFactory

from motcua.audit import chain, context
from motcua.audit.models import AuditEntry, DataAccess, Kind
from motcua.audit.services import log_access
from motcua.dossiers import services
from motcua.identity.models import Person
from motcua.org.models import StaffMembership
from motcua.org.roles import Role
from motcua.wallet.services import access_log
from motcua.workcalendar.engine import VN_TZ

CITIZEN = {"name": "Nguyễn Văn An", "id_number": "001085012345", "phone": "0912345678", "address": "Thôn 1"}
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ)


def receive(users):
    d, _ = services.create_dossier(
        user=users["motcua.xa"],
        procedure_code="1.001193",
        channel="counter",
        applicant=CITIZEN,
        now=NOW,
        components=["TP01", "TP02"],
        fee_paid=True,
    )
    return d


def in_request(fn, user=None, ip="203.0.113.7"):
    """Run ``fn`` as inside a request from ``ip`` (through the real middleware)."""
    request = RequestFactory().get("/", REMOTE_ADDR=ip)
    if user is not None:
        request.user = user
    out = {}

    def view(req):
        out["value"] = fn()
        return None

    context.AuditContextMiddleware(view)(request)
    return out["value"]


def test_every_dossier_event_is_a_change_row_in_the_same_transaction(users):
    officer = users["motcua.xa"]
    d = in_request(lambda: receive(users), user=officer)
    events = list(d.events.order_by("id"))
    rows = list(AuditEntry.objects.filter(kind=Kind.CHANGE, object_type="dossier").order_by("id"))
    assert [r.action for r in rows] == [e.action for e in events]
    row = rows[0]
    assert row.user == officer and row.dossier_code == d.code and row.object_ref == d.code
    assert row.subject_id_number == d.owner_id_number and row.ip == "203.0.113.7"
    assert row.detail["event"] == events[0].pk and row.detail["to"] == events[0].to_state
    # The role the officer acted in and the agency of the step, as the event records them.
    assert row.roles == events[0].actor_role == officer.memberships.get().role
    assert row.agencies == events[0].agency.code
    chain.seal()
    assert chain.verify().ok


def test_admin_changes_name_fields_never_values(users):
    person = in_request(lambda: Person.objects.create(id_number="001085099999", full_name="Trần Thị Bình"))
    row = AuditEntry.objects.filter(object_type="identity.person").latest("id")
    assert (row.action, row.subject_id_number, row.ip) == ("create", "001085099999", "203.0.113.7")
    person.phone = "0909000111"
    person.full_name = "Trần Thị Bình"  # unchanged
    in_request(lambda: person.save(), user=users["quantri"] if "quantri" in users else None)
    row = AuditEntry.objects.filter(object_type="identity.person").latest("id")
    assert row.action == "update" and row.detail == {"fields": ["phone"]}
    assert "0909000111" not in json.dumps(row.detail) and "Bình" not in row.object_ref
    count = AuditEntry.objects.count()
    person.save()  # nothing changed: no row
    assert AuditEntry.objects.count() == count
    person.delete()
    assert AuditEntry.objects.filter(object_type="identity.person", action="delete").exists()


def test_membership_and_group_changes_are_logged(users):
    user = get_user_model().objects.create(username="moi.canbo")
    assert AuditEntry.objects.filter(object_type="auth.user", action="create", object_ref="moi.canbo").exists()
    agency = users["motcua.xa"].memberships.get().agency
    StaffMembership.objects.create(user=user, agency=agency, role=Role.INSPECTOR)
    assert AuditEntry.objects.filter(object_type="org.staff_membership", action="create").exists()
    # sync_user_groups put the user in the inspectors' group: an m2m row.
    assert AuditEntry.objects.filter(object_type="auth.user", action="groups.add", object_ref="moi.canbo").exists()


def test_sign_in_out_and_failed_sign_in(users, demo_password):
    user = users["motcua.xa"]
    client = Client(REMOTE_ADDR="198.51.100.4")
    client.force_login(user)
    login = AuditEntry.objects.filter(kind=Kind.AUTH, action="login").latest("id")
    assert login.user == user and login.roles == user.memberships.get().role
    client.logout()
    assert AuditEntry.objects.filter(kind=Kind.AUTH, action="logout", user=user).exists()
    request = RequestFactory().post("/dang-nhap/", REMOTE_ADDR="198.51.100.9")
    assert authenticate(request, username="motcua.xa", password="sai-mat-khau-123") is None
    failed = AuditEntry.objects.filter(kind=Kind.AUTH, action="login_failed").latest("id")
    assert failed.user is None and failed.object_ref == "motcua.xa" and failed.ip == "198.51.100.9"
    assert "sai-mat-khau" not in json.dumps(failed.detail) + failed.object_ref + failed.purpose
    # last_login bookkeeping is not a change row.
    updates = AuditEntry.objects.filter(object_type="auth.user", object_ref="motcua.xa", action="update")
    assert all("last_login" not in r.detail.get("fields", []) for r in updates)


def test_log_access_is_one_insert_in_a_request(users, django_assert_num_queries):
    officer = users["chuyenvien.xa"]

    class Obj:
        code, owner_id_number = "HS1", "001085012345"

    def two_reads():
        log_access(user=officer, objects=[Obj()], object_type="dossier", purpose="xem")  # + roles, once
        with django_assert_num_queries(1):
            log_access(user=officer, objects=[Obj()], object_type="dossier", purpose="xem")

    in_request(two_reads, user=officer)
    row = DataAccess.objects.latest("id")
    assert (row.kind, row.roles, row.ip) == ("read", officer.memberships.get().role, "203.0.113.7")
    assert row.agencies == officer.memberships.get().agency.code


def test_citizen_access_log_shows_reads_only(users):
    d = receive(users)
    log_access(user=users["chuyenvien.xa"], objects=[d], object_type="dossier", purpose="xem hồ sơ")
    assert AuditEntry.objects.filter(subject_id_number=d.owner_id_number, kind=Kind.CHANGE).exists()
    assert [r.kind for r in access_log([d.owner_id_number])] == ["read"]
