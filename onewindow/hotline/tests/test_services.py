"""Knowledge-base services: who may write and review what, states, validity, the index."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from onewindow.core.errors import Conflict, PermissionDenied, ValidationFailed
from onewindow.hotline import demo, selectors, services
from onewindow.hotline.models import Article, ArticleStatus, UnansweredQuestion

from .conftest import publish

FIELDS = {"question": "健康证明办理需要多久", "answer": "3 个工作日内出具。",
          "phrasings": "健康证多久能拿\n健康证多久出"}


def _draft(people: dict[str, Any], departments: dict[str, Any]) -> Article:
    return services.article_create(actor=people["head_health"],
                                   department=departments["city_health"], **FIELDS)


@pytest.mark.parametrize(("who", "allowed"), [
    ("head_health", True), ("admin", True), ("head_market", False), ("head_d2", False),
    ("operator", False), ("clerk", False), ("applicant", False),
])
def test_create_needs_knowledge_edit_for_that_department(
    people: dict[str, Any], departments: dict[str, Any], who: str, allowed: bool
) -> None:
    if allowed:
        article = services.article_create(actor=people[who], department=departments["city_health"],
                                          **FIELDS)
        assert article.status == ArticleStatus.DRAFT
        assert "健康证明" in article.search_question.split()
    else:
        with pytest.raises(PermissionDenied):
            services.article_create(actor=people[who], department=departments["city_health"],
                                    **FIELDS)
        assert not Article.objects.exists()


def test_create_reports_every_bad_field_in_chinese(
    people: dict[str, Any], departments: dict[str, Any]
) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.article_create(actor=people["head_health"], department=departments["city_health"],
                                question="短", answer="", valid_from=dt.date(2026, 5, 1),
                                valid_to=dt.date(2026, 4, 1), key="Bad Key!")
    errors = err.value.field_errors
    assert set(errors) == {"question", "answer", "valid_to", "key"}
    assert "失效日期" in errors["valid_to"][0]
    assert not Article.objects.exists()


def test_region_must_lie_within_the_departments_region(
    people: dict[str, Any], departments: dict[str, Any], regions: dict[str, Any]
) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.article_create(actor=people["head_d2"], department=departments["d2_market"],
                                region=regions["d1"], **FIELDS)
    assert "region" in err.value.field_errors


@pytest.mark.parametrize(("who", "allowed"), [
    ("operator", True), ("admin", True), ("operator_d2", False), ("head_health", False),
    ("head_market", False), ("clerk", False),
])
def test_publish_needs_knowledge_review_in_scope(
    people: dict[str, Any], departments: dict[str, Any], who: str, allowed: bool
) -> None:
    article = _draft(people, departments)
    services.article_submit(actor=people["head_health"], article=article)
    if allowed:
        services.article_publish(actor=people[who], article=article)
        article.refresh_from_db()
        assert article.status == ArticleStatus.PUBLISHED and article.version == 1
    else:
        with pytest.raises(PermissionDenied):
            services.article_publish(actor=people[who], article=article)
        article.refresh_from_db()
        assert article.status == ArticleStatus.IN_REVIEW


def test_department_head_of_another_department_cannot_edit(
    people: dict[str, Any], departments: dict[str, Any]
) -> None:
    article = _draft(people, departments)
    with pytest.raises(PermissionDenied):
        services.article_update(actor=people["head_market"], article=article,
                                department=departments["city_market"], **FIELDS)
    article.refresh_from_db()
    assert article.department == departments["city_health"] and article.revision == 0


def test_state_table_refuses_skipping_review(
    people: dict[str, Any], departments: dict[str, Any]
) -> None:
    article = _draft(people, departments)
    with pytest.raises(Conflict) as err:
        services.article_publish(actor=people["operator"], article=article)
    assert "草稿" in err.value.message
    with pytest.raises(Conflict):
        services.article_retire(actor=people["operator"], article=article)


def test_return_needs_a_reason_and_goes_back_to_draft(
    people: dict[str, Any], departments: dict[str, Any]
) -> None:
    article = _draft(people, departments)
    services.article_submit(actor=people["head_health"], article=article)
    with pytest.raises(ValidationFailed) as err:
        services.article_return(actor=people["operator"], article=article, note=" ")
    assert "note" in err.value.field_errors
    services.article_return(actor=people["operator"], article=article, note="请补充收费标准")
    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT and article.review_note == "请补充收费标准"


def test_publish_and_retire_change_what_the_robot_answers(
    people: dict[str, Any], departments: dict[str, Any]
) -> None:
    article = _draft(people, departments)
    assert selectors.robot_answer(question="健康证多久能拿到").best is None
    services.article_submit(actor=people["head_health"], article=article)
    token = selectors.current_token()
    services.article_publish(actor=people["operator"], article=article)
    assert selectors.current_token() != token
    best = selectors.robot_answer(question="健康证多久能拿到").best
    assert best is not None and best.article.pk == article.pk
    services.article_retire(actor=people["head_health"], article=article)
    assert selectors.robot_answer(question="健康证多久能拿到").best is None


def test_editing_a_published_article_takes_it_out_until_reviewed(
    people: dict[str, Any], departments: dict[str, Any]
) -> None:
    article = publish(people, departments["city_health"], **FIELDS)
    assert selectors.robot_answer(question="健康证多久能拿到").answered
    services.article_update(actor=people["head_health"], article=article,
                            department=departments["city_health"], expected_revision=0,
                            **{**FIELDS, "answer": "5 个工作日内出具。"})
    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT and article.revision == 1
    assert not selectors.robot_answer(question="健康证多久能拿到").answered
    with pytest.raises(Conflict):  # a second editor with the old revision
        services.article_update(actor=people["head_health"], article=article,
                                department=departments["city_health"], expected_revision=0,
                                **FIELDS)


def test_only_currently_valid_articles_answer(
    people: dict[str, Any], departments: dict[str, Any]
) -> None:
    publish(people, departments["city_health"], valid_from=dt.date(2026, 1, 1),
            valid_to=dt.date(2026, 6, 30), **FIELDS)
    q = "健康证多久能拿到"
    assert selectors.robot_answer(question=q, on=dt.date(2026, 3, 1)).answered
    assert not selectors.robot_answer(question=q, on=dt.date(2026, 7, 1)).answered
    assert not selectors.robot_answer(question=q, on=dt.date(2025, 12, 31)).answered


def test_unanswered_questions_are_counted_masked(db: Any) -> None:
    services.unanswered_record(question="我的手机13912345678丢了怎么办？")
    services.unanswered_record(question="我的手机 13912345678 丢了怎么办")
    row = UnansweredQuestion.objects.get()
    assert row.count == 2
    assert "13912345678" not in row.sample and "139****5678" in row.sample


def test_demo_loader_is_idempotent(regions: dict[str, Any], departments: dict[str, Any]) -> None:
    first = demo.load_demo_articles()
    assert first.created > 0  # the city's market and health departments exist in the fixture
    assert first.skipped > 0  # the others do not: skipped, no error
    second = demo.load_demo_articles()
    assert second.created == 0 and second.existing == first.created
    assert Article.objects.filter(status=ArticleStatus.PUBLISHED).count() == first.created
    best = selectors.robot_answer(question="我想开个小吃店要办什么证").best
    assert best is not None and best.article.key.startswith("food")
