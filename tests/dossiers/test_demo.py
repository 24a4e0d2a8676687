"""The demo dossiers: every state, late and on-time ones, both bundle kinds, valid codes and
histories, both organization layouts, idempotent (also through ``load_demo``)."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.db.models import Count

from motcua.catalog.interchange import parse_json
from motcua.catalog.services import publish_all
from motcua.common.management.commands.load_demo import FIXTURE
from motcua.dossiers.bundles import BUNDLES
from motcua.dossiers.demo import demo_dossiers, load_demo_dossiers
from motcua.dossiers.models import Bundle, Channel, Dossier, Event, StepStatus
from motcua.dossiers.states import State
from motcua.identity.ids import parse_personal_id
from motcua.org.demo import load_org
from motcua.org.models import DeskKind, StaffMembership
from motcua.workcalendar.engine import VN_TZ
from motcua.workcalendar.services import get_calendar

TODAY = dt.date(2026, 5, 15)  # a Friday; the window holds 30/4 and 1/5
AS_OF = dt.datetime(2026, 5, 15, 17, 0, tzinfo=VN_TZ)
CODE = re.compile(r"^(?P<agency>[0-9A-Z]{2,3}(?:\.[0-9A-Z]{2,3}){2}\.[A-Z][0-9]{2})-(?P<day>\d{6})-(?P<n>\d{4,})$")
COUNT = 70


@pytest.fixture
def demo(province):
    return load_demo_dossiers(count=COUNT, today=TODAY)


def check_demo(result, count: int = COUNT) -> None:
    assert not result.errors, result.errors
    qs = demo_dossiers()
    assert qs.count() == result.created >= count
    assert Dossier.objects.count() == result.created

    # Every state, late and on-time, every channel, the bundles of each kind.
    assert set(qs.values_list("state", flat=True)) == set(State.values)
    assert all(result.by_state[s] >= 1 for s in State.values)
    finished = qs.filter(finished_at__isnull=False)
    assert finished.late(AS_OF).exists(), "a dossier processed past its due"
    assert finished.exclude(pk__in=finished.late(AS_OF).values("pk")).exists(), "an on-time one"
    assert qs.filter(finished_at=None, state=State.IN_PROCESSING).late(AS_OF).exists(), "an open overdue one"
    assert set(qs.values_list("channel", flat=True)) == set(Channel.values)
    assert {b.kind for b in Bundle.objects.all()} >= set(BUNDLES)
    for kind in BUNDLES:  # a bundle of each kind has moved past its first procedure
        assert Dossier.objects.filter(bundle__kind=kind, bundle_order__gt=1).exclude(state=State.PENDING_LINKED)
    assert qs.filter(apology_count=1).exists()
    actions = set(Event.objects.values_list("action", flat=True))
    assert {"supplement", "consult", "answer_consultation", "start_linked", "refuse", "withdraw", "stop"} <= actions
    assert qs.filter(events__action="supplement", state__in=[State.RETURNED, State.IN_PROCESSING]).exists()
    assert qs.filter(outcome="rejected").exists()

    # Histories: every dossier has events, at weekday office hours, in order, not after "today".
    assert not qs.annotate(n=Count("events")).filter(n=0).exists()
    cal = get_calendar()
    for d in qs.prefetch_related("events").select_related("receiving_agency"):
        match = CODE.match(d.code)
        assert match, d.code
        assert match["agency"] == d.receiving_agency.code
        assert match["day"] == f"{d.submitted_at.astimezone(VN_TZ):%y%m%d}"
        parse_personal_id(d.applicant_id_number, today=TODAY)
        assert d.applicant_phone.startswith("0") and len(d.applicant_phone) == 10
        assert "An Hòa" in d.applicant_address
        ats = [e.at for e in d.events.all()]
        assert ats == sorted(ats) and ats[-1] <= AS_OF, d.code
        for at in ats:
            local = at.astimezone(VN_TZ)
            assert cal.is_working_day(local.date()), (d.code, local)
            assert dt.time(7) <= local.time() <= dt.time(17), (d.code, local)
            assert not dt.time(11, 30) < local.time() < dt.time(13, 30), (d.code, local)
    # Codes are gap-free per agency and day.
    seqs: dict = {}
    for code in Dossier.objects.values_list("code", flat=True):
        agency, day, n = code.rsplit("-", 2)
        seqs.setdefault((agency, day), []).append(int(n))
    assert all(sorted(ns) == list(range(1, len(ns) + 1)) for ns in seqs.values())
    # Returned ones have no active step left.
    assert not qs.filter(state=State.RETURNED, steps__status=StepStatus.ACTIVE).exists()
    # The extra staff exist with their roles.
    for login in result.extra_logins:
        assert StaffMembership.objects.filter(user__username=login.username, active=True).exists()


def test_demo_dossiers(demo):
    check_demo(demo)
    kinds = set(demo_dossiers().values_list("desk__kind", flat=True))
    assert kinds == {DeskKind.PROVINCIAL_CENTER, DeskKind.DISTRICT_DESK, DeskKind.COMMUNE_DESK}
    # Names are Vietnamese, with diacritics.
    names = list(demo_dossiers().values_list("applicant_name", flat=True))
    assert sum(any(ord(ch) > 127 for ch in n) for n in names) > len(names) * 0.8


def test_demo_is_deterministic_and_idempotent(demo):
    codes = sorted(demo_dossiers().values_list("code", "applicant_name", "state"))
    again = load_demo_dossiers(count=COUNT, today=TODAY)
    assert again.already_loaded and again.created == 0
    assert sorted(demo_dossiers().values_list("code", "applicant_name", "state")) == codes


def test_two_level_layout(db):
    load_org(two_level=True)
    publish_all(parse_json(FIXTURE.read_bytes()))
    result = load_demo_dossiers(count=50, today=TODAY)
    check_demo(result, 50)
    assert not demo_dossiers().filter(desk__kind=DeskKind.DISTRICT_DESK).exists()
    assert not demo_dossiers().filter(desk__active=False).exists()


def test_load_demo_command_is_idempotent(db):
    out = io.StringIO()
    call_command("load_demo", "--dossiers", "45", stdout=out)
    first = Dossier.objects.count()
    assert first >= 45
    assert f"đã tạo {first} hồ sơ" in out.getvalue()
    out = io.StringIO()
    call_command("load_demo", "--dossiers", "45", stdout=out)
    assert Dossier.objects.count() == first
    assert "0 hồ sơ mới" in out.getvalue()
    call_command("load_demo", "--no-dossiers", "--quiet")
    assert Dossier.objects.count() == first
