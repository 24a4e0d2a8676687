"""The open API for other systems (specialized systems, the provincial platform LGSP): scopes per
endpoint, the client's agencies as its data scope (read and create), the per-client rate limit, the
log of every machine call, inactive clients, the new status / results endpoints and the schema."""

import re

import pytest
import yaml
from drf_spectacular.validation import validate_schema
from oauth2_provider.models import Application

from motcua.api.models import ApiCall, ApiClient
from motcua.audit.models import DataAccess
from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.states import State

from .conftest import ALL_SCOPES, BIRTH, CITIZEN, COMMUNE_DESK, COMMUNE_PC, act, assert_error, receive, result_document

LIST = "/api/v1/dossiers/"
PROVINCE_CENTER = "000.00.00.H99"  # the provincial public service centre (desk TTPVHCC)


def online(**change):
    data = {
        "procedure": BIRTH,
        "channel": "online",
        "desk": COMMUNE_DESK,
        "applicant": CITIZEN,
        "components": ["TP01", "TP02"],
        "return_channel": "online",
    }
    data.update(change)
    return data


@pytest.fixture
def two_desks(users):
    """A dossier of the commune (agency A) and one received at the provincial centre (agency B)."""
    mine = receive(users)
    other = receive(users, who="motcua.tinh", code="1.010052", components=["TP01"])
    assert mine.agency.code == COMMUNE_PC and COMMUNE_PC not in (other.agency.code, other.receiving_agency.code)
    return mine, other


# ------------------------------------------------------------------------------------------------
# Scopes
# ------------------------------------------------------------------------------------------------
class TestScopes:
    @pytest.mark.parametrize(
        ("scope", "path"),
        [
            ("catalog:read", "/api/v1/procedures/"),
            ("catalog:read", f"/api/v1/procedures/{BIRTH}"),
            ("calendar:read", "/api/v1/calendar/due-date?from=2026-03-02T08:00:00%2B07:00&working_days=1"),
            ("dossiers:read", LIST),
            ("dossiers:read", "/api/v1/dossiers/{code}"),
            ("dossiers:read", "/api/v1/dossiers/{code}/slips/01"),
            ("dossiers:read", "/api/v1/dossiers/book.xlsx"),
            ("status:read", "/api/v1/dossiers/{code}/status"),
            ("results:read", "/api/v1/dossiers/{code}/results"),
        ],
    )
    def test_each_read_needs_its_scope(self, users, machine_client, scope, path):
        d = receive(users)
        path = path.format(code=d.code)
        others = [s for s in ALL_SCOPES.split() if s != scope]
        without = machine_client(" ".join(others))
        error = assert_error(without.get(path), 403, "insufficient_scope")
        assert scope in error["message"] and error["details"]["missing_scopes"] == [scope]
        assert machine_client(scope).get(path).status_code == 200

    def test_creating_needs_dossiers_create(self, users, machine_client):
        reader = machine_client("dossiers:read status:read")
        assert_error(reader.post(LIST, online(), format="json"), 403, "insufficient_scope")
        assert_error(reader.post(f"{LIST}bundles/", {"kind": "khai_sinh"}, format="json"), 403, "insufficient_scope")
        assert not Dossier.objects.exists()
        api = machine_client("dossiers:create")
        r = api.post(LIST, online(), format="json")
        assert r.status_code == 201, r.content
        submit = Dossier.objects.get(code=r.json()["code"]).events.get(action="submit")
        assert submit.actor_role == "system" and submit.actor_name == f"Hệ thống {api.application.name}"

    def test_clients_never_act(self, users, machine_client):
        d = receive(users)
        api = machine_client(ALL_SCOPES)
        assert_error(api.post(f"{LIST}{d.code}/actions/transfer", format="json"), 403, "client_not_allowed")

    def test_public_data_stays_public(self, api_client, db):
        assert api_client.get("/api/v1/procedures/").status_code == 200  # anonymous
        api_client.credentials(HTTP_AUTHORIZATION="Bearer expired-or-wrong")
        assert api_client.get("/api/v1/procedures/").status_code == 200  # a bad token is ignored there

    def test_a_client_asks_only_for_the_scopes_it_is_granted(self, client, machine_client):
        api = machine_client("status:read")
        token = lambda scope: client.post(  # noqa: E731
            "/o/token/",
            {
                "grant_type": "client_credentials",
                "client_id": api.application.client_id,
                "client_secret": "s3cret-value-for-test",
                **({"scope": scope} if scope else {}),
            },
        )
        assert token("dossiers:read").json()["error"] == "invalid_scope"
        assert token("status:read catalog:read").status_code == 200  # public scopes are always granted
        assert set(token("").json()["scope"].split()) == {"status:read", "catalog:read", "calendar:read"}

    def test_an_unregistered_application_gets_public_scopes_and_no_dossier(self, users, client, machine_client):
        receive(users)
        api = machine_client("catalog:read", as_api_client=False)
        assert api.get("/api/v1/procedures/").status_code == 200
        assert api.get("/api/v1/me").json()["agencies"] == []
        r = client.post(
            "/o/token/",
            {
                "grant_type": "client_credentials",
                "client_id": api.application.client_id,
                "client_secret": "s3cret-value-for-test",
                "scope": "dossiers:read",
            },
        )
        assert r.status_code == 400 and r.json()["error"] == "invalid_scope"


