"""GET /api/v1/calendar/due-date — public, no login."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from .helpers import is_vietnamese

pytestmark = pytest.mark.django_db

URL = "/api/v1/calendar/due-date"


def get(client, **params):
    return client.get(URL, params)


_NON_RAISING: list[APIClient] = []


def non_raising_client() -> APIClient:
    """A client that returns a 500 response instead of re-raising the view's exception.

    Shared: building a client's handler (middleware chain, WhiteNoise's file scan) is slow.
    """
    if not _NON_RAISING:
        _NON_RAISING.append(APIClient(raise_request_exception=False))
    return _NON_RAISING[0]


def assert_error(response, code):
    assert response.status_code == 400, (response.status_code, getattr(response, "content", b""))
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code, body
    assert "details" in body["error"]
    assert is_vietnamese(body["error"]["message"]), body["error"]["message"]


class TestHappyPath:
    def test_tet_2027(self, api_client):
        r = get(api_client, **{"from": "2027-02-03T09:00:00+07:00", "working_days": "1"})
        assert r.status_code == 200
        assert r.json() == {
            "due": "2027-02-11T09:00:00+07:00",
            "due_display": "09:00 ngày 11/02/2027 (buổi sáng)",
            "start": "2027-02-03T09:00:00+07:00",
        }

    def test_three_days_over_tet(self, api_client):
        r = get(api_client, **{"from": "2027-02-03T09:00:00+07:00", "working_days": "3"})
        assert r.json()["due"] == "2027-02-15T09:00:00+07:00"

    def test_naive_datetime_is_vietnam_time(self, api_client):
        r = get(api_client, **{"from": "2027-02-03T09:00:00", "working_days": "1"})
        assert r.status_code == 200
        assert r.json()["due"] == "2027-02-11T09:00:00+07:00"
        assert r.json()["start"] == "2027-02-03T09:00:00+07:00"

    def test_naive_with_space_separator(self, api_client):
        r = get(api_client, **{"from": "2027-02-03 09:00", "working_days": "1"})
        assert r.json()["due"] == "2027-02-11T09:00:00+07:00"

    def test_other_timezone_is_converted(self, api_client):
        r = get(api_client, **{"from": "2027-02-03T02:00:00Z", "working_days": "1"})
        assert r.json()["due"] == "2027-02-11T09:00:00+07:00"
        assert r.json()["start"] == "2027-02-03T09:00:00+07:00"

    def test_unencoded_plus_in_query_string(self, api_client):
        # A '+' left unencoded arrives as a space; the view puts it back.
        r = api_client.get(URL + "?from=2027-02-03T09:00:00+07:00&working_days=1")
        assert r.status_code == 200
        assert r.json()["due"] == "2027-02-11T09:00:00+07:00"

    def test_half_day(self, api_client):
        r = get(api_client, **{"from": "2023-10-24T10:00:00+07:00", "working_days": "0.5"})
        assert r.status_code == 200
        assert r.json()["due"] == "2023-10-24T16:00:00+07:00"
        assert r.json()["due_display"] == "16:00 ngày 24/10/2023 (buổi chiều)"

    def test_zero_days_is_end_of_day(self, api_client):
        r = get(api_client, **{"from": "2023-10-27T10:00:00+07:00", "working_days": "0"})
        assert r.json()["due"] == "2023-10-27T17:00:00+07:00"
        assert r.json()["due_display"] == "17:00 ngày 27/10/2023 (buổi chiều)"

    def test_received_on_saturday(self, api_client):
        r = get(api_client, **{"from": "2023-10-28T10:00:00+07:00", "working_days": "1"})
        assert r.json() == {
            "due": "2023-10-30T17:00:00+07:00",
            "due_display": "17:00 ngày 30/10/2023 (buổi chiều)",
            "start": "2023-10-30T07:00:00+07:00",
        }

    def test_received_friday_evening(self, api_client):
        r = get(api_client, **{"from": "2023-10-27T17:30:00+07:00", "working_days": "1"})
        assert r.json()["due"] == "2023-10-30T17:00:00+07:00"

    @pytest.mark.parametrize("days", ["1000", "1e3", " 2 ", "2.0", "1.50"])
    def test_accepted_number_forms(self, api_client, days):
        r = get(api_client, **{"from": "2016-01-04T09:00:00+07:00", "working_days": days})
        assert r.status_code == 200, r.json()

    def test_no_login_needed_even_with_bad_token(self, api_client):
        api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
        r = get(api_client, **{"from": "2027-02-03T09:00:00+07:00", "working_days": "1"})
        assert r.status_code == 200


class TestErrors:
    @pytest.mark.parametrize(
        ("params", "code"),
        [
            ({"working_days": "1"}, "missing_from"),
            ({"from": "", "working_days": "1"}, "missing_from"),
            ({"from": "   ", "working_days": "1"}, "missing_from"),
            ({"from": "2027-02-03T09:00:00+07:00"}, "missing_working_days"),
            ({"from": "2027-02-03T09:00:00+07:00", "working_days": ""}, "missing_working_days"),
            ({}, "missing_from"),
            ({"from": "03/02/2027 09:00", "working_days": "1"}, "invalid_from"),
            ({"from": "hôm nay", "working_days": "1"}, "invalid_from"),
            ({"from": "2027-02-30T09:00:00", "working_days": "1"}, "invalid_from"),
            ({"from": "2027-02-03T25:00:00", "working_days": "1"}, "invalid_from"),
            ({"from": "2027-02-03T09:00:00+07:00", "working_days": "abc"}, "invalid_working_days"),
            ({"from": "2027-02-03T09:00:00+07:00", "working_days": "-1"}, "invalid_working_days"),
            ({"from": "2027-02-03T09:00:00+07:00", "working_days": "-0.5"}, "invalid_working_days"),
            ({"from": "2027-02-03T09:00:00+07:00", "working_days": "0.3"}, "invalid_working_days"),
            ({"from": "2027-02-03T09:00:00+07:00", "working_days": "1.25"}, "invalid_working_days"),
            ({"from": "2027-02-03T09:00:00+07:00", "working_days": "1,5"}, "invalid_working_days"),
            ({"from": "2027-02-03T09:00:00+07:00", "working_days": "NaN"}, "invalid_working_days"),
            ({"from": "2027-02-03T09:00:00+07:00", "working_days": "Infinity"}, "invalid_working_days"),
            ({"from": "2027-02-03T09:00:00+07:00", "working_days": "1000.5"}, "invalid_working_days"),
            ({"from": "2027-02-03T09:00:00+07:00", "working_days": "1001"}, "invalid_working_days"),
            ({"from": "2027-02-03T09:00:00+07:00", "working_days": "1e9"}, "invalid_working_days"),
            ({"from": "2014-12-31T09:00:00+07:00", "working_days": "1"}, "out_of_range"),
            ({"from": "2046-01-02T09:00:00+07:00", "working_days": "1"}, "out_of_range"),
            ({"from": "1900-01-01T09:00:00", "working_days": "0"}, "out_of_range"),
            ({"from": "2045-12-01T09:00:00+07:00", "working_days": "1000"}, "out_of_range"),
            ({"from": "2045-12-31T18:00:00+07:00", "working_days": "0"}, "out_of_range"),
        ],
    )
    def test_bad_input_is_400_in_vietnamese(self, api_client, params, code):
        assert_error(get(api_client, **params), code)

    def test_too_many_days_message_names_the_limit(self, api_client):
        r = get(api_client, **{"from": "2027-02-03T09:00:00+07:00", "working_days": "1001"})
        assert "1000" in r.json()["error"]["message"]

    def test_post_not_allowed(self, api_client):
        r = api_client.post(URL, {"from": "2027-02-03T09:00:00+07:00", "working_days": "1"})
        assert r.status_code == 405
        assert r.json()["error"]["code"] == "method_not_allowed"


# ------------------------------------------------------------------------------------------------
# Never a 500
# ------------------------------------------------------------------------------------------------

FUZZ = settings(max_examples=200, deadline=None)

optional_text = st.one_of(st.none(), st.text(max_size=40))


def _check_status(response):
    assert response.status_code in (200, 400), response.status_code
    body = response.json()
    if response.status_code == 400:
        assert body["error"]["code"]
        assert is_vietnamese(body["error"]["message"])
    else:
        assert set(body) == {"due", "due_display", "start"}


@FUZZ
@given(raw_from=optional_text, raw_days=optional_text)
def test_random_text_never_500(raw_from, raw_days):
    params = {k: v for k, v in (("from", raw_from), ("working_days", raw_days)) if v is not None}
    _check_status(non_raising_client().get(URL, params))


iso_instants = st.builds(
    lambda d, tz: d.replace(tzinfo=tz).isoformat() if tz is not None else d.isoformat(),
    # Years 2…9998: the extreme years are covered by a regression test below.
    st.datetimes(min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31)),
    st.one_of(
        st.none(),
        st.timezones(),
        st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m))),
    ),
)
day_counts = st.one_of(
    st.integers(-5, 1500).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
    st.floats().map(str),
    st.sampled_from(["0", "0.5", "1", "60", "1e2", "5E-1", "+3", "  7 ", "٣", "1_0", "0x10"]),
)


@FUZZ
@given(raw_from=iso_instants, raw_days=day_counts)
def test_plausible_input_never_500(raw_from, raw_days):
    _check_status(non_raising_client().get(URL, {"from": raw_from, "working_days": raw_days}))


# ------------------------------------------------------------------------------------------------
# Regressions (once known bugs)
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw_from", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-12:00"])
def test_extreme_dates_with_offset_are_400(raw_from):
    r = non_raising_client().get(URL, {"from": raw_from, "working_days": "1"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "out_of_range"


def test_huge_exponent_is_400():
    r = non_raising_client().get(URL, {"from": "2027-02-03T09:00:00+07:00", "working_days": "9E+999999"})
    assert_error(r, "invalid_working_days")


def test_huge_exponent_is_rejected_quickly():
    client = non_raising_client()
    started = time.perf_counter()
    r = client.get(URL + "?" + urlencode({"from": "2027-02-03T09:00:00+07:00", "working_days": "1E+250000"}))
    elapsed = time.perf_counter() - started
    assert r.status_code == 400
    assert elapsed < 0.25, f"{elapsed:.2f} s"
