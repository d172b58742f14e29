"""并联审批 in the browser: two participating departments answer on the case screen, the lead
department sees their opinions side by side with their own deadlines, and decides."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onewindow.accounts.models import Role, User
from onewindow.cases import services
from onewindow.cases.models import Case, ParallelParticipant, Task, TaskKind
from onewindow.cases.tests import conftest as cases_fixtures
from onewindow.cases.workflow import CaseState, TaskState
from onewindow.regions.models import Department

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

world = cases_fixtures.world
STAFF_PASSWORD = "Correct-Horse-9"  # noqa: S105 - the make_staff fixture's test password


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def _open(user: User, base: str, path: str) -> Any:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{base}/accounts/login/?next={path}")
        page.locator("#id_username").fill(user.username)
        page.locator("#id_password").fill(STAFF_PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_url(lambda url: url.endswith(path))
        return page

    yield _open
    for context in contexts:
        context.close()


def test_participants_answer_and_the_lead_decides_on_the_case_screen(
        live_server: Any, desk: Any, world: Any, make_staff: Any, artifacts: Path) -> None:
    d1 = world.regions["d1"]
    fire = Department.objects.create(region=d1, code="XF", name="东湖区消防救援大队")
    housing = Department.objects.create(region=d1, code="ZJ", name="东湖区住房和城乡建设局")
    ParallelParticipant.objects.create(item=world.item, department=fire, sort_order=1,
                                       subject="消防安全检查", limit_days=5, deemed_consent=True)
    ParallelParticipant.objects.create(item=world.item, department=housing, sort_order=2,
                                       subject="建筑安全意见", limit_days=3)
    fire_reviewer = make_staff(Role.REVIEWER, d1, fire, username="fire_reviewer")
    housing_head = make_staff(Role.DEPARTMENT_HEAD, d1, housing, username="housing_head")
    case = world.accepted_case()
    services.task_pass(actor=world.reviewer, task=Task.objects.get(
        case=case, kind=TaskKind.STEP, state=TaskState.ACTIVE), opinion="材料齐全")
    base, path = live_server.url, f"/workbench/cases/{case.case_no}/"

    # The lead's head opens the case first: both opinions are still awaited.
    lead = desk(world.head, base, path)
    cards = lead.locator(".wbc-parallel .opinion")
    assert cards.count() == 2
    assert "待反馈" in cards.nth(0).inner_text() and "待反馈" in cards.nth(1).inner_text()
    lead.locator("#act-decide input[value=approve]").check()
    with lead.expect_navigation():
        lead.get_by_role("button", name="作出决定").click()
    assert "尚未反馈意见" in lead.locator("#act-decide .alert-error").inner_text()

    # Each participant answers from its own desk: the fire brigade agrees with a condition, the
    # housing bureau's head agrees too.
    for user, text in ((fire_reviewer, "同意，开业前完成消防设施检测"),
                       (housing_head, "同意，房屋结构安全")):
        page = desk(user, base, path)
        assert "反馈并联审查意见" in page.locator("#act-opinion summary").inner_text()
        assert page.locator("#act-decide").count() == 0  # not the lead's decision
        page.locator("#op-text").fill(text)
        with page.expect_navigation():
            page.get_by_role("button", name="提交意见").click()
        assert "已反馈同意意见" in page.locator("main").inner_text()

    # Back at the lead's screen: side by side, each with its department, limit and opinion.
    lead.goto(f"{base}{path}")  # not reload(): that would post the refused decision again
    cards = lead.locator(".wbc-parallel .opinion")
    texts = [cards.nth(i).inner_text() for i in range(cards.count())]
    assert "东湖区消防救援大队" in texts[0] and "同意" in texts[0] and "消防设施检测" in texts[0]
    assert "住房和城乡建设局" in texts[1] and "时限 3 个工作日" in texts[1]
    lead.screenshot(path=str(artifacts / "parallel-lead-opinions.png"), full_page=True)
    boxes = [cards.nth(i).bounding_box() for i in range(2)]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[0]["x"] < boxes[1]["x"]  # side by side
    lead.locator("#act-decide input[value=approve]").check()
    with lead.expect_navigation():
        lead.get_by_role("button", name="作出决定").click()
    assert "已作出准予许可决定" in lead.locator("main").inner_text()
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED and case.decision == "approved"
    assert Case.objects.get(pk=case.pk).certificate is not None
