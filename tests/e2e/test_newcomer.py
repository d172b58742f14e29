"""A newcomer finds out how to get a health certificate (健康证), on a computer and a phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from onewindow.catalog.models import Fee
from onewindow.catalog.tests.test_search import make_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def small_catalogue(regions: dict[str, Any], departments: dict[str, Any]) -> dict[str, Any]:
    health = make_item(
        name="健康证办理", region=regions["city"], department=departments["city_health"],
        content="食品、公共场所等行业从业人员上岗前须进行健康检查，取得健康证明。",
        materials=("居民身份证", "近期免冠一寸照片", "健康检查表"),
        person_themes=("health", "employment"), popularity=100, online=True, visits=1,
        case_type="1", promised_limit=0, supports_booking=True,
        faq=[{"q": "健康证有效期多久？", "a": "一年，到期前请重新体检。"}],
        form_schema=[{"name": "name", "label": "姓名", "type": "text", "required": True},
                     {"name": "id", "label": "身份证号码", "type": "id_number"}],
    )
    food = make_item(
        name="食品经营许可", region=regions["city"], department=departments["city_market"],
        content="申请从事食品销售和餐饮服务。需提供从业人员健康证明。",
        materials=("营业执照", "从业人员健康证"), audiences=("2",),
        org_themes=("business-licences",), charges_fee=True,
    )
    Fee.objects.create(version=food.current_version, name="工本费", standard="每证10元")
    make_item(name="企业设立登记", region=regions["city"], department=departments["city_market"],
              content="核发营业执照。", audiences=("2",), org_themes=("start-business",))
    return {"health": health, "food": food}


def _visible_text(page: Any, selector: str) -> str:
    return page.locator(selector).inner_text()


def test_newcomer_searches_health_certificate_and_reads_the_guide(
    live_server: Any, page: Any, small_catalogue: dict[str, Any], artifacts: Path
) -> None:
    page.goto(live_server.url + "/")
    page.screenshot(path=str(artifacts / "home-desktop.png"), full_page=True)
    page.get_by_label("搜索办事事项").fill("健康证")
    page.get_by_role("button", name="搜索", exact=True).click()
    page.wait_for_url("**/search/?q=*")
    first = page.locator(".results .result-title a").first
    assert "健康证" in first.inner_text()
    page.screenshot(path=str(artifacts / "search-desktop.png"), full_page=True)
    first.click()
    page.wait_for_url(f"**/items/{small_catalogue['health'].implementation_code}/")

    assert page.locator("h1.guide-title").inner_text() == "健康证办理"
    materials = _visible_text(page, "#s-materials")
    for text in ("居民身份证", "近期免冠一寸照片", "健康检查表", "空白表格", "示例样表"):
        assert text in materials
    assert page.locator("#s-materials table").is_visible()
    limits = _visible_text(page, "#s-limits")
    assert "法定办结时限" in limits and "20个工作日" in limits and "即时办结" in limits
    assert "本事项不收费" in _visible_text(page, "#s-fees")
    facts = _visible_text(page, ".facts")
    assert "不收费" in facts and "即办件" in _visible_text(page, ".guide-head")
    page.screenshot(path=str(artifacts / "guide-desktop.png"), full_page=True)


def test_phone_sized_home_and_guide(
    live_server: Any, phone_page: Any, small_catalogue: dict[str, Any], artifacts: Path
) -> None:
    phone_page.goto(live_server.url + "/")
    assert phone_page.get_by_label("搜索办事事项").is_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"home page scrolls sideways on a phone ({width}px)"
    phone_page.screenshot(path=str(artifacts / "home-phone.png"), full_page=True)

    phone_page.goto(live_server.url + f"/items/{small_catalogue['food'].implementation_code}/")
    assert "工本费" in phone_page.locator("#s-fees").inner_text()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"guide page scrolls sideways on a phone ({width}px)"
    phone_page.screenshot(path=str(artifacts / "guide-phone.png"), full_page=True)


def test_elderly_mode_enlarges_type(
    live_server: Any, page: Any, small_catalogue: dict[str, Any], artifacts: Path
) -> None:
    page.goto(live_server.url + "/")
    normal = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    page.get_by_role("button", name="长者模式").click()
    page.wait_for_load_state()
    assert "elderly" in (page.locator("body").get_attribute("class") or "")
    larger = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert larger > normal
    page.screenshot(path=str(artifacts / "home-elderly.png"), full_page=True)
