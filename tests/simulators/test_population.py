"""National Population DB simulator: deterministic people, valid ids, consistent households, HTTP API."""

import datetime as dt
import random

import pytest
import requests

from simulators.population import people
from simulators.population.app import create_app
from simulators.population.fixed import FIXED

from .conftest import API_KEY, api_session, served

SIZE = people.DEFAULT_SIZE
PROVINCE_CODES = set(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038 040 "
    "042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 083 084 "
    "086 087 089 091 092 093 094 095 096".split()
)


@pytest.fixture(scope="module")
def base_url():
    with served(create_app(api_key=API_KEY)) as url:
        yield url


@pytest.fixture(scope="module")
def other_url():
    with served(create_app(api_key=API_KEY)) as url:
        yield url


@pytest.fixture(scope="module")
def api():
    with api_session() as session:
        yield session


def get(api, base_url, number):
    return api.get(f"{base_url}/api/v1/citizens/{number}", timeout=5)


def assert_valid_id(record):
    number = record["id_number"]
    assert len(number) == 12 and number.isdigit(), number
    assert number[:3] in PROVINCE_CODES, number
    year = int(record["date_of_birth"][:4])
    assert 1935 <= year <= 2025
    century = 0 if year < 2000 else 2
    assert int(number[3]) == century + (record["sex"] == "female"), number
    assert number[4:6] == f"{year % 100:02d}", number


def sample_indices(count=2000, seed=20251):
    rng = random.Random(seed)
    return sorted({0, 1, SIZE - 1, *rng.sample(range(SIZE), count)})


def test_health(base_url):
    response = requests.get(f"{base_url}/health", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "population": SIZE}


def test_ids_are_valid_distinct_and_decode_to_their_index():
    indices = sample_indices()
    ids = set()
    for index in indices:
        record = people.person(index)
        assert_valid_id(record)
        assert int(record["id_number"][-6:]) == index  # so all SIZE ids are distinct
        assert people.lookup(record["id_number"]) == record
        ids.add(record["id_number"])
    assert len(ids) == len(indices)
    assert SIZE >= 100_000
    assert people.person(SIZE - 1, SIZE)["id_number"] != people.person(0, SIZE)["id_number"]
    with pytest.raises(IndexError):
        people.person(SIZE)


def test_population_shape():
    records = [people.person(i) for i in sample_indices(3000, seed=7)]
    n = len(records)
    female = sum(r["sex"] == "female" for r in records) / n
    assert 0.48 <= female <= 0.56
    deceased = [r for r in records if r["status"] == "deceased"]
    assert 0.002 <= len(deceased) / n <= 0.025
    for r in deceased:
        assert r["date_of_birth"] < r["date_of_death"] <= "2025-12-31"
    assert all(r["date_of_death"] is None for r in records if r["status"] == "alive")
    moved = sum(r["current_residence"] != r["permanent_residence"] for r in records) / n
    assert 0.06 <= moved <= 0.14
    older = [r for r in records if r["date_of_birth"] < "1990"]
    with_old = [r for r in older if r["old_id_number"]]
    assert 0.22 <= len(with_old) / len(older) <= 0.38
    assert all(len(r["old_id_number"]) == 9 and r["old_id_number"].isdigit() for r in with_old)
    assert all(r["old_id_number"] is None for r in records if r["date_of_birth"] >= "1990")
    for r in records:
        assert len(r["full_name"].split()) >= 3
        assert r["permanent_residence"]["address"].endswith("tỉnh An Hòa")
        assert r["permanent_residence"]["commune"] in r["permanent_residence"]["address"]
        assert r["nationality"] == "Việt Nam"
    assert any(r["old_id_number"] and people.lookup(r["old_id_number"]) == r for r in with_old)


def test_same_record_twice_and_across_apps(api, base_url, other_url):
    for index in (0, 12_345, SIZE - 1):
        number = people.person(index)["id_number"]
        first = get(api, base_url, number)
        assert first.status_code == 200
        assert first.json() == get(api, base_url, number).json() == get(api, other_url, number).json()
        assert first.json() == people.person(index)