# ------------------------------------------------------------------------------------------------
# The client's agencies
# ------------------------------------------------------------------------------------------------
class TestAgencies:
    def test_a_client_reads_only_its_agencies_dossiers(self, two_desks, machine_client):
        mine, other = two_desks
        api = machine_client(ALL_SCOPES, agencies=[COMMUNE_PC])
        assert [row["code"] for row in api.get(LIST).json()["results"]] == [mine.code]
        for suffix in ("", "/status", "/results", "/slips/01"):
            assert api.get(f"{LIST}{mine.code}{suffix}").status_code == 200
            assert_error(api.get(f"{LIST}{other.code}{suffix}"), 404, "not_found")
        assert api.get("/api/v1/me").json()["agencies"] == [COMMUNE_PC]

    def test_the_receiving_agency_counts_too(self, two_desks, machine_client):
        mine, other = two_desks
        api = machine_client("dossiers:read", agencies=[other.receiving_agency.code])
        assert [row["code"] for row in api.get(LIST).json()["results"]] == [other.code]

    def test_no_agency_means_no_dossier(self, two_desks, machine_client):
        api = machine_client("dossiers:read dossiers:create", agencies=[])
        assert api.get(LIST).json()["results"] == []
        assert_error(api.post(LIST, online(), format="json"), 403, "agency_out_of_scope")

    def test_a_client_submits_online_for_its_agency(self, users, machine_client):
        api = machine_client("dossiers:create dossiers:read", agencies=[COMMUNE_PC])
        r = api.post(LIST, online(), format="json", HTTP_IDEMPOTENCY_KEY="lgsp-0001")
        assert r.status_code == 201, r.content
        d = Dossier.objects.get()
        assert (d.state, d.channel, d.agency.code, d.created_by) == (State.SUBMITTED, "online", COMMUNE_PC, None)
        submit = Event.objects.get(dossier=d)
        # A machine client's submission is recorded as made by its system (create_dossier(via=...)).
        assert (submit.action, submit.actor_id, submit.actor_role) == ("submit", None, "system")
        assert submit.actor_name == f"Hệ thống {api.application.name}"
        again = api.post(LIST, online(), format="json", HTTP_IDEMPOTENCY_KEY="lgsp-0001")
        assert again.status_code == 200 and again.json()["code"] == d.code
        call = ApiCall.objects.filter(method="POST").order_by("id").first()
        assert call.dossier_code == d.code and call.status == 201
        access = DataAccess.objects.filter(purpose="tiếp nhận hồ sơ")  # the creation and the replay
        assert {(a.client_id, a.object_ref) for a in access} == {(api.application.client_id, d.code)}

    def test_idempotency_keys_are_per_client(self, users, machine_client):
        a = machine_client("dossiers:create", agencies=[COMMUNE_PC])
        b = machine_client("dossiers:create", agencies=[COMMUNE_PC])
        first = a.post(LIST, online(), format="json", HTTP_IDEMPOTENCY_KEY="1")
        second = b.post(LIST, online(), format="json", HTTP_IDEMPOTENCY_KEY="1")
        assert (first.status_code, second.status_code) == (201, 201)
        assert first.json()["code"] != second.json()["code"]

    def test_a_client_cannot_create_for_another_agency(self, users, machine_client):
        api = machine_client("dossiers:create", agencies=[PROVINCE_CENTER])
        error = assert_error(api.post(LIST, online(), format="json"), 403, "agency_out_of_scope")
        assert error["details"] == {"agencies": [COMMUNE_PC]}
        bundle = {"kind": "khai_sinh", "channel": "online", "desk": COMMUNE_DESK, "applicant": CITIZEN}
        bundle["components"] = ["TP01", "TP02"]
        assert_error(api.post(f"{LIST}bundles/", bundle, format="json"), 403, "agency_out_of_scope")
        assert not Dossier.objects.exists() and not Event.objects.exists()  # rolled back whole

    def test_a_client_submits_online_only(self, users, machine_client):
        api = machine_client("dossiers:create", agencies=[COMMUNE_PC])
        error = assert_error(
            api.post(LIST, online(channel="counter"), format="json"), 403, "client_channel_not_allowed"
        )
        assert error["details"] == {"allowed_channels": ["online"]}
        assert_error(api.post(LIST, online(fee_paid=True), format="json"), 403, "client_fee_not_allowed")
        assert not Dossier.objects.exists()

    def test_a_client_submits_a_bundle(self, users, machine_client):
        api = machine_client("dossiers:create", agencies=[COMMUNE_PC])
        data = {"kind": "khai_sinh", "channel": "online", "desk": COMMUNE_DESK, "applicant": CITIZEN}
        r = api.post(f"{LIST}bundles/", {**data, "components": ["TP01", "TP02"]}, format="json")
        assert r.status_code == 201, r.content
        assert r.json()["dossiers"][0]["state"] == State.SUBMITTED


