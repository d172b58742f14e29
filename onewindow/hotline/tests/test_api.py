"""The robot and knowledge-base API: answers, refusals, junk input, throttling, permissions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from onewindow.hotline import throttle
from onewindow.hotline.models import Article, ArticleStatus, UnansweredQuestion

ASK = "/api/v1/hotline/robot/ask"


def _ask(client: Client, body: Any, **extra: Any) -> Any:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(ASK, data=data, content_type="application/json", **extra)


def test_robot_answers_everyday_chinese_with_best_and_candidates(
    client: Client, kb: dict[str, Article]
) -> None:
    r = _ask(client, {"question": "我想开个小饭馆要办啥证"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["answered"] is True
    assert body["answer"]["key"] == "food-license"
    assert body["answer"]["department"] == "云溪市市场监督管理局"
    assert len(body["candidates"]) <= 2
    assert body["create_work_order_url"] is None and body["phone"] == "12345"
    assert not UnansweredQuestion.objects.exists()


def test_robot_says_it_does_not_know_and_records_the_question(
    client: Client, kb: dict[str, Article]
) -> None:
    for _ in range(2):
        body = _ask(client, {"question": "明天会下雨吗？"}).json()
        assert body["answered"] is False and body["answer"] is None
        assert "12345" in body["message"]
    row = UnansweredQuestion.objects.get()
    assert row.count == 2 and row.sample == "明天会下雨吗？"


@pytest.mark.parametrize("body", [
    {"question": ""}, {"question": " "}, {"question": "a"}, {"question": "问" * 201},
    {"question": 12}, {"question": None}, {}, {"question": ["身份证"]},
    "not json", "[]", {"question": "身份证", "region": "bad"},
])
def test_junk_input_gets_a_clear_422_never_a_500(
    client: Client, kb: dict[str, Article], body: Any
) -> None:
    r = _ask(client, body)
    assert r.status_code in (400, 422), r.content
    problem = r.json()
    assert problem["message"]
    assert not UnansweredQuestion.objects.exists()


def test_question_length_errors_name_the_field(client: Client, db: Any) -> None:
    r = _ask(client, {"question": "问" * 201})
    assert r.status_code == 422
    assert "200" in r.json()["errors"]["question"][0]


def test_odd_but_valid_questions_do_not_crash(client: Client, kb: dict[str, Article]) -> None:
    for q in ["？？？？", "😀😀😀", "<script>alert(1)</script>", "1234567890", "ＡＢＣ　ｄｅｆ",
              "的的的的的的", "\u0000\u0001abc"]:
        r = _ask(client, {"question": q})
        assert r.status_code in (200, 400, 422), (q, r.content)


def test_robot_is_throttled_per_address(
    client: Client, kb: dict[str, Article], monkeypatch: Any
) -> None:
    monkeypatch.setattr(throttle, "ROBOT_LIMIT", 3)
    codes = [_ask(client, {"question": "健康证在哪办"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "频繁" in _ask(client, {"question": "健康证在哪办"}).json()["message"]
    other = _ask(client, {"question": "健康证在哪办"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_public_article_only_when_published(client: Client, kb: dict[str, Article]) -> None:
    r = client.get("/api/v1/hotline/robot/articles/health-cert")
    assert r.status_code == 200 and r.json()["department"] == "云溪市卫生健康委员会"
    Article.objects.filter(key="health-cert").update(status=ArticleStatus.RETIRED)
    assert client.get("/api/v1/hotline/robot/articles/health-cert").status_code == 404


def test_staff_search_needs_a_knowledge_role(
    client: Client, kb: dict[str, Article], people: dict[str, Any]
) -> None:
    assert client.get("/api/v1/hotline/articles", {"q": "健康证"}).status_code == 401
    client.force_login(people["applicant"])
    assert client.get("/api/v1/hotline/articles", {"q": "健康证"}).status_code == 403
    client.force_login(people["operator"])
    r = client.get("/api/v1/hotline/articles", {"q": "健康证"})
    assert r.status_code == 200 and r.json()[0]["article"]["key"] == "health-cert"


def test_staff_write_flow_through_the_api(
    client: Client, people: dict[str, Any], departments: dict[str, Any]
) -> None:
    client.force_login(people["head_market"])
    payload = {"question": "个体户年报怎么报", "answer": "每年 1 月至 6 月在公示系统报送。",
               "department_id": departments["city_market"].pk, "phrasings": ["个体户年检"]}
    r = client.post("/api/v1/hotline/articles", data=json.dumps(payload),
                    content_type="application/json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert client.post(f"/api/v1/hotline/articles/{pk}/submit").status_code == 200
    # the department cannot publish its own article
    assert client.post(f"/api/v1/hotline/articles/{pk}/publish", data="{}",
                       content_type="application/json").status_code == 403
    client.force_login(people["operator"])
    r = client.post(f"/api/v1/hotline/articles/{pk}/publish", data="{}",
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "published"
    # another department's head: the article is out of reach (404, like a missing one)
    client.force_login(people["head_health"])
    r = client.put(f"/api/v1/hotline/articles/{pk}", data=json.dumps(payload),
                   content_type="application/json")
    assert r.status_code in (403, 404)
    assert Article.objects.get(pk=pk).status == ArticleStatus.PUBLISHED
