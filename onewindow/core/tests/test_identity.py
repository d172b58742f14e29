from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onewindow.core.identity import (
    IdentityError,
    make_credit_code,
    make_id_number,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
)
from onewindow.core.masking import mask_id_number, mask_phone, mask_text


def test_resident_id_with_x_check_character_is_accepted():
    assert validate_id_number("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("110105194912310021", "校验码"),
        ("1101051949123100", "18位"),
        ("991051194912310020", "地址码"),
        ("110105194902300028", "出生日期"),
        ("11010519491231A02X", "格式"),
    ],
)
def test_bad_resident_ids_are_refused_with_the_reason(number, message):
    with pytest.raises(IdentityError, match=message):
        validate_id_number(number)


def test_credit_code_with_letter_authority_prefix_is_accepted():
    # N (agriculture), A and Y prefixes are lawful; python-stdnum alone rejects them.
    for body in ("N2379921MA3E5F6G7", "A1370102MA3C4D5E6", "Y1370102MA3C4D5E6"):
        assert validate_credit_code(make_credit_code(body)) == make_credit_code(body)
    assert validate_credit_code("91110000600037341L") == "91110000600037341L"


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("91110000600037341M", "校验码"),
        ("9111000060003734", "18位"),
        ("91110000600O37341L", "大写字母"),
        ("Z1110000600037341L", "大写字母"),
        ("B1110000600037341L", "登记管理部门"),
    ],
)
def test_bad_credit_codes_are_refused_with_the_reason(number, message):
    with pytest.raises(IdentityError, match=message):
        validate_credit_code(number)


ID_BODY = r"[1-6][1-9]0102(19[5-9][0-9]|200[0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])\d{3}"


@given(st.from_regex(ID_BODY, fullmatch=True))
def test_any_id_with_computed_check_character_validates_and_one_changed_digit_fails(body):
    if body[:2] not in {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34",
                        "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52",
                        "53", "54", "61", "62", "63", "64", "65"}:
        return
    number = make_id_number(body)
    assert validate_id_number(number) == number
    wrong = body[:-1] + str((int(body[-1]) + 1) % 10)
    with pytest.raises(IdentityError):
        validate_id_number(wrong + number[-1])


def test_mobile_accepts_country_prefix_and_refuses_landlines():
    assert validate_mobile("+86 139 0539 1001") == "13905391001"
    with pytest.raises(IdentityError):
        validate_mobile("05398881234")


def test_masking_hides_the_middle_of_numbers_in_text():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("13905391001") == "139****1001"
    line = "applicant 11010519491231002X phone 13905391001"
    assert mask_text(line) == "applicant 110105********002X phone 139****1001"