def test_households_are_consistent(api, base_url):
    rng = random.Random(99)
    seen = set()
    for index in rng.sample(range(SIZE), 40):
        record = get(api, base_url, people.person(index)["id_number"]).json()
        household = record["household"]
        if household["id"] in seen:
            continue
        seen.add(household["id"])
        members = household["members"]
        assert 1 <= len(members) <= 6
        heads = [m for m in members if m["relation_to_head"] == "Chủ hộ"]
        assert len(heads) == 1 and heads[0]["id_number"] == household["head"]["id_number"]
        head_dob = heads[0]["date_of_birth"]
        by_id = {}
        for member in members:
            member_record = get(api, base_url, member["id_number"]).json()
            by_id[member["id_number"]] = member_record
            assert member_record["household"]["id"] == household["id"]
            assert member_record["household"]["members"] == members
            assert member_record["household"]["head"] == household["head"]
            assert member_record["household"]["relation_to_head"] == member["relation_to_head"]
            assert member_record["full_name"] == member["full_name"]
            assert member_record["date_of_birth"] == member["date_of_birth"]
            assert_valid_id(member_record)
            if dt.date.fromisoformat(member["date_of_birth"]) <= dt.date(2007, 12, 31):  # adults in 2025
                assert member["date_of_birth"] >= head_dob  # the head is the oldest adult
        for member_record in by_id.values():
            for key, sex in (("father", "male"), ("mother", "female")):
                parent_ref = member_record[key]
                if parent_ref is None:
                    continue
                parent = get(api, base_url, parent_ref["id_number"]).json()
                assert parent["full_name"] == parent_ref["full_name"]
                assert parent["sex"] == sex
                gap = int(member_record["date_of_birth"][:4]) - int(parent["date_of_birth"][:4])
                assert 20 <= gap <= 40
                if key == "father":
                    assert member_record["full_name"].split()[0] == parent["full_name"].split()[0]
            if member_record["household"]["relation_to_head"] == "Con":
                head_id = household["head"]["id_number"]
                parents = {
                    (member_record["father"] or {}).get("id_number"),
                    (member_record["mother"] or {}).get("id_number"),
                }
                assert head_id in parents
            spouse_ref = member_record["spouse"]
            if spouse_ref is not None:
                spouse = by_id.get(spouse_ref["id_number"]) or get(api, base_url, spouse_ref["id_number"]).json()
                assert spouse["spouse"]["id_number"] == member_record["id_number"]
                assert spouse["sex"] != member_record["sex"]
    assert len(seen) >= 30


def test_fixed_people(api, base_url):
    for fixed in FIXED:
        response = get(api, base_url, fixed["id_number"])
        assert response.status_code == 200
        assert response.json() == fixed
        number, year = fixed["id_number"], int(fixed["date_of_birth"][:4])
        assert number[:3] in PROVINCE_CODES and number[4:6] == f"{year % 100:02d}"
        assert int(number[3]) == (0 if year < 2000 else 2) + (fixed["sex"] == "female")
    an = get(api, base_url, "001085012345").json()
    assert an["full_name"] == "Nguyễn Văn An" and an["sex"] == "male" and an["date_of_birth"] == "1985-03-12"
    assert an["household"]["relation_to_head"] == "Chủ hộ"
    assert an["spouse"] == {"id_number": "001185012346", "full_name": "Trần Thị Bình"}
    assert an["permanent_residence"]["address"] == "Số 12, thôn 3, xã Tân Lập, tỉnh An Hòa"
    assert {m["id_number"] for m in an["household"]["members"]} == {"001085012345", "001185012346", "001225012347"}
    khoi = get(api, base_url, "001225012347").json()
    assert khoi["full_name"] == "Nguyễn Minh Khôi" and khoi["date_of_birth"] == "2025-02-10"
    assert khoi["father"]["id_number"] == "001085012345" and khoi["mother"]["id_number"] == "001185012346"
    binh = get(api, base_url, "001185012346").json()
    assert binh["sex"] == "female" and binh["household"]["relation_to_head"] == "Vợ"
    assert get(api, base_url, "056085012345").json()["full_name"] == "Lê Văn Kiểm"
    hoa = get(api, base_url, "079012345678").json()
    assert (hoa["full_name"], hoa["status"], hoa["date_of_death"]) == ("Phạm Văn Hòa", "deceased", "2001-01-01")
    lam = get(api, base_url, "001090012345").json()
    assert lam["full_name"] == "Hoàng Văn Lâm"
    assert lam["current_residence"]["address"] != lam["permanent_residence"]["address"]
    # 9-digit old id numbers
    assert get(api, base_url, "012345678").json()["id_number"] == "001085012345"


def test_json_is_utf8_without_escapes(api, base_url):
    response = get(api, base_url, "001085012345")
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "Nguyễn Văn An" in response.content.decode("utf-8")


@pytest.mark.parametrize("number", ["001085999999", "999085000001", "002085000000", "000000000000"])
def test_unknown_numbers_are_404(api, base_url, number):
    response = get(api, base_url, number)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert response.json()["message"]


@pytest.mark.parametrize("number", ["12345", "00108501234", "0010850123456", "00108501234a", "001 085 012 345"])
def test_malformed_numbers_are_400(api, base_url, number):
    response = get(api, base_url, number)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_api_key_required(base_url):
    url = f"{base_url}/api/v1/citizens/001085012345"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}):
        response = requests.get(url, headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"
        assert response.json()["message"]


def test_unknown_route_is_json_404(api, base_url):
    response = api.get(f"{base_url}/api/v1/nothing", timeout=5)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
