"""Fixtures for the dossier API: the demo province (from the dossier tests), API clients per
staff member or machine client, and helpers that build dossiers with the domain services."""

import datetime as dt

import pytest
from django.core.cache import cache
from oauth2_provider.models import Application
from rest_framework.test import APIClient

from motcua.api.models import ApiClient
from motcua.documents.models import Kind, Source
from motcua.documents.services import checked_bytes, register
from motcua.dossiers import services
from motcua.org.models import Agency
from tests.dossiers.conftest import CITIZEN

BIRTH = "1.001193"
COMMUNE_PC = "000.01.31.H99"  # UBND phường Bình Minh (desk MC-99001, officer motcua.xa)
COMMUNE_DESK = "MC-99001"
ALL_SCOPES = "catalog:read calendar:read dossiers:read dossiers:create status:read results:read"
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
    """``machine_client("dossiers:read")`` → an APIClient with a client-credentials bearer token of a
    registered ``ApiClient`` granted that scope; ``agencies`` (codes) are its agencies (default: all),
    ``rate`` its rate limit; ``as_api_client=False``: an application never registered as a client.
    The application is ``api.application``, the client ``api.api_client``."""

    def make(scope: str, agencies: list[str] | None = None, rate: str = "", as_api_client: bool = True) -> APIClient:
        app = Application.objects.create(
            name=f"Hệ thống tích hợp ({scope})",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret="s3cret-value-for-test",
            hash_client_secret=True,
        )
        registered = None
        if as_api_client:
            registered = ApiClient.objects.create(application=app, scopes=scope, rate=rate)
            chosen = Agency.objects.all() if agencies is None else Agency.objects.filter(code__in=agencies)
            registered.agencies.set(chosen)
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
        api.application, api.api_client = app, registered
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


def result_document(dossier):
    """A result document (kind result, a small PDF) of ``dossier``, registered in the document store."""
    return register(
        checked_bytes(b"%PDF-1.7\n% result\n" + bytes(range(64)), "KQ01.pdf"),
        kind=Kind.RESULT,
        source=Source.ISSUED_RESULT,
        dossier=dossier,
        agency=dossier.agency,
        result_code="KQ01",
        title="Giấy khai sinh",
        doc_number=f"{dossier.code}/KQ01",
    )
