"""States of a knowledge-base article and the allowed transitions (one table, checked once)."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext as _

from onewindow.core.errors import Conflict
from onewindow.hotline.models import ArticleStatus as S


class ArticleAction(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    PUBLISH = "publish"
    RETURN = "return"
    RETIRE = "retire"


# Editing a published or retired article takes it back to draft: it answers again only after
# the hotline centre has reviewed the change.
TRANSITIONS: dict[tuple[str, ArticleAction], str] = {
    (S.DRAFT, ArticleAction.EDIT): S.DRAFT,
    (S.PUBLISHED, ArticleAction.EDIT): S.DRAFT,
    (S.RETIRED, ArticleAction.EDIT): S.DRAFT,
    (S.DRAFT, ArticleAction.SUBMIT): S.IN_REVIEW,
    (S.IN_REVIEW, ArticleAction.PUBLISH): S.PUBLISHED,
    (S.IN_REVIEW, ArticleAction.RETURN): S.DRAFT,
    (S.PUBLISHED, ArticleAction.RETIRE): S.RETIRED,
}

ACTION_LABELS = {
    ArticleAction.EDIT: "修改", ArticleAction.SUBMIT: "提交审核", ArticleAction.PUBLISH: "发布",
    ArticleAction.RETURN: "退回修改", ArticleAction.RETIRE: "下架",
}


def check(status: str, action: ArticleAction) -> str:
    """The state after ``action``; a :class:`Conflict` when not allowed in ``status``."""
    target = TRANSITIONS.get((status, action))
    if target is None:
        raise Conflict(
            _("条目当前状态为“%(status)s”，不能%(action)s。")
            % {"status": S(status).label, "action": ACTION_LABELS[action]},
            code="invalid_transition",
        )
    return target


def allowed(status: str) -> list[ArticleAction]:
    return [a for (s, a) in TRANSITIONS if s == status]
