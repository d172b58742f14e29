"""Public catalogue pages over HTTP: guide, search, browse, downloads, chief reps, bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.catalog import selectors
from onewindow.catalog.models import Authorisation, Fee, ItemVersion, Material
from onewindow.catalog.tests.test_search import make_item
from onewindow.core.errors import NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def guide(regions: dict[str, Any], departments: dict[str, Any]) -> Any:
    item = make_item(
        name="食品经营许可", region=regions["city"], department=departments["city_market"],
        content="从事食品销售和餐饮服务的经营者办理。",
        materials=("食品经营许可申请书", "营业执照", "法定代表人身份证明"),
        charges_fee=True, online=True, visits=0, supports_booking=True, supports_delivery=True,
        faq=[{"q": "需要现场核查吗？", "a": "仅餐饮服务需要。"}],
        form_schema=[{"name": "shop", "label": "店铺名称", "type": "text", "required": True},
                     {"name": "kind", "label": "经营类别", "type": "select",
                      "choices": ["食品销售", "餐饮服务"]}],
        audiences=("2",), org_themes=("business-licences",),
    )
    version = item.current_version
    Fee.objects.create(version=version, name="工本费", standard="每证10元", basis="价格文件")
    version.co_departments.add(departments["city_health"])
    m = Material.objects.get(version=version, name="营业执照")
    m.tolerable = True
    m.save()
    return item


def test_guide_page_shows_the_six_public_items(client: Client, guide: Any) -> None:
    response = client.get(f"/items/{guide.implementation_code}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("食品经营许可", "基本编码", "实施编码", guide.implementation_code, "承诺件",
                 "网上可办", "零跑动", "可预约", "可快递", "法定时限", "承诺时限", "到现场次数",
                 "办理内容", "设定依据", "办理流程", "申请材料", "办理时限", "收费标准",
                 "工本费", "每证10元", "可容缺", "市民中心二楼", "0571-12345678",
                 "需要现场核查吗？", "云溪市卫生健康委员会", "blank.pdf", "sample.pdf"):
        assert text in html, text
    assert "style=" not in html and "<style" not in html
    assert "<script>" not in html


def test_guide_page_query_count_is_fixed(
    client: Client, guide: Any, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(12):
        assert client.get(f"/items/{guide.implementation_code}/").status_code == 200


def test_search_page_query_count_is_fixed(
    client: Client, guide: Any, regions: dict[str, Any], departments: dict[str, Any],
    django_assert_max_num_queries: Any,
) -> None:
    for i in range(8):
        make_item(name=f"食品生产许可{i}", region=regions["d1"],
                  department=departments["d1_market"])
    with django_assert_max_num_queries(8):
        response = client.get("/search/", {"q": "食品"})
    assert response.status_code == 200
    assert "<mark>食品</mark>经营许可" in response.content.decode()


def test_unknown_or_unpublished_item_is_404(
    client: Client, regions: dict[str, Any], departments: dict[str, Any]
) -> None:
    draft = make_item(name="草稿事项", region=regions["city"],
                      department=departments["city_market"], published=False)
    assert client.get(f"/items/{draft.implementation_code}/").status_code == 404
    response = client.get("/items/NOPE-0000/")
    assert response.status_code == 404
    assert "没有找到" in response.content.decode()
    assert client.get("/items/" + "X" * 500 + "/").status_code == 404
    with pytest.raises(NotFound):
        selectors.item_get_public(implementation_code=draft.implementation_code)


def test_earlier_versions_stay_readable_drafts_do_not(client: Client, guide: Any) -> None:
    v1 = guide.current_version
    v2 = ItemVersion.objects.get(pk=v1.pk)
    v2.pk = None
    v2.number = 2
    v2.change_note = "压缩承诺时限"
    v2.promised_limit = 3
    v2.save()
    guide.current_version = v2
    guide.save(update_fields=["current_version"])
    ItemVersion.objects.filter(pk=v1.pk).update(status="retired")
    draft = ItemVersion.objects.get(pk=v2.pk)
    draft.pk = None
    draft.number = 3
    draft.status = "draft"
    draft.published_at = None
    draft.save()

    old = client.get(f"/items/{guide.implementation_code}/versions/1/")
    assert old.status_code == 200
    assert "历史版本" in old.content.decode()
    current = client.get(f"/items/{guide.implementation_code}/")
    assert "压缩承诺时限" in current.content.decode()
    assert f"/items/{guide.implementation_code}/versions/1/" in current.content.decode()
    assert client.get(f"/items/{guide.implementation_code}/versions/3/").status_code == 404
    assert client.get(f"/items/{guide.implementation_code}/versions/99/").status_code == 404
    assert [v.number for v in selectors.version_history(item=guide)] == [2, 1]


def test_generated_blank_form_and_sample_are_pdfs(client: Client, guide: Any) -> None:
    material = guide.current_version.materials.first()
    base = f"/items/{guide.implementation_code}/materials/{material.pk}"
    blank = client.get(f"{base}/blank.pdf")
    sample = client.get(f"{base}/sample.pdf")
    for response in (blank, sample):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    assert blank.content != sample.content
    assert client.get(f"/items/{guide.implementation_code}/materials/999999/blank.pdf"
                      ).status_code == 404


def test_search_page_states(client: Client, guide: Any) -> None:
    empty = client.get("/search/")
    assert empty.status_code == 200 and "您想办什么事" in empty.content.decode()
    none = client.get("/search/", {"q": "火星移民"})
    assert none.status_code == 200 and "没有找到" in none.content.decode()
    found = client.get("/search/", {"q": "食品经营", "audience": "org"})
    assert "<mark>" in found.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"q": "健" * 5000},
        {"q": "食品", "audience": "martian"},
        {"q": "食品", "page": "-3"},
        {"q": "食品", "page": "abc"},
        {"q": "食品", "page": "99999999999999999999"},
        {"q": "<script>alert(1)</script>"},
        {"q": "\x00\x01"},
        {"q": "' OR 1=1 --"},
    ],
)
def test_bad_search_input_never_500s(client: Client, guide: Any, params: dict[str, str]) -> None:
    response = client.get("/search/", params)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/items/?audience=person&theme=birth", 200),
        ("/items/?audience=org&theme=business-licences", 200),
        ("/items/?audience=martian&theme=birth", 200),
        ("/items/?audience=person&theme=no-such-theme", 404),
        ("/items/?page=abc", 200),
        ("/departments/999999/", 404),
    ],
)
def test_browse_bad_input(client: Client, guide: Any, url: str, status: int) -> None:
    assert client.get(url).status_code == status


def test_browse_by_theme_and_department(client: Client, guide: Any) -> None:
    by_theme = client.get("/items/", {"audience": "org", "theme": "business-licences"})
    assert "食品经营许可" in by_theme.content.decode()
    other = client.get("/items/", {"audience": "org", "theme": "construction"})
    assert "食品经营许可" not in other.content.decode()
    dept = client.get(f"/departments/{guide.department_id}/")
    assert dept.status_code == 200 and "食品经营许可" in dept.content.decode()


def test_chief_representatives_page_shows_only_valid_authorisations_without_personal_data(
    client: Client, guide: Any, departments: dict[str, Any], regions: dict[str, Any],
    make_staff: Any,
) -> None:
    chief = make_staff("chief", regions["city"], departments["city_market"], username="chief1")
    chief.phone = "13800138000"
    chief.display_name = "王首席"
    chief.save()
    issuer = make_staff("admin", regions["city"])
    today = timezone.localdate()
    valid = Authorisation.objects.create(
        number="SQ-2025-001", holder=chief, department=departments["city_market"],
        issued_by=issuer, valid_from=today - dt.timedelta(days=10),
        valid_to=today + dt.timedelta(days=100),
    )
    valid.items.add(guide)
    Authorisation.objects.create(
        number="SQ-2025-OLD", holder=chief, department=departments["city_market"],
        issued_by=issuer, valid_from=today - dt.timedelta(days=100),
        valid_to=today - dt.timedelta(days=1),
    )
    Authorisation.objects.create(
        number="SQ-2025-REV", holder=chief, department=departments["city_market"],
        issued_by=issuer, valid_from=today, valid_to=today + dt.timedelta(days=1),
        revoked_at=timezone.now(),
    )
    response = client.get("/chief-representatives/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "王首席" in html and "SQ-2025-001" in html and "食品经营许可" in html
    assert chief.staff_profile.staff_number in html
    assert "SQ-2025-OLD" not in html and "SQ-2025-REV" not in html
    assert "13800138000" not in html
    assert [a.number for a in selectors.chief_representatives_public()] == ["SQ-2025-001"]


def test_selectors_for_home(guide: Any, regions: dict[str, Any]) -> None:
    assert [i.pk for i in selectors.popular_items(region=None, limit=5)] == [guide.pk]
    depts = list(selectors.departments_with_items(region=regions["city"]))
    assert [d.pk for d in depts] == [guide.department_id]
    assert depts[0].item_count == 1
    assert list(selectors.items_for_browse(region=regions["d2"])) == []
    counts = {t.slug: t.count for t in selectors.theme_counts()["org"]}
    assert counts["business-licences"] == 1


def test_other_levels_link_same_basic_item(
    client: Client, guide: Any, regions: dict[str, Any], departments: dict[str, Any]
) -> None:
    local = make_item(name="食品经营许可", basic=guide.basic, region=regions["d1"],
                      department=departments["d1_market"])
    html = client.get(f"/items/{guide.implementation_code}/").content.decode()
    assert f"/items/{local.implementation_code}/" in html


def test_guide_views_are_counted_for_the_most_used_list(client: Client, guide: Any) -> None:
    before = type(guide).objects.get(pk=guide.pk).popularity
    client.get(f"/items/{guide.implementation_code}/")
    client.get(f"/items/{guide.implementation_code}/")
    assert type(guide).objects.get(pk=guide.pk).popularity == before + 2
