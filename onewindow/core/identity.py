"""Identity numbers: resident ID (GB 11643) and unified social credit code (GB 32100).

python-stdnum checks the resident ID's birth date and ISO 7064 MOD 11-2 check character. Its
credit-code check wrongly demands digits in the first eight places, so registration-authority
letters (A, N, Y …) are checked here by hand; only the mod-31 arithmetic is borrowed.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

# Province-level prefixes of GB/T 2260 (the first two digits of a resident ID).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
        "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
        "63", "64", "65", "71", "81", "82",
    }
)

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_RE = re.compile(rf"^[{_USCC_ALPHABET}]{{18}}$")
# First character: the registering authority class (登记管理部门码).
_USCC_AUTHORITIES = frozenset("123456789ANY")


class IdentityError(ValueError):
    """The number is not valid; ``str(err)`` is a message in Chinese."""


def normalise_id_number(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def validate_id_number(value: str) -> str:
    """Return the normalised 18-character resident ID or raise :class:`IdentityError`."""
    number = normalise_id_number(value)
    if len(number) != 18:
        raise IdentityError(_("公民身份号码应为18位。"))
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdentityError(_("公民身份号码格式不正确：前17位应为数字，最后一位为数字或X。"))
    if number[:2] not in PROVINCE_CODES:
        raise IdentityError(_("公民身份号码的地址码不正确。"))
    try:
        ric.get_birth_date(number)
    except StdnumError as exc:
        raise IdentityError(_("公民身份号码中的出生日期不正确。")) from exc
    if ric.calc_check_digit(number) != number[17]:
        raise IdentityError(_("公民身份号码校验码不正确，请核对后重新输入。"))
    return number


def validate_credit_code(value: str) -> str:
    """Return the normalised unified social credit code or raise :class:`IdentityError`."""
    number = normalise_id_number(value)
    if len(number) != 18:
        raise IdentityError(_("统一社会信用代码应为18位。"))
    if not _USCC_RE.match(number):
        raise IdentityError(_("统一社会信用代码只能包含数字和大写字母（不含I、O、Z、S、V）。"))
    if number[0] not in _USCC_AUTHORITIES:
        raise IdentityError(_("统一社会信用代码的登记管理部门码不正确。"))
    if not number[2:8].isdigit():
        raise IdentityError(_("统一社会信用代码的行政区划码应为6位数字。"))
    if uscc.calc_check_digit(number) != number[17]:
        raise IdentityError(_("统一社会信用代码校验码不正确，请核对后重新输入。"))
    return number


def make_credit_code(body17: str) -> str:
    """Append the check character to 17 characters (used by demo data and tests)."""
    return body17 + uscc.calc_check_digit(body17)


def make_id_number(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")  # stdnum ignores the last character


_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def validate_mobile(value: str) -> str:
    number = (value or "").strip().replace(" ", "").replace("-", "")
    if number.startswith("+86"):
        number = number[3:]
    if not _MOBILE_RE.match(number):
        raise IdentityError(_("请输入正确的11位手机号码。"))
    return number
