"""National Public Service Portal simulator (dossier status sync) and our adapter to it
(``motcua.integration.national_portal``): the contract, chaos modes, outcome mapping, payloads."""

import datetime as dt
import socket

import pytest
import requests

from motcua.integration.national_portal import (
    NationalPortal,
    OutOfOrder,
    PushResult,
    Rejected,
    Retryable,
    national_portal,
    payload_for,
)
from simulators.common import serve_in_thread
from simulators.national_portal.app import create_app

from .conftest import api_session

KEY = "national-portal-test-key"
EVENTS = "/api/v1/dossier-events"


@pytest.fixture(scope="module")
def portal_url():
    url, stop = serve_in_thread(create_app(api_key=KEY), "127.0.0.1", 0)
    yield url
    stop()


@pytest.fixture(autouse=True)
def _clean(portal_url):
    """Every test starts with an empty portal, no chaos and no fault."""
    for path in ("/_sim/data", "/_sim/chaos", "/_sim/faults"):
        requests.delete(f"{portal_url}{path}", timeout=5).raise_for_status()
    yield
    requests.delete(f"{portal_url}/_sim/chaos", timeout=5)
    requests.delete(f"{portal_url}/_sim/faults", timeout=5)


@pytest.fixture(scope="module")
def api():
    with api_session(KEY) as session:
        yield session


@pytest.fixture
def portal(portal_url, settings):
    """Our adapter, pointed at the simulator."""
    settings.NATIONAL_PORTAL_URL = portal_url
    settings.NATIONAL_PORTAL_API_KEY = KEY
    settings.NATIONAL_PORTAL_TIMEOUT = 2.0
    return national_portal()


def event(seq=1, code="H99001-260302-0001", event_id=None, **changes):
    body = {
        "event_id": event_id if event_id is not None else 1000 + seq,
        "seq": seq,
        "dossier_code": code,
        "procedure_code": "1.001193",
        "agency_code": "H99001",
        "action": "receive",
        "state": "received",
        "national_status": 2,
        "at": "2026-03-02T08:00:00+07:00",
        "received_at": "2026-03-02T08:00:00+07:00",
        "due_at": "2026-03-05T08:00:00+07:00",
        "returned_at": None,
        "result": None,
    }
    body.update(changes)
    return body


def post(api, url, body, key):
    return api.post(f"{url}{EVENTS}", json=body, headers={"Idempotency-Key": key}, timeout=5)


def summary(url):
    return requests.get(f"{url}/_sim/summary", timeout=5).json()


