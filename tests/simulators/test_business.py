"""Business registry simulator: valid tax codes, real legal representatives, HTTP API."""

import datetime as dt
import random

import pytest
import requests
from stdnum.vn import mst

from simulators.business import enterprises
from simulators.business.app import create_app
from simulators.population.app import create_app as create_population

from .conftest import API_KEY, api_session, served

COUNT = enterprises.DEFAULT_COUNT


@pytest.fixture(scope="module")
def base_url():
    with served(create_app(api_key=API_KEY)) as url:
        yield url


@pytest.fixture(scope="module")
def population_url():
    with served(create_population(api_key=API_KEY)) as url:
        yield url


@pytest.fixture(scope="module")
def api():
    with api_session() as session:
        yield session


def get(api, base_url, code):
    return api.get(f"{base_url}/api/v1/enterprises/{code}", timeout=5)


def sample_indices(count, seed=5):
    return sorted({0, COUNT - 1, *random.Random(seed).sample(range(COUNT), count)})


def test_health(base_url):
    assert requests.get(f"{base_url}/health", timeout=5).json() == {"status": "ok", "enterprises": COUNT}


def test_codes_are_valid_tax_codes_and_decode_to_their_index():
    records = [enterprises.enterprise(i) for i in sample_indices(1500)]
    codes = {r["code"] for r in records}
    assert len(codes) == len(records)
    for index, record in zip(sample_indices(1500), records, strict=True):
        assert mst.is_valid(record["code"]), record["code"]
        assert int(record["code"][2:8]) == index
        assert enterprises.lookup(record["code"]) == record
        assert record["status"] in {"active", "suspended", "dissolved"}
        assert isinstance(record["charter_capital"], int) and record["charter_capital"] > 0
        assert record["business_lines"] and all(len(line["code"]) == 4 for line in record["business_lines"])
        assert record["address"].endswith("tỉnh An Hòa")
    active = sum(r["status"] == "active" for r in records) / len(records)
    assert 0.85 <= active <= 0.95
    assert mst.is_valid(enterprises.FIXED_CODE)


def test_legal_representatives_are_adults_of_the_population(api, base_url, population_url):
    for index in sample_indices(40, seed=11):
        code = enterprises.code_for(index)
        record = get(api, base_url, code).json()
        representative = record["legal_representative"]
        assert representative["title"]
        response = api.get(f"{population_url}/api/v1/citizens/{representative['id_number']}", timeout=5)
        assert response.status_code == 200
        citizen = response.json()
        assert citizen["full_name"] == representative["full_name"]
        born = dt.date.fromisoformat(citizen["date_of_birth"])
        registered = dt.date.fromisoformat(record["registered_on"])
        assert (registered - born).days >= 18 * 365


def test_fixed_enterprise_and_branch(api, base_url, population_url):
    record = get(api, base_url, enterprises.FIXED_CODE).json()
    assert record["code"] == enterprises.FIXED_CODE
    assert record["name"] == "Công ty TNHH Dịch vụ Tân Lập"
    assert record["legal_representative"]["id_number"] == "001085012345"
    assert record["legal_representative"]["full_name"] == "Nguyễn Văn An"
    branch = get(api, base_url, f"{enterprises.FIXED_CODE}-001")
    assert branch.status_code == 200
    assert branch.json() == get(api, base_url, f"{enterprises.FIXED_CODE}001").json()
    assert branch.json()["type"] == "Chi nhánh"


def test_deterministic_across_apps(api, base_url):
    with served(create_app(api_key=API_KEY)) as other:
        for index in (0, 777, COUNT - 1):
            code = enterprises.code_for(index)
            first = get(api, base_url, code)
            assert first.status_code == 200
            assert first.json() == get(api, base_url, code).json() == get(api, other, code).json()


def out_of_range_code():
    for extra in "12":
        body = f"01999999{extra}"
        check = mst.calc_check_digit(body)
        if len(check) == 1:
            return body + check
    raise AssertionError


def wrong_check_digit(code):
    return code[:9] + str((int(code[9]) + 1) % 10)


@pytest.mark.parametrize(
    "code",
    [
        "0100000000",  # invalid check digit
        wrong_check_digit(enterprises.code_for(3)),
        out_of_range_code(),  # valid tax code, index beyond the register
        enterprises.code_for(5) + "001",  # branches exist only for the fixed enterprise
        f"{enterprises.code_for(5)}-002",
    ],
)
def test_unknown_codes_are_404(api, base_url, code):
    response = get(api, base_url, code)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("code", ["123", "01012454861", "010124548a", "0101245486--001", "0101245486-01"])
def test_malformed_codes_are_400(api, base_url, code):
    response = get(api, base_url, code)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_api_key_required(base_url):
    response = requests.get(f"{base_url}/api/v1/enterprises/{enterprises.FIXED_CODE}", timeout=5)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
