"""Supervision API (电子监察接口): alerts, their counts, withdrawing, supervision notices.

Supervisors (``supervise``) reach their region subtree; a department's reviewers and head reach
their department's alerts and notices (and reply to notices). Others get 403; an alert or a
notice outside the user's scope is a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.tokens import staff_auth
from onewindow.cases.models import Case
from onewindow.core.errors import NotFound, PermissionDenied
from onewindow.supervision import selectors, services
from onewindow.supervision.models import Alert, AlertKind, SupervisionNotice

router = Router(tags=["电子监察"], auth=staff_auth)


def _require(request: HttpRequest) -> None:
    user = request.user
    if not (access.has_any(user, Perm.SUPERVISE) or access.has_any(user, Perm.CASE_REVIEW)):
        raise PermissionDenied(_("您没有查看电子监察信息的权限。"))


class AlertOut(Schema):
    id: int
    kind: str
    kind_label: str
    level: int
    case_no: str
    step: str
    department: str
    due: dt.date | None
    detail: str
    state: str
    raised_at: dt.datetime
    withdraw_reason: str


class AlertPage(Schema):
    items: list[AlertOut]
    next_cursor: int | None


class AlertParams(Schema):
    state: str = Field("open", pattern="^(open|closed|withdrawn|)$")
    kind: str = Field("", max_length=20)
    department: int | None = None
    after: int | None = None
    limit: int = Field(50, ge=1, le=100)


class WithdrawIn(Schema):
    reason: str = Field(..., max_length=300)


class NoticeIn(Schema):
    case_no: str = Field(..., max_length=32)
    request: str = Field(..., max_length=2000)
    reply_days: int = Field(3, ge=1, le=20)
    alert: int | None = None


class ReplyIn(Schema):
    reply: str = Field(..., max_length=2000)


class NoticeOut(Schema):
    id: int
    number: str
    case_no: str
    department: str
    request: str
    reply_due: dt.date
    state: str
    reply: str
    issued_at: dt.datetime
    replied_at: dt.datetime | None


def alert_out(a: Alert) -> AlertOut:
    return AlertOut(
        id=a.pk, kind=a.kind, kind_label=str(AlertKind(a.kind).label), level=a.level,
        case_no=a.case.case_no, step=a.task.name if a.task_id and a.task else "",
        department=a.department.name, due=a.due, detail=a.detail, state=a.state,
        raised_at=a.raised_at, withdraw_reason=a.withdraw_reason,
    )


def notice_out(n: SupervisionNotice) -> NoticeOut:
    return NoticeOut(
        id=n.pk, number=n.number, case_no=n.case.case_no, department=n.department.name,
        request=n.request, reply_due=n.reply_due, state=n.state, reply=n.reply,
        issued_at=n.issued_at, replied_at=n.replied_at,
    )


@router.get("/alerts", response=AlertPage,
            summary="预警列表（黄牌、红牌、提醒与违规），最新在前")
def alerts(request: HttpRequest, params: Query[AlertParams]) -> dict[str, Any]:
    _require(request)
    rows, cursor = selectors.alerts_for(
        request.user, state=params.state, kind=params.kind, department_id=params.department,
        after=params.after, limit=params.limit,
    )
    return {"items": [alert_out(a) for a in rows], "next_cursor": cursor}


@router.get("/alerts/counts", response=dict[str, int], summary="各类预警数量（含未处理数）")
def alert_counts(request: HttpRequest) -> dict[str, int]:
    _require(request)
    return selectors.alert_counts(request.user)


def _alert_in_scope(request: HttpRequest, pk: int) -> Alert:
    alert = Alert.objects.filter(selectors.alert_scope_q(request.user), pk=pk).first()
    if alert is None:
        raise NotFound(_("没有找到这条预警。"), code="alert_not_found")
    return alert


@router.post("/alerts/{alert_id}/withdraw", response=AlertOut, summary="撤销预警（须说明理由）")
def withdraw(request: HttpRequest, alert_id: int, body: WithdrawIn) -> AlertOut:
    _require(request)
    alert = services.alert_withdraw(actor=request.user, alert=_alert_in_scope(request, alert_id),
                                    reason=body.reason)
    return alert_out(Alert.objects.select_related("case", "department", "task").get(pk=alert.pk))


@router.get("/notices", response=list[NoticeOut], summary="督办单")
def notices(request: HttpRequest) -> list[NoticeOut]:
    _require(request)
    return [notice_out(n) for n in selectors.notices_for(request.user)]


@router.post("/notices", response={201: NoticeOut}, summary="发出督办单")
def notice_issue(request: HttpRequest, body: NoticeIn) -> Status[NoticeOut]:
    _require(request)
    case = Case.objects.select_related("region").filter(case_no=body.case_no.strip()).first()
    if case is None or not access.can(request.user, Perm.SUPERVISE, region=case.region):
        raise NotFound(_("没有找到这个办件。"), code="case_not_found")
    alert = _alert_in_scope(request, body.alert) if body.alert else None
    notice = services.notice_issue(actor=request.user, case=case, request=body.request,
                                   reply_days=body.reply_days, alert=alert)
    return Status(201, notice_out(notice))


def _notice_in_scope(request: HttpRequest, pk: int) -> SupervisionNotice:
    found = selectors.notice_in_scope(request.user, pk)
    if found is None:
        raise NotFound(_("没有找到这个督办单。"), code="notice_not_found")
    return found


@router.post("/notices/{notice_id}/reply", response=NoticeOut, summary="被督办部门回复")
def notice_reply(request: HttpRequest, notice_id: int, body: ReplyIn) -> NoticeOut:
    _require(request)
    notice = services.notice_reply(actor=request.user,
                                   notice=_notice_in_scope(request, notice_id), reply=body.reply)
    return notice_out(SupervisionNotice.objects.select_related("case", "department")
                      .get(pk=notice.pk))


@router.post("/notices/{notice_id}/close", response=NoticeOut, summary="督办单办结")
def notice_close(request: HttpRequest, notice_id: int) -> NoticeOut:
    _require(request)
    notice = services.notice_close(actor=request.user,
                                   notice=_notice_in_scope(request, notice_id))
    return notice_out(SupervisionNotice.objects.select_related("case", "department")
                      .get(pk=notice.pk))
