"""GET /api/v1/dossiers/ (filters, keyset paging, constant query count) and
GET /api/v1/dossiers/<code> (components, steps with time used, events, overrun, ETag); access
per role and for machine clients."""

import base64
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.dossiers.models import Dossier
from motcua.dossiers.states import State
from motcua.workcalendar.engine import UNITS_PER_DAY
from tests.dossiers.conftest import vn

from .conftest import COMMUNE_DESK, COMMUNE_PC, act, assert_error, receive

LIST = "/api/v1/dossiers/"
ROW_KEYS = {
    "code",
    "procedure",
    "state",
    "state_label",
    "national_status_code",
    "agency",
    "channel",
    "received_at",
    "due_at",
    "late",
    "applicant_name",
}


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


@pytest.fixture
def mixed(users):
    """Dossiers at two desks, in several states, some late (received in March 2026)."""
    late_received = receive(users, now=vn(2026, 3, 2, 8))  # 3 working days: long overdue
    late_processing = act(users, receive(users, now=vn(2026, 3, 3, 8)), "transfer", "motcua.xa", vn(2026, 3, 3, 9))
    fresh = receive(users)  # received now: due in the future
    province = receive(users, who="motcua.tinh", code="1.010052", components=["TP01"], now=vn(2026, 3, 2, 10))
    return {"late_received": late_received, "late_processing": late_processing, "fresh": fresh, "province": province}


class TestList:
    def test_rows_are_compact(self, mixed, client_for):
        r = client_for("motcua.xa").get(LIST)
        body = r.json()
        assert set(body) == {"next", "page_size", "results"} and body["next"] is None and body["page_size"] == 20
        rows = {row["code"]: row for row in body["results"]}
        assert set(rows) == {mixed[k].code for k in ("late_received", "late_processing", "fresh")}  # own desk only
        row = rows[mixed["late_processing"].code]
        assert set(row) == ROW_KEYS
        assert row["procedure"] == {"code": "1.001193", "name": "Đăng ký khai sinh"}
        assert row["agency"]["code"] == COMMUNE_PC and row["agency"]["name"]
        assert (row["state"], row["state_label"], row["national_status_code"]) == ("in_processing", "Đang xử lý", 4)
        assert row["late"] is True and rows[mixed["fresh"].code]["late"] is False
        assert row["applicant_name"] == "Nguyễn Văn An" and row["channel"] == "counter"
        assert codes(r) == sorted(codes(r), key=lambda c: -Dossier.objects.get(code=c).pk)  # newest first

    def test_filters(self, mixed, client_for):
        api = client_for("thanhtra")  # sees all
        assert set(codes(api.get(LIST))) == {d.code for d in mixed.values()}
        assert codes(api.get(LIST, {"state": "in_processing"})) == [mixed["late_processing"].code]
        assert set(codes(api.get(LIST, {"state": "in_processing,received"}))) == {d.code for d in mixed.values()}
        assert set(codes(api.get(LIST, {"agency": COMMUNE_PC}))) == {
            mixed[k].code for k in ("late_received", "late_processing", "fresh")
        }
        assert codes(api.get(LIST, {"desk": "TTPVHCC"})) == [mixed["province"].code]
        assert codes(api.get(LIST, {"procedure": "1.010052"})) == [mixed["province"].code]
        assert codes(api.get(LIST, {"procedure": "1.001193", "desk": "TTPVHCC"})) == []
        assert codes(api.get(LIST, {"agency": "KHONG-CO"})) == []
        late = {mixed[k].code for k in ("late_received", "late_processing", "province")}
        assert set(codes(api.get(LIST, {"late": "true"}))) == late
        assert codes(api.get(LIST, {"late": "false"})) == [mixed["fresh"].code]
        # Due dates: 02/03 08:00 + 3 working days → 05/03; 03/03 → 06/03.
        due = {code: Dossier.objects.get(code=code).due_at for code in codes(api.get(LIST))}
        assert due[mixed["late_received"].code].date().isoformat() == "2026-03-05"
        march = set(codes(api.get(LIST, {"due_from": "2026-03-05", "due_to": "2026-03-05"})))
        assert mixed["late_received"].code in march and mixed["late_processing"].code not in march
        until = set(codes(api.get(LIST, {"due_to": "2026-03-31T23:59:59+07:00"})))
        assert until == late
        assert codes(api.get(LIST, {"due_from": "2026-04-01"})) == [mixed["fresh"].code]
        exact = due[mixed["late_processing"].code].isoformat()
        assert codes(api.get(LIST, {"due_from": exact, "due_to": exact})) == [mixed["late_processing"].code]

    @pytest.mark.parametrize(
        "params, code",
        [
            ({"state": "dang_xu_ly"}, "invalid_state"),
            ({"state": "received,bogus"}, "invalid_state"),
            ({"due_from": "05/03/2026"}, "invalid_due_from"),
            ({"due_to": "2026-13-01"}, "invalid_due_to"),
            ({"due_from": "2026-03-10", "due_to": "2026-03-01"}, "invalid_due_range"),
            ({"late": "maybe"}, "invalid_late"),
            ({"page_size": "0"}, "invalid_page_size"),
            ({"page_size": "101"}, "invalid_page_size"),
            ({"page_size": "abc"}, "invalid_page_size"),
            ({"cursor": "not-a-cursor!"}, "invalid_cursor"),
            ({"cursor": base64.urlsafe_b64encode(b"pk:12").decode()}, "invalid_cursor"),
            ({"agency": "x" * 41}, "invalid_agency"),
        ],
    )
    def test_bad_filter_values_are_400_in_vietnamese(self, users, client_for, params, code):
        assert_error(client_for("motcua.xa").get(LIST, params), 400, code)

    def test_keyset_paging_across_pages(self, users, client_for):
        made = [receive(users).code for _ in range(7)]
        receive(users, who="motcua.tinh", code="1.010052", components=["TP01"])  # not visible to motcua.xa
        api = client_for("motcua.xa")
        seen, pages, url = [], 0, LIST + "?page_size=3&state=received"
        with CaptureQueriesContext(connection) as queries:
            while url:
                body = api.get(url).json()
                pages += 1
                seen += [row["code"] for row in body["results"]]
                url = body["next"]
                if url:
                    query = parse_qs(urlparse(url).query)
                    assert query["page_size"] == ["3"] and query["state"] == ["received"]  # filters are kept
                    assert str(Dossier.objects.order_by("pk").first().pk) not in query["cursor"][0]  # opaque
        assert pages == 3 and len(seen) == len(set(seen)) == 7
        assert seen == list(reversed(made))
        assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)

    def test_a_page_is_a_constant_number_of_queries(self, users, client_for, machine_client):
        staff, client = client_for("motcua.xa"), machine_client("dossiers:read")

        def count(api) -> int:
            with CaptureQueriesContext(connection) as queries:
                r = api.get(LIST, {"page_size": 100})
            assert r.status_code == 200
            return len(queries.captured_queries)

        receive(users)
        few = count(staff), count(client)
        for i in range(12):
            d = receive(users)
            if i % 3 == 0:
                act(users, d, "transfer", "motcua.xa")
        assert len(staff.get(LIST, {"page_size": 100}).json()["results"]) == 13
        assert (count(staff), count(client)) == few
        assert few[0] <= 3  # memberships (the access rule) + the page + one bulk insert into the access log

    def test_default_and_maximum_page_size(self, users, client_for):
        for _ in range(21):
            receive(users)
        body = client_for("motcua.xa").get(LIST).json()
        assert len(body["results"]) == 20 and body["next"]
        assert len(client_for("motcua.xa").get(LIST, {"page_size": 100}).json()["results"]) == 21


