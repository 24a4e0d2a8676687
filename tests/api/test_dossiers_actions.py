"""POST /api/v1/dossiers/<code>/actions/<action>: If-Match / expected_version (412), the transition
table through the API (409), roles (403), invisible dossiers (404), unknown actions (404)."""

import pytest

from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.states import TRANSITIONS, State
from tests.dossiers.test_transitions import BUILDERS, World

from .conftest import assert_error, receive


def url(d, action):
    return f"/api/v1/dossiers/{d.code}/actions/{action}"


@pytest.fixture
def world(province):
    return World()


class TestIfMatch:
    def test_happy_path_then_stale(self, users, client_for):
        d = receive(users)
        api = client_for("motcua.xa")
        etag = api.get(f"/api/v1/dossiers/{d.code}")["ETag"]
        assert etag == f'"{d.pk}-1"'
        r = api.post(url(d, "transfer"), {}, format="json", HTTP_IF_MATCH=etag)
        assert r.status_code == 200, r.content
        assert r.json()["state"] == State.IN_PROCESSING and r.json()["lock_version"] == 2
        assert r["ETag"] == f'"{d.pk}-2"' != etag
        assert r.json()["events"][-1]["action"] == "transfer"
        # The same (now stale) ETag again: 412, nothing written.
        r = client_for("lanhdao.xa").post(
            url(d, "request_fee"), {"data": {"amount": 8000}}, format="json", HTTP_IF_MATCH=etag
        )
        error = assert_error(r, 412, "stale_version")
        assert d.code in error["message"]
        assert (
            Dossier.objects.get(pk=d.pk).state == State.IN_PROCESSING and Event.objects.filter(dossier=d).count() == 3
        )

    @pytest.mark.parametrize("header", ['W/"{pk}-1"', "{pk}-1", '"999999-1", "{pk}-1"', "*"])
    def test_weak_unquoted_lists_and_star_are_accepted(self, users, client_for, header):
        d = receive(users)
        r = client_for("motcua.xa").post(url(d, "transfer"), format="json", HTTP_IF_MATCH=header.format(pk=d.pk))
        assert r.status_code == 200, r.content

    @pytest.mark.parametrize("header", ['"999999-1"', '"{pk}-7"', "garbage"])
    def test_mismatch_is_412(self, users, client_for, header):
        d = receive(users)
        r = client_for("motcua.xa").post(url(d, "transfer"), format="json", HTTP_IF_MATCH=header.format(pk=d.pk))
        assert_error(r, 412, "stale_version")
        assert Dossier.objects.get(pk=d.pk).lock_version == 1

    def test_expected_version_in_the_body(self, users, client_for):
        d = receive(users)
        api = client_for("motcua.xa")
        assert_error(api.post(url(d, "transfer"), {"expected_version": 5}, format="json"), 412, "stale_version")
        assert api.post(url(d, "transfer"), {"expected_version": 1}, format="json").status_code == 200
        assert_error(api.post(url(d, "withdraw"), {"expected_version": "x"}, format="json"), 400, "invalid")


class TestActionErrors:
    def test_unknown_action_is_404(self, users, client_for):
        d = receive(users)
        assert_error(client_for("motcua.xa").post(url(d, "teleport"), format="json"), 404, "unknown_action")

    def test_invisible_dossier_is_404_and_unknown_code_too(self, users, client_for, stranger):
        d = receive(users)
        error = assert_error(client_for("motcua.khac").post(url(d, "transfer"), format="json"), 404, "not_found")
        assert error["message"] == f"Không tìm thấy hồ sơ có mã '{d.code}'."
        assert_error(client_for("chuyenvien.stp").post(url(d, "withdraw"), format="json"), 404, "not_found")
        r = client_for("motcua.xa").post("/api/v1/dossiers/KHONG-CO/actions/transfer", format="json")
        assert_error(r, 404, "not_found")
        assert Dossier.objects.get(pk=d.pk).lock_version == 1

    def test_visible_but_not_allowed_is_403(self, users, client_for):
        d = receive(users)
        assert_error(client_for("thanhtra").post(url(d, "transfer"), format="json"), 403, "not_allowed")
        assert_error(client_for("vanphong").post(url(d, "withdraw"), format="json"), 403, "not_allowed")
        r = client_for("chuyenvien.xa").post(url(d, "stop"), {"reason": "Tranh chấp"}, format="json")
        assert_error(r, 403, "not_allowed")
        assert Dossier.objects.get(pk=d.pk).lock_version == 1

    def test_action_input_is_checked(self, users, client_for):
        d = receive(users)
        api = client_for("motcua.xa")
        assert_error(api.post(url(d, "transfer"), data="{oops", content_type="application/json"), 400, "parse_error")
        assert_error(api.post(url(d, "transfer"), {"data": [1]}, format="json"), 400, "invalid")
        assert_error(api.post(url(d, "transfer"), ["x"], format="json"), 400, "invalid_body")
        r = api.post(url(d, "request_supplement"), {"data": {"missing": ["TP02"]}}, format="json")
        error = assert_error(r, 400, "missing_reason")
        assert "Vui lòng nhập" in error["message"]
        r = api.post(url(d, "request_supplement"), {"reason": "Thiếu", "data": {"missing": "TP02"}}, format="json")
        assert_error(r, 400, "invalid_missing")

    def test_machine_client_cannot_act(self, users, machine_client):
        d = receive(users)
        assert_error(machine_client("dossiers:read").post(url(d, "transfer"), format="json"), 403, "client_not_allowed")
        assert Dossier.objects.get(pk=d.pk).lock_version == 1

    def test_anonymous_is_401(self, users, api_client):
        d = receive(users)
        assert_error(api_client.post(url(d, "transfer"), format="json"), 401, "not_authenticated")


