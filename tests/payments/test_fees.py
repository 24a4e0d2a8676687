"""Fees and charges with exemptions: hand-computed quotes (pure), and the demo catalog."""

import datetime as dt
from types import SimpleNamespace

import pytest

from motcua.payments import fees


def version(*lines):
    """A stand-in for a ProcedureVersion: ``fees.all()`` gives the catalog lines."""
    rows = [
        SimpleNamespace(pk=i, kind=kind, name=name, amount=amount, exemptions=exemptions)
        for i, (kind, name, amount, exemptions) in enumerate(lines, start=1)
    ]
    return SimpleNamespace(fees=SimpleNamespace(all=lambda: rows))


def rule(condition, percent, description=""):
    return {"condition": condition, "percent": percent, "description": description}


# Đăng ký thường trú: 20.000 đồng; −50% online; free for children under 6, the elderly, the disabled.
RESIDENCE = version(
    ("charge", "Lệ phí đăng ký cư trú", 20000, [rule("online", 50), rule("child_under_6", 100), rule("elderly", 100)])
)
# Cấp lại thẻ Căn cước: two charges, the ethnic-minority exemption only on the first.
ID_CARD = version(
    ("charge", "Lệ phí cấp đổi thẻ", 50000, [rule("online", 50), rule("ethnic_minority", 100)]),
    ("charge", "Lệ phí cấp lại thẻ", 70000, [rule("online", 50)]),
)


@pytest.mark.parametrize(
    "facts, total, percent, reason",
    [
        ({}, 20000, 0, ""),
        ({"online": True}, 10000, 50, "Giảm 50%: Nộp hồ sơ trực tuyến"),
        ({"channel": "online"}, 10000, 50, "Giảm 50%: Nộp hồ sơ trực tuyến"),
        ({"online": True, "elderly": True}, 0, 100, "Miễn: Người cao tuổi"),  # the best one, not 150%
        ({"age": 5}, 0, 100, "Miễn: Trẻ em dưới 6 tuổi"),
        ({"age": 6}, 20000, 0, ""),
        ({"birth_date": "1966-11-25", "on": dt.date(2026, 11, 25)}, 0, 100, "Miễn: Người cao tuổi"),
        ({"birth_date": dt.date(1966, 11, 26), "on": "2026-11-25"}, 20000, 0, ""),  # 59 for one more day
        ({"poor_household": True}, 20000, 0, ""),  # not an exemption of this charge
        ({"online": "yes"}, 20000, 0, ""),  # only True counts
    ],
)
def test_one_charge(facts, total, percent, reason):
    quote = fees.compute(RESIDENCE, facts)
    (line,) = quote.lines
    assert (quote.total, line.percent, line.reason) == (total, percent, reason)
    assert line.base_amount == 20000 and quote.reduction == 20000 - total


def test_each_line_has_its_own_exemptions():
    quote = fees.compute(ID_CARD, {"ethnic_minority": True})
    assert [(x.amount, x.condition) for x in quote.lines] == [(0, "ethnic_minority"), (70000, "")]
    assert quote.total == 70000 and quote.base_total == 120000 and not quote.fully_exempt
    online = fees.compute(ID_CARD, {"online": True, "ethnic_minority": True})
    assert [x.amount for x in online.lines] == [0, 35000] and online.total == 35000
    assert online.as_dict()["lines"][1]["reason"] == "Giảm 50%: Nộp hồ sơ trực tuyến"


def test_description_of_the_rule_is_the_reason_and_amounts_round_half_up():
    odd = version(("fee", "Phí thẩm định", 2001, [rule("disabled", 50, "Người khuyết tật nặng")]))
    (line,) = fees.compute(odd, {"disabled": True}).lines
    assert line.amount == 1001 and line.reason == "Giảm 50%: Người khuyết tật nặng" and line.kind_label == "Phí"
    assert fees.reduced(15000, 50) == 7500 and fees.reduced(999, 1) == 989


def test_no_fees_and_fully_exempt():
    assert fees.compute(version(), {}).total == 0 and not fees.compute(version(), {}).has_fees
    assert fees.compute(RESIDENCE, {"child_under_6": True}).fully_exempt


def test_format_vnd():
    assert fees.format_vnd(1200000) == "1.200.000 đồng" and fees.format_vnd(0) == "0 đồng"


def test_demo_catalog_version(province):
    from motcua.catalog.models import ProcedureVersion

    v = ProcedureVersion.objects.filter(procedure__code="1.010069").latest("number")
    quote = fees.compute(v, {"online": True})
    assert [x.amount for x in quote.lines] == [50000, 500000] and quote.total == 550000
    assert fees.compute(v, {"poor_household": True}).fully_exempt
