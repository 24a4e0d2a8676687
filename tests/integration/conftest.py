"""The national-portal simulator (real HTTP) for the integration tests, reset before each test."""

import pytest
import requests

KEY = "motcua-sim-test"


@pytest.fixture(scope="session")
def national_portal_sim():
    from simulators.common import serve_in_thread
    from simulators.national_portal.app import create_app

    url, stop = serve_in_thread(create_app(api_key=KEY), "127.0.0.1", 0)
    yield url
    stop()


@pytest.fixture
def portal(national_portal_sim, settings):
    settings.NATIONAL_PORTAL_URL = national_portal_sim
    settings.NATIONAL_PORTAL_API_KEY = KEY
    settings.NATIONAL_PORTAL_TIMEOUT = 1
    for path in ("/_sim/data", "/_sim/chaos", "/_sim/faults"):
        requests.delete(national_portal_sim + path, timeout=2)
    return national_portal_sim


def held_by_portal(url: str, code: str) -> list[dict]:
    r = requests.get(f"{url}/api/v1/dossiers/{code}", headers={"Authorization": f"Bearer {KEY}"}, timeout=5)
    return r.json()["events"] if r.status_code == 200 else []
