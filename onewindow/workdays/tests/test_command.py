from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from onewindow.workdays import registry
from onewindow.workdays.models import OfficialYear

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("workdays", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def test_add_prints_iso_date():
    assert run("add", "2026-09-30", "5")[0] == "2026-10-13"


def test_add_into_2027_is_marked_provisional():
    assert run("add", "2026-12-31", "5")[0] == "2027-01-08 provisional"


def test_add_negative():
    assert run("add", "2026-10-13", "-5")[0] == "2026-09-30"


def test_between_prints_count():
    assert run("between", "2026-10-01", "2026-10-31")[0] == "18"
    assert run("between", "2027-01-01", "2027-01-31")[0] == "20 provisional"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "2026-13-01", "5"), "起始日期格式错误"),
        (("add", "2026/09/30", "5"), "起始日期格式错误"),
        (("add", "2026-09-30", "five"), "工作日数应为整数"),
        (("between", "2026-10-01", "x"), "截止日期格式错误"),
        (("add", "2099-12-30", "30"), "超出日历范围"),
    ],
)
def test_bad_arguments_give_a_chinese_error(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_import_prints_summary_in_chinese(tmp_path, django_capture_on_commit_callbacks):
    path = tmp_path / "2027.csv"
    path.write_text("date,kind,name\n2027-01-01,休,元旦\n2027-02-20,班,调休\n", encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        out, _err = run("import", str(path), "--source", "国务院办公厅")
    assert "已导入 2027 年放假安排：放假 1 天，调休上班 1 天（来源：国务院办公厅）" in out
    assert OfficialYear.objects.filter(year=2027).exists()
    assert run("add", "2026-12-31", "5")[0] == "2027-01-08"  # no longer provisional


def test_import_bad_file_lists_lines_on_stderr_and_fails(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("2027-01-01,休,元旦\n2027-02-30,休,x\nnot a line\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="未导入"):
        call_command("workdays", "import", str(path), stdout=StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        "第 2 行：日期不存在：2027-02-30",
        "第 3 行：应有 2–3 个字段：日期,类型,名称",
    ]
    assert not OfficialYear.objects.exists()


def test_import_missing_file():
    with pytest.raises(CommandError, match="文件不存在"):
        run("import", "/nonexistent/file.csv")


def test_recompute_runs_the_registry():
    seen: list[frozenset[int]] = []

    def fn(years: frozenset[int]) -> int:
        seen.append(years)
        return 4

    registry.register_deadline_recomputer(fn)
    try:
        out, _ = run("recompute", "--year", "2027")
        assert out == "已按当前日历重新计算 4 个期限（2027 年）"
        assert seen == [frozenset({2027})]
        out, _ = run("recompute")
        assert "全部年份" in out
        assert 2050 in seen[-1]
    finally:
        registry.unregister_deadline_recomputer(fn)
