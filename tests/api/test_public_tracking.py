"""GET /api/v1/public/dossiers/<code>: progress only (masked name, no other personal data),
linked-bundle siblings, structured 404, 1–2 queries, rate limit (429)."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.dossiers import services
from motcua.identity.ids import mask_name

from .conftest import CITIZEN, assert_error, receive

KEYS = {
    "code",
    "procedure",
    "state",
    "state_label",
    "national_status_code",
    "agency",
    "received_at",
    "due_at",
    "returned_at",
    "applicant",
    "bundle",
}


def track(client, code):
    return client.get(f"/api/v1/public/dossiers/{code}")


def test_public_fields_exactly_and_masked_name(users, api_client):
    d = receive(
        users, owner={"name": "Lê Văn Chủ", "id_number": "001090012345"}, return_channel="post", return_address="Số 9"
    )
    with CaptureQueriesContext(connection) as queries:
        r = track(api_client, d.code)
    assert r.status_code == 200 and len(queries.captured_queries) == 1
    body = r.json()
    assert set(body) == KEYS
    assert body["code"] == d.code and body["applicant"] == mask_name(CITIZEN["name"]) == "N***** V** An"
    assert body["procedure"] == {"code": "1.001193", "name": "Đăng ký khai sinh"}
    assert set(body["agency"]) == {"code", "name"} and body["agency"]["code"] == d.agency.code
    assert (body["state"], body["state_label"], body["national_status_code"]) == ("received", "Đã tiếp nhận", 2)
    assert body["received_at"] and body["due_at"] and body["returned_at"] is None and body["bundle"] is None
    text = json.dumps(body, ensure_ascii=False)
    for secret in (
        CITIZEN["id_number"],
        CITIZEN["phone"],
        CITIZEN["name"],
        "Thôn 1",
        "Lê Văn Chủ",
        "001090012345",
        "Số 9",
    ):
        assert secret not in text


def test_no_login_needed_and_credentials_are_ignored(users, api_client):
    d = receive(users)
    api_client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert track(api_client, d.code).status_code == 200


def test_bundle_siblings(users, api_client):
    bundle, _ = services.create_bundle(
        "khai_sinh", user=users["motcua.xa"], channel="counter", applicant=CITIZEN, components=["TP01", "TP02"]
    )
    second = bundle.dossiers.get(bundle_order=2)
    with CaptureQueriesContext(connection) as queries:
        r = track(api_client, second.code)
    assert r.status_code == 200 and len(queries.captured_queries) == 2
    body = r.json()
    assert set(body) == KEYS and body["state"] == "pending_linked"
    assert body["bundle"]["code"] == bundle.code and set(body["bundle"]) == {"code", "dossiers"}
    members = body["bundle"]["dossiers"]
    assert [m["procedure"]["code"] for m in members] == ["1.001193", "1.004222", "1.010057"]
    assert all(set(m) == {"code", "procedure", "state", "state_label"} for m in members)
    assert [m["state"] for m in members] == ["received", "pending_linked", "pending_linked"]


def test_unknown_code_is_a_structured_404(db, api_client):
    error = assert_error(track(api_client, "000.01.31.H99-260302-9999"), 404, "not_found")
    assert "000.01.31.H99-260302-9999" in error["message"]


@pytest.fixture
def tight_rate(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "public_tracking": "3/min"},
    }


def test_rate_limited(users, api_client, tight_rate):
    d = receive(users)
    assert [track(api_client, d.code).status_code for _ in range(3)] == [200, 200, 200]
    r = track(api_client, d.code)
    assert_error(r, 429, "throttled")
    assert int(r["Retry-After"]) > 0
    assert_error(track(api_client, "KHONG-CO"), 429, "throttled")  # unknown codes count too (no probing)
    other = api_client.__class__(REMOTE_ADDR="10.0.0.2")  # another address has its own budget
    assert track(other, d.code).status_code == 200


def test_default_rate_comes_from_settings():
    from django.conf import settings

    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public_tracking"]