# ------------------------------------------------------------------------------------------------
# Status and results
# ------------------------------------------------------------------------------------------------
class TestStatusAndResults:
    def test_status_has_no_personal_data(self, users, machine_client):
        d = act(users, receive(users), "transfer", "motcua.xa")
        r = machine_client("status:read").get(f"{LIST}{d.code}/status")
        body = r.json()
        assert (body["state"], body["national_status_code"], body["paused"]) == ("in_processing", 4, False)
        assert [e["action"] for e in body["events"]] == ["submit", "receive", "transfer"]
        assert set(body["events"][0]) == {
            "action",
            "action_label",
            "at",
            "actor_role",
            "agency",
            "from_state",
            "to_state",
        }
        text = r.content.decode()
        assert CITIZEN["name"] not in text and CITIZEN["id_number"] not in text
        assert not DataAccess.objects.exists()  # no personal data read

    def test_results_are_listed_and_downloaded(self, users, machine_client, client_for):
        d = receive(users)
        doc = result_document(d)
        api = machine_client("results:read")
        rows = api.get(f"{LIST}{d.code}/results").json()
        assert [(r["id"], r["result_code"], r["content_type"], r["signed"]) for r in rows] == [
            (doc.pk, "KQ01", "application/pdf", False)
        ]
        assert rows[0]["download"].endswith(f"/api/v1/dossiers/{d.code}/results/{doc.pk}")
        f = api.get(f"{LIST}{d.code}/results/{doc.pk}")
        assert f.status_code == 200 and f["Content-Type"] == "application/pdf"
        assert b"".join(f.streaming_content).startswith(b"%PDF")
        assert_error(api.get(f"{LIST}{d.code}/results/{doc.pk + 1}"), 404, "not_found")
        purposes = list(DataAccess.objects.order_by("id").values_list("client_id", "purpose", "object_ref"))
        assert purposes == [
            (api.application.client_id, "xem kết quả giải quyết", d.code),
            (api.application.client_id, "tải kết quả giải quyết KQ01", d.code),
        ]
        assert client_for("motcua.xa").get(f"{LIST}{d.code}/results").status_code == 200  # staff: their rule
        assert_error(client_for("chuyenvien.stp").get(f"{LIST}{d.code}/results"), 404)


# ------------------------------------------------------------------------------------------------
# Rate limit, log of calls, inactive clients
# ------------------------------------------------------------------------------------------------
class TestRateLimit:
    def test_429_after_the_client_rate(self, users, machine_client, client_for):
        api = machine_client("catalog:read", rate="3/min")
        assert [api.get("/api/v1/procedures/").status_code for _ in range(3)] == [200, 200, 200]
        r = api.get("/api/v1/procedures/")
        error = assert_error(r, 429, "throttled")
        assert 1 <= int(r["Retry-After"]) <= 61 and error["details"]["retry_after"] == int(r["Retry-After"])
        assert machine_client("catalog:read", rate="3/min").get("/api/v1/procedures/").status_code == 200  # per client
        staff = client_for("motcua.xa")
        assert all(staff.get("/api/v1/procedures/").status_code == 200 for _ in range(5))  # staff: not limited
        assert ApiCall.objects.filter(status=429).count() == 1

    def test_default_rate_from_the_settings(self, settings, machine_client):
        settings.API_CLIENT_DEFAULT_RATE = "2/min"
        api = machine_client("catalog:read")  # no rate of its own
        assert [api.get("/api/v1/procedures/").status_code for _ in range(3)] == [200, 200, 429]


class TestCallLog:
    def test_every_machine_call_is_logged(self, users, machine_client, client_for):
        d = receive(users)
        api = machine_client("dossiers:read")
        api.get(f"{LIST}{d.code}")
        api.get(f"{LIST}{d.code}/status")  # refused: no status:read
        api.get(LIST, REMOTE_ADDR="203.0.113.7")
        client_for("motcua.xa").get(f"{LIST}{d.code}")  # staff: not an API client call
        calls = list(ApiCall.objects.order_by("id"))
        assert [(c.method, c.path, c.status, c.dossier_code) for c in calls] == [
            ("GET", f"/api/v1/dossiers/{d.code}", 200, d.code),
            ("GET", f"/api/v1/dossiers/{d.code}/status", 403, d.code),
            ("GET", "/api/v1/dossiers/", 200, ""),
        ]
        assert all(c.client_id == api.application.client_id and c.application_id == api.application.pk for c in calls)
        assert all(c.duration_ms > 0 and c.at for c in calls)
        assert [c.remote_addr for c in calls] == ["127.0.0.1", "127.0.0.1", "203.0.113.7"]

    def test_the_log_is_append_only(self, machine_client):
        machine_client("catalog:read").get("/api/v1/procedures/")
        call = ApiCall.objects.get()
        with pytest.raises(ValueError):
            call.save()
        with pytest.raises(ValueError):
            call.delete()