class TestDetail:
    def test_detail_with_steps_events_and_overrun(self, users, client_for, django_assert_max_num_queries):
        d = receive(users, now=vn(2026, 3, 2, 8))
        d = act(users, d, "transfer", "motcua.xa", vn(2026, 3, 2, 9))
        d = act(users, d, "forward", "chuyenvien.xa", vn(2026, 3, 9, 9))  # 5 days for a 1.5-day step
        d = act(users, d, "issue_result", "lanhdao.xa", vn(2026, 3, 9, 10))
        api = client_for("lanhdao.xa")
        with django_assert_max_num_queries(6):
            r = api.get(f"/api/v1/dossiers/{d.code}")
        assert r.status_code == 200 and r["ETag"] == d.etag
        body = r.json()
        assert body["state"] == State.RESULT_ISSUED and body["late"] is True and body["lock_version"] == d.lock_version
        steps = {s["order"]: s for s in body["steps"]}
        assert steps[2]["role"] == "specialist" and steps[2]["status"] == "done"
        assert steps[2]["budget_units"] == int(1.5 * UNITS_PER_DAY) and steps[2]["budget_days"] == 1.5
        assert steps[2]["used_units"] > steps[2]["budget_units"] and steps[2]["overrun_units"] > 0
        assert steps[2]["agency"]["code"] == COMMUNE_PC and steps[2]["started_at"] and steps[2]["finished_at"]
        assert body["overrun"][0]["step"] == 2 and body["overrun"][0]["overrun_units"] == steps[2]["overrun_units"]
        events = body["events"]
        assert [e["action"] for e in events] == ["submit", "receive", "transfer", "forward", "issue_result"]
        forward = events[3]
        # The name as the domain records it (see the report: Django's first+last order).
        assert forward["actor_name"] == users["chuyenvien.xa"].get_full_name() and forward["actor_role"] == "specialist"
        assert forward["agency"]["code"] == COMMUNE_PC and forward["from_state"] == forward["to_state"]
        assert forward["payload"]["to_step"] == 3 and forward["at"].startswith("2026-03-09T09:00:00+07:00")
        assert {c["code"] for c in body["components"]} >= {"TP01", "TP02"}
        assert body["desk"]["code"] == COMMUNE_DESK and body["bundle"] is None

    def test_a_dossier_in_time_has_no_overrun(self, users, client_for):
        d = receive(users)
        body = client_for("motcua.xa").get(f"/api/v1/dossiers/{d.code}").json()
        assert body["late"] is False and body["overrun"] == []

    def test_unknown_code_is_a_structured_404(self, users, client_for):
        assert_error(client_for("motcua.xa").get("/api/v1/dossiers/KHONG-CO"), 404, "not_found")


