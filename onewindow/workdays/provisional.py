"""Provisional holidays (暂定假日安排) for years the official schedule does not cover yet.

Pure functions, no Django. A provisional year keeps Saturdays and Sundays off and adds the
statutory holidays of the 2025 revision of the national rules (《全国年节及纪念日放假办法》,
in force since 2025-01-01):

* 元旦 New Year's Day: 1 January (1 day)
* 春节 Spring Festival: lunar New Year's Eve and lunar 1/1–1/3 (4 days)
* 清明节 Qingming: the day of the Qingming solar term (1 day)
* 劳动节 Labour Day: 1–2 May (2 days)
* 端午节 Dragon Boat Festival: lunar 5/5 (1 day)
* 中秋节 Mid-Autumn Festival: lunar 8/15 (1 day)
* 国庆节 National Day: 1–3 October (3 days)

No make-up working days (调休上班) and no substitute days off are guessed: the State Council
decides those each year, and a year stays provisional until its schedule is imported.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt

from lunardate import LunarDate

#: The lunar calendar data of ``lunardate`` covers lunar years 1900–2099.
FIRST_RULE_YEAR = 1901
LAST_RULE_YEAR = 2099

# Coefficients of the usual "寿星" formula for the Qingming term: day = int(Y*D + C) - L.
_QINGMING_D = 0.2422
_QINGMING_C = {19: 5.59, 20: 4.81}


def lunar_to_solar(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of a lunar (农历) date in the given lunar year (never a leap month)."""
    solar: dt.date = LunarDate(year, month, day).to_solar_date()
    return solar


def qingming(year: int) -> dt.date:
    """The day of the Qingming solar term (清明) in April of ``year`` (1901–2099).

    Uses the usual formula ``int(Y*0.2422 + C) - L`` where Y is the year within its
    century, C the century constant and L the number of leap days between the start of the
    century and this year's April.
    """
    if not FIRST_RULE_YEAR <= year <= LAST_RULE_YEAR:
        raise ValueError(f"清明日期只能计算 {FIRST_RULE_YEAR}–{LAST_RULE_YEAR} 年：{year}")
    century = (year - 1) // 100  # 1901–2000 -> 19, 2001–2100 -> 20
    y = year - century * 100
    base = century * 100
    leap_days = sum(1 for yy in range(base + 1, year + 1) if _stdlib_calendar.isleap(yy))
    day = int(y * _QINGMING_D + _QINGMING_C[century]) - leap_days
    return dt.date(year, 4, day)


def statutory_holidays(year: int) -> dict[dt.date, str]:
    """The statutory holidays (法定节假日) of ``year`` under the 2025 rules, with their names."""
    days: dict[dt.date, str] = {dt.date(year, 1, 1): "元旦"}
    new_year = lunar_to_solar(year, 1, 1)  # always 21 Jan – 20 Feb, so the eve is in `year`
    for offset in range(-1, 3):
        days[new_year + dt.timedelta(days=offset)] = "春节"
    days[qingming(year)] = "清明节"
    days[dt.date(year, 5, 1)] = "劳动节"
    days[dt.date(year, 5, 2)] = "劳动节"
    days[lunar_to_solar(year, 5, 5)] = "端午节"
    days[lunar_to_solar(year, 8, 15)] = "中秋节"
    for day in (1, 2, 3):
        days[dt.date(year, 10, day)] = "国庆节"
    return days
