"""The return desk: results waiting at my desk, search, return at the counter / by post / close an
online one, errors next to the field, keyset paging with a constant number of queries, access."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.audit.models import DataAccess
from motcua.backoffice import work
from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from motcua.dossiers.states import State
from motcua.workcalendar import services as calendar_services
from tests.dossiers.conftest import CITIZEN

from .conftest import act, at_specialist, with_result

RETURNS = "/can-bo/tra-ket-qua/"


def result_for(users, applicant=None, **kw):
    """A birth dossier received at MC-99001 with its result issued (waiting to be returned)."""
    kw.setdefault("fee_paid", True)
    d, _ = services.create_dossier(
        user=users["motcua.xa"],
        procedure_code="1.001193",
        channel="counter",
        applicant=applicant or CITIZEN,
        components=["TP01", "TP02"],
        **kw,
    )
    d = act(users, d, "transfer", "motcua.xa")
    d = act(users, d, "forward", "chuyenvien.xa")
    return act(users, d, "issue_result", "lanhdao.xa")


def codes(html: str) -> list[str]:
    return re.findall(r'class="usa-link mc-code" href="/can-bo/ho-so/([^/]+)/"', html)


def test_anonymous_is_sent_to_login(client, province):
    r = client.get(RETURNS)
    assert r.status_code == 302 and "/dang-nhap/" in r["Location"]


def test_return_at_the_counter(users, login):
    d = with_result(users)
    at_specialist(users)  # not waiting for return: not listed
    c = login("motcua.xa")
    r = c.get(RETURNS)
    html = r.content.decode()
    assert r.status_code == 200 and codes(html) == [d.code]
    assert "Nhận trực tiếp tại bộ phận một cửa" in html and "Trả kết quả" in html and "Gửi qua bưu chính" in html
    assert DataAccess.objects.filter(purpose="trả kết quả", object_ref=d.code).count() == 1

    r = c.post(f"{RETURNS}{d.code}/", {"kind": "counter", "expected_version": d.lock_version})
    assert r.status_code == 400
    assert re.search(r'role="alert">Vui lòng nhập họ tên người nhận kết quả.', r.content.decode())

    r = c.post(
        f"{RETURNS}{d.code}/", {"kind": "counter", "received_by": "Nguyễn Văn An", "expected_version": d.lock_version}
    )
    assert r.status_code == 302
    d.refresh_from_db()
    assert d.state == State.RETURNED and d.returned_at is not None
    event = d.events.last()
    assert (event.action, event.payload["channel"], event.payload["received_by"]) == (
        "return_result",
        "counter",
        "Nguyễn Văn An",
    )
    html = c.get(r["Location"]).content.decode()
    assert f"Đã trả kết quả hồ sơ {d.code} cho Nguyễn Văn An." in html and codes(html) == []


def test_send_by_post_with_a_tracking_number(users, login):
    d = with_result(users)
    c = login("motcua.xa")
    r = c.post(f"{RETURNS}{d.code}/", {"kind": "post", "expected_version": d.lock_version})
    assert r.status_code == 400
    assert re.search(r'id="tn-1-error" role="alert">Vui lòng nhập số hiệu bưu gửi.', r.content.decode())
    r = c.post(
        f"{RETURNS}{d.code}/",
        {"kind": "post", "tracking_number": "EB123456789VN", "expected_version": d.lock_version},
    )
    assert r.status_code == 302
    d.refresh_from_db()
    assert (d.state, d.return_channel) == (State.RETURNED, "post")
    payload = d.events.last().payload
    assert (payload["channel"], payload["tracking_number"]) == ("post", "EB123456789VN")


def test_online_results_are_labelled_and_closed(users, login):
    d = result_for(users, return_channel="online")
    c = login("motcua.xa")
    html = c.get(RETURNS).content.decode()
    assert "Đã trả kết quả điện tử trực tuyến" in html
    row = html.split(f"/can-bo/ho-so/{d.code}/")[1].split("</tr>")[0]
    assert 'name="kind" value="online"' in row and "received_by" not in row
    r = c.post(f"{RETURNS}{d.code}/", {"kind": "online", "expected_version": d.lock_version})
    assert r.status_code == 302
    d.refresh_from_db()
    assert d.state == State.RETURNED and d.events.last().payload["channel"] == "online"


def test_unpaid_fee_must_be_collected_first(users, login):
    d = result_for(users, fee_paid=False)
    c = login("motcua.xa")
    assert "Chưa nộp phí, lệ phí (8000 đồng)" in c.get(RETURNS).content.decode()
    r = c.post(f"{RETURNS}{d.code}/", {"kind": "counter", "received_by": "An", "expected_version": d.lock_version})
    assert r.status_code == 409 and "Người nộp chưa hoàn thành phí, lệ phí" in r.content.decode()
    r = c.post(
        f"{RETURNS}{d.code}/",
        {"kind": "counter", "received_by": "An", "fee_collected": "1", "expected_version": d.lock_version},
    )
    assert r.status_code == 302
    d.refresh_from_db()
    assert (d.state, d.fee_status) == (State.RETURNED, "paid")


def test_a_stale_row_says_so_and_a_returned_one_is_gone(users, login):
    d = with_result(users)
    c = login("motcua.xa")
    seen = d.lock_version
    act(users, d, "deliver", "chuyenvien.xa")  # meanwhile: delivered to the desk (awaiting return)
    r = c.post(f"{RETURNS}{d.code}/", {"kind": "counter", "received_by": "An", "expected_version": seen})
    assert r.status_code == 412 and "vừa được người khác cập nhật" in r.content.decode()
    c.post(f"{RETURNS}{d.code}/", {"kind": "counter", "received_by": "An", "expected_version": seen + 1})
    r = c.post(f"{RETURNS}{d.code}/", {"kind": "counter", "received_by": "An"}, follow=True)
    assert f"Hồ sơ {d.code} không còn chờ trả kết quả" in r.content.decode()


def test_search_by_code_id_number_and_name_without_diacritics(users, login):
    an = with_result(users)
    binh = result_for(users, applicant={"name": "Trần Thị Bình", "id_number": "001185012346"})
    c = login("motcua.xa")

    def found(q):
        return set(codes(c.get(RETURNS, {"q": q}).content.decode()))

    assert found("") == {an.code, binh.code}
    assert found(binh.code) == {binh.code}
    assert found(binh.code[-9:]) == {binh.code}  # part of the code
    assert found("001185012346") == {binh.code}
    assert found("tran thi binh") == {binh.code}
    assert found("NGUYỄN văn") == {an.code}
    assert found("Lê Văn") == set()
    assert (
        "Không tìm thấy hồ sơ chờ trả kết quả phù hợp với “Lê Văn”." in c.get(RETURNS, {"q": "Lê Văn"}).content.decode()
    )


def test_keyset_paging_and_constant_queries(users, login, monkeypatch):
    monkeypatch.setattr(calendar_services, "RECHECK_SECONDS", 10**9)
    c = login("motcua.xa")
    first = with_result(users)
    c.get(RETURNS)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            html = c.get(RETURNS).content.decode()
        assert not any("OFFSET" in q["sql"].upper() for q in ctx.captured_queries)
        return len(ctx.captured_queries), len(codes(html))

    one, n = count()
    assert n == 1
    made = [first] + [with_result(users) for _ in range(4)]
    five, n = count()
    assert (five, n) == (one, 5)

    monkeypatch.setattr(work, "PAGE_SIZE", 2)
    seen, url = [], RETURNS
    while url:
        html = c.get(url).content.decode()
        seen += codes(html)
        nxt = re.search(r'href="\?([^"]+)" rel="next"', html)
        url = f"{RETURNS}?{nxt.group(1).replace('&amp;', '&')}" if nxt else None
    assert seen == [d.code for d in made]


def test_only_my_desk(users, login, stranger):
    d = with_result(users)
    other = login("motcua.khac")
    assert codes(other.get(RETURNS).content.decode()) == []
    r = other.post(f"{RETURNS}{d.code}/", {"kind": "counter", "received_by": "X"})
    assert r.status_code == 404
    handler = login("chuyenvien.xa")  # no desk: the screen says whom it is for
    assert "dành cho cán bộ một cửa" in handler.get(RETURNS).content.decode()
    assert handler.post(f"{RETURNS}{d.code}/", {"kind": "counter", "received_by": "X"}).status_code == 404
    assert login("buudien").get(RETURNS).status_code == 200  # the provincial centre's desk: not this one
    assert codes(login("buudien").get(RETURNS).content.decode()) == []
    assert Dossier.objects.get(pk=d.pk).state == State.RESULT_ISSUED