class TestInactive:
    def test_an_inactive_client_is_refused(self, users, client, machine_client):
        api = machine_client("dossiers:read")
        ApiClient.objects.filter(pk=api.api_client.pk).update(active=False)
        assert_error(api.get(LIST), 401, "client_inactive")
        r = client.post(
            "/o/token/",
            {
                "grant_type": "client_credentials",
                "client_id": api.application.client_id,
                "client_secret": "s3cret-value-for-test",
            },
        )
        assert r.status_code == 401 and r.json()["error"] == "invalid_client"
        assert Application.objects.filter(pk=api.application.pk).exists()


# ------------------------------------------------------------------------------------------------
# OpenAPI
# ------------------------------------------------------------------------------------------------
def test_schema_documents_the_scopes_of_every_operation(client, db):
    r = client.get("/api/schema/")
    assert r.status_code == 200
    schema = yaml.safe_load(r.content)
    validate_schema(schema)  # the OpenAPI 3.0 JSON schema (raises when invalid)
    flow = schema["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/o/token/" and set(flow["scopes"]) == set(ALL_SCOPES.split())

    def oauth(path, method):
        return [s["oauth2"] for s in schema["paths"][path][method]["security"] if "oauth2" in s]

    assert oauth("/api/v1/dossiers/", "get") == [["dossiers:read"]]
    assert oauth("/api/v1/dossiers/", "post") == [["dossiers:create"]]
    assert oauth("/api/v1/dossiers/bundles/", "post") == [["dossiers:create"]]
    assert oauth("/api/v1/dossiers/{code}/status", "get") == [["status:read"]]
    assert oauth("/api/v1/dossiers/{code}/results", "get") == [["results:read"]]
    assert oauth("/api/v1/dossiers/{code}/results/{document}", "get") == [["results:read"]]
    assert oauth("/api/v1/procedures/", "get") == [["catalog:read"]]
    assert oauth("/api/v1/calendar/due-date", "get") == [["calendar:read"]]
    assert {} in schema["paths"]["/api/v1/procedures/"]["get"]["security"]  # public
    assert oauth("/api/v1/dossiers/{code}/actions/{action}", "post") == []  # staff only
    assert oauth("/api/v1/me", "get") == [[]]


# ------------------------------------------------------------------------------------------------
# Admin
# ------------------------------------------------------------------------------------------------
def test_admin_registers_clients_and_lists_calls_read_only(client, machine_client, django_user_model):
    api = machine_client("status:read", agencies=[COMMUNE_PC])
    api.get("/api/v1/me")
    admin = django_user_model.objects.create_superuser("quantri", "qt@example.org", "mat-khau-dai-12345")
    client.force_login(admin)
    assert client.get("/admin/api/apiclient/").status_code == 200
    page = client.get(f"/admin/api/apiclient/{api.api_client.pk}/change/").content.decode()
    assert re.search(r'<input[^>]*value="status:read"[^>]*checked', page) and 'value="dossiers:create"' in page
    r = client.post(
        f"/admin/api/apiclient/{api.api_client.pk}/change/",
        {
            "application": api.application.pk,
            "agencies": [a.pk for a in api.api_client.agencies.all()],
            "scopes": ["status:read", "results:read"],
            "rate": "100/min",
            "active": "on",
            "note": "Hệ thống một cửa điện tử của Sở",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    api.api_client.refresh_from_db()
    assert (api.api_client.scopes, api.api_client.rate) == ("status:read results:read", "100/min")
    bad = client.post(
        f"/admin/api/apiclient/{api.api_client.pk}/change/",
        {"application": api.application.pk, "scopes": [], "rate": "nhiều/phút", "active": "on"},
    )
    assert bad.status_code == 200 and "600/min" in bad.content.decode()  # the rate's format is explained
    assert client.get("/admin/api/apicall/").status_code == 200
    call = ApiCall.objects.get()
    assert client.get(f"/admin/api/apicall/{call.pk}/change/").status_code == 200  # view only
    assert client.get("/admin/api/apicall/add/").status_code == 403
    assert client.post(f"/admin/api/apicall/{call.pk}/delete/", {"post": "yes"}).status_code == 403
