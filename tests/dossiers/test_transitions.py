"""Enumerates the whole transition table: every allowed (state, action) works for the right actor
and writes its event; every other pair is refused with InvalidTransition (HTTP 409)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from motcua.dossiers import services
from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.states import TRANSITIONS, State, target_of
from motcua.org.models import Agency, StaffMembership
from motcua.org.roles import Role

from .conftest import CITIZEN, MONDAY

COMMUNE_PC = "000.01.31.H99"
T = MONDAY.replace(hour=8)


def at(hours: float) -> dt.datetime:
    return T + dt.timedelta(hours=hours)


class World:
    """Builders that bring a fresh birth-registration dossier (1.001193, 4 steps) to each state."""

    def __init__(self):
        User = get_user_model()
        self.u = {u.username: u for u in User.objects.all()}
        police = Agency.objects.get(kind="police", unit__code=Agency.objects.get(code=COMMUNE_PC).unit.code)
        self.police = police
        cong_an, _ = User.objects.get_or_create(username="congan.xa", defaults={"first_name": "Công an"})
        StaffMembership.objects.get_or_create(user=cong_an, agency=police, role=Role.SPECIALIST)
        self.u["congan.xa"] = cong_an

    def act(self, d, action, who, hours, **kw):
        return services.act(d, action, user=self.u[who] if who else None, now=at(hours), **kw)

    # -- builders ------------------------------------------------------------------------------
    def submitted(self):
        d, _ = services.create_dossier(
            procedure_code="1.001193",
            channel="online",
            agency_code=COMMUNE_PC,
            applicant=CITIZEN,
            components=["TP01", "TP02"],
            return_channel="online",
            now=at(0),
        )
        return d

    def pending_linked(self):
        bundle, _ = services.create_bundle(
            "khai_sinh",
            user=self.u["motcua.xa"],
            channel="counter",
            applicant=CITIZEN,
            components=["TP01", "TP02"],
            now=at(0),
        )
        return bundle.dossiers.get(bundle_order=2)

    def received(self):
        d, _ = services.create_dossier(
            user=self.u["motcua.xa"],
            procedure_code="1.001193",
            channel="counter",
            applicant=CITIZEN,
            components=["TP01", "TP02"],
            fee_paid=True,
            now=at(0),
        )
        return d

    def at_specialist(self):
        return self.act(self.received(), "transfer", "motcua.xa", 0.5)

    def in_processing(self):  # at the leader's step
        return self.act(self.at_specialist(), "forward", "chuyenvien.xa", 1)

    def consulting(self):
        return self.act(self.in_processing(), "consult", "lanhdao.xa", 1.5, data={"agencies": [self.police.code]})

    def supplement_requested(self):
        return self.act(
            self.in_processing(),
            "request_supplement",
            "lanhdao.xa",
            1.5,
            reason="Thiếu giấy chứng sinh",
            data={"missing": ["TP02"]},
        )

    def awaiting_fee(self):
        return self.act(self.in_processing(), "request_fee", "lanhdao.xa", 1.5, data={"amount": 8000})

    def result_issued(self):
        return self.act(self.in_processing(), "issue_result", "lanhdao.xa", 1.5)

    def awaiting_return(self):
        return self.act(self.result_issued(), "deliver", "lanhdao.xa", 1.6)

    def returned(self):
        return self.act(self.awaiting_return(), "return_result", "motcua.xa", 1.7)

    def refused(self):
        return self.act(self.submitted(), "refuse", "motcua.xa", 0.5, reason="Không thuộc thẩm quyền")

    def withdrawn(self):
        return self.act(self.received(), "withdraw", "motcua.xa", 0.5)

    def stopped(self):
        return self.act(self.in_processing(), "stop", "lanhdao.xa", 1.5, reason="Có tranh chấp")


BUILDERS = {
    State.SUBMITTED: "submitted",
    State.PENDING_LINKED: "pending_linked",
    State.RECEIVED: "received",
    State.REFUSED: "refused",
    State.IN_PROCESSING: "in_processing",
    State.CONSULTING: "consulting",
    State.SUPPLEMENT_REQUESTED: "supplement_requested",
    State.AWAITING_FEE: "awaiting_fee",
    State.WITHDRAWN: "withdrawn",
    State.STOPPED: "stopped",
    State.RESULT_ISSUED: "result_issued",
    State.AWAITING_RETURN: "awaiting_return",
    State.RETURNED: "returned",
}

# How each action is done by the right person (who, reason, data); `None` who = system.
CALLS = {
    "accept": ("motcua.xa", "", {}),
    "refuse": ("motcua.xa", "Hồ sơ không hợp lệ", {}),
    "request_supplement": ("lanhdao.xa", "Thiếu giấy chứng sinh", {"missing": ["TP02"]}),
    "supplement": ("motcua.xa", "", {"components": ["TP02"]}),
    "start_linked": (None, "", {}),
    "transfer": ("motcua.xa", "", {}),
    "acknowledge": ("lanhdao.xa", "", {}),
    "forward": ("chuyenvien.xa", "", {}),
    "send_back": ("lanhdao.xa", "Cần thẩm định lại", {}),
    "assign": ("lanhdao.xa", "", {"assignee": "chuyenvien.xa"}),
    "consult": ("lanhdao.xa", "", {"agencies": [None]}),  # filled with the commune police
    "answer_consultation": ("congan.xa", "", {"opinion": "Thống nhất"}),
    "request_fee": ("lanhdao.xa", "", {"amount": 8000}),
    "pay_fee": ("motcua.xa", "", {"receipt": "BL-001"}),
    "apologize": ("lanhdao.xa", "Chờ xác minh", {"new_due": "10/03/2026"}),
    "stop": ("lanhdao.xa", "Có tranh chấp", {}),
    "withdraw": ("motcua.xa", "", {}),
    "issue_result": ("lanhdao.xa", "", {"outcome": "approved"}),
    "deliver": ("lanhdao.xa", "", {}),
    "return_result": ("motcua.xa", "", {}),
}
# Where the generic builder of a state is not the natural place for an action.
SPECIAL_BUILDER = {("forward", State.IN_PROCESSING): "at_specialist"}
# The forwarded acknowledgement is by the step's role.
SPECIAL_WHO = {("forward", State.IN_PROCESSING): "chuyenvien.xa"}

ALLOWED = sorted((state, action) for action, t in TRANSITIONS.items() for state in t.sources)


class Rollback(Exception):
    pass


@pytest.fixture
def world(province):
    return World()


def _call(world, d, action, state):
    who, reason, data = CALLS[action]
    who = SPECIAL_WHO.get((action, state), who)
    if action == "consult":
        data = {"agencies": [world.police.code]}
    by = "system" if who is None else None
    return services.act(d, action, user=world.u[who] if who else None, by=by, reason=reason, data=data, now=at(2))


def test_every_allowed_transition_works(world):
    assert len(ALLOWED) > 30
    failures = []
    for state, action in ALLOWED:
        try:
            with transaction.atomic():
                d = getattr(world, SPECIAL_BUILDER.get((action, state), BUILDERS[state]))()
                assert d.state == state, (state, d.state)
                before_version, before_events = d.lock_version, Event.objects.filter(dossier=d).count()
                expected = target_of(TRANSITIONS[action], d.state, d.resume_state)
                d = _call(world, d, action, state)
                if action == "answer_consultation":
                    expected = State.IN_PROCESSING  # the only consultation answered
                assert d.state == expected, f"{action} from {state}: {d.state} != {expected}"
                assert d.lock_version == before_version + 1
                last = Event.objects.filter(dossier=d).order_by("-id").first()
                assert Event.objects.filter(dossier=d).count() == before_events + 1
                assert (last.action, last.from_state, last.to_state) == (action, state, expected)
                raise Rollback
        except Rollback:
            pass
        except Exception as exc:  # collect every failure, then report them all
            failures.append(f"{state} --{action}--> {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


def test_every_other_transition_is_refused(world):
    superuser = get_user_model().objects.get(username="quantri")
    checked = 0
    for state, builder in BUILDERS.items():
        with transaction.atomic():
            d = getattr(world, builder)()
            for action, t in TRANSITIONS.items():
                if state in t.sources:
                    continue
                with pytest.raises(services.InvalidTransition) as err:
                    services.act(d, action, user=superuser, reason="x", now=at(3))
                assert err.value.status == 409 and "Không thể thực hiện" in err.value.message
                assert Dossier.objects.get(pk=d.pk).state == state
                checked += 1
            transaction.set_rollback(True)
    assert checked == len(BUILDERS) * len(TRANSITIONS) - len(ALLOWED)


def test_every_state_has_a_national_code_and_a_builder():
    from motcua.dossiers.states import NATIONAL_STATUS

    assert set(NATIONAL_STATUS) == set(State) == set(BUILDERS)
    assert sorted(set(NATIONAL_STATUS.values())) == list(range(1, 11))
