"""The staff workbench (工作台): one frame for every role, navigation by permission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.cases import selectors as case_selectors
from onewindow.catalog.models import ItemVersion, ServiceItem, VersionStatus

INBOX_COUNT_CAP = 100


@dataclass(frozen=True)
class NavLink:
    label: str | Promise
    url: str
    perm: Perm
    hint: str | Promise


NAV: tuple[NavLink, ...] = (
    NavLink(_("窗口受理"), "/workbench/cases/window/", Perm.CASE_ACCEPT,
            _("预审队列、新建窗口办件、核验材料与受理")),
    NavLink(_("待办审批"), "/workbench/cases/inbox/", Perm.CASE_REVIEW,
            _("我的审批任务，按紧急程度排列")),
    NavLink(_("办件查询"), "/workbench/cases/", Perm.CASE_ACCEPT,
            _("查询辖区内的办件、临近到期的办件")),
    NavLink(_("窗口叫号"), "/workbench/hall/", Perm.HALL_CALL,
            _("窗口签到上岗、叫号、过号、转移、暂停与去向公示，导服台优先号")),
    NavLink(_("电子监察"), "/workbench/supervision/", Perm.SUPERVISE,
            _("黄牌预警、红牌超期、违规办件，撤销预警，发出督办单")),
    NavLink(_("预警与督办"), "/workbench/supervision/", Perm.CASE_REVIEW,
            _("本部门办件的预警、超期与督办单回复")),
    NavLink(_("一件事申请"), "/workbench/packages/", Perm.CASE_ACCEPT,
            _("辖区内一件事申请的进度与统一出件")),
    NavLink(_("一件事申请"), "/workbench/packages/", Perm.SUPERVISE,
            _("辖区内一件事申请的进度")),
    NavLink(_("一件事配置"), "/admin/packages/package/", Perm.CATALOG_PUBLISH,
            _("事项、前置关系、联合表单与材料合并")),
    NavLink(_("我的代办"), "/workbench/proxy/", Perm.CASE_APPLY_AS_AGENT,
            _("为群众代为申请：委托确认、收取材料、递交、领取、交付，每步短信告知")),
    NavLink(_("代办情况"), "/workbench/proxy/", Perm.SUPERVISE,
            _("辖区内代办员的全部代办及其进度")),
    NavLink(_("代办事项清单"), "/admin/proxy/proxyitem/", Perm.CATALOG_PUBLISH,
            _("本级及下级可全程代办的事项：维护与公布")),
    NavLink(_("联合踏勘与会审"), "/workbench/joint/", Perm.CASE_REVIEW,
            _("本部门受邀的联合踏勘与联席会议，牵头组织的踏勘与会审，回复、记录意见和期限")),
    NavLink(_("差评整改"), "/workbench/evaluation/follow-ups/", Perm.CASE_REVIEW,
            _("本部门收到的差评：核实回访、整改答复、申诉复核")),
    NavLink(_("窗口差评整改"), "/workbench/evaluation/follow-ups/", Perm.HALL_MANAGE,
            _("综合窗口服务收到的差评：核实回访、整改答复")),
    NavLink(_("投诉情况说明"), "/workbench/evaluation/statements/", Perm.CASE_REVIEW,
            _("监察室要求本部门说明情况的投诉（不显示投诉人）")),
    NavLink(_("申诉复核"), "/workbench/evaluation/appeals/", Perm.SUPERVISE,
            _("复核部门对恶意差评的申诉；超期未整改的差评")),
    NavLink(_("投诉处理"), "/workbench/evaluation/complaints/", Perm.SUPERVISE,
            _("受理、分派、调查、答复投诉；登记大厅与监督电话投诉")),
    NavLink(_("统计分析"), "/workbench/stats/", Perm.STATS_VIEW,
            _("办件量、按时办结率、满意率、预警与投诉，按区划和部门下钻，可导出 Excel；数据大屏")),
    NavLink(_("窗口考核"), "/workbench/assessment/", Perm.STATS_VIEW,
            _("窗口、部门和人员的月度考核：按期办结率、提速率、满意率，等次与红旗窗口")),
    NavLink(_("考核方案"), "/admin/assessment/scoringscheme/", Perm.ASSESSMENT_MANAGE,
            _("考核权重、扣分、等次分数线、红旗窗口数与一票否决")),
    NavLink(_("一企一档"), "/workbench/enterprise/", Perm.ENTERPRISE_MANAGE,
            _("企业档案、重点企业与绿色通道认定、包联部门、项目秘书")),
    NavLink(_("企忧事项"), "/workbench/enterprise/concerns/", Perm.ENTERPRISE_MANAGE,
            _("企业诉求的交办、督促与办结")),
    NavLink(_("重点项目"), "/workbench/enterprise/projects/", Perm.ENTERPRISE_MANAGE,
            _("认定重点项目，指派项目秘书")),
    NavLink(_("企忧统计"), "/workbench/enterprise/figures/", Perm.ENTERPRISE_MANAGE,
            _("按部门、期间统计受理、办结、跟踪、超期与办结率，可导出 Excel")),
    NavLink(_("包联企业与企忧事项"), "/workbench/enterprise/concerns/", Perm.ENTERPRISE_SERVE,
            _("包联企业的走访、企业诉求与交办本部门的事项")),
    NavLink(_("大厅统计"), "/workbench/hall/figures/", Perm.SUPERVISE,
            _("等候与办理时长、弃号率、预约爽约率、窗口在岗时长，可导出 Excel")),
    NavLink(_("大厅管理"), "/admin/hall/servicecategory/", Perm.HALL_MANAGE,
            _("业务类别与服务窗口、排队规则与取号机地址、预约时段、大厅公告")),
    NavLink(_("12345 工单"), "/workbench/hotline/", Perm.HOTLINE_OPERATE,
            _("来电登记、派单、督办与回访")),
    NavLink(_("部门待办工单"), "/workbench/hotline/inbox/", Perm.WORKORDER_HANDLE,
            _("签收、异议、退单、延期与答复")),
    NavLink(_("工单考核与热点"), "/workbench/hotline/metrics/", Perm.SUPERVISE,
            _("按时签收、答复、满意率与热点诉求")),
    NavLink(_("知识库"), "/workbench/knowledge/", Perm.HOTLINE_OPERATE,
            _("通话中检索答复口径与办事指南")),
    NavLink(_("知识库维护"), "/workbench/knowledge/", Perm.KNOWLEDGE_EDIT,
            _("编写本部门的知识库条目并提交审核")),
    NavLink(_("知识库审核"), "/workbench/knowledge/review/", Perm.KNOWLEDGE_REVIEW,
            _("审核发布、退回修改、下架")),
    NavLink(_("未答问题"), "/workbench/knowledge/unanswered/", Perm.KNOWLEDGE_REVIEW,
            _("群众向机器人提出但未能回答的问题，按次数排列")),
    NavLink(_("事项管理"), "/admin/catalog/serviceitem/", Perm.CATALOG_VIEW,
            _("事项目录、办事指南的草稿、发布与历史版本")),
    NavLink(_("事项导入导出"), "/admin/catalog/serviceitem/import/", Perm.CATALOG_IMPORT,
            _("按实施清单格式（Excel/JSON）批量导入，逐行报告错误")),
    NavLink(_("首席代表授权"), "/admin/catalog/authorisation/", Perm.AUTHORISATION_ISSUE,
            _("签发、撤销首席代表授权书")),
    NavLink(_("区划与机构"), "/admin/regions/region/", Perm.REGION_MANAGE,
            _("行政区划、部门、服务中心与窗口")),
    NavLink(_("人员与角色"), "/admin/accounts/staffmember/", Perm.STAFF_MANAGE,
            _("工作人员账户及其角色范围")),
    NavLink(_("工作日历"), "/admin/workdays/calendaroverride/", Perm.CALENDAR_MANAGE,
            _("法定节假日、调休与本地临时调整")),
    NavLink(_("申请人"), "/admin/accounts/applicant/", Perm.APPLICANT_VIEW,
            _("申请人信息（列表中已脱敏）")),
)


@require_GET
def workbench_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), "accounts:login")
    if not access.has_any(user, Perm.WORKBENCH):
        return render(request, "portal/workbench_home.html", {"denied": True}, status=403)
    links = [link for link in NAV if access.has_any(user, link.perm)]
    items = ServiceItem.objects.filter(access.scope_q(user, Perm.CATALOG_VIEW))
    context = {
        "links": links,
        "case_counts": _case_counts(user),
        "grants": [
            {"role": g.role.label, "region": g.region_prefix, "department": g.department_id}
            for g in access.grants(user)
        ],
        "assignments": user.role_assignments.filter(is_active=True).select_related(
            "region", "department"
        ),
        "item_count": items.count(),
        "draft_count": ItemVersion.objects.filter(
            item__in=items, status=VersionStatus.DRAFT
        ).count(),
    }
    return render(request, "portal/workbench_home.html", context)


def _case_counts(user: Any) -> list[dict[str, Any]]:
    """The pre-review queue and the inbox (indexed reads; the inbox is counted up to a cap)."""
    counts: list[dict[str, Any]] = []
    if access.has_any(user, Perm.CASE_ACCEPT):
        counts.append({"label": _("预审队列"), "url": "/workbench/cases/window/",
                       "count": case_selectors.prereview_queue(user=user).count()})
    if access.has_any(user, Perm.CASE_REVIEW):
        counts.append({"label": _("我的待办"), "url": "/workbench/cases/inbox/",
                       "count": len(case_selectors.inbox(user=user, limit=INBOX_COUNT_CAP)),
                       "capped": INBOX_COUNT_CAP})
    return counts
