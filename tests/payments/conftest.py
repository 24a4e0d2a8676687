"""Fixtures for the payment tests: the payment-gateway simulator (real HTTP), a citizen, and
dossiers that owe fees."""

import pytest
import requests

from motcua.dossiers import services as dossiers
from tests.conftest import PAYMENT_KEY as KEY  # one gateway simulator per session: tests/conftest.py
from tests.conftest import PAYMENT_SECRET as SECRET

AN = {"name": "Nguyễn Văn An", "id_number": "001085012345", "phone": "0912345678", "address": "Thôn 3, xã Tân Lập"}
BINH = {"name": "Trần Thị Bình", "id_number": "001185012346"}
BIRTH = "1.001193"  # birth registration, charge 8.000 đồng


@pytest.fixture(autouse=True)
def _gateway_reset(payment_gateway, settings, tmp_path):
    """Every test starts with normal callback delivery, no fault, and its own PKI folder."""
    settings.SIGNING_PKI_DIR = tmp_path / "pki"
    settings.SIGNING_DEMO_PKI = True
    yield
    for path in ("/_sim/callbacks", "/_sim/faults"):
        try:
            requests.delete(f"{payment_gateway}{path}", timeout=2)
        except requests.RequestException:
            pass


@pytest.fixture
def fresh_gateway(settings):
    """A gateway simulator of its own (an empty day of transactions), for reconciliation tests."""
    from simulators.common import serve_in_thread
    from simulators.payment.app import create_app

    url, stop = serve_in_thread(create_app(api_key=KEY, secret=SECRET))
    settings.PAYMENT_GATEWAY_URL = url
    yield url
    stop()


def callback_mode(url: str, mode: str) -> None:
    requests.post(f"{url}/_sim/callbacks", json={"mode": mode}, timeout=2).raise_for_status()


def login(claims_person: dict, sub: str):
    from motcua.identity import services as identity

    return identity.login_vneid({"sub": sub, "citizen_id": claims_person["id_number"], "name": claims_person["name"]})


@pytest.fixture
def citizen(users):
    """Nguyễn Văn An, logged in through VNeID: the applicant of the dossiers below."""
    return login(AN, "an-sub")


@pytest.fixture
def other_citizen(users):
    return login(BINH, "binh-sub")


def received(users, *, fee_paid=True):
    d, _ = dossiers.create_dossier(
        user=users["motcua.xa"],
        procedure_code=BIRTH,
        channel="counter",
        applicant=AN,
        components=["TP01", "TP02"],
        identity={"status": "verified"},
        fee_paid=fee_paid,
    )
    return d


def awaiting_fee(users, amount=50000):
    """Received at the commune desk, handed to the specialist, who asks for ``amount`` đồng."""
    d = received(users)
    d = dossiers.act(d, "transfer", user=users["motcua.xa"])
    return dossiers.act(d, "request_fee", user=users["chuyenvien.xa"], data={"amount": amount})


@pytest.fixture
def dossier(users):
    return awaiting_fee(users)
