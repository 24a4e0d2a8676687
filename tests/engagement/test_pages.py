"""Queue pages with the Django test client: public ticket page and kiosk without JavaScript, the
display board and its partial (constant SQL), the counter screen, the statistics page, access."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from motcua.engagement import services
from motcua.engagement.models import ServiceGroup, Ticket
from motcua.engagement.states import Priority, Status

STAFF_PAGES = ["/can-bo/quay/", "/can-bo/quay/hang-cho/", "/can-bo/hang-doi/thong-ke/"]


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# ------------------------------------------------------------------------------------------------
# Access
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_pages_redirect_anonymous_to_login(client, users, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/")


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_pages_are_forbidden_without_a_desk_role(client, users, url):
    client.force_login(users["chuyenvien.xa"])  # a specialist: neither at a counter nor a leader
    assert client.get(url).status_code == 403


def test_counter_actions_need_login(client, groups):
    response = client.post("/can-bo/quay/", {"action": "call"})
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]
    assert not Ticket.objects.filter(status=Status.CALLED).exists()


@pytest.mark.parametrize("url", ["/lay-so/KHONG-CO/", "/bang-goi-so/KHONG-CO/", "/ki-ot/KHONG-CO/"])
def test_unknown_desk_is_404(client, users, url):
    assert client.get(url).status_code == 404


# ------------------------------------------------------------------------------------------------
# Ticket page (public, no JavaScript needed)
# ------------------------------------------------------------------------------------------------
def test_ticket_page_is_a_plain_form(client, desk, groups):
    response = client.get(f"/lay-so/{desk.code}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<form method="post"' in html and 'name="csrfmiddlewaretoken"' in html
    assert f'name="group" value="{groups["A"].pk}"' in html and "Hộ tịch, chứng thực" in html
    for label in ("Người cao tuổi", "Phụ nữ mang thai", "Người khuyết tật", "Có lịch hẹn"):
        assert label in html
    assert "usa-header" not in html  # no staff header on public pages
    assert "engagement.css" in html


def test_taking_a_ticket_without_javascript(client, desk, groups):
    services.issue_ticket(desk, groups["A"])  # someone is already waiting
    client.get(f"/lay-so/{desk.code}/")
    response = client.post(f"/lay-so/{desk.code}/", {"group": groups["A"].pk, "priority": "none"})
    ticket = Ticket.objects.latest("id")
    assert response.status_code == 302
    assert response["Location"] == f"/lay-so/{desk.code}/so/{ticket.pk}/"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert ticket.code == "A002" and "A002" in html
    assert re.search(r'id="slip-ahead">1<', html)  # one person ahead
    assert timezone.localtime(ticket.issued_at).strftime("%d/%m/%Y %H:%M") in html
    assert desk.name in html and "Hộ tịch, chứng thực" in html
    assert "data-print" in html and "<noscript>" in html  # print with JS (static js/motcua.js), a hint without


def test_taking_a_priority_ticket(client, desk, groups):
    client.post(f"/lay-so/{desk.code}/", {"group": groups["B"].pk, "priority": Priority.ELDERLY})
    ticket = Ticket.objects.get()
    assert (ticket.code, ticket.priority) == ("UB001", Priority.ELDERLY)


@pytest.mark.parametrize("data", [{}, {"group": "x"}, {"group": 999999}, {"group": "GROUP", "priority": "vip"}])
def test_taking_a_ticket_refused_shows_a_message(client, desk, groups, data):
    if data.get("group") == "GROUP":
        data["group"] = groups["A"].pk
    response = client.post(f"/lay-so/{desk.code}/", data, follow=True)
    assert response.status_code == 200
    assert any("nhóm dịch vụ" in m or "ưu tiên" in m for m in _messages(response))
    assert not Ticket.objects.exists()


def test_a_group_of_another_desk_is_refused(client, desk, groups):
    other = ServiceGroup.objects.create(desk=desk.__class__.objects.get(code="TTPVHCC"), letter="A", name="Hộ tịch")
    client.post(f"/lay-so/{desk.code}/", {"group": other.pk})
    assert not Ticket.objects.exists()


def test_ticket_of_another_desk_is_404(client, desk, groups):
    ticket = services.issue_ticket(desk, groups["A"])
    assert client.get(f"/lay-so/TTPVHCC/so/{ticket.pk}/").status_code == 404


# ------------------------------------------------------------------------------------------------
# Display board
# ------------------------------------------------------------------------------------------------
def test_board_polls_a_partial_and_refreshes_without_js(client, desk, groups, counters, officer):
    services.issue_ticket(desk, groups["A"])
    services.issue_ticket(desk, groups["A"])
    services.issue_ticket(desk, groups["B"])
    services.call_next(counters[1], officer)
    response = client.get(f"/bang-goi-so/{desk.code}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'hx-get="/bang-goi-so/{desk.code}/cap-nhat/"' in html and 'hx-trigger="every 3s"' in html
    assert '<noscript><meta http-equiv="refresh" content="30"></noscript>' in html
    assert "usa-header" not in html and "Đăng nhập" not in html
    assert re.search(r'mc-q-newest__code">A001<', html) and "Quầy 2" in html

    partial = client.get(f"/bang-goi-so/{desk.code}/cap-nhat/").content.decode()
    assert "<html" not in partial and 'id="board"' in partial
    counts = re.findall(r'mc-q-waitgroups__letter">(\w)<.*?__count">(\d+)<', partial, re.S)
    assert counts == [("A", "1"), ("B", "1")]


def test_board_highlights_the_latest_call(client, desk, groups, counters, officer):
    services.issue_ticket(desk, groups["A"])
    services.issue_ticket(desk, groups["A"])
    first = services.call_next(counters[0], officer)
    services.call_next(counters[1], officer)
    partial = client.get(f"/bang-goi-so/{desk.code}/cap-nhat/").content.decode()
    assert re.search(r'mc-q-newest__code">A002<', partial)
    services.recall(first, officer)
    partial = client.get(f"/bang-goi-so/{desk.code}/cap-nhat/").content.decode()
    assert re.search(r'mc-q-newest__code">A001<', partial)
    assert re.search(r'class="mc-q-called__newest"><td>A001<', partial)


def test_board_partial_uses_a_constant_number_of_queries(client, desk, groups, counters, officer, users):
    url = f"/bang-goi-so/{desk.code}/cap-nhat/"
    services.issue_ticket(desk, groups["A"])
    services.call_next(counters[0], officer)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(12):
        services.issue_ticket(desk, groups["A"])
        services.issue_ticket(desk, groups["B"])
    services.call_next(counters[1], users["motcua.huyen"])
    ServiceGroup.objects.create(desk=desk, letter="C", name="Đất đai")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(few) == len(many) == 3  # desk, called numbers, groups with their waiting counts


# ------------------------------------------------------------------------------------------------
# Kiosk
# ------------------------------------------------------------------------------------------------
def test_kiosk_search_is_diacritics_insensitive_and_works_without_js(client, desk, groups):
    response = client.get(f"/ki-ot/{desk.code}/", {"q": "dang ky khai sinh"})
    html = response.content.decode()
    assert response.status_code == 200 and "usa-header" not in html
    assert 'method="get"' in html and "Đăng ký khai sinh" in html
    assert f'href="/ki-ot/{desk.code}/thu-tuc/1.001193/"' in html
    # HTMX asks for the results only.
    partial = client.get(f"/ki-ot/{desk.code}/", {"q": "khai sinh"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Đăng ký khai sinh" in partial
    nothing = client.get(f"/ki-ot/{desk.code}/", {"q": "zzzz khong co"}).content.decode()
    assert "Không tìm thấy thủ tục phù hợp" in nothing


def test_kiosk_lists_only_procedures_of_the_desks_level(client, desk, groups):
    html = client.get(f"/ki-ot/{desk.code}/", {"q": "ho chieu"}).content.decode()
    assert "hộ chiếu" not in html  # passports are a provincial procedure
    html = client.get("/ki-ot/TTPVHCC/", {"q": "ho chieu"}).content.decode()
    assert "hộ chiếu" in html


def test_kiosk_procedure_page_is_printable(client, desk, groups):
    response = client.get(f"/ki-ot/{desk.code}/thu-tuc/1.001193/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Thành phần hồ sơ cần chuẩn bị" in html
    assert "Tờ khai đăng ký khai sinh" in html and "TP01" in html and "Bắt buộc" in html and "Bản chính" in html
    assert "data-print" in html and "mc-q-printonly" in html
    assert "A – Hộ tịch, chứng thực" in html  # the group taking civil-status procedures
    assert client.get(f"/ki-ot/{desk.code}/thu-tuc/9.999999/").status_code == 404


def test_kiosk_takes_a_ticket_for_the_procedures_group(client, desk, groups):
    response = client.post(f"/ki-ot/{desk.code}/thu-tuc/1.004222/lay-so/", {"priority": "none"})  # residence
    ticket = Ticket.objects.get()
    assert ticket.group == groups["B"] and ticket.code == "B001"
    assert response["Location"] == f"/lay-so/{desk.code}/so/{ticket.pk}/?from=kiosk"
    html = client.get(response["Location"]).content.decode()
    assert f'href="/ki-ot/{desk.code}/"' in html  # back to the kiosk
    # A field no group takes falls back to the first group.
    client.post(f"/ki-ot/{desk.code}/thu-tuc/1.010058/lay-so/")  # funeral allowance: social protection → B
    client.post(f"/ki-ot/{desk.code}/thu-tuc/2.000488/lay-so/")  # criminal record: no group → A
    assert list(Ticket.objects.order_by("id").values_list("code", flat=True)) == ["B001", "B002", "A001"]
    assert client.get(f"/ki-ot/{desk.code}/thu-tuc/1.004222/lay-so/").status_code == 405


# ------------------------------------------------------------------------------------------------
# Counter screen
# ------------------------------------------------------------------------------------------------
def test_counter_screen_journey(client, desk, groups, counters, officer):
    client.force_login(officer)
    html = client.get("/can-bo/quay/").content.decode()
    assert "Chọn quầy" in html and "Gọi số tiếp theo" not in html  # choose a counter first

    response = client.post("/can-bo/quay/", {"action": "choose", "counter": counters[0].pk}, follow=True)
    assert "Bạn đang làm việc tại Quầy 1" in " ".join(_messages(response))

    # Nobody waiting: a Vietnamese message, not a 500.
    response = client.post("/can-bo/quay/", {"action": "call"}, follow=True)
    assert response.status_code == 200
    assert "Không còn số nào đang chờ cho quầy này." in _messages(response)

    services.issue_ticket(desk, groups["A"])
    services.issue_ticket(desk, groups["B"])
    response = client.post("/can-bo/quay/", {"action": "call"}, follow=True)
    assert "Đã gọi số A001 đến Quầy 1 – Hộ tịch." in _messages(response)
    html = response.content.decode()
    assert 'id="current-code">A001<' in html
    for label in ("Gọi lại", "Bắt đầu tiếp nhận", "Vắng mặt", "Kết thúc", "Chuyển quầy/nhóm"):
        assert label in html
    assert "B001" in html  # the waiting list
    ticket = Ticket.objects.get(code="A001")

    response = client.post("/can-bo/quay/", {"action": "recall", "ticket": ticket.pk}, follow=True)
    assert "Đã gọi lại số A001." in _messages(response)

    response = client.post("/can-bo/quay/", {"action": "start", "ticket": ticket.pk})
    assert response.status_code == 302 and response["Location"] == f"/can-bo/tiep-nhan/?ticket={ticket.pk}"
    html = client.get("/can-bo/quay/").content.decode()
    assert f'href="/can-bo/tiep-nhan/?ticket={ticket.pk}"' in html  # back to the intake screen

    response = client.post("/can-bo/quay/", {"action": "finish", "ticket": ticket.pk}, follow=True)
    assert "Đã kết thúc phục vụ số A001." in _messages(response)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.officer, ticket.counter) == (Status.DONE, officer, counters[0])

    # A stale form (the ticket is no longer at this counter) is refused politely.
    response = client.post("/can-bo/quay/", {"action": "no_show", "ticket": ticket.pk}, follow=True)
    assert response.status_code == 200 and "không còn ở quầy của bạn" in " ".join(_messages(response))

    response = client.post("/can-bo/quay/", {"action": "call"}, follow=True)
    assert "Đã gọi số B001" in " ".join(_messages(response))
    html = response.content.decode()
    assert "lượt đã gọi" in html  # today's figures of the counter


def test_counter_screen_transfer_and_no_show(client, desk, groups, counters, officer):
    client.force_login(officer)
    client.post("/can-bo/quay/", {"action": "choose", "counter": counters[0].pk})
    services.issue_ticket(desk, groups["A"])
    services.issue_ticket(desk, groups["A"])
    client.post("/can-bo/quay/", {"action": "call"})
    first = Ticket.objects.get(code="A001")
    response = client.post("/can-bo/quay/", {"action": "transfer", "ticket": first.pk, "target": ""}, follow=True)
    assert "Hãy chọn nhóm dịch vụ hoặc quầy cần chuyển đến." in _messages(response)
    target = f"g:{groups['B'].pk}"
    response = client.post("/can-bo/quay/", {"action": "transfer", "ticket": first.pk, "target": target}, follow=True)
    assert "Đã chuyển số A001 sang nhóm B – Cư trú, chính sách xã hội." in _messages(response)
    moved = Ticket.objects.get(transferred_from=first)
    assert moved.group == groups["B"] and moved.status == Status.WAITING

    client.post("/can-bo/quay/", {"action": "call"})  # A001 again: it kept its place (issued first)
    again = Ticket.objects.get(status=Status.CALLED)
    assert again == moved
    target = f"c:{counters[1].pk}"
    client.post("/can-bo/quay/", {"action": "transfer", "ticket": again.pk, "target": target})
    assert Ticket.objects.get(transferred_from=again).target_counter == counters[1]

    client.post("/can-bo/quay/", {"action": "call"})
    second = Ticket.objects.get(code="A002")
    response = client.post("/can-bo/quay/", {"action": "no_show", "ticket": second.pk}, follow=True)
    assert "Đã ghi nhận số A002 vắng mặt." in _messages(response)
    response = client.post("/can-bo/quay/", {"action": "bogus"}, follow=True)
    assert "Thao tác không hợp lệ." in _messages(response)


def test_counter_from_the_membership_is_fixed(client, desk, groups, counters, officer):
    membership = officer.memberships.get(desk=desk)
    membership.counter = counters[1]
    membership.save()
    client.force_login(officer)
    html = client.get("/can-bo/quay/").content.decode()
    assert "Màn hình quầy: Quầy 2" in html and 'name="action" value="choose"' not in html
    response = client.post("/can-bo/quay/", {"action": "choose", "counter": counters[0].pk}, follow=True)
    assert "Quầy của bạn đã được phân công cố định, không thể đổi." in _messages(response)


def test_an_officer_cannot_choose_a_counter_of_another_desk(client, desk, groups, officer):
    from motcua.org.models import Counter

    client.force_login(officer)
    elsewhere = Counter.objects.filter(desk__code="TTPVHCC").first()
    response = client.post("/can-bo/quay/", {"action": "choose", "counter": elsewhere.pk}, follow=True)
    assert "Vui lòng chọn một quầy" in " ".join(_messages(response))
    response = client.post("/can-bo/quay/", {"action": "call"}, follow=True)
    assert "Vui lòng chọn quầy làm việc trước." in _messages(response)


def test_counter_waiting_partial(client, desk, groups, counters, officer):
    client.force_login(officer)
    assert client.get("/can-bo/quay/hang-cho/").status_code == 404  # no counter chosen yet
    client.post("/can-bo/quay/", {"action": "choose", "counter": counters[0].pk})
    services.issue_ticket(desk, groups["A"], Priority.ELDERLY)
    html = client.get("/can-bo/quay/hang-cho/").content.decode()
    assert "<html" not in html and "UA001" in html and "Người cao tuổi" in html
    assert 'hx-trigger="every 10s"' in html


# ------------------------------------------------------------------------------------------------
# Statistics page
# ------------------------------------------------------------------------------------------------
def test_stats_page(client, desk, groups, counters, officer):
    from .conftest import T0, at

    services.issue_ticket(desk, groups["A"], now=at(0))
    ticket = services.call_next(counters[0], officer, now=at(20))
    services.finish(ticket, officer, now=at(30))
    client.force_login(officer)
    response = client.get("/can-bo/hang-doi/thong-ke/", {"ngay": T0.strftime("%d/%m/%Y")})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ngày 03/03/2026" in html and "≤ 15 phút" in html
    assert "Chưa đạt mục tiêu" in html and "20,0" in html  # 20 minutes of waiting, Vietnamese decimals
    assert "Quầy 1 – Hộ tịch" in html and "Ngô Thị Thu" in html
    assert 'value="03/03/2026"' in html

    response = client.get("/can-bo/hang-doi/thong-ke/", {"ngay": "31/02/2026"})
    assert response.status_code == 400 and "dd/mm/yyyy" in response.content.decode()
    response = client.get("/can-bo/hang-doi/thong-ke/", {"bo_phan": "TTPVHCC"})
    assert response.status_code == 400 and "không thuộc phạm vi" in response.content.decode()


def test_stats_page_for_leaders_and_inspectors(client, users, desk, groups):
    client.force_login(users["lanhdao.xa"])
    html = client.get("/can-bo/hang-doi/thong-ke/").content.decode()
    assert f'<option value="{desk.code}"' in html and '<option value="TTPVHCC"' not in html
    client.force_login(users["thanhtra"])
    html = client.get("/can-bo/hang-doi/thong-ke/", {"bo_phan": "TTPVHCC"}).content.decode()
    assert '<option value="TTPVHCC" selected>' in html


# ------------------------------------------------------------------------------------------------
# Admin
# ------------------------------------------------------------------------------------------------
def test_admin_groups_editable_tickets_read_only(client, users, desk, groups):
    ticket = services.issue_ticket(desk, groups["A"])
    client.force_login(users["quantri"])
    assert client.get(f"/admin/engagement/servicegroup/{groups['A'].pk}/change/").status_code == 200
    html = client.get(f"/admin/engagement/ticket/{ticket.pk}/change/").content.decode()
    assert "A001" in html and 'name="_save"' not in html
    assert client.get("/admin/engagement/ticket/add/").status_code == 403
