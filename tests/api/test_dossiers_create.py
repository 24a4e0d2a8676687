"""POST /api/v1/dossiers/ and /api/v1/dossiers/bundles/: intake, idempotent replay, every
refusal as a structured Vietnamese 4xx (never a 500)."""

import pytest

from motcua.dossiers.models import Bundle, Dossier, Event
from motcua.dossiers.states import State

from .conftest import BIRTH, CITIZEN, COMMUNE_DESK, COMMUNE_PC, assert_error

URL = "/api/v1/dossiers/"
BUNDLES = "/api/v1/dossiers/bundles/"


def body(**change):
    data = {
        "procedure": BIRTH,
        "channel": "counter",
        "desk": COMMUNE_DESK,
        "applicant": CITIZEN,
        "owner": None,
        "components": ["TP01", {"code": "TP02", "copies": 1}],
        "return_channel": "counter",
        "fee_paid": True,
    }
    data.update(change)
    return data


class TestCreate:
    def test_receive_at_the_counter(self, client_for):
        r = client_for("motcua.xa").post(URL, body(), format="json")
        assert r.status_code == 201, r.content
        d = r.json()
        dossier = Dossier.objects.get()
        assert d["code"] == dossier.code and d["code"].startswith(COMMUNE_PC + "-")
        assert r["ETag"] == f'"{dossier.pk}-1"' == dossier.etag
        assert r["Location"].endswith(f"/api/v1/dossiers/{dossier.code}")
        assert (d["state"], d["state_label"], d["national_status_code"]) == ("received", "Đã tiếp nhận", 2)
        assert d["procedure"] == {"code": BIRTH, "name": "Đăng ký khai sinh"}
        assert d["agency"]["code"] == COMMUNE_PC and d["desk"]["code"] == COMMUNE_DESK
        assert d["applicant"]["id_number"] == CITIZEN["id_number"] and d["owner"]["name"] == CITIZEN["name"]
        assert d["fee_status"] == "paid" and d["lock_version"] == 1 and d["late"] is False
        assert [s["order"] for s in d["steps"]] == [1, 2, 3, 4] and d["steps"][0]["status"] == "active"
        assert d["current_step"] == 1
        assert [e["action"] for e in d["events"]] == ["submit", "receive"]
        assert d["events"][1]["action_label"] == "Tiếp nhận hồ sơ" and d["events"][1]["actor_role"] == "desk_officer"
        provided = {c["code"]: c["provided"] for c in d["components"]}
        assert provided["TP01"] and provided["TP02"] and not provided["TP03"]
        assert d["received_at"].endswith("+07:00") and d["due_at"]

    def test_desk_is_optional_for_an_officer_of_one_desk(self, client_for):
        r = client_for("motcua.xa").post(URL, body(desk=None), format="json")
        assert r.status_code == 201 and r.json()["desk"]["code"] == COMMUNE_DESK

    def test_idempotency_key_replays_the_same_dossier(self, client_for):
        api = client_for("motcua.xa")
        first = api.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="quay-1-0001")
        again = api.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="quay-1-0001")
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["code"] == again.json()["code"] and first["ETag"] == again["ETag"]
        assert Dossier.objects.count() == 1 and Event.objects.count() == 2
        other = api.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="quay-1-0002")
        assert other.status_code == 201 and Dossier.objects.count() == 2

    def test_idempotency_key_too_long(self, client_for):
        r = client_for("motcua.xa").post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 81)
        assert_error(r, 400, "invalid_idempotency_key")
        assert not Dossier.objects.exists()


BAD_BODIES = [
    pytest.param(body(applicant={**CITIZEN, "id_number": "123"}), "invalid_id_number", id="id-number-123"),
    pytest.param(body(applicant={**CITIZEN, "id_number": "999085012345"}), "invalid_id_number", id="id-province"),
    pytest.param(body(procedure="9.999999"), "unknown_procedure", id="unknown-procedure"),
    pytest.param(body(components=["TP01"]), "missing_components", id="missing-required-component"),
    pytest.param(body(components=["TP01", "TP02", "TP99"]), "unknown_component", id="unknown-component"),
    pytest.param(body(components=["TP01", 7]), "invalid", id="component-not-a-code"),
    pytest.param(body(components=[{"code": "TP01", "copies": -1}, "TP02"]), "invalid", id="negative-copies"),
    pytest.param(body(components="TP01"), "invalid", id="components-not-a-list"),
    pytest.param(body(channel="fax"), "invalid", id="unknown-channel"),
    pytest.param(body(return_channel="post"), "missing_return_address", id="post-without-address"),
    pytest.param(body(applicant="Nguyễn Văn An"), "invalid", id="applicant-not-an-object"),
    pytest.param(body(applicant={**CITIZEN, "type": "robot"}), "invalid_party", id="applicant-type"),
    pytest.param(body(desk="MC-00000"), "unknown_desk", id="unknown-desk"),
    pytest.param(body(agency="000.00.06.H99"), "agency_not_competent", id="agency-not-competent"),
    pytest.param(body(agency="X.Y.Z"), "unknown_agency", id="unknown-agency"),
    pytest.param(body(fee_paid="maybe"), "invalid", id="fee-paid-not-boolean"),
]


