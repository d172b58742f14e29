"""Fixtures for the knowledge base: staff of each role, an applicant, published articles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from onewindow.accounts.models import Applicant, ApplicantKind, Role, User
from onewindow.hotline import selectors, services
from onewindow.hotline.models import Article


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    selectors.forget_index()
    from django.core.cache import cache

    cache.clear()
    yield
    selectors.forget_index()


@pytest.fixture
def people(regions: dict[str, Any], departments: dict[str, Any], make_staff: Any) -> dict[str, Any]:
    applicant_user = User.objects.create_user(username="13905391002", phone="13905391002")
    Applicant.objects.create(kind=ApplicantKind.PERSON, name="李四", id_number="11010519491231002X",
                             mobile="13905391002", user=applicant_user)
    return {
        "head_market": make_staff(Role.DEPARTMENT_HEAD, regions["city"],
                                  departments["city_market"], username="head_market"),
        "head_health": make_staff(Role.DEPARTMENT_HEAD, regions["city"],
                                  departments["city_health"], username="head_health"),
        "head_d2": make_staff(Role.DEPARTMENT_HEAD, regions["d2"], departments["d2_market"],
                              username="head_d2"),
        "operator": make_staff(Role.OPERATOR, regions["city"], username="operator"),
        "operator_d2": make_staff(Role.OPERATOR, regions["d2"], username="operator_d2"),
        "admin": make_staff(Role.ADMIN, regions["city"], username="admin"),
        "clerk": make_staff(Role.CLERK, regions["city"], username="clerk"),
        "applicant": applicant_user,
    }


def publish(people: dict[str, Any], department: Any, **fields: Any) -> Article:
    head = people["head_health"] if department.code == "WJW" else people["head_market"]
    article = services.article_create(actor=head, department=department, **fields)
    services.article_submit(actor=head, article=article)
    return services.article_publish(actor=people["operator"], article=article)


@pytest.fixture
def kb(people: dict[str, Any], departments: dict[str, Any]) -> dict[str, Article]:
    """Three published articles of the city's market and health departments."""
    market, health = departments["city_market"], departments["city_health"]
    return {
        "licence": publish(
            people, market, key="biz-individual",
            question="个体工商户营业执照怎么申请",
            phrasings=["个体户办执照", "开个小店办照"], keywords="个体工商户 设立登记",
            answer="经营者持身份证和经营场所证明到市场监管局窗口或手机办理，当场发照。",
        ),
        "food": publish(
            people, market, key="food-license", question="食品经营许可证怎么办理",
            phrasings=["开餐馆要办什么证"], keywords="食品经营许可 餐饮",
            answer="取得营业执照后申请食品经营许可，提交平面图、制度和设备清单。",
        ),
        "health": publish(
            people, health, key="health-cert", question="从业人员健康证明在哪里办",
            phrasings=["办健康证"], keywords="健康证明 预防性健康检查",
            answer="本人持身份证到各区疾控中心体检，3 个工作日出具电子健康证明。",
        ),
    }
