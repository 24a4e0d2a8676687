"""Queue services: daily gap-free numbers, call order, counter ↔ group matching, recall, transfer,
no-show, finish with the intake time, the transition table, statistics on a hand-computed day,
and the demo data."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from motcua.catalog.models import Field
from motcua.dossiers import services as dossier_services
from motcua.engagement import services
from motcua.engagement.demo import load_demo_queue
from motcua.engagement.models import ServiceGroup, Ticket, TicketEvent, TicketSequence
from motcua.engagement.services import QueueError
from motcua.engagement.states import TRANSITIONS, Priority, Status
from motcua.org.models import Desk

from .conftest import T0, at, vn

VIETNAMESE = set("ạảãáàâăêôơưđếốớứềồờừểổởửễỗỡữệộợựọỏõóòíìỉĩịúùủũụéèẻẽẹýỳỷỹỵ")
CITIZEN = {"name": "Nguyễn Văn An", "id_number": "001085012345", "phone": "0912345678", "address": "Thôn 1"}


def _vi(message: str) -> bool:
    return any(ch in VIETNAMESE for ch in message.lower())


def issue(desk, group, minutes=0, priority=None):
    return services.issue_ticket(desk, group, priority, now=at(minutes))


# ------------------------------------------------------------------------------------------------
# Numbers
# ------------------------------------------------------------------------------------------------
class TestNumbers:
    def test_daily_sequence_per_group_gap_free_and_restarting(self, desk, groups):
        a, b = groups["A"], groups["B"]
        first = [issue(desk, a, m) for m in range(3)]
        assert [t.number for t in first] == [1, 2, 3]
        assert [t.code for t in first] == ["A001", "A002", "A003"]
        assert issue(desk, b, 4).code == "B001"  # each group has its own sequence
        assert issue(desk, a, 5, Priority.ELDERLY).code == "UA004"  # priority tickets are flagged

        # A failed issue (rolled back) gives its number back: no gap.
        with pytest.raises(RuntimeError), transaction.atomic():
            issue(desk, a, 6)
            raise RuntimeError("printer jammed")
        assert issue(desk, a, 7).number == 5

        # The next day starts again at 1.
        tomorrow = services.issue_ticket(desk, a, now=T0 + dt.timedelta(days=1))
        assert (tomorrow.number, tomorrow.code, tomorrow.day) == (1, "A001", dt.date(2026, 3, 4))
        assert TicketSequence.objects.get(desk=desk, group=a, day=T0.date()).last == 5

    def test_day_is_the_local_date(self, desk, groups):
        # 23:30 UTC on 2 March is 06:30 on 3 March in Viet Nam.
        ticket = services.issue_ticket(desk, groups["A"], now=dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC))
        assert ticket.day == dt.date(2026, 3, 3)

    def test_issue_refusals_are_vietnamese(self, desk, groups):
        other_desk = Desk.objects.get(code="TTPVHCC")
        foreign = ServiceGroup.objects.create(desk=other_desk, letter="A", name="Hộ tịch")
        for call in (
            lambda: services.issue_ticket(desk, foreign, now=T0),
            lambda: services.issue_ticket(desk, groups["A"], "vip", now=T0),
        ):
            with pytest.raises(QueueError) as err:
                call()
            assert _vi(err.value.message)
        groups["B"].active = False
        groups["B"].save()
        with pytest.raises(QueueError):
            services.issue_ticket(desk, groups["B"], now=T0)
        assert not Ticket.objects.exists()

    def test_issue_writes_an_event(self, desk, groups):
        ticket = issue(desk, groups["A"], 0, Priority.PREGNANT)
        event = TicketEvent.objects.get(ticket=ticket)
        assert (event.action, event.to_status, event.at, event.payload) == (
            "issue",
            Status.WAITING,
            T0,
            {"priority": "pregnant"},
        )


# ------------------------------------------------------------------------------------------------
# Calling
# ------------------------------------------------------------------------------------------------
class TestCalling:
    def test_priority_tickets_first_then_first_come_first_served(self, desk, groups, counters, officer):
        a, b = groups["A"], groups["B"]
        issue(desk, a, 0)  # A001
        issue(desk, b, 1)  # B001
        issue(desk, a, 2, Priority.ELDERLY)  # UA002
        issue(desk, b, 3, Priority.APPOINTMENT)  # UB002
        issue(desk, a, 4, Priority.DISABLED)  # UA003
        order = []
        for minute in range(10, 15):
            ticket = services.call_next(counters[0], officer, now=at(minute))
            order.append(ticket.code)
            services.finish(ticket, officer, now=at(minute + 0.5))
        assert order == ["UA002", "UB002", "UA003", "A001", "B001"]
        with pytest.raises(QueueError, match="Không còn số nào"):
            services.call_next(counters[0], officer, now=at(20))

    def test_call_records_counter_officer_and_wait(self, desk, groups, counters, officer):
        issue(desk, groups["A"], 0)
        ticket = services.call_next(counters[1], officer, now=at(7))
        assert ticket.status == Status.CALLED
        assert (ticket.counter, ticket.officer, ticket.called_at, ticket.wait_seconds) == (
            counters[1],
            officer,
            at(7),
            420,
        )
        event = ticket.events.get(action="call")
        assert (event.actor, event.counter, event.from_status, event.to_status) == (
            officer,
            counters[1],
            Status.WAITING,
            Status.CALLED,
        )

    def test_counter_serves_only_its_groups(self, desk, groups, counters, officer):
        a, b = groups["A"], groups["B"]
        everything = ServiceGroup.objects.create(desk=desk, letter="C", name="Các lĩnh vực khác", order=3)
        civil, residence = counters
        civil.fields.set(Field.objects.filter(code="HO_TICH"))  # counter 1: civil status only
        issue(desk, b, 0)  # B001: residence
        issue(desk, a, 1)  # A001: civil status
        issue(desk, everything, 2)  # C001: a group without fields goes to every counter
        assert {g.letter for g in services.groups_served_by(civil)} == {"A", "C"}
        assert {g.letter for g in services.groups_served_by(residence)} == {"A", "B", "C"}  # no fields = all

        first = services.call_next(civil, officer, now=at(5))
        assert first.code == "A001"  # B001 came first but counter 1 does not serve residence
        services.finish(first, officer, now=at(6))
        assert services.call_next(civil, officer, now=at(7)).code == "C001"
        assert services.call_next(residence, officer, now=at(8)).code == "B001"

    def test_a_counter_calls_one_ticket_at_a_time(self, desk, groups, counters, officer):
        issue(desk, groups["A"], 0)
        issue(desk, groups["A"], 1)
        services.call_next(counters[0], officer, now=at(2))
        with pytest.raises(QueueError, match="Quầy đang phục vụ số A001"):
            services.call_next(counters[0], officer, now=at(3))

    def test_inactive_counter_cannot_call(self, desk, groups, counters, officer):
        issue(desk, groups["A"], 0)
        counters[0].active = False
        counters[0].save()
        with pytest.raises(QueueError, match="tạm ngừng"):
            services.call_next(counters[0], officer, now=at(1))

    def test_yesterdays_waiting_tickets_are_not_called_today(self, desk, groups, counters, officer):
        issue(desk, groups["A"], -24 * 60)
        with pytest.raises(QueueError):
            services.call_next(counters[0], officer, now=at(0))

    def test_recall_puts_the_number_back_on_top_of_the_board(self, desk, groups, counters, officer):
        issue(desk, groups["A"], 0)
        issue(desk, groups["A"], 1)
        first = services.call_next(counters[0], officer, now=at(2))
        services.call_next(counters[1], officer, now=at(3))
        day = T0.date()
        assert [t.code for t in services.called_tickets(desk, day)] == ["A002", "A001"]
        services.recall(first, officer, now=at(4))
        first.refresh_from_db()
        assert first.recall_count == 1 and first.called_at == at(2)  # the wait still ends at the first call
        assert [t.code for t in services.called_tickets(desk, day)] == ["A001", "A002"]
        assert first.events.filter(action="recall").count() == 1

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only")
    @pytest.mark.django_db(transaction=True)
    def test_two_counters_never_call_the_same_ticket(self, desk, groups, counters, officer):
        issue(desk, groups["A"], 0)
        issue(desk, groups["A"], 1)
        locked, release = threading.Event(), threading.Event()
        called = {}

        def first_counter():
            try:
                with transaction.atomic():  # hold the row lock until the second counter has called
                    called["first"] = services.call_next(counters[0], officer, now=at(2)).code
                    locked.set()
                    release.wait(10)
            finally:
                connection.close()

        thread = threading.Thread(target=first_counter)
        thread.start()
        assert locked.wait(10)
        try:
            called["second"] = services.call_next(counters[1], officer, now=at(2)).code  # skips the locked row
        finally:
            release.set()
            thread.join(10)
        assert sorted(called.values()) == ["A001", "A002"]


# ------------------------------------------------------------------------------------------------
# After the call
# ------------------------------------------------------------------------------------------------
class TestAfterTheCall:
    def test_transfer_to_another_group_keeps_the_place(self, desk, groups, counters, officer):
        a, b = groups["A"], groups["B"]
        issue(desk, a, 0)  # A001
        issue(desk, b, 5)  # B001 came later
        ticket = services.call_next(counters[0], officer, now=at(6))
        assert ticket.code == "A001"
        services.start_service(ticket, officer, now=at(7))
        moved = services.transfer(ticket, officer, to_group=b, now=at(10))
        ticket.refresh_from_db()
        assert (ticket.status, ticket.finished_at, ticket.service_seconds) == (Status.TRANSFERRED, at(10), 180)
        assert (moved.status, moved.code, moved.group, moved.issued_at, moved.transferred_from) == (
            Status.WAITING,
            "A001",
            b,
            at(0),
            ticket,
        )
        assert services.waiting_ahead(moved) == 0
        nxt = services.call_next(counters[1], officer, now=at(12))
        assert nxt == moved  # issued before B001: it keeps its place
        assert nxt.wait_seconds == 120  # waiting in the new queue counts from the transfer
        assert ticket.events.filter(action="transfer").get().payload["to_group"] == "B"
        assert moved.events.filter(action="transfer_in").exists()

    def test_transfer_to_a_counter(self, desk, groups, counters, officer):
        issue(desk, groups["A"], 0)
        issue(desk, groups["A"], 1)
        ticket = services.call_next(counters[0], officer, now=at(2))
        moved = services.transfer(ticket, officer, to_counter=counters[1], now=at(3))
        assert moved.target_counter == counters[1]
        # Counter 1 can no longer take it; counter 2 takes it before A002.
        assert services.call_next(counters[0], officer, now=at(4)).code == "A002"
        assert services.call_next(counters[1], officer, now=at(5)) == moved

    def test_transfer_refusals(self, desk, groups, counters, officer):
        issue(desk, groups["A"], 0)
        ticket = services.call_next(counters[0], officer, now=at(1))
        other = ServiceGroup.objects.create(desk=Desk.objects.get(code="TTPVHCC"), letter="B", name="Đất đai")
        cases = [
            ({}, "Hãy chọn"),
            ({"to_group": groups["A"], "to_counter": counters[1]}, "Hãy chọn"),
            ({"to_group": other}, "không thuộc"),
            ({"to_counter": counters[0]}, "chính quầy"),
            ({"to_group": groups["A"]}, "đã thuộc"),
        ]
        for kwargs, message in cases:
            with pytest.raises(QueueError, match=message):
                services.transfer(ticket, officer, now=at(2), **kwargs)
        ticket.refresh_from_db()
        assert ticket.status == Status.CALLED and Ticket.objects.count() == 1

    def test_no_show(self, desk, groups, counters, officer):
        issue(desk, groups["A"], 0)
        ticket = services.call_next(counters[0], officer, now=at(1))
        services.recall(ticket, officer, now=at(2))
        services.mark_no_show(ticket, officer, now=at(4))
        ticket.refresh_from_db()
        assert (ticket.status, ticket.finished_at, ticket.service_seconds) == (Status.NO_SHOW, at(4), None)
        assert list(ticket.events.values_list("action", flat=True)) == ["issue", "call", "recall", "no_show"]

    def test_finish_with_a_dossier_stores_the_intake_time(self, desk, groups, counters, officer):
        issue(desk, groups["A"], 0)
        ticket = services.call_next(counters[0], officer, now=at(3))
        services.start_service(ticket, officer, now=at(4))
        dossier = _receive(officer, at(21))
        services.finish(ticket, officer, dossier=dossier, now=at(23))
        ticket.refresh_from_db()
        assert ticket.dossier == dossier
        assert ticket.intake_seconds == 18 * 60  # received 08:21 − called 08:03
        assert ticket.service_seconds == 19 * 60  # finished 08:23 − started 08:04
        assert ticket.events.get(action="finish").payload == {"dossier": dossier.code}

    def test_record_intake_from_the_intake_screen(self, desk, groups, counters, officer):
        issue(desk, groups["A"], 0)
        issue(desk, groups["A"], 1)
        ticket = services.call_next(counters[0], officer, now=at(2))
        dossier = _receive(officer, at(12))
        services.record_intake(ticket.pk, dossier, officer, now=at(12))
        ticket.refresh_from_db()
        assert (ticket.status, ticket.dossier, ticket.intake_seconds) == (Status.DONE, dossier, 600)

        # A second dossier in the same visit is kept in the history only.
        second = _receive(officer, at(20))
        services.record_intake(ticket.pk, second, officer, now=at(20))
        ticket.refresh_from_db()
        assert ticket.dossier == dossier
        assert ticket.events.filter(action="intake").get().payload == {"dossier": second.code}

        # A ticket finished without a dossier gets it attached.
        other = services.call_next(counters[0], officer, now=at(21))
        services.finish(other, officer, now=at(22))
        third = _receive(officer, at(25))
        services.record_intake(other.pk, third, officer, now=at(25))
        other.refresh_from_db()
        assert (other.dossier, other.intake_seconds) == (third, 4 * 60)

    def test_record_intake_refusals(self, desk, groups, counters, officer):
        waiting = issue(desk, groups["A"], 0)
        dossier = _receive(officer, at(5))
        with pytest.raises(QueueError, match="Đang chờ"):
            services.record_intake(waiting.pk, dossier, officer, now=at(5))
        with pytest.raises(QueueError, match="Không tìm thấy"):
            services.record_intake(999999, dossier, officer, now=at(5))
        province_desk = Desk.objects.get(code="TTPVHCC")
        group = ServiceGroup.objects.create(desk=province_desk, letter="A", name="Hộ tịch")
        services.issue_ticket(province_desk, group, now=at(0))
        elsewhere = services.call_next(province_desk.counters.first(), officer, now=at(1))
        with pytest.raises(QueueError, match="không được tiếp nhận tại bộ phận"):
            services.record_intake(elsewhere.pk, dossier, officer, now=at(6))
        elsewhere.refresh_from_db()
        assert elsewhere.status == Status.CALLED  # nothing changed


def _receive(officer, now):
    dossier, _ = dossier_services.create_dossier(
        user=officer,
        procedure_code="1.001193",
        channel="counter",
        applicant=CITIZEN,
        components=["TP01", "TP02"],
        fee_paid=True,
        now=now,
    )
    return dossier


# ------------------------------------------------------------------------------------------------
# The transition table, enumerated
# ------------------------------------------------------------------------------------------------
ACTIONS = {
    "recall": lambda t, o, g, c: services.recall(t, o, now=at(30)),
    "start": lambda t, o, g, c: services.start_service(t, o, now=at(30)),
    "no_show": lambda t, o, g, c: services.mark_no_show(t, o, now=at(30)),
    "transfer": lambda t, o, g, c: services.transfer(t, o, to_group=g, now=at(30)),
    "finish": lambda t, o, g, c: services.finish(t, o, now=at(30)),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("status", Status.values)
def test_transition_table(action, status, desk, groups, counters, officer):
    ticket = issue(desk, groups["A"], 0)
    Ticket.objects.filter(pk=ticket.pk).update(status=status, counter=counters[0], called_at=at(1))
    ticket.refresh_from_db()
    transition = TRANSITIONS[action]
    if status in transition.sources:
        ACTIONS[action](ticket, officer, groups["B"], counters)
        ticket.refresh_from_db()
        assert ticket.status == transition.target
        assert ticket.events.filter(action=action).count() == 1
    else:
        with pytest.raises(QueueError) as err:
            ACTIONS[action](ticket, officer, groups["B"], counters)
        assert ticket.code in err.value.message and Status(status).label in err.value.message
        assert _vi(err.value.message)
        ticket.refresh_from_db()
        assert ticket.status == status and not ticket.events.filter(action=action).exists()


def test_every_action_of_the_table_has_a_service():
    assert set(TRANSITIONS) == set(ACTIONS) | {"call"}


# ------------------------------------------------------------------------------------------------
# Statistics
# ------------------------------------------------------------------------------------------------
class TestStats:
    def test_a_hand_computed_day(self, desk, groups, counters, users):
        xa, huyen = users["motcua.xa"], users["motcua.huyen"]
        c1, c2 = counters
        a = groups["A"]
        tickets = [issue(desk, a, 0) for _ in range(5)]  # A001..A005 at 08:00
        issue(desk, a, -24 * 60)  # yesterday: not counted

        t1 = services.call_next(c1, xa, now=at(1))  # A001 waits 1 min
        services.finish(t1, xa, now=at(6))  # service 5 (from the call)
        t2 = services.call_next(c2, huyen, now=at(2))  # A002 waits 2
        services.start_service(t2, huyen, now=at(3))
        services.finish(t2, huyen, now=at(13))  # service 10 (from the start)
        t3 = services.call_next(c1, xa, now=at(6))  # A003 waits 6
        services.mark_no_show(t3, xa, now=at(8))  # no service time
        t4 = services.call_next(c1, xa, now=at(19))  # A004 waits 19 (> 15)
        services.finish(t4, xa, now=at(23))  # service 4
        assert [t.code for t in (t1, t2, t3, t4)] == [t.code for t in tickets[:4]]

        (total,) = services.queue_stats(desk, T0.date(), by="total")
        assert (total.visits, total.called, total.done, total.no_show, total.waiting) == (5, 4, 3, 1, 1)
        assert (total.avg_wait, total.p90_wait, total.max_wait, total.over_target) == (7.0, 19.0, 19.0, 1)
        assert (total.avg_service, total.p90_service) == (6.3, 10.0)  # (5 + 10 + 4) / 3; nearest rank
        assert total.within_target_percent == 75.0 and total.meets_target is False

        (by_desk,) = services.queue_stats(desk, T0.date(), by="desk")
        assert by_desk.label == "Bộ phận Một cửa Phường Bình Minh (MC-99001)"
        assert (by_desk.visits, by_desk.avg_wait, by_desk.p90_wait) == (5, 7.0, 19.0)

        by_counter = {s.key: s for s in services.queue_stats(desk, T0.date(), by="counter")}
        assert set(by_counter) == {c1.pk, c2.pk}  # the waiting ticket has no counter: not listed
        one, two = by_counter[c1.pk], by_counter[c2.pk]
        assert (one.called, one.done, one.no_show, one.avg_wait, one.p90_wait) == (3, 2, 1, 8.7, 19.0)
        assert (one.avg_service, one.p90_service) == (4.5, 5.0)
        assert (two.called, two.avg_wait, two.avg_service, two.p90_service) == (1, 2.0, 10.0, 10.0)

        by_officer = {s.label: s for s in services.queue_stats(desk, T0.date(), by="officer")}
        assert set(by_officer) == {"Ngô Thị Thu", "Lý Văn Sơn"}
        assert by_officer["Ngô Thị Thu"].called == 3 and by_officer["Lý Văn Sơn"].avg_service == 10.0

        # Scopes: another desk, another day.
        assert services.queue_stats(Desk.objects.get(code="TTPVHCC"), T0.date(), by="desk") == []
        (yesterday,) = services.queue_stats([desk], T0.date() - dt.timedelta(days=1), by="total")
        assert (yesterday.visits, yesterday.called, yesterday.p90_wait) == (1, 0, None)

    def test_p90_is_the_nearest_rank(self, desk, groups, counters, officer):
        for _ in range(10):
            issue(desk, groups["A"], 0)
        for minute in range(1, 11):  # waits of 1, 2, …, 10 minutes
            ticket = services.call_next(counters[0], officer, now=at(minute))
            services.finish(ticket, officer, now=at(minute + 0.5))
        (total,) = services.queue_stats(desk, T0.date(), by="total")
        assert (total.avg_wait, total.p90_wait, total.max_wait, total.avg_service) == (5.5, 9.0, 10.0, 0.5)
        assert total.meets_target is True


# ------------------------------------------------------------------------------------------------
# Who may use the counter screen and see the figures
# ------------------------------------------------------------------------------------------------
def test_serving_and_stats_scopes(users):
    commune = Desk.objects.get(code="MC-99001")
    assert services.serving_desks(users["motcua.xa"]) == [commune]
    assert {d.code for d in services.serving_desks(users["buudien"])} == {"TTPVHCC"}
    assert services.serving_desks(users["chuyenvien.xa"]) == []
    assert list(services.stats_desks(users["motcua.xa"])) == [commune]
    assert list(services.stats_desks(users["lanhdao.xa"])) == [commune]  # the desk of the leader's agency
    assert "TTPVHCC" in {d.code for d in services.stats_desks(users["lanhdao.stp"])}  # served by the center
    assert services.stats_desks(users["thanhtra"]).count() == Desk.objects.count()
    assert not services.stats_desks(users["chuyenvien.xa"]).exists()


# ------------------------------------------------------------------------------------------------
# Demo data
# ------------------------------------------------------------------------------------------------
def test_demo_queue_is_idempotent_and_realistic(users):
    now = vn(2026, 3, 3, 10, 30)
    first = load_demo_queue(now=now)
    active = Desk.objects.filter(active=True)
    assert not first.already_loaded and first.tickets > 40
    assert set(ServiceGroup.objects.values_list("desk", flat=True)) == set(active.values_list("id", flat=True))
    assert all(2 <= ServiceGroup.objects.filter(desk=d).count() <= 4 for d in active)
    civil = ServiceGroup.objects.get(desk__code="MC-99001", letter="A")
    assert set(civil.fields.values_list("code", flat=True)) == {"HO_TICH", "CHUNG_THUC"}
    today = Ticket.objects.filter(day=now.date())
    assert today.filter(status=Status.WAITING).exists() and today.filter(status__in=["called", "serving"]).exists()
    assert not Ticket.objects.filter(issued_at__gt=now).exists()
    assert Ticket.objects.filter(day__lt=now.date(), status=Status.DONE).count() > 20
    # Every state change went through the services: each ticket has its events.
    assert not Ticket.objects.filter(events__isnull=True).exists()
    count = Ticket.objects.count()
    again = load_demo_queue(now=now)
    assert again.already_loaded and Ticket.objects.count() == count
    assert ServiceGroup.objects.count() == first.groups
