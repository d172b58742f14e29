"""Site shell: home, site switcher, elderly mode, language switch, error pages, CSP."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, RequestFactory

from onewindow.catalog.tests.test_search import make_item
from onewindow.portal import views

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parents[2]


@pytest.fixture
def items(regions: dict[str, Any], departments: dict[str, Any]) -> list[Any]:
    return [
        make_item(name="健康证办理", region=regions["city"],
                  department=departments["city_health"], person_themes=("health",),
                  popularity=9),
        make_item(name="公共场所卫生许可", region=regions["d1"],
                  department=departments["d1_market"], audiences=("2",),
                  org_themes=("environment",)),
    ]


def test_home_shows_search_themes_departments_and_popular_items(
    client: Client, items: list[Any], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(8):
        response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("热门搜索", "个人办事", "法人办事", "生育收养", "开办企业", "健康证办理",
                 "云溪市卫生健康委员会", "办件查询", "12345", "长者模式", "/i18n/setlang/",
                 "/accounts/applicant/login/", "/accounts/login/"):
        assert text in html, text


def test_home_on_an_empty_catalogue(client: Client, db: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "事项目录正在整理中" in response.content.decode()


def test_site_switcher_sets_cookie_and_filters(
    client: Client, items: list[Any], regions: dict[str, Any]
) -> None:
    listing = client.get("/site/")
    assert listing.status_code == 200 and "湖滨街道" in listing.content.decode()
    response = client.get("/site/", {"site": regions["d1"].code, "next": "/search/?q=许可"})
    assert response.status_code == 302
    assert response["Location"] == "/search/?q=%E8%AE%B8%E5%8F%AF"
    assert client.cookies["ow_site"].value == regions["d1"].code
    home = client.get("/").content.decode()
    assert "东湖区" in home and "云溪市" in home
    html = client.get("/search/", {"q": "健康证"}).content.decode()
    assert "没有找到" in html and "在全部站点中搜索" in html
    everywhere = client.get("/search/", {"q": "健康证", "all": "1"}).content.decode()
    assert "<mark>健康证</mark>办理" in everywhere


def test_site_switcher_rejects_bad_codes_and_foreign_redirects(
    client: Client, regions: dict[str, Any]
) -> None:
    response = client.get("/site/", {"site": "not-a-code", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    client.cookies["ow_site"] = "999999999999"
    assert client.get("/").status_code == 200


def test_elderly_mode_toggle(client: Client, db: Any) -> None:
    response = client.post("/elderly/", {"mode": "on", "next": "/"})
    assert response.status_code == 302
    assert 'class="elderly' in client.get("/").content.decode()
    client.post("/elderly/", {"mode": "off"})
    assert 'class="elderly' not in client.get("/").content.decode()
    assert client.get("/elderly/").status_code == 405


def test_language_switch_posts_to_set_language(client: Client, db: Any) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302


def test_404_page_is_friendly(client: Client, db: Any) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "没有找到这个页面" in response.content.decode()


def test_500_page_renders_without_database() -> None:
    response = views.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "系统暂时出了点问题" in response.content.decode()


def test_workbench_frame_only_for_staff(
    client: Client, regions: dict[str, Any], make_staff: Any
) -> None:
    assert client.get("/workbench/").status_code == 302
    client.force_login(make_staff("clerk", regions["city"]))
    staff = client.get("/workbench/").content.decode()
    assert "事项管理" in staff and "/admin/catalog/serviceitem/" in staff


def test_no_inline_scripts_or_styles_in_templates() -> None:
    """The CSP forbids inline code: every template must keep scripts and styles in files."""
    offenders = []
    for path in TEMPLATES.glob("*/templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(
            r"<style|\sstyle=|\son[a-z]+=", text
        ):
            offenders.append(str(path))
    assert offenders == []


def test_csp_header_and_static_assets(client: Client, db: Any) -> None:
    response = client.get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert "/static/portal/site.css" in html and "/static/portal/site.js" in html
