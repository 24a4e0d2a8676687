"""Lifecycle rules: intake validation, codes, deadlines and pauses, late handling, bundles,
location-independent intake, access, idempotency, optimistic locking, append-only history."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from motcua.dossiers import services
from motcua.dossiers.models import DailySequence, Dossier, Event, Step, StepStatus
from motcua.dossiers.states import State
from motcua.org.models import Agency, Desk, StaffMembership
from motcua.org.roles import Role
from motcua.workcalendar.engine import UNITS_PER_DAY

from .conftest import CITIZEN, vn

COMMUNE_PC = "000.01.31.H99"
BIRTH = "1.001193"


def receive(users, now, who="motcua.xa", code=BIRTH, **kw):
    kw.setdefault("components", ["TP01", "TP02"])
    kw.setdefault("fee_paid", True)
    d, _ = services.create_dossier(
        user=users[who], procedure_code=code, channel="counter", applicant=CITIZEN, now=now, **kw
    )
    return d


def act(users, d, action, who, now, **kw):
    return services.act(d, action, user=users[who] if who else None, now=now, **kw)


# ------------------------------------------------------------------------------------------------
# Intake and codes
# ------------------------------------------------------------------------------------------------
class TestIntake:
    def test_code_is_agency_date_sequence_and_restarts_daily(self, users):
        a = receive(users, vn(2026, 3, 2, 8))
        b = receive(users, vn(2026, 3, 2, 9))
        c = receive(users, vn(2026, 3, 3, 8))
        desk_agency = users["motcua.xa"].memberships.get().agency.code
        assert a.code == f"{desk_agency}-260302-0001"
        assert b.code == f"{desk_agency}-260302-0002"
        assert c.code == f"{desk_agency}-260303-0001"
        other = receive(users, vn(2026, 3, 2, 10), who="motcua.tinh", code="1.010052", components=["TP01"])
        assert other.code == "000.00.25.H99-260302-0001"

    def test_rolled_back_creation_gives_its_number_back(self, users):
        with pytest.raises(RuntimeError), transaction.atomic():
            receive(users, vn(2026, 3, 2, 8))
            raise RuntimeError
        assert receive(users, vn(2026, 3, 2, 9)).code.endswith("-0001")

    @pytest.mark.parametrize(
        "change, code",
        [
            ({"procedure_code": "9.999999"}, "unknown_procedure"),
            ({"applicant": {**CITIZEN, "id_number": "123"}}, "invalid_id_number"),
            ({"applicant": {**CITIZEN, "id_number": "999085012345"}}, "invalid_id_number"),
            ({"applicant": {**CITIZEN, "name": "  "}}, "invalid_party"),
            ({"components": ["TP01"]}, "missing_components"),
            ({"components": ["TP01", "TP02", "TP99"]}, "unknown_component"),
            ({"channel": "fax"}, "invalid_channel"),
            ({"return_channel": "post"}, "missing_return_address"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_written(self, users, change, code):
        args = {
            "user": users["motcua.xa"],
            "procedure_code": BIRTH,
            "channel": "counter",
            "applicant": CITIZEN,
            "components": ["TP01", "TP02"],
            "now": vn(2026, 3, 2, 8),
            **change,
        }
        with pytest.raises(services.InvalidInput) as err:
            services.create_dossier(**args)
        assert err.value.code == code and err.value.status == 400
        assert any(ch in err.value.message for ch in "ạảãáàâăêôơưđ"), err.value.message
        assert not Dossier.objects.exists() and not Event.objects.exists()
        assert not DailySequence.objects.filter(last__gt=0).exists()

    def test_organization_applicant_with_tax_code(self, users):
        d, _ = services.create_dossier(
            user=users["motcua.xa"],
            procedure_code=BIRTH,
            channel="counter",
            applicant={"type": "organization", "name": "Công ty TNHH An Hòa", "id_number": "0100109106"},
            owner=CITIZEN,
            components=["TP01", "TP02"],
            now=vn(2026, 3, 2, 8),
        )
        assert (d.applicant_id_number, d.owner_id_number) == ("0100109106", CITIZEN["id_number"])

    def test_idempotency_key_returns_the_first_dossier(self, users):
        first, created = services.create_dossier(
            user=users["motcua.xa"],
            procedure_code=BIRTH,
            channel="counter",
            applicant=CITIZEN,
            components=["TP01", "TP02"],
            idempotency_key="k-1",
            now=vn(2026, 3, 2, 8),
        )
        again, created_again = services.create_dossier(
            user=users["motcua.xa"],
            procedure_code=BIRTH,
            channel="counter",
            applicant=CITIZEN,
            components=["TP01", "TP02"],
            idempotency_key="k-1",
            now=vn(2026, 3, 2, 8, 5),
        )
        assert created and not created_again and first.pk == again.pk
        assert Dossier.objects.count() == 1

    def test_only_a_desk_officer_of_the_desk_receives(self, users):
        with pytest.raises(services.NotAllowed):
            services.create_dossier(
                user=users["chuyenvien.xa"],
                procedure_code=BIRTH,
                channel="counter",
                desk_code=users["motcua.xa"].memberships.get().desk.code,
                applicant=CITIZEN,
                components=["TP01", "TP02"],
                now=vn(2026, 3, 2, 8),
            )

    def test_history_is_append_only(self, users):
        d = receive(users, vn(2026, 3, 2, 8))
        event = d.events.first()
        event.reason = "sửa"
        with pytest.raises(ValueError):
            event.save()
        with pytest.raises(ValueError):
            event.delete()

    def test_stale_version_is_refused(self, users):
        d = receive(users, vn(2026, 3, 2, 8))
        seen = d.lock_version
        act(users, d, "transfer", "motcua.xa", vn(2026, 3, 2, 9), expected_version=seen)
        with pytest.raises(services.StaleVersion) as err:
            act(users, d, "acknowledge", "chuyenvien.xa", vn(2026, 3, 2, 10), expected_version=seen)
        assert err.value.status == 412


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections: PostgreSQL")
def test_concurrent_receipts_get_unique_gap_free_codes(province):
    users = {u.username: u for u in get_user_model().objects.all()}
    desk_user = users["motcua.xa"]
    # More officers at the same desk, receiving at the same time.
    officers = []
    for i in range(8):
        u = get_user_model().objects.create(username=f"motcua.xa{i}")
        m = desk_user.memberships.get()
        StaffMembership.objects.create(user=u, agency=m.agency, role=Role.DESK_OFFICER, desk=m.desk)
        officers.append(u)
    codes, errors = [], []
    barrier = threading.Barrier(len(officers))

    def work(user):
        try:
            barrier.wait()
            for _ in range(5):
                d = receive({"u": user}, vn(2026, 3, 2, 8), who="u")
                codes.append(d.code)
        except Exception as exc:  # reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(u,)) for u in officers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
    assert numbers == list(range(1, len(officers) * 5 + 1))


# ------------------------------------------------------------------------------------------------
# Deadlines
# ------------------------------------------------------------------------------------------------
class TestDeadlines:
    def test_due_from_receipt_and_steps_budgets(self, users):
        d = receive(users, vn(2026, 3, 6, 16))  # Friday 16:00, 3 working days
        assert d.due_at == vn(2026, 3, 11, 16)
        intake = d.steps.get(order=1)  # half a day: 1 h on Friday, 3 h on Monday
        assert intake.status == StepStatus.ACTIVE and intake.due_at == vn(2026, 3, 9, 10)

    def test_linked_bundle_procedures_count_from_next_morning_after_15h(self, users):
        bundle, _ = services.create_bundle(
            "khai_sinh",
            user=users["motcua.xa"],
            channel="counter",
            applicant=CITIZEN,
            components=["TP01", "TP02"],
            now=vn(2026, 3, 2, 15, 30),
        )
        first = bundle.dossiers.get(bundle_order=1)
        assert first.due_at == vn(2026, 3, 5, 17)  # counts from Tuesday 07:00

    def test_handover_after_15h_starts_next_morning(self, users):
        d = receive(users, vn(2026, 3, 2, 8))
        d = act(users, d, "transfer", "motcua.xa", vn(2026, 3, 2, 15, 30))
        step = d.steps.get(order=2)
        assert step.started_at == vn(2026, 3, 3, 7)
        assert step.due_at == vn(2026, 3, 4, 11)  # 1.5 days = 12 working hours

    def test_supplement_during_processing_pauses_the_clock(self, users):
        d = receive(users, vn(2026, 3, 2, 8))
        d = act(users, d, "transfer", "motcua.xa", vn(2026, 3, 2, 9))
        due = d.due_at
        d = act(
            users,
            d,
            "request_supplement",
            "chuyenvien.xa",
            vn(2026, 3, 2, 10),
            reason="Thiếu giấy chứng sinh",
            data={"missing": ["TP02"]},
        )
        assert d.state == State.SUPPLEMENT_REQUESTED and d.paused_at is not None
        d = act(users, d, "supplement", "motcua.xa", vn(2026, 3, 4, 10), data={"components": ["TP02"]})
        assert d.state == State.IN_PROCESSING
        waited = services.working_units(vn(2026, 3, 2, 10), vn(2026, 3, 4, 10))
        assert waited == 2 * UNITS_PER_DAY and d.paused_units == waited
        assert d.due_at == vn(2026, 3, 9, 8)  # two working days later than before
        assert d.due_at > due and d.steps.get(order=2).paused_units == waited

    def test_supplement_before_processing_restarts_the_time_limit(self, users):
        d = receive(users, vn(2026, 3, 2, 8))
        d = act(
            users, d, "request_supplement", "motcua.xa", vn(2026, 3, 2, 9), reason="Thiếu", data={"missing": ["TP02"]}
        )
        d = act(users, d, "supplement", "motcua.xa", vn(2026, 3, 10, 9), data={"components": ["TP02"]})
        assert d.state == State.RECEIVED and d.received_at == vn(2026, 3, 10, 9)
        assert d.due_at == vn(2026, 3, 13, 9)

    def test_online_supplement_goes_back_to_the_desk_check(self, users):
        d, _ = services.create_dossier(
            procedure_code=BIRTH,
            channel="online",
            agency_code=COMMUNE_PC,
            applicant=CITIZEN,
            components=["TP01"],
            now=vn(2026, 3, 2, 8),
        )
        assert d.state == State.SUBMITTED and d.due_at is None
        with pytest.raises(services.InvalidInput):
            act(users, d, "accept", "motcua.xa", vn(2026, 3, 2, 9))
        d = act(users, d, "request_supplement", "motcua.xa", vn(2026, 3, 2, 9), reason="Thiếu giấy chứng sinh")
        assert d.events.last().payload["missing"] == ["TP02"]  # every missing item, listed at once
        d = services.act(d, "supplement", by="applicant", data={"components": ["TP02"]}, now=vn(2026, 3, 3, 9))
        assert d.state == State.SUBMITTED
        d = act(users, d, "accept", "motcua.xa", vn(2026, 3, 3, 10))
        assert d.received_at == vn(2026, 3, 3, 10) and d.due_at == vn(2026, 3, 6, 10)

    def test_fee_wait_pauses_and_payment_resumes(self, users):
        d = receive(users, vn(2026, 3, 2, 8))
        d = act(users, d, "transfer", "motcua.xa", vn(2026, 3, 2, 9))
        d = act(users, d, "request_fee", "chuyenvien.xa", vn(2026, 3, 2, 10), data={"amount": 8000})
        assert d.state == State.AWAITING_FEE and d.national_status_code == 6
        d = act(users, d, "pay_fee", "motcua.xa", vn(2026, 3, 3, 10), data={"receipt": "BL1"})
        assert d.state == State.IN_PROCESSING and d.fee_status == "paid"
        assert d.due_at == vn(2026, 3, 6, 8)

    def test_late_is_derived_and_overrun_is_attributed_to_steps(self, users):
        d = receive(users, vn(2026, 3, 2, 8))
        d = act(users, d, "transfer", "motcua.xa", vn(2026, 3, 2, 9))
        assert not d.is_late(vn(2026, 3, 4, 9))
        assert d.is_late(vn(2026, 3, 6, 9))
        assert Dossier.objects.late(vn(2026, 3, 6, 9)).filter(pk=d.pk).exists()
        assert not Dossier.objects.late(vn(2026, 3, 4, 9)).filter(pk=d.pk).exists()
        d = act(users, d, "forward", "chuyenvien.xa", vn(2026, 3, 9, 9))  # specialist took 5 days for 1.5
        d = act(users, d, "issue_result", "lanhdao.xa", vn(2026, 3, 9, 10))
        assert d.is_late() and Dossier.objects.late().filter(pk=d.pk).exists()
        overrun = services.overrun_steps(d, vn(2026, 3, 10, 9))
        assert overrun[0]["step"].order == 2
        assert overrun[0]["overrun_units"] == services.working_units(vn(2026, 3, 2, 9), vn(2026, 3, 9, 9)) - int(
            1.5 * UNITS_PER_DAY
        )

    def test_paused_dossier_is_late_only_if_overdue_when_paused(self, users):
        d = receive(users, vn(2026, 3, 2, 8))
        d = act(users, d, "transfer", "motcua.xa", vn(2026, 3, 2, 9))
        d = act(users, d, "request_fee", "chuyenvien.xa", vn(2026, 3, 2, 10), data={"amount": 8000})
        assert not d.is_late(vn(2026, 4, 30, 9))
        assert not Dossier.objects.late(vn(2026, 4, 30, 9)).filter(pk=d.pk).exists()


# ------------------------------------------------------------------------------------------------
# Late handling (apology slip)
# ------------------------------------------------------------------------------------------------
class TestApology:
    def processing(self, users):
        d = receive(users, vn(2026, 3, 2, 8))
        return act(users, d, "transfer", "motcua.xa", vn(2026, 3, 2, 9))

    def test_once_at_least_one_working_day_before_due(self, users):
        d = self.processing(users)
        d = act(
            users,
            d,
            "apologize",
            "chuyenvien.xa",
            vn(2026, 3, 3, 8),
            reason="Chờ xác minh",
            data={"new_due": "10/03/2026"},
        )
        assert d.due_at == vn(2026, 3, 10, 17) and d.original_due_at == vn(2026, 3, 5, 8)
        event = d.events.last()
        assert event.action == "apologize" and event.payload["new_due"].startswith("2026-03-10T17:00")
        with pytest.raises(services.InvalidTransition) as err:
            act(
                users,
                d,
                "apologize",
                "chuyenvien.xa",
                vn(2026, 3, 4, 8),
                reason="Lần 2",
                data={"new_due": "20/03/2026"},
            )
        assert err.value.code == "apology_not_allowed"
        d = act(
            users,
            d,
            "apologize",
            "lanhdao.xa",
            vn(2026, 3, 4, 8),
            reason="Lần 2",
            data={"new_due": "20/03/2026", "override": True, "override_reason": "Chờ kết quả giám định"},
        )
        assert d.apology_count == 2 and d.events.last().payload["override"] is True

    def test_too_late_needs_a_leader_override(self, users):
        d = self.processing(users)
        late_call = vn(2026, 3, 4, 10)  # less than a working day before 05/03 08:00
        with pytest.raises(services.InvalidTransition):
            act(users, d, "apologize", "chuyenvien.xa", late_call, reason="Chậm", data={"new_due": "12/03/2026"})
        with pytest.raises(services.InvalidTransition):  # a specialist cannot override
            act(
                users,
                d,
                "apologize",
                "chuyenvien.xa",
                late_call,
                reason="Chậm",
                data={"new_due": "12/03/2026", "override": True, "override_reason": "x"},
            )

    def test_new_date_must_be_later(self, users):
        d = self.processing(users)
        with pytest.raises(services.InvalidInput):
            act(users, d, "apologize", "chuyenvien.xa", vn(2026, 3, 2, 10), reason="x", data={"new_due": "01/03/2026"})


# ------------------------------------------------------------------------------------------------
# Steps: hand-over, consultation, sending back
# ------------------------------------------------------------------------------------------------
class TestSteps:
    def test_handover_needs_acknowledgement_and_consultation_runs_in_parallel(self, users):
        police = Agency.objects.get(kind="police", unit=Agency.objects.get(code=COMMUNE_PC).unit)
        officer = users["congan.xa"]  # the demo commune police officer
        assert StaffMembership.objects.filter(user=officer, agency=police, role=Role.SPECIALIST).exists()
        d = receive(users, vn(2026, 3, 2, 8))
        d = act(users, d, "transfer", "motcua.xa", vn(2026, 3, 2, 9))
        step = d.steps.get(order=2)
        assert step.acknowledged_at is None and step.agency.code == COMMUNE_PC
        d = act(users, d, "acknowledge", "chuyenvien.xa", vn(2026, 3, 2, 9, 30))
        assert d.steps.get(order=2).acknowledged_at == vn(2026, 3, 2, 9, 30)
        d = act(users, d, "consult", "chuyenvien.xa", vn(2026, 3, 2, 10), data={"agencies": [police.code]})
        assert d.state == State.CONSULTING and d.national_status_code == 4
        assert Dossier.objects.visible_to(officer).filter(pk=d.pk).exists()
        with pytest.raises(services.InvalidTransition):
            act(users, d, "forward", "chuyenvien.xa", vn(2026, 3, 2, 11))
        d = services.act(d, "answer_consultation", user=officer, data={"opinion": "Đồng ý"}, now=vn(2026, 3, 3, 9))
        assert d.state == State.IN_PROCESSING
        assert Step.objects.get(dossier=d, parallel=True).opinion == "Đồng ý"

    def test_send_back_reopens_the_previous_step(self, users):
        d = receive(users, vn(2026, 3, 2, 8))
        d = act(users, d, "transfer", "motcua.xa", vn(2026, 3, 2, 9))
        d = act(users, d, "forward", "chuyenvien.xa", vn(2026, 3, 2, 14))
        with pytest.raises(services.InvalidInput):
            act(users, d, "send_back", "lanhdao.xa", vn(2026, 3, 2, 15))  # a reason is required
        d = act(users, d, "send_back", "lanhdao.xa", vn(2026, 3, 2, 15), reason="Bổ sung thẩm định")
        assert d.current_step.order == 2 and d.steps.get(order=3).status == StepStatus.SENT_BACK
        # The step's earlier time counts: its due is what remains of its budget.
        assert d.steps.get(order=2).used_units == services.working_units(vn(2026, 3, 2, 9), vn(2026, 3, 2, 14))

    def test_a_specialist_cannot_issue_or_act_on_the_leaders_step(self, users):
        d = receive(users, vn(2026, 3, 2, 8))
        d = act(users, d, "transfer", "motcua.xa", vn(2026, 3, 2, 9))
        with pytest.raises(services.NotAllowed):
            act(users, d, "issue_result", "chuyenvien.xa", vn(2026, 3, 2, 10))
        d = act(users, d, "forward", "chuyenvien.xa", vn(2026, 3, 2, 10))
        with pytest.raises(services.NotAllowed):
            act(users, d, "forward", "chuyenvien.xa", vn(2026, 3, 2, 11))


# ------------------------------------------------------------------------------------------------
# Bundles and location-independent intake
# ------------------------------------------------------------------------------------------------
class TestBundles:
    def test_birth_bundle_runs_in_three_agencies(self, users):
        bundle, _ = services.create_bundle(
            "khai_sinh",
            user=users["motcua.xa"],
            channel="counter",
            applicant=CITIZEN,
            components=["TP01", "TP02"],
            now=vn(2026, 3, 2, 8),
        )
        first, second, third = bundle.dossiers.order_by("bundle_order")
        assert bundle.code == first.code
        assert [first.state, second.state, third.state] == [State.RECEIVED, State.PENDING_LINKED, State.PENDING_LINKED]
        assert (first.agency.kind, second.agency.kind, third.agency.kind) == (
            "commune_pc",
            "police",
            "social_insurance",
        )
        assert second.components.filter(required=True, provided=False).count() == 0
        first = act(users, first, "transfer", "motcua.xa", vn(2026, 3, 2, 9))
        first = act(users, first, "forward", "chuyenvien.xa", vn(2026, 3, 2, 10))
        first = act(users, first, "issue_result", "lanhdao.xa", vn(2026, 3, 2, 11))
        second.refresh_from_db()
        assert second.state == State.RECEIVED and second.received_at == vn(2026, 3, 2, 11)
        assert second.components.filter(source="linked", code=f"KQ-{first.code}").exists()
        start = second.events.last()
        assert (start.action, start.actor_role, start.payload["previous"]) == ("start_linked", "system", first.code)
        third.refresh_from_db()
        assert third.state == State.PENDING_LINKED

    def test_rejection_stops_the_rest_of_the_chain(self, users):
        bundle, _ = services.create_bundle(
            "khai_tu",
            user=users["motcua.xa"],
            channel="counter",
            applicant=CITIZEN,
            choices=["1.010058"],
            components=["TP01", "TP02"],
            now=vn(2026, 3, 2, 8),
        )
        first = bundle.dossiers.get(bundle_order=1)
        first = act(users, first, "transfer", "motcua.xa", vn(2026, 3, 2, 9))
        first = act(users, first, "forward", "chuyenvien.xa", vn(2026, 3, 2, 10))
        act(users, first, "issue_result", "lanhdao.xa", vn(2026, 3, 2, 11), data={"outcome": "rejected"}, reason="Sai")
        assert set(bundle.dossiers.exclude(pk=first.pk).values_list("state", flat=True)) == {State.STOPPED}

    def test_death_bundle_needs_one_choice(self, users):
        with pytest.raises(services.InvalidInput) as err:
            services.create_bundle(
                "khai_tu", user=users["motcua.xa"], channel="counter", applicant=CITIZEN, now=vn(2026, 3, 2, 8)
            )
        assert err.value.code == "invalid_bundle"


class TestLocationIndependent:
    def test_province_center_receives_a_commune_procedure_flagged_for_it(self, users):
        d = receive(
            users,
            vn(2026, 3, 2, 8),
            who="motcua.tinh",
            agency_code=COMMUNE_PC,
            return_channel="post",
            return_address="12 Lê Lợi, An Hòa",
        )
        assert d.receiving_agency.code == "000.00.25.H99" and d.agency.code == COMMUNE_PC
        assert d.code.startswith("000.00.25.H99-")
        assert d.events.first().payload["location_independent"] is True
        d = act(users, d, "transfer", "motcua.tinh", vn(2026, 3, 2, 9))
        assert d.current_step.agency.code == COMMUNE_PC  # handed over electronically
        assert Dossier.objects.visible_to(users["chuyenvien.xa"]).filter(pk=d.pk).exists()

    def test_procedure_not_flagged_is_refused_elsewhere(self, users):
        other_commune = (
            Agency.objects.filter(kind="police", unit__level__code="commune")
            .exclude(unit=Agency.objects.get(code=COMMUNE_PC).unit)
            .first()
        )
        with pytest.raises(services.InvalidInput) as err:
            receive(users, vn(2026, 3, 2, 8), code="1.004222", agency_code=other_commune.code, components=["TP01"])
        assert err.value.code == "not_location_independent"


# ------------------------------------------------------------------------------------------------
# Access: one queryset rule
# ------------------------------------------------------------------------------------------------
class TestAccess:
    def test_each_role_sees_what_its_desk_or_agency_handles(self, users):
        d = receive(users, vn(2026, 3, 2, 8))
        other_desk = Desk.objects.filter(kind="commune_desk").exclude(pk=d.desk_id).first()
        stranger = get_user_model().objects.create(username="motcua.khac")
        StaffMembership.objects.create(user=stranger, agency=other_desk.agency, role=Role.DESK_OFFICER, desk=other_desk)
        visible = {name: Dossier.objects.visible_to(u).filter(pk=d.pk).exists() for name, u in users.items()}
        assert visible["motcua.xa"] and visible["chuyenvien.xa"] and visible["lanhdao.xa"]
        assert visible["thanhtra"] and visible["vanphong"] and visible["quantri"]
        assert not visible["motcua.tinh"] and not visible["chuyenvien.stp"] and not visible["buudien"]
        assert not Dossier.objects.visible_to(stranger).exists()
        from django.contrib.auth.models import AnonymousUser

        assert not Dossier.objects.visible_to(AnonymousUser()).exists()
        with pytest.raises(services.NotAllowed):
            services.act(d, "transfer", user=stranger, now=vn(2026, 3, 2, 9))
        with pytest.raises(services.NotAllowed):  # the inspector reads but does not act
            services.act(d, "transfer", user=users["thanhtra"], now=vn(2026, 3, 2, 9))
        assert d.events.count() == 2
