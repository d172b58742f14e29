"""代办服务 API: the published list (public), and for agents: consent, apply, steps.

Agents (``case.apply_as_agent``) act on the proxy cases they took on in their own region; the
management office (``supervise``) reads every proxy case beneath it. Others get 403; a proxy
case out of scope is a 404 (the same as one that does not exist).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.accounts.models import Applicant
from onewindow.accounts.tokens import staff_auth
from onewindow.cases import files as case_files
from onewindow.cases.services import Upload
from onewindow.core.errors import NotFound, PermissionDenied, ValidationFailed
from onewindow.proxy import selectors, services
from onewindow.proxy.models import ProxyConsent, ProxyItem, ProxyStep
from onewindow.proxy.workflow import Stage

router = Router(tags=["代办服务"], auth=staff_auth)


def _require_view(request: HttpRequest) -> None:
    if not selectors.may_use_workbench(request.user):
        raise PermissionDenied(_("您没有使用代办服务的权限。"))


def _require_agent(request: HttpRequest) -> None:
    if not access.has_any(request.user, Perm.CASE_APPLY_AS_AGENT):
        raise PermissionDenied(_("只有代办员可以代办申请。"))


def _own(request: HttpRequest, pk: int) -> ProxyConsent:
    _require_agent(request)
    consent = selectors.proxy_get(request.user, pk)
    if not selectors.is_agent_of(request.user, consent):
        raise NotFound(_("没有找到这件代办。"))
    return consent


def _villager(pk: int) -> Applicant:
    row = Applicant.objects.filter(pk=pk).first()
    if row is None:
        raise NotFound(_("没有找到这位群众。"))
    return row


def _upload(file: UploadedFile | None) -> Upload | None:
    if file is None:
        return None
    return Upload(name=file.name or "", data=file.read(case_files.max_bytes() + 1))


# --- schemas ------------------------------------------------------------------------------------


class ItemOut(Schema):
    id: int
    item: str
    item_name: str
    region: str
    region_name: str
    department: str
    full_proxy: bool
    note: str


class ItemParams(Schema):
    region: str = Field("", max_length=12, description="区划代码：该区划及上级公布的清单")
    q: str = Field("", max_length=60)


class StepOut(Schema):
    seq: int
    step: str
    step_label: str
    at: dt.datetime
    actor: str
    note: str
    data: dict[str, Any]


class ProxyOut(Schema):
    id: int
    stage: str
    stage_label: str
    next_due: dt.date | None
    villager: str
    villager_mobile: str
    agent: str
    region: str
    method: str
    recorded_at: dt.datetime | None
    item: str | None
    case_no: str | None
    case_state: str | None
    created_at: dt.datetime


class ProxyDetailOut(ProxyOut):
    text_version: str
    text: str
    steps: list[StepOut]


class ProxyPage(Schema):
    items: list[ProxyOut]
    next_cursor: int | None


class ListParams(Schema):
    stage: str = Field("", max_length=20)
    open: bool = False
    mine: bool = False
    after: int | None = None
    limit: int = Field(50, ge=1, le=100)


class SmsConsentIn(Schema):
    villager_id: int
    mobile: str = Field(..., max_length=20)


class CodeIn(Schema):
    code: str = Field(..., max_length=12)


class WitnessIn(Schema):
    villager_id: int
    witness_name: str = Field(..., max_length=50)
    witness_relation: str = Field(..., max_length=50)


class MaterialIn(Schema):
    name: str = Field(..., max_length=100)
    copies: int = Field(..., ge=0, le=99)


class ApplyIn(Schema):
    proxy_item_id: int
    form: dict[str, Any] = Field(default_factory=dict)
    materials: list[MaterialIn] = Field(..., max_length=30)
    note: str = Field("", max_length=500)


class ApplyOut(Schema):
    id: int
    case_no: str
    query_code: str
    stage: str


class StepIn(Schema):
    step: str = Field(..., pattern="^(delivered|collected)$")
    note: str = Field("", max_length=500)


class HandoverIn(Schema):
    code: str = Field(..., max_length=12)
    note: str = Field("", max_length=500)


class CancelIn(Schema):
    reason: str = Field("", max_length=300)


class CodeSentOut(Schema):
    id: int
    mobile: str
    expires_at: dt.datetime


def item_out(p: ProxyItem) -> ItemOut:
    return ItemOut(id=p.pk, item=p.item.implementation_code, item_name=p.item.basic.name,
                   region=p.region.code, region_name=p.region.name,
                   department=p.item.department.name, full_proxy=p.full_proxy, note=p.note)


def proxy_out(c: ProxyConsent) -> dict[str, Any]:
    case = c.case
    item = case.item if case is not None else (c.proxy_item.item if c.proxy_item else None)
    return {
        "id": c.pk, "stage": c.stage, "stage_label": c.stage_label, "next_due": c.next_due,
        "villager": c.villager.masked_name, "villager_mobile": c.villager.masked_mobile,
        "agent": c.agent.shown_name, "region": c.region.name, "method": c.method,
        "recorded_at": c.recorded_at, "item": item.basic.name if item else None,
        "case_no": case.case_no if case is not None else None,
        "case_state": case.state if case is not None else None, "created_at": c.created_at,
    }


def step_out(s: ProxyStep) -> StepOut:
    return StepOut(seq=s.seq, step=s.step, step_label=s.get_step_display(), at=s.at,
                   actor=s.actor.shown_name if s.actor else "", note=s.note, data=s.data)


def detail_out(c: ProxyConsent) -> dict[str, Any]:
    return {**proxy_out(c), "text_version": c.text_version, "text": c.text,
            "steps": [step_out(s) for s in selectors.steps_of(c)]}


# --- the published list -------------------------------------------------------------------------


@router.get("/items", response=list[ItemOut], auth=None,
            summary="全程代办事项清单（公开）：某区划及上级公布的代办事项")
def items(request: HttpRequest, params: Query[ItemParams]) -> list[ItemOut]:
    from onewindow.regions.models import Region

    region = None
    if params.region:
        region = Region.objects.filter(code=params.region).first()
        if region is None:
            raise NotFound(_("没有找到这个区划。"))
    return [item_out(p) for p in selectors.published_items(region=region, q=params.q)[:300]]


@router.get("/agent-items", response=list[ItemOut],
            summary="代办员可代为申请的事项（本村及上级公布的清单）")
def agent_items(request: HttpRequest, q: str = Query("", max_length=60)) -> list[ItemOut]:
    _require_agent(request)
    region = selectors.agent_region(request.user)
    if region is None:
        return []
    return [item_out(p) for p in selectors.items_for_agent(request.user, region, q=q)]


# --- proxy cases --------------------------------------------------------------------------------


@router.get("/cases", response=ProxyPage,
            summary="代办列表：代办员本人的代办；监督管理部门：辖区内全部代办")
def proxy_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    _require_view(request)
    if params.stage and params.stage not in Stage.values:
        message = _("代办进度不正确。")
        raise ValidationFailed(message, field_errors={"stage": [message]})
    rows, cursor = selectors.proxy_cases_for(
        request.user, stage=params.stage, open_only=params.open, mine=params.mine,
        after=params.after, limit=params.limit)
    return {"items": [proxy_out(r) for r in rows], "next_cursor": cursor}


@router.get("/cases/{pk}", response=ProxyDetailOut, summary="代办详情及代办记录")
def proxy_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    _require_view(request)
    return detail_out(selectors.proxy_get(request.user, pk))


@router.post("/consents/sms", response={201: ProxyDetailOut},
             summary="委托确认（短信）：向群众登记的手机发送验证码，开始一件代办")
def consent_sms(request: HttpRequest, payload: SmsConsentIn) -> Status[dict[str, Any]]:
    _require_agent(request)
    consent = services.consent_send_code(actor=request.user, villager=_villager(
        payload.villager_id), mobile=payload.mobile)
    return Status(201, detail_out(selectors.proxy_get(request.user, consent.pk)))


@router.post("/cases/{pk}/consent-code", response={201: CodeSentOut},
             summary="重新发送委托验证码")
def consent_resend(request: HttpRequest, pk: int) -> Status[CodeSentOut]:
    consent = _own(request, pk)
    services.consent_send_code(actor=request.user, villager=None, mobile=consent.mobile,
                               consent=consent)
    row = consent.codes.order_by("-created_at").first()
    assert row is not None
    return Status(201, CodeSentOut(id=consent.pk, mobile=consent.villager.masked_mobile,
                                   expires_at=row.expires_at))


@router.post("/cases/{pk}/consent", response=ProxyDetailOut,
             summary="委托确认：输入群众告知的验证码")
def consent_confirm(request: HttpRequest, pk: int, payload: CodeIn) -> dict[str, Any]:
    consent = _own(request, pk)
    services.consent_confirm_code(actor=request.user, consent=consent, code=payload.code)
    return detail_out(selectors.proxy_get(request.user, pk))


@router.post("/consents/paper", response={201: ProxyDetailOut},
             summary="委托确认（纸质）：上传群众签字委托书的照片或扫描件")
def consent_paper(request: HttpRequest, villager_id: Form[int],
                  file: File[UploadedFile]) -> Status[dict[str, Any]]:
    _require_agent(request)
    consent = services.consent_record_paper(actor=request.user, villager=_villager(villager_id),
                                            upload=_upload(file))
    return Status(201, detail_out(selectors.proxy_get(request.user, consent.pk)))


@router.post("/consents/witness", response={201: ProxyDetailOut},
             summary="委托确认（当面）：见证人在场")
def consent_witness(request: HttpRequest, payload: WitnessIn) -> Status[dict[str, Any]]:
    _require_agent(request)
    consent = services.consent_record_witness(
        actor=request.user, villager=_villager(payload.villager_id),
        witness_name=payload.witness_name, witness_relation=payload.witness_relation)
    return Status(201, detail_out(selectors.proxy_get(request.user, consent.pk)))


@router.post("/cases/{pk}/cancel", response=ProxyDetailOut, summary="取消尚未提交申请的代办")
def cancel(request: HttpRequest, pk: int, payload: CancelIn) -> dict[str, Any]:
    consent = _own(request, pk)
    services.consent_cancel(actor=request.user, consent=consent, reason=payload.reason)
    return detail_out(selectors.proxy_get(request.user, pk))


@router.post("/cases/{pk}/apply", response={201: ApplyOut},
             summary="代为申请：选择清单中的事项、填写申请表、登记收取的纸质材料并提交")
def apply(request: HttpRequest, pk: int, payload: ApplyIn) -> Status[ApplyOut]:
    consent = _own(request, pk)
    region = consent.region
    chosen = selectors.item_for_agent(request.user, region, payload.proxy_item_id)
    case = services.proxy_apply(
        actor=request.user, consent=consent, proxy_item=chosen, form_data=payload.form,
        materials=[m.dict() for m in payload.materials], note=payload.note,
        ip=request.META.get("REMOTE_ADDR") or None)
    return Status(201, ApplyOut(id=consent.pk, case_no=case.case_no, query_code=case.query_code,
                                stage=Stage.MATERIALS_RECEIVED))


@router.post("/cases/{pk}/steps", response={201: StepOut},
             summary="登记代办环节：材料已递交中心（delivered）、已领取办理结果（collected）")
def record_step(request: HttpRequest, pk: int, payload: StepIn) -> Status[StepOut]:
    consent = _own(request, pk)
    row = services.proxy_step_record(actor=request.user, consent=consent, step=payload.step,
                                     note=payload.note)
    return Status(201, step_out(row))


@router.post("/cases/{pk}/handover-code", response={201: CodeSentOut},
             summary="向群众发送交付确认码")
def handover_code(request: HttpRequest, pk: int) -> Status[CodeSentOut]:
    consent = _own(request, pk)
    row = services.handover_code_send(actor=request.user, consent=consent)
    return Status(201, CodeSentOut(id=consent.pk, mobile=consent.villager.masked_mobile,
                                   expires_at=row.expires_at))


@router.post("/cases/{pk}/handover", response={201: StepOut},
             summary="结果交付群众：输入群众告知的确认码")
def handover(request: HttpRequest, pk: int, payload: HandoverIn) -> Status[StepOut]:
    consent = _own(request, pk)
    row = services.proxy_hand_over(actor=request.user, consent=consent, method="sms",
                                   code=payload.code, note=payload.note)
    return Status(201, step_out(row))


@router.post("/cases/{pk}/handover/signature", response={201: StepOut},
             summary="结果交付群众：上传群众签收回执的照片")
def handover_signature(request: HttpRequest, pk: int, file: File[UploadedFile],
                       note: Form[str] = "") -> Status[StepOut]:
    consent = _own(request, pk)
    row = services.proxy_hand_over(actor=request.user, consent=consent, method="signature",
                                   upload=_upload(file), note=note[:500])
    return Status(201, step_out(row))
