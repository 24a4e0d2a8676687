"""Shared fixtures. Tests use the real database (PostgreSQL in CI, SQLite otherwise)."""

import contextlib
import copy

import pytest
from rest_framework.test import APIClient

from motcua.org.demo import DEMO_PASSWORD, load_org
from motcua.workcalendar import services as calendar_services

VALID_PROCEDURE = {
    "code": "1.001193",
    "name": "Đăng ký khai sinh",
    "field_code": "HO_TICH",
    "field_name": "Hộ tịch",
    "levels": ["commune"],
    "agency_kind": "commune_pc",
    "agencies": [],
    "time_limit_days": 3,
    "online_level": "full",
    "location_independent": True,
    "essential": True,
    "applicant_types": ["citizen"],
    "effective_from": "2025-07-01",
    "description": "Đăng ký khai sinh cho trẻ em.",
    "legal_basis": "Luật Hộ tịch 2014",
    "components": [
        {
            "code": "TP01",
            "name": "Tờ khai đăng ký khai sinh",
            "required": True,
            "form": "original",
            "copies": 1,
            "reusable": False,
            "template": "Mẫu tờ khai",
        },
        {
            "code": "TP02",
            "name": "Giấy chứng sinh",
            "required": True,
            "form": "original",
            "copies": 1,
            "reusable": False,
            "template": "",
        },
    ],
    "results": [{"code": "KQ01", "name": "Giấy khai sinh", "validity_days": None}],
    "fees": [{"kind": "charge", "name": "Lệ phí đăng ký khai sinh", "amount": 0, "exemptions": []}],
    "steps": [
        {
            "order": 1,
            "name": "Tiếp nhận hồ sơ",
            "role": "desk_officer",
            "agency_kind": "commune_pc",
            "budget_days": 0.5,
            "parallel": False,
        },
        {
            "order": 2,
            "name": "Thẩm định",
            "role": "specialist",
            "agency_kind": "commune_pc",
            "budget_days": 1.5,
            "parallel": False,
        },
        {
            "order": 3,
            "name": "Phê duyệt",
            "role": "leader",
            "agency_kind": "commune_pc",
            "budget_days": 0.5,
            "parallel": False,
        },
        {
            "order": 4,
            "name": "Trả kết quả",
            "role": "desk_officer",
            "agency_kind": "commune_pc",
            "budget_days": 0.5,
            "parallel": False,
        },
    ],
}


@pytest.fixture
def procedure_data():
    """A fresh, valid procedure dict in the catalog interchange format; mutate freely."""
    return copy.deepcopy(VALID_PROCEDURE)


@pytest.fixture
def demo_org(db):
    """The demo province's organization and staff (no catalog)."""
    return load_org()


@pytest.fixture
def demo_password():
    return DEMO_PASSWORD


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    from motcua.catalog.services import _clear_versions as invalidate_versions

    calendar_services.invalidate()
    invalidate_versions()
    yield
    calendar_services.invalidate()
    invalidate_versions()


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Demo staff passwords are hashed on every load; PBKDF2 would dominate the suite's time."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def province(db):
    """Demo organization + catalog (procedures in force from their effective dates)."""
    from motcua.catalog.interchange import parse_json
    from motcua.catalog.services import publish_all
    from motcua.common.management.commands.load_demo import FIXTURE
    from motcua.org.demo import load_org

    load_org()
    publish_all(parse_json(FIXTURE.read_bytes()))


@pytest.fixture
def users(province):
    from django.contrib.auth import get_user_model

    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def stranger(users):
    """A desk officer of another commune (MC-99002): sees nothing of MC-99001's dossiers."""
    from django.contrib.auth import get_user_model

    from motcua.org.models import Desk, StaffMembership
    from motcua.org.roles import Role

    desk = Desk.objects.get(code="MC-99002")
    user = get_user_model().objects.create(username="motcua.khac", first_name="Khác")
    StaffMembership.objects.create(user=user, agency=desk.agency, role=Role.DESK_OFFICER, desk=desk)
    users["motcua.khac"] = user
    return user


