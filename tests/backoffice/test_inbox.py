"""The work inbox: rows, deadline highlighting, tabs, filters, keyset paging, saved filters, bulk
actions, access log, and a constant number of SQL queries per page."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from motcua.audit.models import DataAccess
from motcua.backoffice import work
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, SavedFilter
from motcua.dossiers.states import State
from motcua.workcalendar import services as calendar_services
from motcua.workcalendar.engine import UNITS_PER_DAY, VN_TZ, WorkCalendar
from motcua.workcalendar.services import get_calendar
from tests.dossiers.conftest import CITIZEN

from .conftest import FUNERAL, MARRIAGE, act, at_leader, at_specialist, codes_in, days_ago, receive, row_of

INBOX = "/can-bo/hop-viec/"
DATETIME = re.compile(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}")


def test_anonymous_is_sent_to_login(client, province):
    r = client.get(INBOX)
    assert r.status_code == 302 and "/dang-nhap/" in r["Location"]


# ------------------------------------------------------------------------------------------------
# Rows and highlighting
# ------------------------------------------------------------------------------------------------
def test_rows_show_the_work_with_deadlines_and_late_ones_are_red(users, login):
    fresh = at_specialist(users)
    late = at_specialist(users, now=days_ago(21))
    assert late.is_late() and not fresh.is_late()

    r = login("chuyenvien.xa").get(INBOX)
    assert r.status_code == 200
    html = r.content.decode()
    assert "Việc của tôi" in html and "Việc của đơn vị" in html

    classes, row = row_of(html, late.code)
    assert "mc-due--late" in classes  # red row …
    assert "Quá hạn" in row and re.search(r"quá hạn \d+ ngày", row)  # … and said in words
    assert "Đăng ký khai sinh" in row and "Nguyễn Văn An" in row and "Thẩm định" in row
    assert late.state_label in row
    assert len(DATETIME.findall(row)) == 2  # step due and dossier due, dd/mm/yyyy HH:MM
    local_due = timezone.localtime(late.due_at, VN_TZ).strftime("%d/%m/%Y %H:%M")
    assert local_due in row
    assert f'href="/can-bo/ho-so/{late.code}/"' in row

    classes, row = row_of(html, fresh.code)
    assert "mc-due--late" not in classes
    assert re.search(r"còn \d+ (ngày|giờ|phút)", row)
    # Late first: rows are in step-due order.
    assert codes_in(html).index(late.code) < codes_in(html).index(fresh.code)


def test_countdown_is_working_time_and_amber_within_a_working_day():
    cal = WorkCalendar([dt.date(2026, 3, d) for d in (2, 3, 4, 5, 6, 9)], 2026, 2026)
    monday = dt.datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ)

    class S:  # the fields countdown reads
        def __init__(self, due):
            self.due_at = due

    class D:
        def __init__(self, due, paused_at=None, remaining_units=None, finished_at=None):
            self.due_at, self.paused_at, self.remaining_units, self.finished_at = (
                due,
                paused_at,
                remaining_units,
                finished_at,
            )

    # Due Friday 17:00 → 4 working days 7 hours left… but the step is due Tuesday 11:00.
    c = work.countdown(
        S(cal.add_working_units(monday, UNITS_PER_DAY + 3 * 3600)),
        D(dt.datetime(2026, 3, 6, 17, 0, tzinfo=VN_TZ)),
        monday,
        cal,
    )
    assert (c.kind, c.text) == ("ok", "còn 1 ngày 3 giờ")
    # Friday afternoon → Monday morning counts working hours only (no weekend): amber.
    friday = dt.datetime(2026, 3, 6, 16, 0, tzinfo=VN_TZ)
    c = work.countdown(S(dt.datetime(2026, 3, 9, 9, 0, tzinfo=VN_TZ)), D(None), friday, cal)
    assert (c.kind, c.label, c.text) == ("soon", "Sắp đến hạn", "còn 3 giờ")
    # Two working hours late.
    c = work.countdown(
        S(dt.datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ)), D(None), dt.datetime(2026, 3, 2, 10, 0, tzinfo=VN_TZ), cal
    )
    assert (c.kind, c.label, c.text) == ("late", "Quá hạn", "quá hạn 2 giờ")
    # Waiting for the applicant: the clock is stopped.
    c = work.countdown(S(monday), D(monday, paused_at=monday, remaining_units=3600), friday, cal)
    assert c.kind == "paused"
    # A dossier with its result is judged on the step alone.
    c = work.countdown(S(dt.datetime(2026, 3, 9, 17, 0, tzinfo=VN_TZ)), D(monday, finished_at=monday), friday, cal)
    assert c.kind == "ok"


def test_tabs_mine_is_role_aware_and_unit_is_the_whole_agency(users, login):
    at_desk = receive(users)  # desk step (motcua.xa)
    at_spec = at_specialist(users)

    desk = login("motcua.xa")
    mine = codes_in(desk.get(INBOX).content.decode())
    unit = codes_in(desk.get(INBOX, {"tab": "unit"}).content.decode())
    assert mine == [at_desk.code]
    assert set(unit) == {at_desk.code, at_spec.code}

    spec = codes_in(login("chuyenvien.xa").get(INBOX).content.decode())
    assert spec == [at_spec.code]
    assert codes_in(login("lanhdao.xa").get(INBOX).content.decode()) == []

    # Assigned to the leader: in the leader's "mine", out of the specialist's (still in the unit's).
    act(users, at_spec, "assign", "lanhdao.xa", data={"assignee": "lanhdao.xa"})
    assert codes_in(login("lanhdao.xa").get(INBOX).content.decode()) == [at_spec.code]
    spec_client = login("chuyenvien.xa")
    assert codes_in(spec_client.get(INBOX).content.decode()) == []
    assert at_spec.code in codes_in(spec_client.get(INBOX, {"tab": "unit"}).content.decode())

    # A provincial department sees none of the commune's work.
    assert codes_in(login("chuyenvien.stp").get(INBOX, {"tab": "unit"}).content.decode()) == []


def test_every_page_read_is_logged_in_one_go(users, login):
    a, b = at_specialist(users), at_specialist(users)
    login("chuyenvien.xa").get(INBOX)
    logged = DataAccess.objects.filter(purpose="hộp việc", object_type="dossier")
    assert sorted(logged.values_list("object_ref", flat=True)) == sorted([a.code, b.code])
    assert {x.user.username for x in logged} == {"chuyenvien.xa"}
    assert set(logged.values_list("subject_id_number", flat=True)) == {a.owner_id_number}


# ------------------------------------------------------------------------------------------------
# Filters
# ------------------------------------------------------------------------------------------------
def test_filters(users, login):
    birth = at_specialist(users)
    late = at_specialist(users, now=days_ago(21))
    marriage = act(users, receive(users, code=MARRIAGE, components=["TP01"]), "transfer", "motcua.xa")
    funeral = act(users, _by_post(users, FUNERAL), "transfer", "motcua.xa")
    c = login("chuyenvien.xa")

    def shown(**params):
        r = c.get(INBOX, params)
        assert r.status_code == 200
        return set(codes_in(r.content.decode()))

    assert shown() == {birth.code, late.code, marriage.code, funeral.code}
    assert shown(procedure="1.001193") == {birth.code, late.code}
    assert shown(procedure="9.999999") == set()
    assert shown(field="BAO_TRO_XA_HOI") == {funeral.code}
    assert shown(late="1") == {late.code}
    assert shown(state="in_processing", channel="post") == {funeral.code}
    assert shown(channel="counter") == {birth.code, late.code, marriage.code}
    step_due = timezone.localtime(late.steps.get(order=2).due_at, VN_TZ).date()
    day = step_due.strftime("%d/%m/%Y")
    assert shown(due_from=day, due_to=day) == {late.code}
    assert late.code not in shown(due_from=(step_due + dt.timedelta(days=1)).strftime("%d/%m/%Y"))


def _by_post(users, code):
    d, _ = services.create_dossier(
        user=users["motcua.xa"], procedure_code=code, channel="post", applicant=CITIZEN, components=["TP01", "TP02"]
    )
    return d


def test_bad_filter_input_is_explained_next_to_the_field(users, login):
    at_specialist(users)
    r = login("chuyenvien.xa").get(INBOX, {"due_from": "2026-03-05", "due_to": "31/02/2026", "state": "returned"})
    html = r.content.decode()
    assert r.status_code == 200
    assert 'id="due_from-error">Ngày phải theo định dạng dd/mm/yyyy' in html
    assert 'id="due_to-error">Ngày 31/02/2026 không tồn tại.' in html
    assert 'id="state-error">Trạng thái không hợp lệ.' in html
    r = login("chuyenvien.xa").get(INBOX, {"due_from": "05/03/2026", "due_to": "01/03/2026"})
    assert "“Đến ngày” phải sau hoặc bằng “Từ ngày”." in r.content.decode()


# ------------------------------------------------------------------------------------------------
# Keyset paging
# ------------------------------------------------------------------------------------------------
def test_keyset_paging_walks_every_row_once_in_due_order(users, login, monkeypatch):
    monkeypatch.setattr(work, "PAGE_SIZE", 2)
    when = days_ago(7)
    made = [at_specialist(users, now=when) for _ in range(3)]  # same step due: ties broken by id
    made += [at_specialist(users, now=when + dt.timedelta(hours=h)) for h in (1, 2)]
    c = login("chuyenvien.xa")
    seen, url, pages = [], INBOX, 0
    with CaptureQueriesContext(connection) as ctx:
        while url:
            html = c.get(url).content.decode()
            seen += codes_in(html)
            pages += 1
            nxt = re.search(r'href="\?([^"]+)" rel="next"', html)
            url = f"{INBOX}?{nxt.group(1).replace('&amp;', '&')}" if nxt else None
    assert pages == 3
    assert seen == [d.code for d in made]
    assert not any("OFFSET" in q["sql"].upper() for q in ctx.captured_queries)
    assert "Trang đầu" in html

    # A forged cursor is refused politely (first page).
    r = c.get(INBOX, {"cursor": "not-a-cursor"})
    assert "Liên kết trang không hợp lệ" in r.content.decode()


def test_constant_number_of_queries_per_page(users, login, monkeypatch):
    monkeypatch.setattr(calendar_services, "RECHECK_SECONDS", 10**9)  # no calendar re-check mid-test
    c = login("chuyenvien.xa")
    at_specialist(users)
    get_calendar()
    c.get(INBOX)  # warm (session, calendar)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            r = c.get(INBOX)
        assert r.status_code == 200
        return len(ctx.captured_queries), len(codes_in(r.content.decode()))

    one, rows = count()
    assert rows == 1
    when = days_ago(3)
    for i in range(29):
        at_specialist(users, now=when + dt.timedelta(minutes=i))
    thirty, rows = count()
    assert rows == 30
    assert thirty == one, f"{one} queries for 1 row, {thirty} for 30"
    assert one <= 9  # 8 + the staff memberships read once per request (access rule, staff area, audit)


# ------------------------------------------------------------------------------------------------
# Saved filters
# ------------------------------------------------------------------------------------------------
def test_saved_filter_save_pick_replace_delete(users, login):
    late = at_specialist(users, now=days_ago(21))
    at_specialist(users)
    c = login("chuyenvien.xa")
    r = c.post(
        "/can-bo/hop-viec/bo-loc/",
        {"name": "  Khai sinh   quá hạn ", "querystring": "procedure=1.001193&late=1&cursor=abc&evil=x"},
    )
    assert r.status_code == 302
    saved = SavedFilter.objects.get(user=users["chuyenvien.xa"])
    assert saved.name == "Khai sinh quá hạn"
    assert saved.querystring == "procedure=1.001193&late=1"  # only the inbox's own keys

    html = c.get(INBOX).content.decode()
    assert 'href="/can-bo/hop-viec/?procedure=1.001193&amp;late=1">Khai sinh quá hạn</a>' in html
    assert codes_in(c.get(f"{INBOX}?{saved.querystring}").content.decode()) == [late.code]

    c.post("/can-bo/hop-viec/bo-loc/", {"name": "Khai sinh quá hạn", "querystring": "tab=unit"})
    assert SavedFilter.objects.get(user=users["chuyenvien.xa"]).querystring == "tab=unit"
    r = c.post("/can-bo/hop-viec/bo-loc/", {"name": "", "querystring": "tab=unit"}, follow=True)
    assert "Vui lòng đặt tên cho bộ lọc." in r.content.decode()

    # Somebody else cannot delete it; the owner can.
    login("lanhdao.xa").post(f"/can-bo/hop-viec/bo-loc/{saved.pk}/xoa/")
    assert SavedFilter.objects.filter(pk=saved.pk).exists()
    c.post(f"/can-bo/hop-viec/bo-loc/{saved.pk}/xoa/")
    assert not SavedFilter.objects.filter(pk=saved.pk).exists()


# ------------------------------------------------------------------------------------------------
# Bulk actions
# ------------------------------------------------------------------------------------------------
def _ticks(html: str) -> dict[str, str]:
    return {v.rpartition("@")[0]: v for v in re.findall(r'name="d" value="([^"]+)"', html)}


def test_leader_approves_several_from_the_inbox_and_one_fails(users, login):
    dossiers = [at_leader(users) for _ in range(4)]
    c = login("lanhdao.xa")
    html = c.get(INBOX).content.decode()
    ticks = _ticks(html)
    assert set(ticks) == {d.code for d in dossiers}
    assert '<option value="issue_result">Ban hành kết quả giải quyết</option>' in html

    # Meanwhile another leader acknowledges one of them: the page the leader saw is stale for it.
    stale = dossiers[2]
    act(users, stale, "acknowledge", "lanhdao.xa")
    r = c.post(
        "/can-bo/hop-viec/thao-tac/",
        {"d": list(ticks.values()), "action": "issue_result", "outcome": "approved", "next": "tab=mine"},
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "3 thành công, 1 không thực hiện được" in html
    assert f'{stale.code}</a>: <span class="mc-error-text">Hồ sơ {stale.code} vừa được người khác cập nhật' in html
    states = dict(Dossier.objects.values_list("code", "state"))
    assert [states[d.code] for d in dossiers] == [State.RESULT_ISSUED] * 2 + [State.IN_PROCESSING, State.RESULT_ISSUED]
    assert DataAccess.objects.filter(purpose="thao tác hàng loạt").count() == 4
    assert 'href="/can-bo/hop-viec/?tab=mine"' in html


def test_bulk_select_offers_only_what_all_ticked_allow(users, login):
    at_lead = at_leader(users)
    at_spec = at_specialist(users)
    leader = login("lanhdao.xa")

    def options(client, *dossiers):
        r = client.get("/can-bo/hop-viec/thao-tac/lua-chon/", {"d": [f"{d.code}@{d.lock_version}" for d in dossiers]})
        return re.findall(r'<option value="(\w+)">', r.content.decode())

    assert "issue_result" in options(leader, at_lead)
    assert "issue_result" in options(leader, at_lead, at_spec)  # a leader may decide at any step
    assert options(login("chuyenvien.xa"), at_spec) == ["acknowledge", "forward", "send_back"]
    assert "issue_result" not in options(login("chuyenvien.xa"), at_lead, at_spec)  # a leader's decision
    assert options(login("motcua.xa"), at_lead, at_spec) == []  # nothing a desk officer does in bulk here
    assert "acknowledge" not in options(leader, receive(users))  # not in processing yet

    # Without JS: ticking and pressing "Thực hiện" with no action shows a confirmation page.
    r = login("chuyenvien.xa").post("/can-bo/hop-viec/thao-tac/", {"d": [f"{at_spec.code}@{at_spec.lock_version}"]})
    html = r.content.decode()
    assert r.status_code == 200 and "Chọn thao tác áp dụng cho tất cả hồ sơ trên" in html
    assert re.findall(r'<option value="(\w+)">', html.split('id="bulk-action"')[1].split("</select>")[0]) == [
        "acknowledge",
        "forward",
        "send_back",
    ]
    r = login("chuyenvien.xa").post("/can-bo/hop-viec/thao-tac/", {"d": []}, follow=True)
    assert "Vui lòng chọn ít nhất một hồ sơ." in r.content.decode()


def test_bulk_never_touches_an_invisible_dossier(users, login, stranger):
    d = at_specialist(users)
    r = login("motcua.khac").post(
        "/can-bo/hop-viec/thao-tac/", {"d": [f"{d.code}@{d.lock_version}"], "action": "forward"}
    )
    assert f"Không tìm thấy hồ sơ có mã {d.code}." in r.content.decode()
    assert Dossier.objects.get(pk=d.pk).lock_version == d.lock_version


@pytest.mark.parametrize("action", ["refuse", "stop", "bogus"])
def test_bulk_refuses_actions_that_need_per_dossier_input(users, login, action):
    d = at_leader(users)
    r = login("lanhdao.xa").post(
        "/can-bo/hop-viec/thao-tac/", {"d": [f"{d.code}@{d.lock_version}"], "action": action}, follow=True
    )
    assert "không thực hiện hàng loạt được" in r.content.decode()
    assert Dossier.objects.get(pk=d.pk).state == State.IN_PROCESSING


def test_htmx_filtering_swaps_the_rows_and_keeps_tabs_and_save_form_in_step(users, login):
    late = at_specialist(users, now=days_ago(21))
    at_specialist(users)
    r = login("chuyenvien.xa").get(
        INBOX, {"late": "1", "tab": "mine"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="inbox-results"
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert codes_in(html) == [late.code]
    assert '<nav id="inbox-tabs" class="mc-tabs" aria-label="Phạm vi công việc" hx-swap-oob="true">' in html
    assert 'href="?late=1&amp;tab=unit"' in html
    assert 'id="save-querystring" name="querystring" value="late=1&amp;tab=mine" hx-swap-oob="true"' in html
