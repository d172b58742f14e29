import datetime as dt

import pytest
from django.core.cache import cache

from onewindow.core.errors import ValidationFailed
from onewindow.workdays import registry, selectors
from onewindow.workdays.calendar import DueDate
from onewindow.workdays.models import CalendarOverride, OfficialYear, ScheduleDay
from onewindow.workdays.services import (
    calendar_import_schedule,
    calendar_official_year_delete,
    calendar_override_remove,
    calendar_override_set,
)

pytestmark = pytest.mark.django_db

SCHEDULE_2027 = """\
# 2027 年放假安排（测试数据）
date,kind,name
2027-01-01,休,元旦
2027-02-05,休,春节
2027-02-06,休,春节
2027-02-07,休,春节
2027-02-08,休,春节
2027-02-09,holiday,春节
2027-02-10,holiday,春节
2027-02-11,holiday,春节
2027-02-20,班,春节调休
"""


def d(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


@pytest.fixture
def recomputed():
    calls: list[frozenset[int]] = []

    def recompute(years: frozenset[int]) -> int:
        calls.append(years)
        return 3

    registry.register_deadline_recomputer(recompute)
    yield calls
    registry.unregister_deadline_recomputer(recompute)


def test_selectors_give_package_data_without_any_rows():
    assert selectors.add_workdays(d("2026-09-30"), 5) == DueDate(d("2026-10-13"), False)
    assert selectors.is_workday(d("2025-01-26"))
    assert 2027 in selectors.provisional_years()


def test_import_replaces_the_provisional_year(django_capture_on_commit_callbacks, recomputed):
    assert selectors.add_workdays(d("2027-02-04"), 1) == DueDate(d("2027-02-09"), True)
    with django_capture_on_commit_callbacks(execute=True):
        result = calendar_import_schedule(text=SCHEDULE_2027, source="国办发明电〔2026〕1号")
    assert [y.year for y in result.years] == [2027]
    assert result.counts[2027] == {"holiday": 8, "workday": 1}
    assert OfficialYear.objects.get(year=2027).source == "国办发明电〔2026〕1号"
    assert ScheduleDay.objects.count() == 9
    assert 2027 not in selectors.provisional_years()
    assert selectors.add_workdays(d("2027-02-04"), 1) == DueDate(d("2027-02-12"), False)
    assert selectors.is_workday(d("2027-02-20"))  # Saturday make-up day
    assert selectors.is_workday(d("2027-04-05"))  # the file replaces the whole year
    assert recomputed == [frozenset({2027})]
    assert result.recomputed == 3


def test_import_is_visible_inside_the_same_transaction_before_commit():
    calendar_import_schedule(text=SCHEDULE_2027, source="t")
    assert selectors.add_workdays(d("2027-02-04"), 1) == DueDate(d("2027-02-12"), False)


def test_reimport_replaces_the_year(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        calendar_import_schedule(text=SCHEDULE_2027, source="first")
    with django_capture_on_commit_callbacks(execute=True):
        calendar_import_schedule(text="2027-01-01,休,元旦\n2027-01-04,休,测试\n", source="second")
    official = OfficialYear.objects.get(year=2027)
    assert official.source == "second"
    assert sorted(official.days.values_list("date", flat=True)) == [
        d("2027-01-01"),
        d("2027-01-04"),
    ]
    assert selectors.is_workday(d("2027-02-09"))
    assert not selectors.is_workday(d("2027-01-04"))


def test_bad_lines_are_all_reported_with_numbers_and_nothing_is_written():
    text = (
        "date,kind,name\n"
        "2027-01-01,休,元旦\n"
        "2027-13-01,休,坏日期\n"
        "2027-02-06,放,坏类型\n"
        "27-02-06,休,短日期\n"
        "2027-01-01,休,重复\n"
        "2027-02-01,班,周一不能是调休上班日\n"
        "2027-02-02\n"
    )
    with pytest.raises(ValidationFailed) as info:
        calendar_import_schedule(text=text, source="bad")
    lines = [row["line"] for row in info.value.rows]
    assert lines == [3, 4, 5, 6, 7, 8]
    assert "日期不存在" in info.value.rows[0]["error"]
    assert "类型错误" in info.value.rows[1]["error"]
    assert "日期格式错误" in info.value.rows[2]["error"]
    assert "第 2 行" in info.value.rows[3]["error"]
    assert "周六或周日" in info.value.rows[4]["error"]
    assert "字段" in info.value.rows[5]["error"]
    assert "未导入" in info.value.message
    assert OfficialYear.objects.count() == 0
    assert ScheduleDay.objects.count() == 0


def test_year_without_any_holiday_is_refused():
    with pytest.raises(ValidationFailed) as info:
        calendar_import_schedule(text="2027-02-20,班,调休\n", source="x")
    assert info.value.rows[0]["line"] == 1
    assert OfficialYear.objects.count() == 0


def test_empty_file_is_refused():
    with pytest.raises(ValidationFailed):
        calendar_import_schedule(text="# nothing\n\n", source="x")


def test_override_makes_a_day_off_and_removal_restores_it(
    django_capture_on_commit_callbacks, recomputed
):
    with django_capture_on_commit_callbacks(execute=True):
        calendar_override_set(day=d("2026-10-12"), kind="holiday", reason="台风停工")
    assert CalendarOverride.objects.get().reason == "台风停工"
    assert not selectors.is_workday(d("2026-10-12"))
    assert selectors.add_workdays(d("2026-09-30"), 5).date == d("2026-10-14")
    with django_capture_on_commit_callbacks(execute=True):
        assert calendar_override_remove(day=d("2026-10-12")) is True
    assert selectors.is_workday(d("2026-10-12"))
    assert calendar_override_remove(day=d("2026-10-12")) is False
    assert recomputed == [frozenset({2026}), frozenset({2026})]


def test_override_wins_over_an_imported_schedule(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        calendar_import_schedule(text=SCHEDULE_2027, source="s")
        calendar_override_set(day=d("2027-02-09"), kind="班", reason="窗口值班")
    assert selectors.is_workday(d("2027-02-09"))


def test_override_rejects_bad_kind():
    with pytest.raises(ValidationFailed):
        calendar_override_set(day=d("2026-10-12"), kind="maybe", reason="")
    assert CalendarOverride.objects.count() == 0


def test_deleting_an_imported_year_makes_it_provisional_again(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        calendar_import_schedule(text=SCHEDULE_2027, source="s")
    with django_capture_on_commit_callbacks(execute=True):
        assert calendar_official_year_delete(year=2027) is True
    assert 2027 in selectors.provisional_years()


def test_cache_version_change_from_another_process_rebuilds(settings):
    settings.ONEWINDOW_WORKDAYS_VERSION_CHECK_SECONDS = 0
    first = selectors.get_calendar()
    assert selectors.get_calendar() is first
    cache.set(selectors.VERSION_CACHE_KEY, "changed-elsewhere", timeout=None)
    assert selectors.get_calendar() is not first


def test_version_is_checked_at_most_once_per_interval(settings):
    settings.ONEWINDOW_WORKDAYS_VERSION_CHECK_SECONDS = 3600
    first = selectors.get_calendar()
    cache.set(selectors.VERSION_CACHE_KEY, "changed-elsewhere", timeout=None)
    assert selectors.get_calendar() is first  # within the interval: no cache read
    selectors.bump_calendar_version()  # a change made in this process is seen at once
    assert selectors.get_calendar() is not first


def test_add_work_hours_uses_configured_office_hours(settings):
    settings.ONEWINDOW_OFFICE_HOURS = "08:00-12:00"
    start = dt.datetime(2026, 3, 9, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    due = selectors.add_work_hours(start, 2)
    assert due.datetime.isoformat() == "2026-03-10T09:00:00+08:00"
    assert due.provisional is False


def test_registry_registers_once_and_sums():
    def a(years: frozenset[int]) -> int:
        return 2

    registry.register_deadline_recomputer(a)
    registry.register_deadline_recomputer(a)
    try:
        assert registry.registered_recomputers().count(a) == 1
        assert registry.recompute_deadlines([2027]) >= 2
        assert registry.recompute_deadlines([]) == 0
    finally:
        registry.unregister_deadline_recomputer(a)
