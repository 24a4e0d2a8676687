"""Rollups maintained from events equal a recomputation from the event history (hypothesis on
random lifecycles), the resolution rule, and the periodic report on a hand-computed fixture."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.dossiers import services
from motcua.reports import periodic, rollups
from motcua.reports.models import FLOW_COUNTERS, DailyFlow, MonthlyFlow
from motcua.workcalendar.engine import VN_TZ

AN = {"name": "Nguyễn Văn An", "id_number": "001085012345"}
T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ)  # Monday 2 March 2026


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def table(model, period):
    return {
        (getattr(r, period), r.agency_id, r.procedure_id): tuple(getattr(r, c) for c in FLOW_COUNTERS)
        for r in model.objects.all()
    }


def test_classify():
    due = dt.datetime(2026, 3, 5, 17, 0, tzinfo=VN_TZ)
    assert rollups.classify(dt.datetime(2026, 3, 4, 9, 0, tzinfo=VN_TZ), due) == "early"
    assert rollups.classify(dt.datetime(2026, 3, 5, 16, 59, tzinfo=VN_TZ), due) == "on_time"
    assert rollups.classify(dt.datetime(2026, 3, 5, 17, 1, tzinfo=VN_TZ), due) == "late"
    assert rollups.classify(dt.datetime(2026, 3, 4, 9, 0, tzinfo=VN_TZ), due, apologies=1) == "late"
    assert rollups.classify(dt.datetime(2026, 3, 4, 9, 0, tzinfo=VN_TZ), None) == "on_time"


def receive(users, hours, channel="counter"):
    d, _ = services.create_dossier(
        user=users["motcua.xa"],
        procedure_code="1.001193",
        channel=channel,
        desk_code="MC-99001",
        applicant=AN,
        components=["TP01", "TP02"],
        identity={"status": "verified"},
        fee_paid=True,
        now=at(hours),
    )
    return d


LIFECYCLES = st.lists(
    st.tuples(
        st.sampled_from(["counter", "post", "postal_service"]),
        st.sampled_from(["result", "late_result", "refuse_supplement", "withdraw", "open"]),
        st.floats(min_value=0, max_value=24 * 40),
    ),
    min_size=1,
    max_size=6,
)


@pytest.mark.django_db
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lifecycles=LIFECYCLES)
def test_incremental_rollups_equal_a_rebuild(users, lifecycles):
    # The database keeps the earlier examples' dossiers (one test transaction): the counters kept
    # incrementally over all of them must equal a recomputation from the whole event history.
    for channel, fate, start in lifecycles:
        desk = users["motcua.xa"]
        d = receive(users, start, channel if channel != "postal_service" else "counter")
        if fate == "withdraw":
            services.act(d, "withdraw", user=desk, reason="Người nộp rút hồ sơ.", now=at(start + 1))
            continue
        if fate == "open":
            continue
        d = services.act(d, "transfer", user=desk, now=at(start + 0.5))
        if fate == "refuse_supplement":
            services.act(
                d, "request_supplement", user=users["chuyenvien.xa"], reason="Thiếu.", data={"missing": ["TP02"]},
                now=at(start + 1),
            )
            continue
        d = services.act(d, "forward", user=users["chuyenvien.xa"], now=at(start + 1))
        when = at(start + (200 if fate == "late_result" else 2))
        services.act(d, "issue_result", user=users["lanhdao.xa"], data={"result_number": "1"}, now=when)
    incremental = (table(DailyFlow, "day"), table(MonthlyFlow, "month"))
    rollups.rebuild()
    assert (table(DailyFlow, "day"), table(MonthlyFlow, "month")) == incremental


@pytest.mark.django_db
def test_periodic_report_hand_computed(users):
    """March 2026 at the commune: 3 received (2 counter, 1 post), one resolved early, one late, one
    withdrawn; one received in February and still open is carried over (snapshot of 28/02)."""
    old = receive(users, -24 * 5)  # 25/02
    rollups.snapshot(dt.date(2026, 2, 28))
    a = receive(users, 0)
    b = receive(users, 1, "post")
    c = receive(users, 2)
    desk, spec, lead = users["motcua.xa"], users["chuyenvien.xa"], users["lanhdao.xa"]
    for d, hours in ((a, 3), (b, 500)):
        d = services.act(d, "transfer", user=desk, now=at(hours - 2))
        d = services.act(d, "forward", user=spec, now=at(hours - 1))
        services.act(d, "issue_result", user=lead, data={"result_number": "1"}, now=at(hours))
    services.act(c, "withdraw", user=desk, reason="Rút hồ sơ.", now=at(4))
    rollups.snapshot(dt.date(2026, 3, 31))
    report = periodic.periodic(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    (row,) = report.rows
    assert row.label == old.agency.name
    assert (row.carried_over, row.flows["received_direct"], row.flows["received_post"], row.received_total) == (
        1,
        2,
        1,
        4,
    )
    assert (row.flows["resolved_early"], row.flows["resolved_on_time"], row.flows["resolved_late"]) == (1, 0, 1)
    assert row.flows["withdrawn"] == 1 and row.on_time_rate == 50.0
    assert (row.open_on_time + row.open_late) == 1  # the February dossier, still open at 31/03
    assert row.open_late == 1  # its 3 working days are long gone
    assert report.total.received_new == 3