class TestCreateErrors:
    @pytest.mark.parametrize("data, code", BAD_BODIES)
    def test_bad_body_is_a_structured_400_and_nothing_is_written(self, client_for, data, code):
        r = client_for("motcua.xa").post(URL, data, format="json")
        assert_error(r, 400, code)
        assert not Dossier.objects.exists() and not Event.objects.exists()

    def test_missing_fields_are_listed(self, client_for):
        error = assert_error(client_for("motcua.xa").post(URL, {}, format="json"), 400, "invalid")
        assert {"procedure", "channel", "applicant"} <= set(error["details"])
        assert error["details"]["procedure"] == ["Trường này là bắt buộc."]
        assert "procedure" in error["message"]
        nested = assert_error(client_for("motcua.xa").post(URL, body(applicant={"name": "An"}), format="json"), 400)
        assert nested["details"] == {"applicant": {"id_number": ["Trường này là bắt buộc."]}}

    def test_missing_components_lists_them(self, client_for):
        error = assert_error(client_for("motcua.xa").post(URL, body(components=["TP01"]), format="json"), 400)
        assert error["details"] == ["TP02"] and "TP02" in error["message"]

    def test_malformed_json(self, client_for):
        r = client_for("motcua.xa").post(URL, data='{"procedure": ', content_type="application/json")
        assert_error(r, 400, "parse_error")

    def test_body_must_be_an_object(self, client_for):
        assert_error(client_for("motcua.xa").post(URL, [1, 2], format="json"), 400, "invalid_body")

    def test_unsupported_media_type(self, client_for):
        r = client_for("motcua.xa").post(URL, data="<xml/>", content_type="application/xml")
        assert_error(r, 415, "unsupported_media_type")

    def test_only_a_desk_officer_of_the_desk_receives(self, client_for, stranger):
        assert_error(client_for("chuyenvien.xa").post(URL, body(), format="json"), 403, "not_allowed")
        assert_error(client_for("motcua.khac").post(URL, body(), format="json"), 403, "not_allowed")
        assert not Dossier.objects.exists()

    def test_anonymous_and_machine_clients_cannot_receive(self, api_client, machine_client):
        assert_error(api_client.post(URL, body(), format="json"), 401, "not_authenticated")
        reader = machine_client("dossiers:read")  # creating needs dossiers:create (tests/api/test_open_api.py)
        assert_error(reader.post(URL, body(), format="json"), 403, "insufficient_scope")
        assert not Dossier.objects.exists()


class TestBundles:
    def test_birth_bundle(self, client_for):
        api = client_for("motcua.xa")
        data = {"kind": "khai_sinh", "channel": "counter", "applicant": CITIZEN, "components": ["TP01", "TP02"]}
        r = api.post(BUNDLES, data, format="json", HTTP_IDEMPOTENCY_KEY="lt-1")
        assert r.status_code == 201, r.content
        b = r.json()
        assert set(b) == {"code", "kind", "dossiers"} and b["kind"] == "khai_sinh"
        assert [(m["procedure"], m["state"]) for m in b["dossiers"]] == [
            (BIRTH, State.RECEIVED),
            ("1.004222", State.PENDING_LINKED),
            ("1.010057", State.PENDING_LINKED),
        ]
        assert b["code"] == b["dossiers"][0]["code"] and b["dossiers"][0]["agency"] == COMMUNE_PC
        assert set(b["dossiers"][0]) == {"code", "state", "procedure", "agency"}
        again = api.post(BUNDLES, data, format="json", HTTP_IDEMPOTENCY_KEY="lt-1")
        assert again.status_code == 200 and again.json() == b
        assert Bundle.objects.count() == 1 and Dossier.objects.count() == 3

    @pytest.mark.parametrize(
        "change, code",
        [
            ({"kind": "ket_hon"}, "invalid_bundle"),
            ({"kind": "khai_tu"}, "invalid_bundle"),  # a choice is needed at the last position
            ({"components": ["TP01"]}, "missing_components"),
            ({"choices": "1.010058"}, "invalid"),
            ({"applicant": {**CITIZEN, "id_number": "123"}}, "invalid_id_number"),
        ],
    )
    def test_refusals(self, client_for, change, code):
        data = {"kind": "khai_sinh", "channel": "counter", "applicant": CITIZEN, "components": ["TP01", "TP02"]}
        assert_error(client_for("motcua.xa").post(BUNDLES, {**data, **change}, format="json"), 400, code)
        assert not Dossier.objects.exists() and not Bundle.objects.exists()

    def test_key_of_a_single_dossier_is_not_a_bundle(self, client_for):
        api = client_for("motcua.xa")
        assert api.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
        data = {"kind": "khai_sinh", "channel": "counter", "applicant": CITIZEN, "components": ["TP01", "TP02"]}
        assert_error(api.post(BUNDLES, data, format="json", HTTP_IDEMPOTENCY_KEY="k-1"), 409, "idempotency_conflict")
