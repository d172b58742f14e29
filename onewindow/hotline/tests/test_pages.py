"""Pages: the public robot (with and without JavaScript) and the staff knowledge-base pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from onewindow.hotline.models import Article, ArticleStatus, UnansweredQuestion

STAFF_URLS = ["/workbench/knowledge/", "/workbench/knowledge/review/",
              "/workbench/knowledge/unanswered/", "/workbench/knowledge/new/"]


def test_robot_page_works_as_a_plain_form(client: Client, kb: dict[str, Article]) -> None:
    r = client.get("/robot/")
    assert r.status_code == 200 and "智能问答" in r.content.decode()
    r = client.post("/robot/", {"q": "开个小卖部要办执照吗"})
    html = r.content.decode()
    assert r.status_code == 200
    assert "个体工商户营业执照怎么申请" in html and "云溪市市场监督管理局" in html


def test_robot_page_says_plainly_when_it_does_not_know(
    client: Client, kb: dict[str, Article]
) -> None:
    html = client.post("/robot/", {"q": "推荐一部好看的电影"}).content.decode()
    assert "答不上来" in html and "tel:12345" in html
    assert UnansweredQuestion.objects.count() == 1


def test_robot_page_explains_a_too_short_question(client: Client, db: Any) -> None:
    r = client.post("/robot/", {"q": "a"})
    assert r.status_code == 422 and "至少 2 个字" in r.content.decode()


def test_public_article_page(client: Client, kb: dict[str, Article]) -> None:
    assert client.get("/robot/articles/health-cert/").status_code == 200
    assert client.get("/robot/articles/nothing-here/").status_code == 404


@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_pages_send_anonymous_to_sign_in(client: Client, db: Any, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_pages_refuse_applicants(client: Client, people: dict[str, Any], url: str) -> None:
    client.force_login(people["applicant"])
    assert client.get(url).status_code == 403


def test_clerk_without_knowledge_role_is_refused(client: Client, people: dict[str, Any]) -> None:
    client.force_login(people["clerk"])
    assert client.get("/workbench/knowledge/").status_code == 403


def test_operator_searches_during_a_call(
    client: Client, kb: dict[str, Article], people: dict[str, Any]
) -> None:
    client.force_login(people["operator"])
    html = client.get("/workbench/knowledge/", {"q": "饭店员工要办健康证吗"}).content.decode()
    assert "从业人员健康证明在哪里办" in html


def test_list_filters_by_status(
    client: Client, kb: dict[str, Article], people: dict[str, Any]
) -> None:
    client.force_login(people["operator"])
    Article.objects.filter(key="food-license").update(status=ArticleStatus.RETIRED)
    html = client.get("/workbench/knowledge/", {"status": "retired"}).content.decode()
    assert "食品经营许可证怎么办理" in html and "健康证明" not in html


def test_head_of_another_department_cannot_edit(
    client: Client, kb: dict[str, Article], people: dict[str, Any]
) -> None:
    article = kb["health"]
    client.force_login(people["head_market"])
    # outside the head's department: refused like an article that does not exist
    r = client.get(f"/workbench/knowledge/{article.pk}/edit/")
    assert r.status_code in (403, 404)
    r = client.post(f"/workbench/knowledge/{article.pk}/edit/", {
        "question": "改掉", "answer": "改掉", "department": kb["licence"].department_id})
    assert r.status_code in (403, 404)
    article.refresh_from_db()
    assert article.question == "从业人员健康证明在哪里办"
    # the district head does not even see it
    client.force_login(people["head_d2"])
    assert client.get(f"/workbench/knowledge/{article.pk}/").status_code == 404


def test_write_review_publish_through_the_pages(
    client: Client, people: dict[str, Any], departments: dict[str, Any]
) -> None:
    client.force_login(people["head_health"])
    r = client.post("/workbench/knowledge/new/", {
        "question": "婚前检查在哪做", "answer": "各区妇幼保健院免费婚检。",
        "department": departments["city_health"].pk, "phrasings": "婚检\n免费婚检",
    })
    assert r.status_code == 302, r.content.decode()[:2000]
    article = Article.objects.get()
    r = client.post(f"/workbench/knowledge/{article.pk}/edit/", {
        "question": "婚", "answer": "", "department": departments["city_health"].pk})
    assert r.status_code == 422 and "请填写答复口径" in r.content.decode()
    client.post(f"/workbench/knowledge/{article.pk}/submit/")
    client.force_login(people["operator"])
    assert "婚前检查在哪做" in client.get("/workbench/knowledge/review/").content.decode()
    r = client.post(f"/workbench/knowledge/{article.pk}/return/", {"note": ""}, follow=True)
    assert "请填写退回原因" in r.content.decode()
    client.post(f"/workbench/knowledge/{article.pk}/publish/", {"note": "同意"})
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED and article.reviewer == people["operator"]


def test_unanswered_list_ranks_by_frequency(
    client: Client, kb: dict[str, Article], people: dict[str, Any]
) -> None:
    for q in ["明天会下雨吗", "哪里能买彩票", "明天会下雨吗", "明天会下雨吗"]:
        client.post("/robot/", {"q": q})
    client.force_login(people["head_market"])
    html = client.get("/workbench/knowledge/unanswered/").content.decode()
    assert html.index("明天会下雨吗") < html.index("哪里能买彩票")
    ids = list(UnansweredQuestion.objects.values_list("pk", flat=True))
    client.post("/workbench/knowledge/unanswered/", {"ids": ids})
    assert not UnansweredQuestion.objects.filter(handled=False).exists()