# A sample of the transition table through the API: each state with actions it does not allow.
DISALLOWED = [
    (State.SUBMITTED, ["transfer", "issue_result", "return_result"]),
    (State.PENDING_LINKED, ["accept", "transfer"]),
    (State.RECEIVED, ["accept", "forward", "issue_result", "deliver"]),
    (State.IN_PROCESSING, ["accept", "supplement", "pay_fee", "return_result"]),
    (State.SUPPLEMENT_REQUESTED, ["transfer", "forward", "issue_result"]),
    (State.AWAITING_FEE, ["forward", "issue_result", "supplement"]),
    (State.RESULT_ISSUED, ["issue_result", "withdraw", "stop"]),
    (State.RETURNED, ["withdraw", "stop", "return_result", "accept"]),
    (State.REFUSED, ["accept", "supplement"]),
]


@pytest.mark.parametrize("state, actions", DISALLOWED, ids=[s for s, _ in DISALLOWED])
def test_disallowed_actions_are_409_in_vietnamese(world, client_for, state, actions):
    d = getattr(world, BUILDERS[state])()
    assert d.state == state
    api = client_for("quantri")  # a superuser: only the transition table can refuse
    for action in actions:
        assert state not in TRANSITIONS[action].sources
        error = assert_error(api.post(url(d, action), {"reason": "x"}, format="json"), 409, "invalid_transition")
        assert error["message"].startswith("Không thể thực hiện “" + TRANSITIONS[action].label)
        assert error["details"] == {"state": state, "action": action}
    assert Dossier.objects.get(pk=d.pk).state == state


def test_a_whole_walk_through_the_api(users, client_for):
    """Counter receipt → transfer → forward → issue → deliver → return, each with If-Match."""
    api = {who: client_for(who) for who in ("motcua.xa", "chuyenvien.xa", "lanhdao.xa")}
    r = api["motcua.xa"].post(
        "/api/v1/dossiers/",
        {
            "procedure": "1.001193",
            "channel": "counter",
            "applicant": {"name": "Trần Thị Bích", "id_number": "001185012345"},
            "components": ["TP01", "TP02"],
            "fee_paid": True,
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    code, etag = r.json()["code"], r["ETag"]
    for action, who, payload, state in [
        ("transfer", "motcua.xa", {}, State.IN_PROCESSING),
        ("acknowledge", "chuyenvien.xa", {}, State.IN_PROCESSING),
        ("forward", "chuyenvien.xa", {}, State.IN_PROCESSING),
        (
            "issue_result",
            "lanhdao.xa",
            {"data": {"outcome": "approved", "result_number": "12/KS"}},
            State.RESULT_ISSUED,
        ),
        ("deliver", "lanhdao.xa", {}, State.AWAITING_RETURN),
        ("return_result", "motcua.xa", {"data": {"received_by": "Trần Thị Bích"}}, State.RETURNED),
    ]:
        r = api[who].post(f"/api/v1/dossiers/{code}/actions/{action}", payload, format="json", HTTP_IF_MATCH=etag)
        assert r.status_code == 200, (action, r.content)
        assert r.json()["state"] == state and r["ETag"] != etag
        etag = r["ETag"]
    d = r.json()
    assert d["national_status_code"] == 10 and d["returned_at"] and d["outcome"] == "approved"
    assert [e["action"] for e in d["events"]][-3:] == ["issue_result", "deliver", "return_result"]
