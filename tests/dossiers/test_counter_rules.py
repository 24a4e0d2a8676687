"""Counter rules added with the back office: an incomplete dossier at the counter, the postal
service's contract per desk, and the tracking number of a result sent by post."""

import pytest

from motcua.dossiers import services
from motcua.dossiers.models import Dossier, Event, ReturnChannel
from motcua.dossiers.states import State
from motcua.org.models import Desk

from .conftest import CITIZEN, MONDAY, vn


def test_incomplete_at_the_counter_is_registered_with_a_supplement_request(users):
    officer = users["motcua.xa"]
    d, created = services.register_incomplete(
        user=officer,
        reason="Thiếu giấy chứng sinh.",
        procedure_code="1.001193",
        channel="counter",
        applicant=CITIZEN,
        components=["TP01"],
        now=MONDAY,
    )
    assert created and d.state == State.SUPPLEMENT_REQUESTED and d.received_at is None and d.due_at is None
    assert [(e.action, e.to_state) for e in d.events.all()] == [
        ("submit", State.SUBMITTED),
        ("request_supplement", State.SUPPLEMENT_REQUESTED),
    ]
    assert d.events.get(action="request_supplement").payload["missing"] == ["TP02"]
    d = services.act(d, "supplement", user=officer, data={"components": ["TP02"]}, now=vn(2026, 3, 3, 9))
    assert d.state == State.SUBMITTED
    d = services.act(d, "accept", user=officer, now=vn(2026, 3, 3, 9, 5))
    assert d.state == State.RECEIVED and d.received_at == vn(2026, 3, 3, 9, 5)


def test_incomplete_needs_a_reason_and_a_missing_item(users):
    args = dict(user=users["motcua.xa"], procedure_code="1.001193", channel="counter", applicant=CITIZEN, now=MONDAY)
    with pytest.raises(services.InvalidInput) as e:
        services.register_incomplete(reason="", components=["TP01"], **args)
    assert e.value.code == "missing_reason"
    with pytest.raises(services.InvalidInput) as e:
        services.register_incomplete(reason="x", components=["TP01", "TP02"], **args)
    assert e.value.code == "dossier_complete"
    assert not Dossier.objects.exists() and not Event.objects.exists()


def test_postal_staff_act_only_as_contracted(users):
    from motcua.org.models import StaffMembership
    from motcua.org.roles import Role

    desk = Desk.objects.get(code="MC-99001")
    StaffMembership.objects.create(user=users["buudien"], agency=desk.agency, role=Role.POSTAL_STAFF, desk=desk)
    args = dict(
        user=users["buudien"],
        desk_code="MC-99001",
        procedure_code="1.001193",
        channel="postal_service",
        applicant=CITIZEN,
        components=["TP01", "TP02"],
        fee_paid=True,
    )
    Desk.objects.filter(pk=desk.pk).update(postal_receives=False, postal_returns=False)
    with pytest.raises(services.NotAllowed) as e:
        services.create_dossier(now=MONDAY, **args)
    assert e.value.code == "postal_not_contracted" and not Dossier.objects.exists()

    Desk.objects.filter(pk=desk.pk).update(postal_receives=True)
    d, _ = services.create_dossier(now=MONDAY, **args)
    d = services.act(d, "transfer", user=users["motcua.xa"], now=vn(2026, 3, 2, 9))
    d = services.act(d, "forward", user=users["chuyenvien.xa"], now=vn(2026, 3, 2, 10))
    d = services.act(d, "issue_result", user=users["lanhdao.xa"], now=vn(2026, 3, 2, 11))
    with pytest.raises(services.NotAllowed) as e:
        services.act(d, "return_result", user=users["buudien"], now=vn(2026, 3, 2, 14))
    assert e.value.code == "postal_not_contracted"
    Desk.objects.filter(pk=desk.pk).update(postal_returns=True)
    d = services.act(d, "return_result", user=users["buudien"], data={"received_by": "Nguyễn Văn An"})
    assert d.state == State.RETURNED


def test_post_return_needs_a_tracking_number(users):
    officer = users["motcua.xa"]
    d, _ = services.create_dossier(
        user=officer,
        procedure_code="1.001193",
        channel="counter",
        applicant=CITIZEN,
        components=["TP01", "TP02"],
        fee_paid=True,
        return_channel=ReturnChannel.POST,
        return_address="Số 9 đường Lê Lợi",
        now=MONDAY,
    )
    d = services.act(d, "transfer", user=officer, now=vn(2026, 3, 2, 9))
    d = services.act(d, "forward", user=users["chuyenvien.xa"], now=vn(2026, 3, 2, 10))
    d = services.act(d, "issue_result", user=users["lanhdao.xa"], now=vn(2026, 3, 2, 11))
    with pytest.raises(services.InvalidInput) as e:
        services.act(d, "return_result", user=officer, now=vn(2026, 3, 2, 14))
    assert e.value.code == "missing_tracking_number"
    d = services.act(
        d, "return_result", user=officer, data={"tracking_number": "EB123456789VN"}, now=vn(2026, 3, 2, 14)
    )
    assert d.state == State.RETURNED
    assert d.events.last().payload["tracking_number"] == "EB123456789VN"
