"""Appointments: slots only on working days and in office hours, capacity (book until full, the
next one refused), one booking per person/desk/day, cancel frees the place, reschedule, check-in
becomes a priority ticket called before ordinary ones; the citizen pages without JavaScript and
the check-in forms of the kiosk and the counter."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from motcua.engagement import appointments, services
from motcua.engagement.appointments import AppointmentError
from motcua.engagement.models import Appointment, AppointmentEvent, AppointmentSlot, SlotRule
from motcua.engagement.states import AppointmentStatus, Priority, Status
from motcua.identity.models import Person
from motcua.identity.services import login_vneid

from .conftest import vn

PROCEDURE = "1.001193"  # Đăng ký khai sinh (Hộ tịch → group A)
# Monday 2 March 2026, 08:00: booking for Tuesday 3 March.
NOW = vn(2026, 3, 2, 8, 0)
TUESDAY = dt.date(2026, 3, 3)
CLAIMS = {
    "sub": "x",
    "citizen_id": "001085012345",
    "name": "Nguyễn Văn An",
    "birthdate": "1985-03-12",
    "gender": "male",
}


def person(n: int) -> Person:
    return Person.objects.get_or_create(id_number=f"0010850{n:05d}", defaults={"full_name": f"Công dân {n}"})[0]


@pytest.fixture
def rule(desk, groups):
    return SlotRule.objects.create(desk=desk, slot_minutes=30, capacity=2, days_ahead=14)


@pytest.fixture
def citizen(users):
    return login_vneid(CLAIMS)


class TestSlots:
    def test_slots_follow_office_hours_of_working_days(self, rule):
        slots = appointments.slot_starts(rule, TUESDAY)
        starts = [s.astimezone(vn(2026, 1, 1).tzinfo).strftime("%H:%M") for s, _ in slots]
        # 07:00–11:30 → 9 slots, 13:30–17:00 → 7 slots; none over the lunch break.
        assert starts[0] == "07:00" and starts[8] == "11:00" and starts[9] == "13:30" and starts[-1] == "16:30"
        assert len(starts) == 16 and "11:30" not in starts and "13:00" not in starts
        assert all(e - s == dt.timedelta(minutes=30) for s, e in slots)
        # Weekend and a public holiday (Hùng Kings' day 2026: 26/04 is a Sunday, observed Monday 27/04;
        # Reunification day 30/04 is a Thursday).
        assert appointments.slot_starts(rule, dt.date(2026, 3, 7)) == []  # Saturday
        assert appointments.slot_starts(rule, dt.date(2026, 4, 30)) == []  # 30/04 holiday

    def test_free_slots_only_in_the_future_and_within_the_horizon(self, rule):
        today = appointments.free_slots(rule, dt.date(2026, 3, 2), now=vn(2026, 3, 2, 14, 10))
        assert [s.start.strftime("%H:%M") for s in today] == ["14:30", "15:00", "15:30", "16:00", "16:30"]
        days = appointments.bookable_days(rule, NOW)
        assert days[0] == dt.date(2026, 3, 2) and dt.date(2026, 3, 7) not in days
        assert max(days) <= dt.date(2026, 3, 16)
        assert appointments.free_slots(rule, dt.date(2026, 3, 30), now=NOW) == []  # beyond 14 days

    def test_slot_length_and_capacity_are_per_group(self, desk, groups, rule):
        SlotRule.objects.create(desk=desk, group=groups["A"], slot_minutes=60, capacity=1)
        assert appointments.rule_for(desk, groups["A"]).slot_minutes == 60
        assert appointments.rule_for(desk, groups["B"]).pk == rule.pk
        SlotRule.objects.filter(group=groups["A"]).update(active=False)
        assert appointments.rule_for(desk, groups["A"]) is None

    def test_booking_outside_slots_is_refused(self, desk, rule):
        p = person(1)
        for start, words in [
            (vn(2026, 3, 7, 8, 0), "không phải ngày làm việc"),
            (vn(2026, 3, 3, 12, 0), "khung giờ làm việc"),
            (vn(2026, 3, 3, 8, 10), "khung giờ làm việc"),
            (vn(2026, 3, 2, 7, 30), "đã qua"),
            (vn(2026, 4, 20, 8, 0), "ngày tới"),
        ]:
            with pytest.raises(AppointmentError, match=words):
                appointments.book(p, desk, PROCEDURE, start, now=NOW)
        assert not Appointment.objects.exists()


class TestBooking:
    def test_capacity_is_enforced_and_cancel_frees_a_place(self, desk, rule):
        start = vn(2026, 3, 3, 8, 0)
        a1 = appointments.book(person(1), desk, PROCEDURE, start, now=NOW)
        a2 = appointments.book(person(2), desk, PROCEDURE, start, now=NOW)
        assert a1.code != a2.code and len(a1.code) == 6 and a1.group.letter == "A"
        assert (a1.end - a1.start) == dt.timedelta(minutes=30) and a1.day == TUESDAY
        with pytest.raises(AppointmentError) as exc:
            appointments.book(person(3), desk, PROCEDURE, start, now=NOW)
        assert exc.value.message == "Khung giờ 08:00 ngày 03/03/2026 đã hết chỗ. Vui lòng chọn khung giờ khác."
        slot = {s.start: s for s in appointments.free_slots(rule, TUESDAY, now=NOW)}[start]
        assert (slot.booked, slot.remaining, slot.full) == (2, 0, True)

        appointments.cancel(a1, now=NOW)
        assert Appointment.objects.get(pk=a1.pk).status == AppointmentStatus.CANCELLED
        assert AppointmentSlot.objects.get(rule=rule, start=start).booked == 1
        a3 = appointments.book(person(3), desk, PROCEDURE, start, now=NOW)
        assert a3.status == AppointmentStatus.BOOKED
        with pytest.raises(AppointmentError, match="Không thể hủy lịch hẹn"):
            appointments.cancel(a1, now=NOW)  # already cancelled
        actions = list(AppointmentEvent.objects.filter(appointment=a1).values_list("action", flat=True))
        assert actions == ["book", "cancel"]

    def test_one_booking_per_person_desk_and_day(self, desk, rule):
        p = person(1)
        appointments.book(p, desk, PROCEDURE, vn(2026, 3, 3, 8, 0), now=NOW)
        with pytest.raises(AppointmentError, match="Mỗi người chỉ đặt một lịch hẹn mỗi ngày"):
            appointments.book(p, desk, PROCEDURE, vn(2026, 3, 3, 14, 0), now=NOW)
        # Another day is fine.
        assert appointments.book(p, desk, PROCEDURE, vn(2026, 3, 4, 8, 0), now=NOW).day == dt.date(2026, 3, 4)

    def test_unknown_procedure_is_refused(self, desk, rule):
        with pytest.raises(AppointmentError, match="Không tìm thấy thủ tục"):
            appointments.book(person(1), desk, "9.999999", vn(2026, 3, 3, 8, 0), now=NOW)

    def test_default_rule_is_created_on_the_first_booking(self, desk, groups):
        assert not SlotRule.objects.exists()
        a = appointments.book(person(1), desk, PROCEDURE, vn(2026, 3, 3, 9, 0), now=NOW)
        assert a.rule.group_id is None and (a.rule.slot_minutes, a.rule.capacity) == (30, 2)

    def test_reschedule_moves_the_place_in_one_transaction(self, desk, rule):
        a = appointments.book(person(1), desk, PROCEDURE, vn(2026, 3, 3, 8, 0), now=NOW)
        appointments.book(person(2), desk, PROCEDURE, vn(2026, 3, 3, 9, 0), now=NOW)
        appointments.book(person(3), desk, PROCEDURE, vn(2026, 3, 3, 9, 0), now=NOW)
        with pytest.raises(AppointmentError, match="hết chỗ"):
            appointments.reschedule(a, vn(2026, 3, 3, 9, 0), now=NOW)
        a.refresh_from_db()
        assert a.start == vn(2026, 3, 3, 8, 0)  # unchanged, its place kept
        assert AppointmentSlot.objects.get(rule=rule, start=vn(2026, 3, 3, 8, 0)).booked == 1

        appointments.reschedule(a, vn(2026, 3, 5, 13, 30), now=NOW)
        a.refresh_from_db()
        assert (a.start, a.day, a.status) == (vn(2026, 3, 5, 13, 30), dt.date(2026, 3, 5), AppointmentStatus.BOOKED)
        assert AppointmentSlot.objects.get(rule=rule, start=vn(2026, 3, 3, 8, 0)).booked == 0
        assert AppointmentSlot.objects.get(rule=rule, start=vn(2026, 3, 5, 13, 30)).booked == 1
        event = a.events.last()
        assert (event.action, event.payload) == ("reschedule", {"from": "2026-03-03T08:00", "to": "2026-03-05T13:30"})

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only")
    @pytest.mark.django_db(transaction=True)
    def test_two_citizens_racing_for_the_last_place(self, desk, groups):
        SlotRule.objects.create(desk=desk, capacity=1)
        start = vn(2026, 3, 3, 8, 0)
        first, second = person(1), person(2)
        holding, release, outcome = threading.Event(), threading.Event(), {}

        def book_and_hold():
            try:
                with transaction.atomic():  # the first booking is not committed yet …
                    appointments.book(first, desk, PROCEDURE, start, now=NOW)
                    holding.set()
                    release.wait(10)
            finally:
                connection.close()

        def book_too():
            try:
                appointments.book(second, desk, PROCEDURE, start, now=NOW)  # … so this one waits for it
                outcome["second"] = "booked"
            except AppointmentError as exc:
                outcome["second"] = exc.message
            finally:
                connection.close()

        holder = threading.Thread(target=book_and_hold)
        holder.start()
        assert holding.wait(10)
        racer = threading.Thread(target=book_too)
        racer.start()
        racer.join(0.5)
        release.set()
        holder.join(10)
        racer.join(10)
        assert "hết chỗ" in outcome["second"]
        assert Appointment.objects.count() == 1 and AppointmentSlot.objects.get().booked == 1


class TestCheckIn:
    def test_check_in_issues_a_priority_ticket_called_first(self, desk, groups, counters, officer, rule):
        a = appointments.book(person(1), desk, PROCEDURE, vn(2026, 3, 3, 8, 30), now=NOW)
        ordinary = services.issue_ticket(desk, groups["A"], now=vn(2026, 3, 3, 8, 0))
        with pytest.raises(AppointmentError, match="không phải hôm nay"):
            appointments.check_in(a, desk=desk, now=NOW)
        with pytest.raises(AppointmentError, match="Chưa đến giờ hẹn"):
            appointments.check_in(a, desk=desk, now=vn(2026, 3, 3, 7, 0))
        ticket = appointments.check_in(a, desk=desk, actor=officer, now=vn(2026, 3, 3, 8, 10))
        a.refresh_from_db()
        assert (ticket.priority, ticket.code, ticket.group_id) == (Priority.APPOINTMENT, "UA002", groups["A"].pk)
        assert a.status == AppointmentStatus.CHECKED_IN and a.ticket_id == ticket.pk
        assert ticket.appointment == a
        called = services.call_next(counters[0], officer, now=vn(2026, 3, 3, 8, 15))
        assert called.pk == ticket.pk  # before the ordinary ticket issued earlier
        services.finish(called, officer, now=vn(2026, 3, 3, 8, 25))
        assert services.call_next(counters[0], officer, now=vn(2026, 3, 3, 8, 26)).pk == ordinary.pk
        with pytest.raises(AppointmentError, match="Không thể xác nhận đến"):
            appointments.check_in(a, desk=desk, now=vn(2026, 3, 3, 8, 20))

    def test_check_in_at_another_desk_or_too_late_is_refused(self, desk, groups, rule):
        from motcua.org.models import Desk

        a = appointments.book(person(1), desk, PROCEDURE, vn(2026, 3, 3, 8, 30), now=NOW)
        other = Desk.objects.exclude(pk=desk.pk).first()
        with pytest.raises(AppointmentError, match="không phải tại bộ phận một cửa này"):
            appointments.check_in(a, desk=other, now=vn(2026, 3, 3, 8, 30))
        with pytest.raises(AppointmentError, match="đã quá giờ hẹn"):
            appointments.check_in(a, desk=desk, now=vn(2026, 3, 3, 9, 31))
        assert appointments.mark_no_shows(now=vn(2026, 3, 3, 9, 31)) == 1
        assert Appointment.objects.get(pk=a.pk).status == AppointmentStatus.NO_SHOW


# ------------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------------
def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


class TestPages:
    def test_booking_pages_work_with_plain_forms(self, client, desk, rule, citizen):
        client.force_login(citizen)
        assert client.get("/cong-dan/lich-hen/").status_code == 200
        html = client.get(f"/cong-dan/lich-hen/dat/?desk={desk.code}&q=khai sinh").content.decode()
        assert "Đăng ký khai sinh" in html and f"thu_tuc={PROCEDURE}" in html
        # Pick a working day a week from today, in the page's own list.
        response = client.get(f"/cong-dan/lich-hen/dat/?desk={desk.code}&thu_tuc={PROCEDURE}")
        day = response.context["days"][-1]
        response = client.get(f"/cong-dan/lich-hen/dat/?desk={desk.code}&thu_tuc={PROCEDURE}&ngay={day:%d/%m/%Y}")
        html = response.content.decode()
        assert response.status_code == 200 and 'name="gio"' in html and "còn 2/2 chỗ" in html
        assert "<script" not in html.split("</head>")[1]
        slot = response.context["slots"][0]
        response = client.post(
            "/cong-dan/lich-hen/dat/",
            {
                "desk": desk.code,
                "thu_tuc": PROCEDURE,
                "ngay": f"{day:%d/%m/%Y}",
                "gio": slot.value,
                "phone": "0912345678",
            },
        )
        assert response.status_code == 302 and response["Location"] == "/cong-dan/lich-hen/"
        a = Appointment.objects.get()
        assert a.id_number == CLAIMS["citizen_id"] and a.phone == "0912345678"
        html = client.get("/cong-dan/lich-hen/").content.decode()
        assert a.code in html and f"{day:%d/%m/%Y}" in html and "Hủy lịch" in html

        # No slot chosen, or a second booking that day: refused with a message, never a 500.
        form = {"desk": desk.code, "thu_tuc": PROCEDURE, "ngay": f"{day:%d/%m/%Y}"}
        response = client.post("/cong-dan/lich-hen/dat/", form)
        assert response.status_code == 400 and "Vui lòng chọn một khung giờ" in response.content.decode()
        other = response.context["slots"][1]
        response = client.post("/cong-dan/lich-hen/dat/", {**form, "gio": other.value})
        assert response.status_code == 400 and "Mỗi người chỉ đặt một lịch hẹn" in response.content.decode()

        # Reschedule and cancel through the pages.
        response = client.get(f"/cong-dan/lich-hen/{a.code}/doi/?ngay={day:%d/%m/%Y}")
        assert response.status_code == 200 and other.value in response.content.decode()
        response = client.post(f"/cong-dan/lich-hen/{a.code}/doi/", {"ngay": f"{day:%d/%m/%Y}", "gio": other.value})
        assert response.status_code == 302
        a.refresh_from_db()
        assert a.start == other.start
        response = client.post(f"/cong-dan/lich-hen/{a.code}/huy/")
        assert response.status_code == 302
        assert Appointment.objects.get().status == AppointmentStatus.CANCELLED

    def test_bad_input_never_500(self, client, desk, rule, citizen):
        client.force_login(citizen)
        for query in [
            "desk=KHONG-CO",
            f"desk={desk.code}&thu_tuc=XYZ",
            f"desk={desk.code}&thu_tuc={PROCEDURE}&ngay=31/02/2026",
        ]:
            response = client.get(f"/cong-dan/lich-hen/dat/?{query}")
            assert response.status_code == 400, query
        response = client.post("/cong-dan/lich-hen/dat/", {"desk": desk.code, "thu_tuc": PROCEDURE, "gio": "nonsense"})
        assert response.status_code == 400
        assert client.post("/cong-dan/lich-hen/KHONGCO/huy/").status_code == 404

    def test_other_people_cannot_touch_my_appointment(self, client, desk, rule, citizen):
        a = appointments.book(person(1), desk, PROCEDURE, _future_slot(rule))
        client.force_login(citizen)
        assert client.post(f"/cong-dan/lich-hen/{a.code}/huy/").status_code == 404
        assert client.get(f"/cong-dan/lich-hen/{a.code}/doi/").status_code == 404

    def test_pages_need_a_citizen_login(self, client, users):
        response = client.get("/cong-dan/lich-hen/")
        assert response.status_code == 302 and response["Location"].startswith("/cong-dan/dang-nhap/")
        client.force_login(users["motcua.xa"])  # staff: no person
        assert client.get("/cong-dan/lich-hen/dat/").status_code == 403

    def test_kiosk_and_counter_check_in_by_code(self, client, desk, groups, counters, officer, rule):
        # The pages use the real clock: appointments starting now (set up directly, whatever the hour).
        a, b = _starting_now(desk, rule, groups, 1), _starting_now(desk, rule, groups, 2)
        html = client.get(f"/ki-ot/{desk.code}/").content.decode()
        assert "Khách có lịch hẹn" in html and f'action="/ki-ot/{desk.code}/lich-hen/"' in html
        response = client.post(f"/ki-ot/{desk.code}/lich-hen/", {"code": "khong co"}, follow=True)
        assert "Không tìm thấy lịch hẹn" in " ".join(_messages(response))
        response = client.post(f"/ki-ot/{desk.code}/lich-hen/", {"code": f" {a.code.lower()} "})
        a.refresh_from_db()
        assert a.status == AppointmentStatus.CHECKED_IN
        assert response.status_code == 302 and f"/so/{a.ticket_id}/" in response["Location"]
        assert a.ticket.priority == Priority.APPOINTMENT and a.ticket.status == Status.WAITING
        response = client.post(f"/ki-ot/{desk.code}/lich-hen/", {"code": a.code}, follow=True)
        assert "Không thể xác nhận đến" in " ".join(_messages(response))  # used once

        client.force_login(officer)
        session = client.session
        session["engagement.counter_id"] = counters[0].pk
        session.save()
        html = client.get("/can-bo/quay/").content.decode()
        assert "Khách có lịch hẹn: nhập mã" in html
        response = client.post("/can-bo/quay/", {"action": "checkin", "code": b.code}, follow=True)
        assert any("cấp số ưu tiên" in m for m in _messages(response))
        assert Appointment.objects.get(pk=b.pk).status == AppointmentStatus.CHECKED_IN


def _starting_now(desk, rule, groups, n):
    from django.utils import timezone

    now = timezone.now()
    return Appointment.objects.create(
        code=f"TEST{n:02d}",
        desk=desk,
        rule=rule,
        group=groups["A"],
        procedure_code=PROCEDURE,
        procedure_name="Đăng ký khai sinh",
        id_number=person(n).id_number,
        full_name=f"Công dân {n}",
        day=timezone.localdate(now),
        start=now,
        end=now + dt.timedelta(minutes=30),
        created_at=now,
    )


def _future_slot(rule):
    for day in appointments.bookable_days(rule)[1:]:
        slots = appointments.free_slots(rule, day)
        if slots:
            return slots[0].start
    raise AssertionError("no future slot")
