"""Demo data of 重点项目 · 一企一档 · 企忧档案 in the demo district 东湖区, made through the
services (call after the portal demo has made regions, departments, staff and applicants).

Companies are put on file with their liaison departments (包联部门), a few are key companies
with the green channel; key projects get project secretaries; the liaison departments' heads
visit over the past months (:func:`onewindow.core.clock.travel`) and record about forty
concerns, assigned to the district's departments; most are resolved or explained on time,
some late, some still open, a few overdue (marked by the overdue job at the end).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from onewindow.accounts.models import Applicant, ApplicantKind, User
from onewindow.core import clock
from onewindow.core.errors import DomainError
from onewindow.core.identity import make_credit_code
from onewindow.enterprise import services
from onewindow.enterprise.models import EnterpriseFile
from onewindow.enterprise.services import ConcernInput
from onewindow.regions.models import Department, Region

DISTRICT = "379902000000"  # 东湖区

# Companies made for the demo: name, credit-code body (17 chars), industry, liaison
# department codes, key company, green channel.
COMPANIES = [
    ("云溪市东湖精密机械有限公司", "91379902MA3P1A2B3", "装备制造", ["SCJG", "ZJJ"], True, True),
    ("东湖智能仓储物流有限公司", "91379902MA3P2C4D5", "现代物流", ["SCJG"], True, True),
    ("云溪康泰医疗器械有限公司", "91379902MA3P3E6F7", "医疗器械", ["WJW", "SCJG"], True, True),
    ("东湖新材料科技股份有限公司", "91379902MA3P4G8H9", "新材料", ["SCJG"], True, False),
    ("东湖文昌康养服务有限公司", "91379902MA3P6L3M4", "健康养老", ["WJW"], False, False),
    ("东湖数字科技有限公司", "91379902MA3P8Q7R8", "软件和信息服务", ["SCJG"], False, False),
]
EXISTING = 4  # companies of the cases demo with cases in the district are put on file too
# keyword in a company's name -> (industry, liaison department code)
INDUSTRY = [
    ("餐饮", "餐饮服务", "SCJG"), ("酒店", "住宿服务", "SCJG"), ("烘焙", "食品制造", "SCJG"),
    ("药房", "医药零售", "WJW"), ("医院", "医疗服务", "WJW"), ("养老", "养老服务", "WJW"),
    ("建筑", "建筑业", "ZJJ"), ("农", "现代农业", "SCJG"),
]

# code, name, company (index in COMPANIES, or None), lead department code, investment (万元),
# stage
PROJECTS = [
    ("DH-2026-001", "精密机械二期智能产线项目", 0, "ZJJ", "86000", "construction"),
    ("DH-2026-002", "东湖智能仓储物流园", 1, "ZRZYJ", "152000", "approval"),
    ("DH-2026-003", "康泰医疗器械产业化基地", 2, "SCJG", "48000", "signed"),
    ("DH-2026-004", "文昌片区城市更新项目", None, "ZJJ", "230000", "planning"),
]

# description, category, department code that handles it
CONCERNS = [
    ("新招工人健康证办理排队时间长，影响按期上岗", "labour", "WJW"),
    ("食品经营许可证延续的材料要求前后说法不一", "approval", "SCJG"),
    ("厂区周边道路未硬化，雨天货车进出困难", "infrastructure", "CGJ"),
    ("二期用地规划条件迟迟未出具，影响开工", "land", "ZRZYJ"),
    ("施工许可并联审批中图纸审查耗时较长", "approval", "ZJJ"),
    ("企业用电增容报装周期长，希望协调供电公司", "utilities", "ZWB"),
    ("稳岗补贴申报后迟迟未到账", "policy", "RSJ"),
    ("熟练技工招聘困难，希望组织专场招聘会", "labour", "RSJ"),
    ("环评批复的前置要求不清楚", "approval", "STHJJ"),
    ("流动资金贷款难，希望对接银行", "finance", "ZWB"),
    ("高新技术企业奖补资金兑现慢", "policy", "ZWB"),
    ("同一事项多个部门重复检查，影响生产", "enforcement", "SCJG"),
    ("园区污水管网尚未接通", "infrastructure", "ZJJ"),
    ("公交线路未覆盖园区，员工通勤不便", "infrastructure", "JTJ"),
    ("消防验收预约等待时间长", "approval", "XFJY"),
    ("研发费用加计扣除政策口径不清", "policy", "SWJ"),
    ("冷链食品抽检频次高，影响产品上架", "enforcement", "SCJG"),
    ("医疗器械经营备案办理咨询", "approval", "SCJG"),
    ("康养机构医养结合备案流程不清楚", "approval", "WJW"),
    ("员工子女就近入学咨询", "other", "JYJ"),
]

RESOLUTIONS = ["已协调办理完毕，企业确认问题解决。", "已开辟绿色通道，专人跟踪，当周办结。",
               "会同相关单位现场办公，问题已解决。"]
EXPLANATIONS = ["经核实，该事项不属于政府职责范围，已向企业解释说明并提供市场化渠道。",
                "现行政策暂无支持依据，已向企业解读政策并告知后续申报窗口。"]


def _user(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def _company(name: str, body: str, owner: Any) -> Applicant:
    found = Applicant.objects.filter(name=name, kind=ApplicantKind.ORGANISATION).first()
    if found is not None:
        return found
    return Applicant.objects.create(
        kind=ApplicantKind.ORGANISATION, name=name, credit_code=make_credit_code(body),
        legal_representative="张明", mobile="13905391001", user=owner,
    )


def load_demo_enterprise(*, seed: int = 20261124) -> dict[str, int]:
    """~40 concerns of eight companies in 东湖区; returns what was made."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    counts = {"files": 0, "projects": 0, "secretaries": 0, "visits": 0, "concerns": 0,
              "closed": 0, "overdue": 0}
    district = Region.objects.filter(code=DISTRICT).first()
    admin = _user("admin_donghu")
    if district is None or admin is None:
        return counts
    deps = {d.code: d for d in Department.objects.filter(region=district, is_active=True)}
    heads = {code: _user(f"head_donghu_{code.lower()}") for code in ("SCJG", "WJW")}
    handlers = {"SCJG": _user("reviewer_donghu_scjg"), "WJW": _user("reviewer_donghu_wjw")}
    owner = User.objects.filter(phone="13905391001").first()
    now = clock.now()
    with transaction.atomic():
        files: list[EnterpriseFile] = []
        liaison_of: list[str] = []  # the department whose head visits each file
        existing = list(Applicant.objects.filter(
            kind=ApplicantKind.ORGANISATION,
            cases__region__prefix__startswith=district.prefix,
        ).distinct().order_by("pk")[:EXISTING])
        with clock.travel(now - dt.timedelta(days=200)):
            profiles = [(_company(name, body, owner), industry, liaisons, key, green)
                        for name, body, industry, liaisons, key, green in COMPANIES]
            for company in existing:
                industry, code = next(((i, c) for word, i, c in INDUSTRY if word in company.name),
                                      ("商贸服务", "SCJG"))
                profiles.append((company, industry, [code], False, False))
            for company, industry, liaisons, key, green in profiles:
                files.append(services.enterprise_file_open(
                    actor=admin, company=company, region=district, is_key=key,
                    green_channel=green, industry=industry, contact_name="王丽",
                    contact_phone=f"1390539{2100 + len(files):04d}",
                    address=f"东湖区湖滨路 {100 + 8 * len(files)} 号",
                    liaison_departments=[deps[c] for c in liaisons if c in deps]))
                liaison_of.append(next((c for c in liaisons if heads.get(c)), ""))
            for code, name, idx, lead, amount, stage in PROJECTS:
                if lead not in deps:
                    continue
                project = services.key_project_designate(
                    actor=admin, region=district, code=code, name=name,
                    company=files[idx].company if idx is not None else None,
                    lead_department=deps[lead], investment=amount, stage=stage)
                counts["projects"] += 1
                services.secretary_assign(actor=admin, user=admin, project=project)
                counts["secretaries"] += 1
            reviewer = handlers.get("SCJG")
            if reviewer is not None:
                for f in files[:2]:
                    services.secretary_assign(actor=admin, user=reviewer, file=f)
                    counts["secretaries"] += 1
        counts["files"] = len(files)

        # Visits by the liaison departments' heads over the past five months.
        plan = [(i % len(files), 150 - i * 7) for i in range(20)]
        texts = list(CONCERNS)
        rng.shuffle(texts)
        for n, (idx, days_ago) in enumerate(plan):
            f = files[idx]
            head = heads.get(liaison_of[idx]) if liaison_of[idx] else None
            if head is None:
                continue
            at = timezone.localtime(now - dt.timedelta(days=days_ago)).replace(hour=10,
                                                                               minute=0)
            items = []
            for k in range(2):
                desc, category, target = texts[(2 * n + k) % len(texts)]
                items.append(ConcernInput(description=desc, category=category,
                                          assign_to=deps.get(target)
                                          if rng.random() < 0.85 else None,
                                          days=rng.choice([5, 10, 10, 15])))
            with clock.travel(at):
                visit = services.visit_record(
                    actor=head, file=f, visited_on=clock.today(),
                    summary="走访企业生产经营情况，宣讲惠企政策，收集困难诉求。",
                    attendees=rng.choice(["总经理", "副总经理、财务负责人", "董事长、人事主管"]),
                    concerns=items)
            counts["visits"] += 1
            for concern in visit.concerns.select_related("assigned_department",
                                                         "file__region"):
                counts["concerns"] += 1
                if concern.assigned_department is None:
                    continue  # waiting for the office to assign it
                closer = handlers.get(concern.assigned_department.code) or admin
                roll = rng.random()
                if days_ago < 12 or roll < 0.12:
                    continue  # still being handled (some will be overdue)
                spent = dt.timedelta(days=rng.choice([3, 6, 9, 13, 20]))
                close_at = min(at + spent, now - dt.timedelta(hours=1))
                try:
                    with clock.travel(close_at):
                        services.concern_follow(actor=closer, concern=concern,
                                                note="已与企业沟通，正在协调办理。")
                        if roll < 0.85:
                            services.concern_resolve(actor=closer, concern=concern,
                                                     resolution=rng.choice(RESOLUTIONS))
                        else:
                            services.concern_explain(actor=closer, concern=concern,
                                                     reason=rng.choice(EXPLANATIONS))
                    counts["closed"] += 1
                    if rng.random() < 0.6:
                        with clock.travel(min(close_at + dt.timedelta(days=1), now)):
                            services.concern_rate(
                                actor=admin, concern=concern,
                                satisfaction=rng.choice(["satisfied"] * 8 + ["basic"] * 2
                                                        + ["dissatisfied"]),
                                note="电话回访企业。")
                except DomainError:
                    continue
        # Two problems raised directly by phone, one this week.
        for days_ago, (desc, category, target) in ((40, CONCERNS[5]), (2, CONCERNS[10])):
            with clock.travel(now - dt.timedelta(days=days_ago)):
                services.concern_raise(actor=admin, file=files[1], description=desc,
                                       category=category, assign_to=deps.get(target))
            counts["concerns"] += 1
        counts["overdue"] = services.concerns_mark_overdue()
    return counts
