"""A package of four items in 东湖区 (d1): A → B → C (a chain) and D on its own.

- A 公司设立登记 (market bureau) issues 营业执照; its form calls the name ``company_name``.
- B 食品经营许可 (market bureau) needs A: its material 营业执照 comes from A's certificate;
  it shares 经营场所使用证明 with A (one upload for both).
- C 公共场所卫生许可 (health bureau) needs B: its material 食品经营许可证 comes from B's
  certificate; 经营场所使用证明 again.
- D 户外招牌设置 (city management) needs nothing and runs at once, like A.

Combined form: org_name, legal_rep, mobile, category, area_sqm, location.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

PASSWORD = "Correct-Horse-9"  # noqa: S105 - make_staff's test password
ORG_FIELD = {"name": "org_name", "label": "经营者名称", "type": "text", "required": True,
             "max_length": 60}


def _material(name: str, *, required: bool = True, tolerable: bool = False,
              source: str = "1") -> dict[str, Any]:
    return {"name": name, "issuing_body": "", "requirements": "", "form": "both",
            "original_count": 1, "copy_count": 0, "required": required,
            "tolerable": tolerable, "source": source, "acceptance_standard": ""}


@dataclass
class World:
    regions: dict[str, Any]
    departments: dict[str, Any]
    package: Any
    items: dict[str, Any]  # "A".."D" -> ServiceItem
    pitems: dict[str, Any]  # "A".."D" -> PackageItem
    applicant: Any
    applicant_user: Any
    other_user: Any
    other_applicant: Any
    clerk: Any
    other_clerk: Any
    staff: dict[str, dict[str, Any]]  # department key -> {"reviewer", "head"}
    admin: Any

    def form(self, **overrides: Any) -> dict[str, Any]:
        data = {"org_name": "东湖小馆餐饮店", "legal_rep": "张三丰", "mobile": "13905391001",
                "category": "餐饮服务经营者", "area_sqm": "120", "location": "政通路88号门头"}
        data.update(overrides)
        return data

    def uploads(self, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        from onewindow.cases.services import Upload
        from onewindow.cases.tests.conftest import pdf_bytes
        from onewindow.packages.design import load_design

        return {m.key: Upload(f"{m.name}.pdf", pdf_bytes(m.name))
                for m in load_design(self.package).materials if m.name not in skip}

    def apply(self, **kw: Any) -> Any:
        from onewindow.packages import services

        args: dict[str, Any] = {
            "actor": self.applicant_user, "package": self.package, "applicant": self.applicant,
            "form_data": self.form(), "uploads": self.uploads(),
            "delivery_method": "post", "delivery_address": "云溪市东湖区政通路88号",
        }
        args.update(kw)
        return services.package_apply(**args)

    def decide(self, case: Any, *, approve: bool = True) -> Any:
        """Take a submitted case through acceptance and every step to a decision."""
        from onewindow.cases import services as cs
        from onewindow.cases.models import Case, CaseMaterialStatus, Task, TaskKind
        from onewindow.cases.workflow import TaskState

        case = Case.objects.get(pk=case.pk)
        for m in case.materials.all():
            cs.case_check_material(actor=self.clerk, case=case, material_id=m.pk,
                                   verdict=CaseMaterialStatus.VERIFIED)
        cs.case_accept(actor=self.clerk, case=case)
        while True:
            task = Task.objects.get(case=case, kind=TaskKind.STEP, state=TaskState.ACTIVE)
            people = self.staff[_dep_key(self, task.department_id)]
            if Task.objects.filter(case=case, kind=TaskKind.STEP, seq__gt=task.seq).exists():
                cs.task_pass(actor=people["reviewer"], task=task)
                continue
            cs.task_decide(actor=people["head"], task=task, approve=approve,
                           reason="" if approve else "经营场所不符合要求")
            break
        case.refresh_from_db()
        return case


def _dep_key(w: World, department_id: int) -> str:
    return next(k for k, d in w.departments.items() if d.pk == department_id)


def build_world(departments: dict[str, Any], regions: dict[str, Any], make_staff: Any) -> World:
    from onewindow.accounts.models import Applicant, ApplicantKind, Role, User
    from onewindow.catalog.tests.test_services import basic_data, make_item
    from onewindow.packages.models import Package, PackageField, PackageItem
    from onewindow.regions.models import Department

    d1 = regions["d1"]
    departments = dict(departments)
    departments["d1_health"] = Department.objects.create(region=d1, code="WJ",
                                                         name="东湖区卫生健康局")
    departments["d1_city"] = Department.objects.create(region=d1, code="CG",
                                                       name="东湖区综合行政执法局")
    common = [ORG_FIELD, {"name": "mobile", "label": "联系电话", "type": "phone",
                          "required": True}]
    items = {
        "A": make_item(
            departments, code="PKG-A", basic=basic_data(basic_code="PA001", name="公司设立登记"),
            result_name="营业执照",
            form_schema=[{"name": "company_name", "label": "拟设立名称", "type": "text",
                          "required": True, "max_length": 60},
                         {"name": "legal_rep", "label": "法定代表人", "type": "text",
                          "required": True}, common[1]],
            materials=[_material("公司章程"), _material("经营场所使用证明")],
        ),
        "B": make_item(
            departments, code="PKG-B", basic=basic_data(basic_code="PB001", name="食品经营许可"),
            result_name="食品经营许可证",
            form_schema=[*common, {"name": "category", "label": "主体业态", "type": "select",
                                   "required": True,
                                   "choices": ["食品销售经营者", "餐饮服务经营者"]}],
            materials=[_material("营业执照", source="2"), _material("经营场所使用证明"),
                       _material("食品安全管理制度", tolerable=True)],
        ),
        "C": make_item(
            departments, code="PKG-C", dep="d1_health",
            basic=basic_data(basic_code="PC001", name="公共场所卫生许可"),
            result_name="公共场所卫生许可证",
            form_schema=[*common, {"name": "area_sqm", "label": "营业面积（平方米）",
                                   "type": "number", "required": True}],
            materials=[_material("食品经营许可证", source="2"), _material("经营场所使用证明")],
        ),
        "D": make_item(
            departments, code="PKG-D", dep="d1_city",
            basic=basic_data(basic_code="PD001", name="户外招牌设置"),
            result_name="户外招牌设置许可决定书",
            form_schema=[*common, {"name": "location", "label": "设置地点", "type": "text",
                                   "required": True}],
            materials=[_material("招牌效果图"), _material("授权委托书", required=False)],
        ),
    }
    package = Package.objects.create(code="restaurant", name="开餐馆一件事", region=d1,
                                     lead_department=departments["d1_market"],
                                     description="营业执照、食品经营许可、卫生许可、户外招牌一次办")
    pitems = {}
    for n, key in enumerate("ABCD", start=1):
        pitems[key] = PackageItem.objects.create(
            package=package, item=items[key], sort_order=n,
            field_map={"org_name": "company_name"} if key == "A" else {},
        )
    pitems["B"].depends_on.set([pitems["A"]])
    pitems["C"].depends_on.set([pitems["B"]])
    for n, (name, label, kind, extra) in enumerate([
        ("org_name", "经营者名称", "text", {"max_length": 60}),
        ("legal_rep", "法定代表人", "text", {}),
        ("mobile", "联系电话", "phone", {}),
        ("category", "主体业态", "select", {"choices": ["餐饮服务经营者", "食品销售经营者"]}),
        ("area_sqm", "营业面积（平方米）", "number", {}),
        ("location", "招牌设置地点", "text", {}),
    ], start=1):
        PackageField.objects.create(package=package, sort_order=n, name=name, label=label,
                                    type=kind, **extra)
    package.published = True
    package.save()

    applicant_user = User.objects.create_user(username="13905391001", phone="13905391001")
    applicant = Applicant.objects.create(
        kind=ApplicantKind.PERSON, name="张三丰", id_number="11010519491231002X",
        mobile="13905391001", user=applicant_user)
    other_user = User.objects.create_user(username="13905391009", phone="13905391009")
    other_applicant = Applicant.objects.create(
        kind=ApplicantKind.PERSON, name="李四", id_number="110105198001010016",
        mobile="13905391009", user=other_user)
    staff = {}
    for key in ("d1_market", "d1_health", "d1_city"):
        dep = departments[key]
        staff[key] = {"reviewer": make_staff(Role.REVIEWER, d1, dep, username=f"rev_{key}"),
                      "head": make_staff(Role.DEPARTMENT_HEAD, d1, dep, username=f"head_{key}")}
    return World(
        regions=regions, departments=departments, package=package, items=items, pitems=pitems,
        applicant=applicant, applicant_user=applicant_user, other_user=other_user,
        other_applicant=other_applicant,
        clerk=make_staff(Role.CLERK, d1, username="clerk"),
        other_clerk=make_staff(Role.CLERK, regions["d2"], username="otherclerk"),
        staff=staff, admin=make_staff(Role.ADMIN, d1, username="pkgadmin"),
    )


@pytest.fixture
def w(departments: dict[str, Any], regions: dict[str, Any], make_staff: Any) -> World:
    return build_world(departments, regions, make_staff)


TODAY = date(2026, 11, 24)
