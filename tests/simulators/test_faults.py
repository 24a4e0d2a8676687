"""Fault injection and request stats, shared by all simulators."""

import time

import pytest
import requests

from simulators.business.app import create_app as create_business
from simulators.common import BUSY_MESSAGE
from simulators.population.app import create_app as create_population
from simulators.vneid.app import create_app as create_vneid

from .conftest import API_KEY, api_session, served

CITIZEN = "/api/v1/citizens/001085012345"


@pytest.fixture(scope="module")
def population_url():
    with served(create_population(api_key=API_KEY)) as url:
        yield url


@pytest.fixture
def base_url(population_url):
    requests.delete(f"{population_url}/_sim/faults", timeout=5)
    requests.delete(f"{population_url}/_sim/stats", timeout=5)
    yield population_url
    requests.delete(f"{population_url}/_sim/faults", timeout=5)


@pytest.fixture(scope="module")
def api():
    with api_session() as session:
        yield session


def test_error_mode_for_remaining_requests_then_recovers(api, base_url):
    set_fault = requests.post(
        f"{base_url}/_sim/faults", json={"mode": "error", "status": 503, "remaining": 2}, timeout=5
    )
    assert set_fault.status_code == 200
    assert set_fault.json()["fault"] == {"mode": "error", "status": 503, "delay_ms": 3000, "remaining": 2}
    for _ in range(2):
        response = api.get(f"{base_url}{CITIZEN}", timeout=5)
        assert response.status_code == 503
        assert response.json() == {"error": "unavailable", "message": BUSY_MESSAGE}
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert api.get(f"{base_url}{CITIZEN}", timeout=5).status_code == 200
    assert requests.get(f"{base_url}/_sim/faults", timeout=5).json() == {"fault": None}


def test_error_mode_until_cleared_and_only_on_api_routes(api, base_url):
    requests.post(f"{base_url}/_sim/faults", json={"mode": "error", "status": 500, "remaining": None}, timeout=5)
    for _ in range(3):
        assert api.get(f"{base_url}{CITIZEN}", timeout=5).status_code == 500
    assert requests.get(f"{base_url}/health", timeout=5).status_code == 200
    assert requests.delete(f"{base_url}/_sim/faults", timeout=5).json() == {"fault": None}
    assert api.get(f"{base_url}{CITIZEN}", timeout=5).status_code == 200


def test_timeout_mode_delays(api, base_url):
    requests.post(f"{base_url}/_sim/faults", json={"mode": "timeout", "delay_ms": 400, "remaining": 2}, timeout=5)
    started = time.monotonic()
    response = api.get(f"{base_url}{CITIZEN}", timeout=5)
    assert response.status_code == 200 and response.json()["full_name"] == "Nguyễn Văn An"
    assert time.monotonic() - started >= 0.4
    with pytest.raises(requests.Timeout):
        api.get(f"{base_url}{CITIZEN}", timeout=0.1)
    started = time.monotonic()
    assert api.get(f"{base_url}{CITIZEN}", timeout=5).status_code == 200
    assert time.monotonic() - started < 0.3


@pytest.mark.parametrize(
    "body",
    [
        {"mode": "crash"},
        {"mode": "error", "status": 200},
        {"mode": "timeout", "delay_ms": -1},
        {"mode": "error", "remaining": 0},
        [],
    ],
)
def test_bad_fault_requests(base_url, body):
    response = requests.post(f"{base_url}/_sim/faults", json=body, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_stats_count_requests(api, base_url):
    for _ in range(3):
        api.get(f"{base_url}{CITIZEN}", timeout=5)
    requests.get(f"{base_url}{CITIZEN}", timeout=5)  # 401, still counted
    requests.get(f"{base_url}/health", timeout=5)
    stats = requests.get(f"{base_url}/_sim/stats", timeout=5).json()
    assert stats == {"requests": {"citizen": 4, "health": 1}, "total": 5}
    assert requests.delete(f"{base_url}/_sim/stats", timeout=5).json() == {"requests": {}, "total": 0}


def test_faulted_requests_are_counted(api, base_url):
    requests.post(f"{base_url}/_sim/faults", json={"mode": "error", "remaining": 1}, timeout=5)
    assert api.get(f"{base_url}{CITIZEN}", timeout=5).status_code == 503
    assert api.get(f"{base_url}{CITIZEN}", timeout=5).status_code == 200
    assert requests.get(f"{base_url}/_sim/stats", timeout=5).json()["requests"] == {"citizen": 2}


def test_business_faults():
    with served(create_business(api_key=API_KEY)) as url, api_session() as api:
        requests.post(f"{url}/_sim/faults", json={"mode": "error", "status": 502, "remaining": 1}, timeout=5)
        assert api.get(f"{url}/api/v1/enterprises/0109876532", timeout=5).status_code == 502
        assert api.get(f"{url}/api/v1/enterprises/0109876532", timeout=5).status_code == 200
        assert requests.get(f"{url}/_sim/stats", timeout=5).json() == {"requests": {"enterprise": 2}, "total": 2}


def test_vneid_faults_apply_to_token_and_userinfo_only():
    with served(create_vneid()) as url:
        requests.post(f"{url}/_sim/faults", json={"mode": "error", "status": 503}, timeout=5)
        assert requests.get(f"{url}/.well-known/openid-configuration", timeout=5).status_code == 200
        assert requests.get(f"{url}/jwks.json", timeout=5).status_code == 200
        token = requests.post(f"{url}/token", data={"grant_type": "authorization_code"}, timeout=5)
        assert token.status_code == 503 and token.json()["error"] == "unavailable"
        assert requests.get(f"{url}/userinfo", timeout=5).status_code == 503
        requests.delete(f"{url}/_sim/faults", timeout=5)
        assert requests.get(f"{url}/userinfo", timeout=5).status_code == 401
        counts = requests.get(f"{url}/_sim/stats", timeout=5).json()["requests"]
        assert counts == {"openid_configuration": 1, "jwks": 1, "token": 1, "userinfo": 2}
