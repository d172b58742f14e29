import datetime as dt

import chinese_calendar
import pytest

from onewindow.workdays.provisional import qingming, statutory_holidays


@pytest.mark.parametrize("year", range(2004, 2027))
def test_qingming_formula_matches_package_solar_terms(year):
    terms = chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 10))
    assert [d for d, name in terms if name == "清明"] == [qingming(year)]


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2020, 4), (2021, 4), (2022, 5), (2023, 5), (2024, 4), (2025, 4), (2026, 5), (2027, 5)],
)
def test_qingming_known_days(year, expected):
    assert qingming(year) == dt.date(year, 4, expected)


@pytest.mark.parametrize("year", [2025, 2026])
def test_statutory_holidays_under_2025_rules_are_all_official_days_off(year):
    official_off = {d for d in chinese_calendar.holidays if d.year == year}
    assert set(statutory_holidays(year)) <= official_off


def test_provisional_spring_festival_2027_is_eve_plus_three_days():
    days = statutory_holidays(2027)
    spring = sorted(d for d, name in days.items() if name == "春节")
    assert spring == [dt.date(2027, 2, d) for d in (5, 6, 7, 8)]


def test_provisional_2027_has_thirteen_statutory_days():
    days = statutory_holidays(2027)
    assert len(days) == 13
    assert days[dt.date(2027, 1, 1)] == "元旦"
    assert days[dt.date(2027, 4, 5)] == "清明节"
    assert days[dt.date(2027, 6, 9)] == "端午节"  # lunar 5/5
    assert days[dt.date(2027, 9, 15)] == "中秋节"  # lunar 8/15
    assert {dt.date(2027, 10, d) for d in (1, 2, 3)} <= set(days)


def test_qingming_out_of_rule_range_is_rejected():
    with pytest.raises(ValueError):
        qingming(2100)
