"""The management office imports a catalogue file with a mistake and gets the row-level report."""

from __future__ import annotations

import json
from typing import Any

import pytest

from onewindow.catalog.models import ServiceItem
from onewindow.catalog.tests.test_services import item_row


@pytest.mark.django_db(transaction=True)
def test_admin_import_with_an_error_shows_the_rows_and_imports_nothing(
    live_server: Any, page: Any, regions: Any, departments: Any, make_staff: Any,
    artifacts: Any, tmp_path: Any,
) -> None:
    admin = make_staff("admin", regions["city"], username="zgb_admin")
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    rows = [
        item_row("IMPL-E2E-1"),
        item_row("IMPL-E2E-2", region_code="379903000000", promised_limit=99),
    ]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"format": "onewindow-catalog/1", "items": rows}), "utf-8")

    page.goto(f"{live_server.url}/accounts/login/?next=/admin/catalog/serviceitem/import/")
    page.get_by_label("用户名").fill("zgb_admin")
    page.get_by_label("密码").fill("Correct-Horse-9")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/admin/catalog/serviceitem/import/")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="开始导入").click()

    errors = page.locator("#import-errors")
    errors.wait_for(state="visible")
    text = errors.inner_text()
    assert "承诺时限不得超过法定时限" in text
    assert errors.locator("tbody tr").count() == 1  # only row 2 is wrong
    assert errors.locator("tbody tr td").nth(1).inner_text() == "2"
    page.screenshot(path=str(artifacts / "admin-import-errors.png"), full_page=True)
    assert ServiceItem.objects.count() == 0  # all or nothing
