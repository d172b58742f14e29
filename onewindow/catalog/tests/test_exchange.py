"""Catalogue exchange: export, parse, validation, all-or-nothing import, round trip, command."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from onewindow.accounts.models import Role
from onewindow.catalog import exchange, services
from onewindow.catalog.models import BasicItem, ItemVersion, Material, ServiceItem
from onewindow.catalog.tests.test_services import item_row, make_item
from onewindow.core.errors import PermissionDenied, ValidationFailed


def as_json(items: list[dict[str, Any]]) -> bytes:
    return json.dumps({"format": "onewindow-catalog/1", "items": items}).encode()


def counts() -> tuple[int, int, int, int]:
    return (
        BasicItem.objects.count(), ServiceItem.objects.count(), ItemVersion.objects.count(),
        Material.objects.count(),
    )


def strip(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [exchange._strip_private(r) for r in rows]


def two_rows() -> list[dict[str, Any]]:
    return [
        item_row("IMPL-0001"),
        item_row("IMPL-0002", region_code="379903000000", charges_fee=True,
                 fees=[{"name": "工本费", "standard": "10元", "basis": "物价文件",
                        "allows_reduction": False}]),
    ]


# --- import ----------------------------------------------------------------------------------


def test_import_json_creates_published_items(departments):
    result = services.catalog_import(actor=None, data=as_json(two_rows()), fmt="json")
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    item = ServiceItem.objects.get(implementation_code="IMPL-0002")
    assert item.current_version.number == 1 and item.current_version.charges_fee
    assert item.current_version.fees.get().name == "工本费"
    assert BasicItem.objects.count() == 1  # same basic code in two districts
    assert item.search_title


def test_import_again_is_unchanged_and_a_change_makes_a_new_version(departments):
    services.catalog_import(actor=None, data=as_json(two_rows()), fmt="json")
    again = services.catalog_import(actor=None, data=as_json(two_rows()), fmt="json")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert ItemVersion.objects.count() == 2
    rows = two_rows()
    rows[0]["promised_limit"] = 5
    changed = services.catalog_import(actor=None, data=as_json(rows), fmt="json")
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    item = ServiceItem.objects.get(implementation_code="IMPL-0001")
    assert item.current_version.number == 2 and item.current_version.promised_limit == 5
    assert item.versions.get(number=1).promised_limit == 10


def test_import_is_all_or_nothing_with_row_numbered_errors_json(departments):
    rows = two_rows() + [
        item_row("IMPL-0003", promised_limit=30),
        item_row("IMPL-0001", region_code="379903000000"),  # duplicate code in file
        item_row("IMPL-0005", region_code="379999000000"),
        item_row("IMPL-0006", name="另一个名称", region_code="379902001000",
                 department_code="SCJG"),
    ]
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        services.catalog_import(actor=None, data=as_json(rows), fmt="json")
    assert counts() == before
    errors = exc.value.rows
    by_row: dict[tuple[int, str | None], str] = {}
    for e in errors:
        key = (e["row"], e.get("field"))
        by_row[key] = by_row.get(key, "") + e["error"]
    assert {e["row"] for e in errors} == {3, 4, 5, 6}
    assert "承诺时限不得超过法定时限（20个工作日）" in by_row[(3, "promised_limit")]
    assert "与第1行重复" in by_row[(4, "implementation_code")]
    assert "不存在" in by_row[(5, "region_code")]
    assert "三级四同" in by_row[(6, "name")]
    assert "没有编码" in by_row[(6, "department_code")]  # the town has no such department


def test_import_three_level_consistency_against_database(departments):
    make_item(departments)  # basic B0001 stored with legal limit 20
    rows = [item_row("IMPL-0009", region_code="379903000000", legal_limit=30)]
    with pytest.raises(ValidationFailed) as exc:
        services.catalog_import(actor=None, data=as_json(rows), fmt="json")
    assert exc.value.rows[0]["field"] == "legal_limit"
    assert "基本目录" in exc.value.rows[0]["error"]


def test_import_reports_every_bad_xlsx_row_with_sheet_and_row(departments):
    rows = two_rows()
    rows[0]["materials"][1]["tolerable"] = True  # not required but tolerable
    rows[1]["visits"] = 9
    data = exchange._write_xlsx(rows)
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        services.catalog_import(actor=None, data=data, fmt="xlsx")
    assert counts() == before
    errors = {(e["sheet"], e["row"], e["field"]) for e in exc.value.rows}
    assert ("申请材料", 3, "tolerable") in errors
    assert ("事项", 3, "visits") in errors


def test_xlsx_child_row_of_unknown_item_and_bad_boolean_are_reported(departments):
    data = exchange._write_xlsx(two_rows())
    wb = load_workbook(io.BytesIO(data))
    wb["申请材料"].append(["NO-SUCH", "身份证"])
    header = [c.value for c in wb["事项"][1]]
    col = header.index("是否收费 charges_fee") + 1
    wb["事项"].cell(row=2, column=col, value="也许")
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(ValidationFailed) as exc:
        services.catalog_import(actor=None, data=buffer.getvalue(), fmt="xlsx")
    errors = {(e["sheet"], e["row"], e.get("field")) for e in exc.value.rows}
    assert ("申请材料", 6, "implementation_code") in errors
    assert ("事项", 2, "charges_fee") in errors
    assert ServiceItem.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "fmt", "fragment"),
    [
        (b"not json at all", "json", "JSON"),
        (b'{"format": "other/1", "items": []}', "json", "格式标记"),
        (b"PK\x03\x04 broken zip", "xlsx", "Excel"),
        ("中文文本".encode(), "xlsx", "Excel"),
        (as_json([]), "json", "没有事项"),
    ],
)
def test_bad_files_raise_validation_failed_with_chinese_message(db, data, fmt, fragment):
    with pytest.raises(ValidationFailed) as exc:
        services.catalog_import(actor=None, data=data, fmt=fmt)
    assert fragment in exc.value.message or fragment in str(exc.value.rows)


def test_xlsx_missing_sheet_is_reported(db):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "事项"
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(ValidationFailed) as exc:
        exchange.parse_catalog(buffer.getvalue(), "xlsx")
    assert "缺少工作表" in exc.value.message and "申请材料" in exc.value.message


def test_district_admin_cannot_import_items_of_another_district(departments, make_staff, regions):
    admin = make_staff(Role.ADMIN, regions["d1"])
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        services.catalog_import(actor=admin, data=as_json(two_rows()), fmt="json")
    assert counts() == before
    assert [(e["row"], e["field"]) for e in exc.value.rows] == [(2, "region_code")]
    assert "无权" in exc.value.rows[0]["error"]
    result = services.catalog_import(actor=admin, data=as_json(two_rows()[:1]), fmt="json")
    assert result.created == 1


def test_staff_without_import_permission_is_refused(departments, make_staff, regions):
    head = make_staff(Role.DEPARTMENT_HEAD, regions["d1"], departments["d1_market"])
    with pytest.raises(PermissionDenied):
        services.catalog_import(actor=head, data=as_json(two_rows()[:1]), fmt="json")
    assert ServiceItem.objects.count() == 0


def test_future_effective_date_on_import_waits_for_activation(departments, time_machine):
    from datetime import timedelta

    from django.utils import timezone

    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    services.catalog_import(
        actor=None, data=as_json([item_row(effective_from=tomorrow)]), fmt="json"
    )
    item = ServiceItem.objects.get()
    assert item.current_version is None
    time_machine.move_to(timezone.now() + timedelta(days=1))
    assert services.catalog_activate_due_versions() == 1
    item.refresh_from_db()
    assert item.current_version.number == 1


# --- export and round trip -------------------------------------------------------------------


def test_export_json_follows_the_format(departments):
    make_item(departments)
    doc = json.loads(exchange.export_catalog(fmt="json"))
    assert doc["format"] == "onewindow-catalog/1"
    item = doc["items"][0]
    assert item["implementation_code"] == "IMPL-0001" and item["version"] == 1
    assert item["region_code"] == "379902000000" and item["department_code"] == "SCJG"
    assert item["materials"][0]["name"] == "营业执照"


def test_export_xlsx_has_headers_with_chinese_name_and_key(departments):
    make_item(departments)
    wb = load_workbook(io.BytesIO(exchange.export_catalog(fmt="xlsx")))
    assert wb.sheetnames == ["事项", "申请材料", "收费标准", "办理流程", "常见问题", "申请表单"]
    header = [c.value for c in wb["事项"][1]]
    assert "实施编码 implementation_code" in header
    choices_col = [c.value for c in wb["申请表单"][1]].index("选项 choices")
    assert wb["申请表单"][3][choices_col].value == "预包装食品|散装食品"


@pytest.mark.parametrize("fmt", ["json", "xlsx"])
def test_round_trip_export_then_import_gives_the_same_catalogue(departments, fmt):
    services.catalog_import(actor=None, data=as_json(two_rows()), fmt="json")
    # give one item a second version so that version numbers differ from a fresh import
    rows = two_rows()
    rows[1]["hours"] = "全天"
    services.catalog_import(actor=None, data=as_json(rows), fmt="json")
    first = exchange.export_catalog(fmt=fmt)
    before = exchange.export_items()

    again = services.catalog_import(actor=None, data=first, fmt=fmt)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    # into an empty catalogue: the same items come back
    ItemVersion.objects.all().delete()
    ServiceItem.objects.all().delete()
    BasicItem.objects.all().delete()
    result = services.catalog_import(actor=None, data=first, fmt=fmt)
    assert result.created == 2
    after = exchange.export_items()
    for item in before + after:
        item.pop("version")
    assert after == before


def test_xlsx_and_json_parse_to_the_same_rows(departments):
    services.catalog_import(actor=None, data=as_json(two_rows()), fmt="json")
    from_json = strip(exchange.parse_catalog(exchange.export_catalog(fmt="json"), "json"))
    from_xlsx = strip(exchange.parse_catalog(exchange.export_catalog(fmt="xlsx"), "xlsx"))
    for row in from_json:
        row.pop("version")
    assert [exchange.clean_item(r)[0] for r in from_xlsx] == [
        exchange.clean_item(r)[0] for r in from_json
    ]


def test_validate_rows_writes_nothing_and_lists_errors(departments):
    rows = exchange.parse_catalog(as_json([item_row(audiences=[])]), "json")
    errors = exchange.validate_rows(rows)
    assert errors == [{"row": 1, "field": "audiences", "error": "至少选择一类服务对象"}]
    assert exchange.validate_rows(exchange.parse_catalog(as_json(two_rows()), "json")) == []
    assert ServiceItem.objects.count() == 0


# --- the command -----------------------------------------------------------------------------


def test_command_import_and_export(departments, tmp_path: Path, capsys):
    source = tmp_path / "catalog.json"
    source.write_bytes(as_json(two_rows()))
    out = io.StringIO()
    call_command("catalog", "import", str(source), stdout=out)
    assert "新增2项" in out.getvalue()
    out = io.StringIO()
    call_command("catalog", "export", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["items"][1]["implementation_code"] == "IMPL-0002"
    target = tmp_path / "catalog.xlsx"
    call_command("catalog", "export", "--format", "xlsx", "-o", str(target), stdout=io.StringIO())
    assert load_workbook(target).sheetnames[0] == "事项"
    out = io.StringIO()
    call_command("catalog", "import", str(target), stdout=out)
    assert "未变化2项" in out.getvalue()


def test_command_reports_bad_rows_on_stderr_and_exits_non_zero(departments, tmp_path):
    # CommandError is what makes `onewindow` print the message and exit 1 without a traceback
    # (calling the CLI in-process would close the test's database connection).
    source = tmp_path / "bad.json"
    source.write_bytes(as_json([item_row(), item_row("IMPL-0002", promised_limit=99)]))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("catalog", "import", str(source), stderr=err)
    assert "第2行 promised_limit：承诺时限不得超过法定时限（20个工作日）" in err.getvalue()
    assert ServiceItem.objects.count() == 0


def test_command_rejects_unknown_extension(db, tmp_path):
    source = tmp_path / "catalog.csv"
    source.write_text("x")
    with pytest.raises(CommandError, match="xlsx"):
        call_command("catalog", "import", str(source))


def test_demo_catalogue_validates_if_present(db):
    path = Path(__file__).resolve().parents[1] / "data" / "demo_catalog.json"
    if not path.exists():
        pytest.skip("demo catalogue not written yet")
    rows = exchange.parse_catalog(path.read_bytes(), "json")
    # Regions and departments of the demo city are not loaded here; only shape rules count.
    problems = [p for r in rows for p in exchange.clean_item(exchange._strip_private(r))[1]]
    assert problems == []
