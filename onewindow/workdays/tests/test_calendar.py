import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onewindow.workdays.calendar import (
    CalendarRangeError,
    DueDate,
    WorkCalendar,
    YearData,
    build_calendar,
    default_calendar,
    parse_office_hours,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = default_calendar()
OFFICE = parse_office_hours("09:00-12:00,13:30-17:30")

dates = st.dates(min_value=dt.date(2004, 7, 1), max_value=dt.date(2030, 12, 31))
steps = st.integers(min_value=-60, max_value=60)
small = st.integers(min_value=0, max_value=40)
fast = settings(max_examples=150, deadline=None)


def d(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


# --- known dates -------------------------------------------------------------------------------


def test_national_day_2026_five_working_days_after_sept_30_is_oct_13():
    # 10/1–10/7 off; Saturday 10/10 is a make-up working day.
    assert CAL.add_workdays(d("2026-09-30"), 5) == DueDate(d("2026-10-13"), False)


def test_sunday_2025_01_26_is_a_make_up_working_day():
    assert CAL.is_workday(d("2025-01-26"))
    assert d("2025-01-26").weekday() == 6


def test_spring_festival_2026_is_off_and_make_up_saturday_is_worked():
    for day in range(15, 24):  # 2026-02-15 .. 02-23
        assert not CAL.is_workday(dt.date(2026, 2, day))
    assert CAL.is_workday(d("2026-02-14"))  # Saturday, 调休上班
    assert CAL.is_workday(d("2026-02-28"))  # Saturday, 调休上班
    assert CAL.holiday_name(d("2026-02-17")) == "春节"


def test_ordinary_weekend_is_off_and_weekday_is_worked():
    assert not CAL.is_workday(d("2026-03-07"))
    assert CAL.is_workday(d("2026-03-09"))


def test_zero_days_gives_the_start_itself_even_on_a_holiday():
    assert CAL.add_workdays(d("2026-10-01"), 0) == DueDate(d("2026-10-01"), False)


def test_negative_days_count_backwards_not_counting_the_start():
    assert CAL.add_workdays(d("2026-10-13"), -5).date == d("2026-09-30")
    assert CAL.add_workdays(d("2026-10-05"), -1).date == d("2026-09-30")


def test_between_counts_start_excluded_end_included():
    assert CAL.workdays_between(d("2026-10-01"), d("2026-10-31")).days == 18
    assert CAL.workdays_between(d("2026-09-30"), d("2026-10-13")).days == 5
    assert CAL.workdays_between(d("2026-10-13"), d("2026-09-30")).days == -5
    assert CAL.workdays_between(d("2026-10-13"), d("2026-10-13")).days == 0


def test_2027_is_provisional_and_flags_spans_that_reach_it():
    assert CAL.is_provisional_year(2027)
    assert not CAL.is_provisional_year(2026)
    assert CAL.add_workdays(d("2026-12-31"), 5) == DueDate(d("2027-01-08"), True)
    assert CAL.add_workdays(d("2026-12-01"), 5).provisional is False
    assert CAL.workdays_between(d("2026-12-01"), d("2027-01-04")).provisional is True
    assert CAL.add_workdays(d("2027-01-08"), -5).provisional is True


def test_provisional_spring_festival_and_qingming_2027_are_days_off():
    for day in (5, 8):  # Friday eve and Monday (lunar 1/3); 6–7 are a weekend anyway
        assert not CAL.is_workday(dt.date(2027, 2, day))
    assert CAL.is_workday(d("2027-02-04"))
    assert CAL.is_workday(d("2027-02-09"))
    assert not CAL.is_workday(d("2027-04-05"))  # 清明, a Monday
    assert CAL.add_workdays(d("2027-02-04"), 1) == DueDate(d("2027-02-09"), True)


def test_out_of_range_dates_raise_a_clear_error():
    with pytest.raises(CalendarRangeError):
        CAL.add_workdays(d("2100-01-01"), 1)
    with pytest.raises(CalendarRangeError):
        CAL.add_workdays(d("2099-12-30"), 10)
    with pytest.raises(CalendarRangeError):
        CAL.add_workdays(d("2004-01-05"), -10)


def test_overrides_apply_last_and_official_data_replaces_a_year():
    official = {2027: YearData(2027, holidays=frozenset({d("2027-01-04")}), source="test")}
    cal = build_calendar(
        official=official, overrides={d("2027-01-05"): False, d("2027-02-05"): True}
    )
    assert not cal.is_provisional_year(2027)
    assert cal.is_workday(d("2027-01-01"))  # the imported year does not list New Year's Day
    assert not cal.is_workday(d("2027-01-04"))
    assert not cal.is_workday(d("2027-01-05"))  # override: off
    assert cal.is_workday(d("2027-02-05"))  # override: worked
    assert cal.add_workdays(d("2026-12-31"), 2) == DueDate(d("2027-01-06"), False)


def test_calendar_requires_contiguous_years():
    with pytest.raises(ValueError):
        WorkCalendar([YearData(2026, frozenset()), YearData(2028, frozenset())])


# --- working hours -----------------------------------------------------------------------------


def at(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=SH)


def test_work_hours_within_a_day_and_across_lunch():
    assert CAL.add_work_hours(at("2026-03-09 09:00"), 2, OFFICE).datetime == at("2026-03-09 11:00")
    assert CAL.add_work_hours(at("2026-03-09 11:00"), 2, OFFICE).datetime == at("2026-03-09 14:30")


def test_work_hours_landing_on_period_end_gives_that_end():
    assert CAL.add_work_hours(at("2026-03-09 09:00"), 3, OFFICE).datetime == at("2026-03-09 12:00")
    assert CAL.add_work_hours(at("2026-03-09 09:00"), 7, OFFICE).datetime == at("2026-03-09 17:30")


def test_work_hours_start_outside_office_hours_begins_at_next_period():
    assert CAL.add_work_hours(at("2026-03-09 07:00"), 1, OFFICE).datetime == at("2026-03-09 10:00")
    assert CAL.add_work_hours(at("2026-03-09 12:10"), 1, OFFICE).datetime == at("2026-03-09 14:30")
    assert CAL.add_work_hours(at("2026-03-09 20:00"), 1, OFFICE).datetime == at("2026-03-10 10:00")
    # Saturday start, Monday result
    assert CAL.add_work_hours(at("2026-03-07 10:00"), 0, OFFICE).datetime == at("2026-03-09 09:00")


def test_work_hours_jump_over_national_day_and_accept_decimal_and_timedelta():
    start = at("2026-09-30 16:00")
    assert CAL.add_work_hours(start, 2, OFFICE).datetime == at("2026-10-08 09:30")
    assert CAL.add_work_hours(start, Decimal("1.5"), OFFICE).datetime == at("2026-09-30 17:30")
    assert CAL.add_work_hours(start, dt.timedelta(hours=40), OFFICE).datetime == at(
        "2026-10-14 14:00"
    )


def test_work_hours_convert_other_zones_and_reject_naive_or_negative():
    utc = dt.datetime(2026, 3, 9, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
    assert CAL.add_work_hours(utc, 1, OFFICE).datetime == at("2026-03-09 10:00")
    with pytest.raises(ValueError):
        CAL.add_work_hours(dt.datetime(2026, 3, 9, 9, 0), 1, OFFICE)
    with pytest.raises(ValueError):
        CAL.add_work_hours(at("2026-03-09 09:00"), -1, OFFICE)


def test_work_hours_provisional_when_result_reaches_2027():
    result = CAL.add_work_hours(at("2026-12-31 16:00"), 8, OFFICE)
    assert result.provisional is True
    assert result.datetime.date() == d("2027-01-04")


def test_parse_office_hours_rejects_bad_text():
    for bad in ("", "9-12", "12:00-09:00", "09:00-12:00,11:00-13:00"):
        with pytest.raises(ValueError):
            parse_office_hours(bad)


# --- laws (property-based) ---------------------------------------------------------------------


@fast
@given(dates, steps.filter(lambda n: n != 0))
def test_result_of_nonzero_step_is_a_workday_on_the_right_side(start, n):
    due = CAL.add_workdays(start, n).date
    assert CAL.is_workday(due)
    assert (due > start) if n > 0 else (due < start)


@fast
@given(dates, steps)
def test_between_inverts_add_for_every_start(start, n):
    assert CAL.workdays_between(start, CAL.add_workdays(start, n).date).days == n


@fast
@given(dates, small, small)
def test_adding_non_negative_steps_composes_for_any_start(start, a, b):
    first = CAL.add_workdays(start, a).date
    assert CAL.add_workdays(first, b).date == CAL.add_workdays(start, a + b).date


@fast
@given(dates, steps, steps)
def test_steps_of_any_sign_compose_from_a_workday(start, a, b):
    w = CAL.next_workday(start)
    first = CAL.add_workdays(w, a).date
    assert CAL.add_workdays(first, b).date == CAL.add_workdays(w, a + b).date


@fast
@given(dates, dates, steps)
def test_add_is_monotone_in_the_start(x, y, n):
    lo, hi = sorted((x, y))
    assert CAL.add_workdays(lo, n).date <= CAL.add_workdays(hi, n).date


@fast
@given(dates, steps, steps)
def test_add_is_monotone_in_n(start, m, n):
    lo, hi = sorted((m, n))
    assert CAL.add_workdays(start, lo).date <= CAL.add_workdays(start, hi).date


@fast
@given(dates, dates)
def test_between_is_additive_and_antisymmetric_on_workdays(x, y):
    a, b = CAL.next_workday(x), CAL.next_workday(y)
    assert CAL.workdays_between(a, b).days == -CAL.workdays_between(b, a).days


@fast
@given(dates, dates)
def test_provisional_flag_matches_the_years_spanned(x, n_date):
    lo, hi = sorted((x, n_date))
    expect = any(y >= 2027 for y in range(lo.year, hi.year + 1))
    assert CAL.workdays_between(lo, hi).provisional is expect


def in_office_hours(moment: dt.datetime) -> bool:
    local = moment.astimezone(SH)
    if not CAL.is_workday(local.date()):
        return False
    return any(b <= local.time() <= e for b, e in OFFICE)


starts = st.datetimes(
    min_value=dt.datetime(2004, 7, 1), max_value=dt.datetime(2030, 12, 1), timezones=st.just(SH)
)
hours = st.decimals(min_value=0, max_value=200, places=2)


@fast
@given(starts, hours)
def test_work_hours_never_land_outside_office_hours(start, h):
    due = CAL.add_work_hours(start, h, OFFICE).datetime
    assert in_office_hours(due)
    assert due >= start


@fast
@given(starts, hours, hours)
def test_work_hours_are_monotone_in_hours(start, h1, h2):
    lo, hi = sorted((h1, h2))
    assert (
        CAL.add_work_hours(start, lo, OFFICE).datetime
        <= CAL.add_work_hours(start, hi, OFFICE).datetime
    )


@fast
@given(starts, st.integers(min_value=1, max_value=20))
def test_whole_days_of_work_hours_match_working_days(start, days):
    """From the start of a working day, k full days of hours end at 17:30 of day k-1 after."""
    day = CAL.next_workday(start.date())
    begin = dt.datetime.combine(day, dt.time(9, 0), tzinfo=SH)
    due = CAL.add_work_hours(begin, 7 * days, OFFICE).datetime
    assert due.date() == CAL.add_workdays(day, days - 1).date
    assert due.time() == dt.time(17, 30)