class TestAccess:
    def test_each_role_sees_what_its_desk_or_agency_handles(self, users, client_for, stranger):
        d = receive(users)
        elsewhere = receive(users, who="motcua.tinh", code="1.010052", components=["TP01"])
        detail = f"/api/v1/dossiers/{d.code}"
        for who in ("motcua.xa", "chuyenvien.xa", "lanhdao.xa", "thanhtra", "vanphong", "quantri"):
            api = client_for(who)
            assert api.get(detail).status_code == 200, who
            assert d.code in codes(api.get(LIST)), who
        for who in ("motcua.khac", "chuyenvien.stp", "motcua.tinh", "buudien"):
            api = client_for(who)
            assert_error(api.get(detail), 404, "not_found")
            assert d.code not in codes(api.get(LIST)), who
        assert codes(client_for("motcua.khac").get(LIST)) == []
        for who in ("thanhtra", "vanphong"):  # the inspector and the provincial office see everything
            assert {d.code, elsewhere.code} <= set(codes(client_for(who).get(LIST)))

    def test_a_specialist_of_a_consulted_agency_sees_it(self, users, client_for):
        from motcua.org.models import Agency

        d = act(users, receive(users), "transfer", "motcua.xa")
        d = act(users, d, "forward", "chuyenvien.xa")
        assert client_for("chuyenvien.stp").get(f"/api/v1/dossiers/{d.code}").status_code == 404
        stp = Agency.objects.get(code="000.00.06.H99")
        act(users, d, "consult", "lanhdao.xa", data={"agencies": [stp.code]})
        assert client_for("chuyenvien.stp").get(f"/api/v1/dossiers/{d.code}").status_code == 200

    def test_machine_clients_need_the_scope(self, users, machine_client, api_client):
        d = receive(users)
        elsewhere = receive(users, who="motcua.tinh", code="1.010052", components=["TP01"])
        reader = machine_client("dossiers:read")
        assert {d.code, elsewhere.code} == set(codes(reader.get(LIST)))
        r = reader.get(f"/api/v1/dossiers/{d.code}")
        assert r.status_code == 200 and r["ETag"] == d.etag
        other = machine_client("catalog:read")
        error = assert_error(other.get(LIST), 403, "insufficient_scope")
        assert "dossiers:read" in error["message"]
        assert_error(other.get(f"/api/v1/dossiers/{d.code}"), 403, "insufficient_scope")
        assert_error(api_client.get(LIST), 401, "not_authenticated")
        api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
        assert api_client.get(LIST).status_code == 401


def test_assignee_is_shown_in_vietnamese_name_order(users, client_for):
    d = act(users, receive(users), "transfer", "motcua.xa")
    act(users, d, "assign", "lanhdao.xa", data={"assignee": "chuyenvien.xa"})
    steps = client_for("lanhdao.xa").get(f"/api/v1/dossiers/{d.code}").json()["steps"]
    assert steps[1]["assignee"] == {"username": "chuyenvien.xa", "name": "Bùi Thị Mai"}
    assert steps[0]["assignee"] is None


def test_openapi_documents_the_dossier_endpoints(client, db):
    text = client.get("/api/schema/").content.decode()
    for path in (
        "/api/v1/dossiers/:",
        "/api/v1/dossiers/bundles/:",
        "/api/v1/dossiers/{code}:",
        "/api/v1/dossiers/{code}/actions/{action}:",
        "/api/v1/public/dossiers/{code}:",
    ):
        assert path in text, path
    assert "Tra cứu tiến độ hồ sơ" in text and "Idempotency-Key" in text and "If-Match" in text