def chaos(url, **config):
    response = requests.post(f"{url}/_sim/chaos", json=config, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


# ------------------------------------------------------------------------------------------------
# The contract
# ------------------------------------------------------------------------------------------------
def test_stores_in_order_and_a_repeated_key_stores_nothing(api, portal_url):
    first = post(api, portal_url, event(1), "ev-1001")
    assert first.status_code == 201
    assert first.json() == {"received": True, "seq": 1}
    assert first.headers["Content-Type"] == "application/json; charset=utf-8"
    again = post(api, portal_url, event(1), "ev-1001")
    assert again.status_code == 200
    assert again.json() == {"received": True, "seq": 1, "duplicate": True}
    assert post(api, portal_url, event(2, action="transfer", state="in_processing", national_status=4), "ev-1002")
    assert summary(portal_url) == {"events": 2, "duplicates": 1, "out_of_order": 0, "dossiers": 1}

    stored = api.get(f"{portal_url}/api/v1/dossiers/H99001-260302-0001", timeout=5).json()
    assert stored["last_seq"] == 2 and stored["national_status"] == 4 and stored["agency_code"] == "H99001"
    assert [e["seq"] for e in stored["events"]] == [1, 2]
    assert [e["idempotency_key"] for e in stored["events"]] == ["ev-1001", "ev-1002"]
    assert {k: v for k, v in stored["events"][0].items() if k in event(1)} == event(1)


def test_a_gap_is_409_with_the_expected_seq(api, portal_url):
    answer = post(api, portal_url, event(2), "ev-a")
    assert answer.status_code == 409
    assert answer.json()["error"] == "out_of_order" and answer.json()["expected"] == 1
    assert "sai thứ tự" in answer.json()["message"]
    assert post(api, portal_url, event(1), "ev-b").status_code == 201
    answer = post(api, portal_url, event(3), "ev-c")
    assert (answer.status_code, answer.json()["expected"]) == (409, 2)
    # A seq already stored, under a new key: not the same event, refused.
    answer = post(api, portal_url, event(1, event_id=555), "ev-d")
    assert answer.status_code == 409
    assert answer.json()["error"] == "duplicate_seq" and answer.json()["expected"] == 2
    assert summary(portal_url) == {"events": 1, "duplicates": 0, "out_of_order": 3, "dossiers": 1}


def test_a_key_reused_for_another_event_is_409(api, portal_url):
    assert post(api, portal_url, event(1), "same-key").status_code == 201
    answer = post(api, portal_url, event(1, code="H99001-260302-0002"), "same-key")
    assert answer.status_code == 409 and answer.json()["error"] == "idempotency_conflict"
    assert summary(portal_url)["events"] == 1


def test_validation_errors_are_400_per_field_in_vietnamese(api, portal_url):
    bad = event(0, national_status=11, at="02/03/2026", due_at="2026-03-05T08:00:00", action="")
    del bad["returned_at"]
    bad["result"] = {"code": "KQ01", "number": "", "issued_at": "2026-03-03T14:00:00+07:00"}
    answer = post(api, portal_url, bad, "ev-bad")
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "invalid_request" and body["message"] == "Dữ liệu sự kiện hồ sơ không hợp lệ."
    assert set(body["fields"]) == {"seq", "national_status", "at", "due_at", "action", "returned_at", "result.number"}
    assert body["fields"]["national_status"] == (
        "Mã trạng thái hồ sơ quốc gia (national_status) phải là số nguyên từ 1 đến 10."
    )
    assert "múi giờ" in body["fields"]["due_at"]
    assert body["fields"]["returned_at"] == "Thiếu trường bắt buộc returned_at."

    no_key = api.post(f"{portal_url}{EVENTS}", json=event(1), timeout=5)
    assert no_key.status_code == 400 and no_key.json()["error"] == "missing_idempotency_key"
    not_json = api.post(f"{portal_url}{EVENTS}", data="x", headers={"Idempotency-Key": "k"}, timeout=5)
    assert not_json.status_code == 400
    assert summary(portal_url)["events"] == 0


def test_api_key_required(portal_url):
    answer = requests.post(f"{portal_url}{EVENTS}", json=event(1), headers={"Idempotency-Key": "k"}, timeout=5)
    assert answer.status_code == 401 and answer.json()["error"] == "unauthorized"
    wrong = api_session("wrong").get(f"{portal_url}/api/v1/dossiers", timeout=5)
    assert wrong.status_code == 401
    assert summary(portal_url)["events"] == 0


def test_dossier_lookup_and_listing_by_agency(api, portal_url):
    post(api, portal_url, event(1, code="A-1"), "a1")
    post(api, portal_url, event(2, code="A-1", state="in_processing", national_status=4), "a2")
    post(api, portal_url, event(1, code="B-1", agency_code="H99002"), "b1")
    listing = api.get(f"{portal_url}/api/v1/dossiers", params={"agency_code": "H99001"}, timeout=5).json()
    assert listing == {"dossiers": [{"code": "A-1", "last_seq": 2, "national_status": 4}]}
    assert len(api.get(f"{portal_url}/api/v1/dossiers", timeout=5).json()["dossiers"]) == 2
    missing = api.get(f"{portal_url}/api/v1/dossiers/NOPE", timeout=5)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


# ------------------------------------------------------------------------------------------------
# Chaos
# ------------------------------------------------------------------------------------------------
def test_chaos_config_is_validated_and_shown(portal_url):
    for wrong in ({"error_rate": 1.5}, {"error_rate": 0.6, "timeout_rate": 0.6}, {"seed": "x"}, {"timeout_ms": -1}):
        answer = requests.post(f"{portal_url}/_sim/chaos", json=wrong, timeout=5)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_request", wrong
    shown = chaos(portal_url, error_rate=0.25, seed=3)
    assert shown["chaos"] == {
        "error_rate": 0.25,
        "timeout_rate": 0.0,
        "commit_then_error_rate": 0.0,
        "timeout_ms": 3000,
        "seed": 3,
    }
    assert requests.get(f"{portal_url}/_sim/chaos", timeout=5).json() == shown
    assert requests.delete(f"{portal_url}/_sim/chaos", timeout=5).json()["chaos"]["error_rate"] == 0.0


def test_chaos_error_answers_503_and_stores_nothing(portal, portal_url):
    chaos(portal_url, error_rate=1)
    with pytest.raises(Retryable) as caught:
        portal.push(event(1), "ev-1")
    assert caught.value.status_code == 503
    assert str(caught.value).startswith("Cổng Dịch vụ công quốc gia đang gặp sự cố (mã lỗi 503).")
    assert summary(portal_url)["events"] == 0
    requests.delete(f"{portal_url}/_sim/chaos", timeout=5)
    assert portal.push(event(1), "ev-1") == PushResult(201, duplicate=False)


def test_chaos_timeout_is_retryable_yet_stored(portal, portal_url, settings):
    settings.NATIONAL_PORTAL_TIMEOUT = 0.2
    chaos(portal_url, timeout_rate=1, timeout_ms=600)
    with pytest.raises(Retryable) as caught:
        portal.push(event(1), "ev-1")
    assert caught.value.status_code is None and "thời gian chờ" in str(caught.value)
    assert summary(portal_url)["events"] == 1  # the portal did store it
    requests.delete(f"{portal_url}/_sim/chaos", timeout=5)
    assert portal.push(event(1), "ev-1") == PushResult(200, duplicate=True)
    assert summary(portal_url) == {"events": 1, "duplicates": 1, "out_of_order": 0, "dossiers": 1}


def test_chaos_commit_then_error_then_the_retry_is_a_duplicate(portal, portal_url):
    chaos(portal_url, commit_then_error_rate=1)
    with pytest.raises(Retryable) as caught:
        portal.push(event(1), "ev-1")
    assert caught.value.status_code == 500
    assert summary(portal_url)["events"] == 1
    # Still under chaos: stored once, whatever happens to the answers.
    with pytest.raises(Retryable):
        portal.push(event(1), "ev-1")
    requests.delete(f"{portal_url}/_sim/chaos", timeout=5)
    assert portal.push(event(1), "ev-1") == PushResult(200, duplicate=True)
    assert portal.push(event(2), "ev-2") == PushResult(201, duplicate=False)
    assert summary(portal_url) == {"events": 2, "duplicates": 2, "out_of_order": 0, "dossiers": 1}


def test_chaos_with_a_seed_is_deterministic(api, portal_url):
    def run() -> list[int]:
        requests.delete(f"{portal_url}/_sim/data", timeout=5)
        chaos(portal_url, error_rate=0.3, commit_then_error_rate=0.3, seed=42)
        return [post(api, portal_url, event(1, code=f"D-{i}"), f"k-{i}").status_code for i in range(30)]

    first = run()
    assert first == run()
    assert {201, 500, 503} <= set(first)
    injected = requests.get(f"{portal_url}/_sim/chaos", timeout=5).json()["injected"]
    assert injected == {"error": first.count(503), "timeout": 0, "commit_then_error": first.count(500)}
    assert summary(portal_url)["events"] == first.count(201) + first.count(500)


# ------------------------------------------------------------------------------------------------
# The adapter's outcomes
# ------------------------------------------------------------------------------------------------
def test_adapter_outcomes(portal, portal_url):
    assert portal.push(event(1), "ev-1") == PushResult(201, duplicate=False)
    assert portal.push(event(1), "ev-1") == PushResult(200, duplicate=True)
    with pytest.raises(OutOfOrder) as gap:
        portal.push(event(3), "ev-3")
    assert gap.value.expected == 2 and "sự kiện số 2" in str(gap.value)
    with pytest.raises(Rejected) as taken:
        portal.push(event(1, event_id=9), "ev-other")
    assert (taken.value.status_code, taken.value.code) == (409, "duplicate_seq")
    with pytest.raises(Rejected) as invalid:
        portal.push(event(2, national_status=0), "ev-2")
    assert invalid.value.status_code == 400 and "không hợp lệ" in str(invalid.value)
    assert [e["seq"] for e in portal.dossier_events("H99001-260302-0001")] == [1]
    assert portal.dossier_events("UNKNOWN") == []


def test_adapter_busy_and_overloaded_are_retryable(portal, portal_url):
    for status in (429, 502):
        requests.post(f"{portal_url}/_sim/faults", json={"mode": "error", "status": status, "remaining": 1}, timeout=5)
        with pytest.raises(Retryable) as caught:
            portal.push(event(1), "ev-1")
        assert caught.value.status_code == status
        assert "Hệ thống đang bận" in str(caught.value)
    assert portal.push(event(1), "ev-1").status_code == 201


def test_adapter_wrong_key_is_rejected(portal, settings):
    settings.NATIONAL_PORTAL_API_KEY = "wrong"
    with pytest.raises(Rejected) as caught:
        portal.push(event(1), "ev-1")
    assert caught.value.status_code == 401 and "NATIONAL_PORTAL_API_KEY" in str(caught.value)


def test_adapter_unreachable_is_retryable(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.NATIONAL_PORTAL_URL = f"http://127.0.0.1:{port}"
    with pytest.raises(Retryable) as caught:
        NationalPortal().push(event(1), "ev-1")
    assert caught.value.status_code is None and "Không kết nối được" in str(caught.value)


def test_adapter_keeps_one_connection_per_thread(portal, portal_url):
    portal = NationalPortal()  # its own sessions: no connection from earlier tests
    for seq in range(1, 6):
        portal.push(event(seq), f"ev-{seq}")
    pools = portal._session().get_adapter(portal_url).poolmanager.pools
    counts = [(pools[key].num_connections, pools[key].num_requests) for key in pools.keys()]
    assert counts == [(1, 5)]  # keep-alive: five requests, one TCP connection


# ------------------------------------------------------------------------------------------------
# payload_for on a real dossier
# ------------------------------------------------------------------------------------------------
VN = dt.timezone(dt.timedelta(hours=7))
APPLICANT = {"name": "Nguyễn Văn An", "id_number": "001085012345", "phone": "0912345678", "address": "Thôn 3"}


def test_payload_for_a_dossier_lifecycle_is_accepted_in_order(users, portal):
    from motcua.dossiers import services

    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=VN)
    d, _ = services.create_dossier(
        user=users["motcua.xa"],
        procedure_code="1.001193",
        channel="counter",
        applicant=APPLICANT,
        components=["TP01", "TP02"],
        identity={"status": "verified"},
        fee_paid=True,
        now=start,
    )
    d = services.act(d, "transfer", user=users["motcua.xa"], now=start + dt.timedelta(hours=1))
    d = services.act(d, "forward", user=users["chuyenvien.xa"], now=start + dt.timedelta(days=1))
    d = services.act(
        d,
        "issue_result",
        user=users["lanhdao.xa"],
        data={"result_number": "15/2026/KS"},
        now=start + dt.timedelta(days=1, hours=5),
    )
    d = services.act(d, "return_result", user=users["motcua.xa"], now=start + dt.timedelta(days=2))
    d.refresh_from_db()

    events = list(d.events.order_by("id"))
    payloads = [payload_for(e, d, seq) for seq, e in enumerate(events, start=1)]
    assert [p["action"] for p in payloads] == [
        "submit",
        "receive",
        "transfer",
        "forward",
        "issue_result",
        "return_result",
    ]
    assert [p["national_status"] for p in payloads] == [1, 2, 4, 4, 9, 10]
    first = payloads[0]
    assert first["event_id"] == events[0].pk and first["seq"] == 1
    assert first["dossier_code"] == d.code
    assert first["procedure_code"] == "1.001193" and first["agency_code"] == d.agency.code
    assert first["at"] == "2026-03-02T08:00:00+07:00"
    assert first["received_at"] == "2026-03-02T08:00:00+07:00"
    assert first["due_at"].endswith("+07:00")
    assert first["returned_at"] == "2026-03-04T08:00:00+07:00"
    assert first["result"] is None
    issued = payloads[4]
    assert issued["state"] == "result_issued"
    assert issued["result"] == {"code": "KQ01", "number": "15/2026/KS", "issued_at": "2026-03-03T13:00:00+07:00"}

    for p in payloads:
        assert portal.push(p, f"event-{p['event_id']}") == PushResult(201, duplicate=False)
    held = portal.dossier_events(d.code)
    assert [e["seq"] for e in held] == [1, 2, 3, 4, 5, 6]
    assert held[-1]["national_status"] == 10 and held[4]["result"]["number"] == "15/2026/KS"
