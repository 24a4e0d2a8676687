"""The population DB and business registry through our adapters, against the running simulators:
records, cache, timeouts, retries, and verification outcomes."""

import datetime as dt

import pytest
import requests

from motcua.identity import adapters
from motcua.identity.verification import verify

AN = "001085012345"


def stats(url) -> int:
    return requests.get(f"{url}/_sim/stats", timeout=2).json()["total"]


def fault(url, **spec):
    requests.post(f"{url}/_sim/faults", json=spec, timeout=2).raise_for_status()


def test_lookup_returns_the_record_and_the_cache_spares_a_second_call(simulators):
    url = simulators["population"]
    before = stats(url)
    record = adapters.population().lookup(AN)
    assert record["full_name"] == "Nguyễn Văn An" and record["date_of_birth"] == "1985-03-12"
    assert record["household"]["head"]["id_number"] == AN
    assert adapters.population().lookup(AN) == record
    assert stats(url) == before + 1  # the second answer came from the cache
    assert adapters.population().lookup("001085999999") is None  # not in the population


def test_down_system_raises_unavailable_after_retries(simulators, settings):
    url = simulators["population"]
    fault(url, mode="error", status=503)
    before = stats(url)
    with pytest.raises(adapters.Unavailable, match="đang gặp sự cố"):
        adapters.population().lookup(AN)
    assert stats(url) - before == 1 + settings.NATIONAL_RETRIES  # retried, then gave up


def test_a_transient_error_is_retried_transparently(simulators):
    fault(simulators["population"], mode="error", status=503, remaining=1)
    assert adapters.population().lookup(AN)["full_name"] == "Nguyễn Văn An"


def test_a_slow_system_times_out(simulators, settings):
    settings.NATIONAL_TIMEOUT = 0.2
    settings.NATIONAL_RETRIES = 0
    fault(simulators["population"], mode="timeout", delay_ms=1000)
    with pytest.raises(adapters.Unavailable, match="không phản hồi"):
        adapters.population().lookup(AN)


def test_verification_outcomes(simulators):
    ok = verify(AN, "nguyễn văn  an", date_of_birth=dt.date(1985, 3, 12))
    assert ok.status == "verified" and ok.answered and "xã Tân Lập" in ok.residence()
    wrong = verify(AN, "Nguyễn Văn Anh", date_of_birth=dt.date(1985, 3, 13))
    assert wrong.status == "mismatch"
    assert [(m["field"], m["registered"]) for m in wrong.mismatches] == [
        ("full_name", "Nguyễn Văn An"),
        ("date_of_birth", "12/03/1985"),
    ]
    assert verify("001085999999", "Ai Đó").status == "not_found"
    dead = verify("079012345678", "Phạm Văn Hòa")
    assert dead.status == "mismatch" and dead.mismatches[0]["field"] == "status"
    assert verify("C1234567", "John Smith").status == "not_found"


def test_verification_when_the_population_db_is_down(simulators):
    fault(simulators["population"], mode="error", status=500)
    check = verify(AN, "Nguyễn Văn An")
    assert check.status == "not_verified" and not check.answered and "đối chiếu lại" in check.message


def test_business_registry(simulators):
    from simulators.business.enterprises import FIXED_CODE

    check = verify(FIXED_CODE, "Công ty TNHH Dịch vụ Tân Lập", kind="organization")
    assert check.status == "verified" and check.record["legal_representative"]["id_number"] == AN
    assert verify(FIXED_CODE, "Công ty Khác", kind="organization").status == "mismatch"
