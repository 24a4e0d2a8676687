from motcua.dossiers import services
from motcua.dossiers.states import State

from .conftest import CITIZEN, MONDAY, vn


def test_counter_dossier_full_journey(users):
    d, created = services.create_dossier(
        user=users["motcua.xa"],
        procedure_code="1.001193",
        channel="counter",
        applicant=CITIZEN,
        components=["TP01", "TP02"],
        fee_paid=True,
        now=MONDAY,
    )
    assert created and d.state == State.RECEIVED
    assert d.code.endswith("-260302-0001")
    assert d.due_at == vn(2026, 3, 5, 8, 0)
    d = services.act(d, "transfer", user=users["motcua.xa"], now=vn(2026, 3, 2, 9))
    d = services.act(d, "forward", user=users["chuyenvien.xa"], now=vn(2026, 3, 3, 9))
    d = services.act(d, "issue_result", user=users["lanhdao.xa"], now=vn(2026, 3, 3, 14))
    assert d.state == State.RESULT_ISSUED
    d = services.act(d, "return_result", user=users["motcua.xa"], now=vn(2026, 3, 4, 9))
    assert d.state == State.RETURNED and not d.is_late()
    assert [e.action for e in d.events.all()] == [
        "submit",
        "receive",
        "transfer",
        "forward",
        "issue_result",
        "return_result",
    ]
