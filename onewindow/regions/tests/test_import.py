from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from onewindow.core.errors import ValidationFailed
from onewindow.regions.models import Region
from onewindow.regions.selectors import region_subtree
from onewindow.regions.services import region_import_csv

GOOD = """code,name,level,parent_code
379900000000,云溪市,city,
379902000000,东湖区,district,379900000000
379902001000,湖滨街道,town,379902000000
379902001001,湖滨社区,village,379902001000
379903000000,西岭区,district,379900000000
"""


@pytest.mark.django_db
def test_a_valid_tree_is_imported_and_subtrees_follow_the_codes():
    result = region_import_csv(text=GOOD)
    assert result.created == 5
    donghu = Region.objects.get(code="379902000000")
    assert {r.name for r in region_subtree(region=donghu)} == {"东湖区", "湖滨街道", "湖滨社区"}
    village = Region.objects.get(code="379902001001")
    assert village.is_within(donghu) and not village.is_within(Region.objects.get(name="西岭区"))
    assert [a.name for a in village.ancestors()] == ["云溪市", "东湖区", "湖滨街道"]


@pytest.mark.django_db
def test_every_bad_row_is_reported_by_line_and_nothing_is_imported():
    bad = GOOD + (
        "37990200100X,坏代码,village,379902001000\n"
        "379904000000,无上级区,district,379800000000\n"
        "379902001002,,village,379902001000\n"
        "379902000000,东湖区,district,379900000000\n"
        "379903001000,错挂镇,town,379902000000\n"
    )
    with pytest.raises(ValidationFailed) as err:
        region_import_csv(text=bad)
    lines = {row["line"]: row["error"] for row in err.value.rows}
    assert set(lines) == {7, 8, 9, 10, 11}
    assert "12位数字" in lines[7]
    assert "不存在" in lines[8]
    assert "名称不能为空" in lines[9]
    assert "重复" in lines[10]
    assert "不在上级区划代码之下" in lines[11]
    assert Region.objects.count() == 0


@pytest.mark.django_db
def test_missing_columns_are_reported():
    with pytest.raises(ValidationFailed, match="缺少列"):
        region_import_csv(text="code,name\n379900000000,云溪市\n")


@pytest.mark.django_db
def test_import_command_prints_rows_and_fails_on_bad_input(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text(GOOD + "123,坏,town,379902000000\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("regions", "import", str(path))
    assert "第7行" in capsys.readouterr().err
    assert Region.objects.count() == 0
    path.write_text(GOOD, encoding="utf-8")
    call_command("regions", "import", str(path))
    assert "新增 5" in capsys.readouterr().out