@pytest.fixture(autouse=True)
def _staff_2fa_off(settings, monkeypatch):
    """Staff TOTP off for the suite (tests log staff in with force_login / the password alone);
    tests/security/test_staff_auth.py turns it back on. django-axes stays on: the test client's
    ``login()`` calls ``authenticate()`` without a request, which axes refuses, so it gets one here."""
    from django.http import HttpRequest
    from django.test import Client

    settings.STAFF_OTP_REQUIRED = False
    original = Client.login

    def login(self, **credentials):
        if "request" not in credentials:
            credentials["request"] = HttpRequest()
            credentials["request"].META["REMOTE_ADDR"] = "127.0.0.1"
        return original(self, **credentials)

    monkeypatch.setattr(Client, "login", login)


@pytest.fixture(autouse=True)
def _tasks_not_run(settings):
    """Background tasks are recorded, not run (tests of a task call its function directly)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


# ------------------------------------------------------------------------------------------------
# National-system simulators: real HTTP servers (one set per test worker), reached through our adapters
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def simulators():
    """The population DB, business registry and VNeID simulators on free ports; our settings point at
    them for the whole session (tests that inject faults clear them afterwards)."""
    from django.conf import settings as django_settings

    from simulators.business.app import create_app as business_app
    from simulators.common import serve_in_thread
    from simulators.population.app import create_app as population_app
    from simulators.vneid.app import create_app as vneid_app

    key = "motcua-test-key"
    clients = [
        {
            "client_id": "motcua",
            "client_secret": "motcua-test-secret",
            "redirect_uri_prefixes": ["http://localhost:", "http://127.0.0.1:"],
        }
    ]
    servers = {
        "population": serve_in_thread(population_app(api_key=key)),
        "business": serve_in_thread(business_app(api_key=key)),
        "vneid": serve_in_thread(vneid_app(clients=clients, api_key=key)),
    }
    urls = {name: url for name, (url, _) in servers.items()}
    overrides = {
        "POPULATION_DB_URL": urls["population"],
        "BUSINESS_REGISTRY_URL": urls["business"],
        "NATIONAL_API_KEY": key,
        "NATIONAL_TIMEOUT": 1.0,
        "VNEID_ISSUER": urls["vneid"],
        "VNEID_CLIENT_ID": "motcua",
        "VNEID_CLIENT_SECRET": "motcua-test-secret",
    }
    saved = {k: getattr(django_settings, k) for k in overrides}
    for k, v in overrides.items():
        setattr(django_settings, k, v)
    yield urls
    for k, v in saved.items():
        setattr(django_settings, k, v)
    for _, stop in servers.values():
        stop()


@pytest.fixture(autouse=True)
def _national_systems(request, simulators):
    """Every test reaches the simulators (never a real national system), with a cold cache."""
    import requests as http
    from django.core.cache import cache

    cache.clear()
    yield
    for url in simulators.values():
        try:
            http.delete(f"{url}/_sim/faults", timeout=2)
        except http.RequestException:
            pass


PAYMENT_KEY = "motcua-test-payment-key"
PAYMENT_SECRET = "motcua-test-payment-secret"


@contextlib.contextmanager
def overridden_for_session(overrides: dict):
    """Settings for a session-scoped simulator (pytest-django's ``settings`` is per test), put back after."""
    from django.conf import settings as django_settings

    missing = object()
    saved = {k: getattr(django_settings, k, missing) for k in overrides}
    for k, v in overrides.items():
        setattr(django_settings, k, v)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is missing:
                delattr(django_settings, k)
            else:
                setattr(django_settings, k, v)


@pytest.fixture(scope="session")
def payment_gateway():
    """The gateway simulator on a free port; our settings point at it for the whole session."""

    from simulators.common import serve_in_thread
    from simulators.payment.app import create_app

    url, stop = serve_in_thread(create_app(api_key=PAYMENT_KEY, secret=PAYMENT_SECRET))
    overrides = {
        "PAYMENT_GATEWAY_URL": url,
        "PAYMENT_GATEWAY_API_KEY": PAYMENT_KEY,
        "PAYMENT_GATEWAY_SECRET": PAYMENT_SECRET,
        "PAYMENT_GATEWAY_TIMEOUT": 2.0,
        "PAYMENT_GATEWAY_RETRIES": 1,
    }
    with overridden_for_session(overrides):
        yield url
    stop()
