"""Fixtures for the notification tests (imported by ``test_notifications.py``): the SMS gateway
simulator on a free port (real HTTP) with our settings pointing at it, and a clean outbox per test."""

import pytest
import requests

from tests.conftest import overridden_for_session

SMS_KEY = "motcua-test-sms-key"


@pytest.fixture(scope="session", name="sms_simulator")
def sms_simulator_fixture():

    from simulators.common import serve_in_thread
    from simulators.sms.app import create_app

    url, stop = serve_in_thread(create_app(api_key=SMS_KEY))
    overrides = {
        "SMS_GATEWAY_URL": url,
        "SMS_GATEWAY_API_KEY": SMS_KEY,
        "SMS_GATEWAY_TIMEOUT": 0.5,
        "SMS_GATEWAY_RETRIES": 1,
    }
    with overridden_for_session(overrides):
        yield url
    stop()


@pytest.fixture(name="sms")
def sms_fixture(sms_simulator, settings):
    """The simulator's base URL; every test starts with an empty outbox and no fault, and events of
    any date notify (the tests run at fixed instants in 2026)."""
    from django_tasks import default_task_backend

    settings.NOTIFICATION_MAX_AGE_HOURS = 1_000_000
    settings.MOTCUA_PUBLIC_URL = "https://dvc.example.vn"
    for path in ("/_sim/messages", "/_sim/faults"):
        requests.delete(f"{sms_simulator}{path}", timeout=2)
    default_task_backend.clear()
    yield sms_simulator
    requests.delete(f"{sms_simulator}/_sim/faults", timeout=2)


def sms_to(url: str, phone: str) -> list[dict]:
    """The messages the simulator holds for ``phone`` (read through ``/_sim/``: never faulted)."""
    r = requests.get(f"{url}/_sim/messages", params={"to": phone}, timeout=2)
    r.raise_for_status()
    return r.json()["messages"]
