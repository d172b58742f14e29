"""Catalogue search: segmentation, ranking, publication and filters.

``make_item`` here is also used by the page, portal and browser tests to build a small
published catalogue through the ORM.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.utils import timezone

from onewindow.catalog.models import BasicItem, ItemVersion, Material, ServiceItem
from onewindow.catalog.search import (
    refresh_search_fields,
    refresh_search_fields_bulk,
    search_items,
    tokenize,
)

_seq = itertools.count(1)


def make_item(
    *,
    name: str,
    region: Any,
    department: Any,
    content: str = "",
    materials: tuple[str, ...] = ("居民身份证",),
    published: bool = True,
    audiences: tuple[str, ...] = ("1",),
    person_themes: tuple[str, ...] = (),
    org_themes: tuple[str, ...] = (),
    popularity: int = 0,
    basic: BasicItem | None = None,
    **version_fields: Any,
) -> ServiceItem:
    """A service item with one version (published unless told otherwise) and its materials."""
    n = next(_seq)
    if basic is None:
        basic = BasicItem.objects.create(
            basic_code=f"B{n:05d}", name=name, item_type="01",
            legal_basis="《中华人民共和国行政许可法》", legal_limit=20,
        )
    item = ServiceItem.objects.create(
        basic=basic, implementation_code=f"IMP{n:05d}", region=region, department=department,
        popularity=popularity,
    )
    fields: dict[str, Any] = {
        "exercising_level": "3", "case_type": "2", "content": content,
        "acceptance_conditions": "符合法定条件的申请人", "promised_limit": 5,
        "audiences": list(audiences), "person_themes": list(person_themes),
        "org_themes": list(org_themes), "handling_forms": ["1", "2"],
        "procedure": [{"name": "申请", "description": "提交材料"},
                      {"name": "受理", "description": ""}, {"name": "办结", "description": ""}],
        "place": "市民中心二楼", "hours": "工作日 9:00-17:00", "consult_phone": "0571-12345678",
        "complaint_phone": "12345", "visits": 1,
    }
    fields.update(version_fields)
    version = ItemVersion.objects.create(
        item=item, number=1,
        status="published" if published else "draft",
        published_at=timezone.now() if published else None,
        effective_from=timezone.localdate() if published else None,
        **fields,
    )
    for i, material in enumerate(materials):
        Material.objects.create(version=version, sort_order=i, name=material,
                                original_count=1, copy_count=1)
    if published:
        item.current_version = version
        item.save(update_fields=["current_version"])
    refresh_search_fields(item)
    return item


@pytest.fixture
def catalogue(regions: dict[str, Any], departments: dict[str, Any]) -> dict[str, ServiceItem]:
    city = regions["city"]
    return {
        "health": make_item(
            name="健康证办理", region=city, department=departments["city_health"],
            content="从事食品生产经营的从业人员须取得健康证明后方可上岗。",
            materials=("居民身份证", "近期免冠照片"), popularity=50,
        ),
        "food": make_item(
            name="食品经营许可", region=city, department=departments["city_market"],
            content="申请从事食品销售和餐饮服务的经营者办理食品经营许可证。所需健康证明。",
            materials=("营业执照", "从业人员健康证"), audiences=("2",),
        ),
        "company": make_item(
            name="企业设立登记", region=city, department=departments["city_market"],
            content="新开办企业申请设立登记，登记机关核发营业执照。",
            materials=("公司章程", "法定代表人身份证明"), audiences=("2",),
            org_themes=("start-business",),
        ),
        "hygiene": make_item(
            name="公共场所卫生许可", region=regions["d1"], department=departments["d1_market"],
            content="宾馆、美容美发等公共场所经营者申请卫生许可证。",
        ),
        "draft": make_item(
            name="健康证补办", region=city, department=departments["city_health"],
            content="健康证遗失补办。", published=False,
        ),
    }


def test_tokenize_segments_chinese_and_drops_punctuation_and_stopwords() -> None:
    tokens = tokenize("申请食品经营许可证的，材料！")
    assert "食品" in tokens and "经营" in tokens and "许可证" in tokens
    assert "的" not in tokens
    assert "，" not in tokens and "！" not in tokens
    assert tokenize("") == []


def test_domain_words_stay_whole() -> None:
    assert "健康证" in tokenize("办理健康证")
    assert "营业执照" in tokenize("领取营业执照")


@pytest.mark.django_db
def test_health_certificate_query_finds_health_item_first(catalogue: dict[str, Any]) -> None:
    result = search_items(query="健康证")
    assert result.total >= 1
    assert result.hits[0].item.pk == catalogue["health"].pk


@pytest.mark.django_db
def test_segmented_query_matches_longer_name(catalogue: dict[str, Any]) -> None:
    result = search_items(query="食品经营")
    assert catalogue["food"].pk in [h.item.pk for h in result.hits]


@pytest.mark.django_db
def test_segmentation_finds_body_words_a_plain_substring_would_miss(
    catalogue: dict[str, Any],
) -> None:
    assert not ServiceItem.objects.filter(search_body__icontains="办理营业执照").exists()
    result = search_items(query="办理营业执照")
    pks = [h.item.pk for h in result.hits]
    assert catalogue["company"].pk in pks


@pytest.mark.django_db
def test_unpublished_items_never_appear(catalogue: dict[str, Any]) -> None:
    for query in ("健康证补办", "补办", "健康证"):
        result = search_items(query=query)
        assert catalogue["draft"].pk not in [h.item.pk for h in result.hits]


@pytest.mark.django_db
def test_title_matches_rank_before_body_matches(catalogue: dict[str, Any]) -> None:
    # "健康证" is in the health item's name and only in the food item's materials.
    result = search_items(query="健康证")
    pks = [h.item.pk for h in result.hits]
    assert pks.index(catalogue["health"].pk) < pks.index(catalogue["food"].pk)


@pytest.mark.django_db
def test_or_fallback_when_not_every_word_matches(catalogue: dict[str, Any]) -> None:
    result = search_items(query="健康证 火星签证")
    assert result.total >= 1
    assert not result.matched_all
    assert result.hits[0].item.pk == catalogue["health"].pk


@pytest.mark.django_db
def test_region_and_audience_filters(
    catalogue: dict[str, Any], regions: dict[str, Any]
) -> None:
    in_d1 = search_items(query="卫生许可", region=regions["d1"])
    assert [h.item.pk for h in in_d1.hits] == [catalogue["hygiene"].pk]
    assert search_items(query="卫生许可", region=regions["d2"]).total == 0
    persons = search_items(query="营业执照", audience="person")
    assert catalogue["company"].pk not in [h.item.pk for h in persons.hits]
    orgs = search_items(query="营业执照", audience="org")
    assert catalogue["company"].pk in [h.item.pk for h in orgs.hits]


@pytest.mark.django_db
def test_empty_punctuation_and_overlong_queries_return_nothing_safely(
    catalogue: dict[str, Any],
) -> None:
    assert search_items(query="").total == 0
    assert search_items(query="，。！？").total == 0
    assert search_items(query="健康证" * 500).total >= 0
    assert search_items(query="'; DROP TABLE x; -- & | ! :*").total == 0


@pytest.mark.django_db
def test_pagination_offsets(catalogue: dict[str, Any]) -> None:
    everything = search_items(query="许可", limit=100)
    first = search_items(query="许可", limit=1, offset=0)
    second = search_items(query="许可", limit=1, offset=1)
    assert first.total == second.total == everything.total >= 2
    assert [first.hits[0].item.pk, second.hits[0].item.pk] == [
        h.item.pk for h in everything.hits[:2]
    ]


@pytest.mark.django_db
def test_hits_carry_display_data(catalogue: dict[str, Any]) -> None:
    hit = search_items(query="健康证").hits[0]
    assert hit.name == "健康证办理"
    assert hit.department == "云溪市卫生健康委员会"
    assert hit.case_type == "承诺件"
    assert hit.promised_limit == 5
    assert hit.visits == 1
    assert hit.online is False


@pytest.mark.django_db
def test_refresh_search_fields_bulk_indexes_materials_and_department(
    catalogue: dict[str, Any],
) -> None:
    ServiceItem.objects.update(search_title="", search_body="")
    assert refresh_search_fields_bulk(ServiceItem.objects.all()) == ServiceItem.objects.count()
    food = ServiceItem.objects.get(pk=catalogue["food"].pk)
    assert "食品" in food.search_title.split()
    assert "营业执照" in food.search_body.split()
    assert "市场监督管理局" in food.search_body or "市场" in food.search_body.split()
