"""Fixtures for the dossier API: the demo province (from the dossier tests), API clients per
staff member or machine client, and helpers that build dossiers with the domain services."""

import datetime as dt

import pytest
from django.core.cache import cache
from oauth2_provider.models import Application
from rest_framework.test import APIClient

from motcua.dossiers import services
from tests.dossiers.conftest import CITIZEN

BIRTH = "1.001193"
COMMUNE_PC = "000.01.31.H99"  # UBND phường Bình Minh (desk MC-99001, officer motcua.xa)
COMMUNE_DESK = "MC-99001"
VIETNAMESE = "ạảãáàâăấầẩẫậắằẳẵặêếềểễệôốồổỗộơớờởỡợưứừửữựđíìỉĩịúùủũụóòỏõọéèẻẽẹýỳỷỹỵ"


def is_vietnamese(text: str) -> bool:
    return any(ch in text.lower() for ch in VIETNAMESE)


def assert_error(response, status: int, code: str | None = None) -> dict:
    """A structured error: {"error": {"code", "message" (Vietnamese), "details"}} with ``status``."""
    assert response.status_code == status, (response.status_code, response.content.decode()[:500])
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    if code is not None:
        assert body["error"]["code"] == code, body
    assert is_vietnamese(body["error"]["message"]), body["error"]["message"]
    return body["error"]


@pytest.fixture(autouse=True)
def _clear_throttle_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_for(users):
    """``client_for("motcua.xa")`` → an APIClient authenticated as that demo staff member."""

    def make(username: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(users[username])
        return client

    return make


@pytest.fixture
def machine_client(client, db):
    """``machine_client("dossiers:read")`` → an APIClient with a client-credentials bearer token."""

    def make(scope: str) -> APIClient:
        app = Application.objects.create(
            name=f"Hệ thống tích hợp ({scope})",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret="s3cret-value-for-test",
            hash_client_secret=True,
        )
        r = client.post(
            "/o/token/",
            {
                "grant_type": "client_credentials",
                "client_id": app.client_id,
                "client_secret": "s3cret-value-for-test",
                "scope": scope,
            },
        )
        assert r.status_code == 200, r.content
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {r.json()['access_token']}")
        return api

    return make


def receive(users, who="motcua.xa", code=BIRTH, now: dt.datetime | None = None, **kw):
    """A dossier received at ``who``'s counter through the domain service."""
    kw.setdefault("components", ["TP01", "TP02"])
    kw.setdefault("fee_paid", True)
    d, _ = services.create_dossier(
        user=users[who], procedure_code=code, channel="counter", applicant=CITIZEN, now=now, **kw
    )
    return d


def act(users, d, action, who, now=None, **kw):
    return services.act(d, action, user=users[who] if who else None, now=now, **kw)
