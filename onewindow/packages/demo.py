"""Demo 一件事: 开餐馆一件事 in 东湖区 over the demo catalogue, and one application under way.

Items (all 东湖区, all online in the demo catalogue):
  公司设立登记 (营业执照) → 食品经营许可 and 公众聚集场所投入使用、营业前消防安全检查 in
  parallel (both need the 营业执照, which they take from the first item's certificate);
  户外招牌 (设置大型户外广告…审批) needs nothing and runs at once.

The demo company 云溪市东湖餐饮管理有限公司 (its code pre-assigned at name declaration, 预赋码)
applies; the chief representative decides the business licence on the spot, so the food and
fire items have started by themselves and the signboard is with its department. Everything
goes through the services. Call after the cases demo (it needs the demo catalogue and staff).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from onewindow.accounts.models import Applicant, ApplicantKind, User
from onewindow.catalog.models import ServiceItem
from onewindow.core import clock
from onewindow.core.errors import DomainError
from onewindow.packages.models import Package, PackageField, PackageItem
from onewindow.regions.models import Department, Region
from onewindow.workdays.selectors import get_calendar

logger = logging.getLogger(__name__)

REGION = "379902000000"
ITEMS = {
    "licence": "113799020045227897400140100100",  # 公司设立登记 → 营业执照
    "food": "113799020045227897400140100300",  # 食品经营许可
    "fire": "1137990200963478XW400170100100",  # 公众聚集场所营业前消防安全检查
    "sign": "11379902002801303A400180100200",  # 户外广告（招牌）设置审批
}
FIELD_MAPS = {
    "licence": {"org_name": "company_name", "legal_representative": "legal_rep_name",
                "premises": "address"},
    "fire": {"premises": "venue_address"},
    "sign": {"sign_location": "location", "sign_size": "size",
             "sign_period_days": "period_days"},
}
FIELDS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("org_name", "经营者（单位）名称", "text", {"max_length": 100, "required": True}),
    ("credit_code", "统一社会信用代码", "credit_code",
     {"help": "名称自主申报时已预先赋码；个体工商户按营业执照填写"}),
    ("company_type", "公司类型", "select", {"choices": [
        "有限责任公司（自然人投资或控股）", "有限责任公司（自然人独资）", "股份有限公司（非上市）",
        "其他有限责任公司"]}),
    ("registered_capital", "注册资本（万元）", "number", {}),
    ("legal_representative", "法定代表人（负责人）", "text", {"max_length": 50}),
    ("legal_rep_id", "法定代表人身份证号码", "id_number", {}),
    ("contact_mobile", "联系人手机号码", "phone", {}),
    ("premises", "经营场所（住所）", "text",
     {"max_length": 200, "help": "营业执照住所、食品经营场所与消防检查场所地址一致"}),
    ("business_scope", "经营范围", "textarea",
     {"help": "请按照《经营范围登记规范表述目录》选择"}),
    ("main_business", "主体业态", "select", {"choices": ["食品销售经营者", "餐饮服务经营者",
                                                     "集中用餐单位食堂"]}),
    ("business_items", "经营项目", "textarea", {"help": "例如：热食类食品制售、冷食类食品制售"}),
    ("venue_name", "场所（店铺）名称", "text", {}),
    ("area_sqm", "使用面积（平方米）", "number", {}),
    ("sign_location", "招牌设置地点", "text", {}),
    ("sign_size", "招牌规格（长×宽，米）", "text", {}),
    ("sign_period_days", "招牌设置期限（天）", "number", {}),
    ("need_seal", "是否同步刻制公章", "boolean", {}),
    ("commitment", "是否选择告知承诺方式办理", "boolean",
     {"help": "选择告知承诺的，食品经营许可与消防检查可当场作出决定，事后核查"}),
]


@dataclass
class DemoPackagesResult:
    packages: int = 0
    applications: int = 0
    started: int = 0

    def summary(self) -> str:
        return (f"{self.packages} 个一件事，{self.applications} 份申请"
                f"（其中 {self.started} 个事项已办理）")


def _item(code: str) -> ServiceItem:
    return ServiceItem.objects.select_related("basic").get(implementation_code=code)


def create_restaurant_package() -> Package:
    region = Region.objects.get(code=REGION)
    lead = Department.objects.filter(region=region, code="SCJG").first()
    package = Package.objects.create(
        code="restaurant", name="开餐馆一件事", region=region, lead_department=lead,
        description="开一家餐馆要办的营业执照、食品经营许可、公众聚集场所营业前消防安全检查和"
                    "户外招牌设置，一张表、一套材料、一次提交；营业执照核发后，食品经营许可和"
                    "消防检查自动提交并使用电子营业执照，结果统一送达。",
        sort_order=1,
    )
    pitems = {}
    for n, (key, code) in enumerate(ITEMS.items(), start=1):
        pitems[key] = PackageItem.objects.create(package=package, item=_item(code),
                                                 sort_order=n * 10,
                                                 field_map=FIELD_MAPS.get(key, {}))
    pitems["food"].depends_on.set([pitems["licence"]])
    pitems["fire"].depends_on.set([pitems["licence"]])
    PackageField.objects.bulk_create([
        PackageField(package=package, sort_order=n * 10, name=name, label=label, type=kind,
                     required=bool(extra.get("required")), help=extra.get("help", ""),
                     choices=extra.get("choices", []), max_length=extra.get("max_length"))
        for n, (name, label, kind, extra) in enumerate(FIELDS, start=1)
    ])
    package.published = True
    package.save(update_fields=["published"])
    return package


def _demo_form(company: Applicant, person: Applicant | None) -> dict[str, Any]:
    return {
        "org_name": company.name, "credit_code": company.credit_code,
        "company_type": "有限责任公司（自然人投资或控股）", "registered_capital": "50",
        "legal_representative": company.legal_representative or "王建国",
        "legal_rep_id": person.id_number if person else "",
        "contact_mobile": company.mobile, "premises": "云溪市东湖区湖滨路18号",
        "business_scope": "餐饮服务；食品销售（仅销售预包装食品）",
        "main_business": "餐饮服务经营者", "business_items": "热食类食品制售、冷食类食品制售",
        "venue_name": "东湖小厨", "area_sqm": "180", "sign_location": "湖滨路18号门头",
        "sign_size": "6×1.2", "sign_period_days": "1095", "need_seal": True,
        "commitment": False,
    }


def _demo_application(package: Package, result: DemoPackagesResult) -> None:
    from onewindow.cases import services as case_services
    from onewindow.cases.demo import material_pdf
    from onewindow.cases.models import CaseMaterialStatus
    from onewindow.cases.services import Upload
    from onewindow.packages import services
    from onewindow.packages.design import load_design
    from onewindow.packages.models import PackageCase
    from onewindow.packages.workflow import ItemState

    company = Applicant.objects.filter(kind=ApplicantKind.ORGANISATION,
                                       name="云溪市东湖餐饮管理有限公司").first()
    if company is None or company.user is None:
        return
    person = Applicant.objects.filter(user=company.user, kind=ApplicantKind.PERSON).first()
    uploads = {m.key: Upload(f"{m.name[:30]}.pdf", material_pdf(m.name))
               for m in load_design(package).materials if m.required}
    application = services.package_apply(
        actor=company.user, package=package, applicant=company,
        form_data=_demo_form(company, person), uploads=uploads,
        delivery_method="post", delivery_address="云溪市东湖区湖滨路18号 王建国 13905391001",
    )
    result.applications += 1
    licence = PackageCase.objects.select_related("case").get(
        application=application, package_item__item__implementation_code=ITEMS["licence"])
    chief = User.objects.filter(username="chief_donghu_scjg").first()
    if chief is not None and licence.case is not None:
        case = licence.case
        for m in case.materials.all():
            if m.has_content:
                case_services.case_check_material(actor=chief, case=case, material_id=m.pk,
                                                  verdict=CaseMaterialStatus.VERIFIED)
        case_services.case_decide_on_spot(actor=chief, case=case, approve=True,
                                          opinion="材料齐全，当场核准登记",
                                          delivery_method="electronic")
        services.application_refresh(application=application)
    result.started = PackageCase.objects.filter(application=application,
                                                state=ItemState.STARTED).count()


def _last_working_morning() -> dt.datetime:
    cal = get_calendar()
    day = clock.today() - dt.timedelta(days=1)
    while not cal.is_workday(day):
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=timezone.get_current_timezone())


def load_demo_packages() -> DemoPackagesResult:
    result = DemoPackagesResult()
    if not ServiceItem.objects.filter(implementation_code__in=ITEMS.values()).count() == 4:
        logger.warning("demo packages: the demo catalogue's items are missing; skipped")
        return result
    with transaction.atomic():
        package = create_restaurant_package()
        result.packages = 1
    try:
        # On the last working day before today, in office hours (the demo's history never
        # lies in the future, whatever the time it is loaded at).
        with clock.travel(_last_working_morning()), transaction.atomic():
            _demo_application(package, result)
    except DomainError as exc:  # the demo's own data changed: keep the package, skip this
        logger.warning("demo package application skipped: %s", exc.message)
        result.applications = 0
    return result


__all__ = ["load_demo_packages", "create_restaurant_package"]
