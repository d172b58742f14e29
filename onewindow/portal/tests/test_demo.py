"""The demo city loads into an empty database, refuses a non-empty one, and is complete."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from onewindow.accounts.models import Applicant, Role, RoleAssignment
from onewindow.catalog.models import Authorisation, BasicItem, ServiceItem
from onewindow.regions.models import Region, RegionLevel


@pytest.mark.django_db
def test_demo_loads_a_complete_city_and_refuses_to_load_twice(capsys, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("demo")
    assert "演示数据已载入" in capsys.readouterr().out
    assert {r.level for r in Region.objects.all()} == {level.value for level in RegionLevel}
    assert {ra.role for ra in RoleAssignment.objects.all()} == {r.value for r in Role}
    published = ServiceItem.objects.filter(current_version__isnull=False)
    assert published.count() >= 60
    assert BasicItem.objects.count() >= 60
    # 三级四同: some basic items are implemented in more than one region.
    assert any(b.implementations.count() > 1 for b in BasicItem.objects.all())
    # Every item has the six public items filled in.
    for item in published.select_related("current_version", "basic"):
        v = item.current_version
        assert item.basic.legal_basis and v.acceptance_conditions and v.procedure, item
        assert v.materials.exists(), item
        assert v.place and v.hours and v.consult_phone and v.complaint_phone, item
    assert Authorisation.objects.exists()
    assert Applicant.objects.filter(kind="organisation").exists()
    accounts = (tmp_path / "demo-accounts.txt").read_text(encoding="utf-8")
    assert "工作人员密码" in accounts

    with pytest.raises(CommandError, match="不是空的"):
        call_command("demo")
    call_command("demo", "--if-empty")
    assert "跳过" in capsys.readouterr().out
