"""Identifier validation: every way a number can be wrong has its own Vietnamese message."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.identity.ids import IdError, consistency_errors, parse_personal_id, validate_id_number, validate_passport


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Vui lòng nhập số định danh"),
        ("00108501234a", "chỉ gồm chữ số"),
        ("12345", "đang có 5 chữ số"),
        ("0010850123456", "đang có 13 chữ số"),
        ("999085012345", "Mã tỉnh nơi đăng ký khai sinh '999'"),
        ("001385012345", "năm sinh 2085"),
    ],
)
def test_each_wrong_personal_id_has_its_message(value, message):
    with pytest.raises(IdError, match=message):
        validate_id_number(value)


def test_valid_numbers_normalized():
    assert validate_id_number(" 001085012345 ") == "001085012345"
    assert validate_id_number("012345678") == "012345678"  # old 9-digit ID card
    assert validate_id_number("c1234567") == "C1234567"  # passport
    assert validate_id_number("0109876532", "organization") == "0109876532"
    assert validate_id_number("0109876532001", "organization") == "0109876532-001"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Vui lòng nhập mã số doanh nghiệp"),
        ("01098765AB", "chỉ gồm chữ số"),
        ("01098765", "đang có 8"),
        ("0109876531", "sai chữ số kiểm tra"),
    ],
)
def test_each_wrong_enterprise_code_has_its_message(value, message):
    with pytest.raises(IdError, match=message):
        validate_id_number(value, "organization")


def test_passport_format():
    with pytest.raises(IdError, match="1 chữ cái in hoa và 7 chữ số"):
        validate_passport("CC123456")


def test_century_sex_digit_against_declared_birth_date_and_sex():
    assert consistency_errors("001085012345", dt.date(1985, 3, 12), "male") == []
    errors = consistency_errors("001085012345", dt.date(1986, 3, 12), "female")
    assert "năm sinh 1985" in errors[0] and "giới tính nam" in errors[1]
    assert parse_personal_id("001305012345").birth_year_floor == 2005  # 3 = born 2000s, female
    assert parse_personal_id("001305012345").female


@given(st.text(max_size=20))
def test_parser_never_crashes(text):
    try:
        validate_id_number(text)
        validate_id_number(text, "organization")
    except IdError:
        pass
