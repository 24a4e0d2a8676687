"""Hostile query strings on every route, as the people who may read it (commune A's desk officer and
An, the citizen the world is about, and the superuser): an unknown or malformed filter, page cursor,
date, number or format is ignored or refused with a 4xx — never a 500. Every parameter name a view
reads (``PARAMS``) carries the same hostile value at once.

Found by this walk's first runs: NUL reached PostgreSQL (``common.inputs.RefuseNulMiddleware``); a
40-digit id overflowed SQLite in the reports (``common.inputs.as_int``, now the one parser of numbers
read from a request); a typed feedback code with "/" failed to build its redirect."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.security.test_access_walk import fill, route_class, walk_patterns

PARAMS = (
    "q next truoc trang ngay ma ho_so from cursor xuat working_days tu trang_thai ticket theo sau qua_han den d "
    "chu bo_phan ban action page after before agency procedure level field period year month format fmt sort "
    "order limit offset state kind channel desk code start end date status unit"
).split()
HOSTILE = [
    "9" * 40,  # beyond any integer column (SQLite: OverflowError)
    "²",  # "²".isdigit() is true, int("²") fails
    "١٢٣",  # Arabic-Indic digits
    "-1",
    "abc",
    "2026-13-45",
    "31/02/2026",
    "' OR 1=1 --",
    "%_\\",
    "<script>alert(1)</script>",
    "ạ" * 3000,
    "1e309",
    "\x00",
    "",
]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["motcua.xa", "quantri", "an"])
def test_no_route_fails_on_a_hostile_query(world, users, who):
    client = Client(raise_request_exception=False)
    client.force_login(world["an"] if who == "an" else users[who])
    problems = []
    for name, pattern in walk_patterns():
        cls = route_class(name)
        if cls in (None, "auth", "machine"):
            continue
        url = fill(pattern, {**world["kwargs"], **world["per_route"].get(name, {})})
        for value in HOSTILE:
            r = client.get(url, {p: value for p in PARAMS})
            if r.status_code >= 500:
                problems.append(f"{who} GET {url} ({name}) with {value[:20]!r}: {r.status_code}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("42", 42),
        (" 7 ", 7),
        ("0", 0),
        ("9" * 18, int("9" * 18)),
        ("9" * 19, None),
        ("²", None),
        ("١٢", None),
        ("-1", None),
        ("1e3", None),
        ("", None),
        (None, None),
        (12, 12),
    ],
)
def test_as_int_takes_ascii_digits_within_a_64_bit_column(value, expected):
    from motcua.common.inputs import as_int

    assert as_int(value) == expected
    assert as_int("50", minimum=1, maximum=99) == 50 and as_int("100", maximum=99, default=3) == 3


FIELDS = (
    "action agency all answer assignee chu code comment counter document effective_from email expected_version "
    "expires fee_collected full_name gio group id_number kind name next ngay note overall password password2 phone "
    "priority purpose querystring reason received_by remove return_address return_channel sms target text ticket "
    "title token tracking_number amount budget_days channel new_due opinion outcome override_reason receipt "
    "result_number step subject content sender_name dossier_code address procedure provided"
).split()
POST_VALUES = ["9" * 40, "²", "31/02/2026", "ạ" * 3000, "<script>alert(1)</script>", "-1", ""]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["motcua.xa", "quantri", "an"])
def test_no_form_fails_on_hostile_fields(world, users, who):
    """Every route POSTed with every form field a view reads set to one hostile value (and every dossier
    action of the transition table on the world's dossier): refused or answered, never a 500."""
    from motcua.dossiers.states import TRANSITIONS

    client = Client(raise_request_exception=False)
    client.force_login(world["an"] if who == "an" else users[who])
    problems = []
    targets = []
    for name, pattern in walk_patterns():
        cls = route_class(name)
        if cls in (None, "auth", "machine"):
            continue
        kwargs = {**world["kwargs"], **world["per_route"].get(name, {})}
        actions = sorted(TRANSITIONS) if name == "backoffice:act" else [kwargs.get("action")]
        targets += [(name, fill(pattern, {**kwargs, "action": a} if a else kwargs)) for a in actions]
    for name, url in targets:
        for value in POST_VALUES:
            r = client.post(url, {f: value for f in FIELDS})
            if r.status_code >= 500:
                problems.append(f"{who} POST {url} ({name}) with {value[:20]!r}: {r.status_code}")
    assert not problems, "\n".join(problems)
