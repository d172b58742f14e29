"""The demo city 云溪市: regions, organisations, staff of every role, catalogue, applicants.

Loaded by ``onewindow demo`` into an empty database. Staff passwords are random unless
ONEWINDOW_DEMO_PASSWORD is set; the accounts are written to var/demo-accounts.txt.
"""

from __future__ import annotations

import json
import secrets
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from onewindow.accounts.models import Applicant, ApplicantKind, RoleAssignment, StaffMember, User
from onewindow.catalog import services as catalog_services
from onewindow.catalog.models import Authorisation, ServiceItem
from onewindow.core.identity import make_credit_code, make_id_number
from onewindow.regions.models import Department, Region, ServiceCentre, Window
from onewindow.regions.services import region_import_csv

ROOT = Path(__file__).resolve().parent.parent
REGIONS_CSV = ROOT / "regions" / "data" / "demo_regions.csv"
ORGANISATIONS_JSON = ROOT / "regions" / "data" / "demo_organisations.json"
CATALOG_JSON = ROOT / "catalog" / "data" / "demo_catalog.json"

ADMIN_ROLES = {"admin", "dept_head"}


@dataclass
class DemoResult:
    password: str
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # username, name, roles
    applicants: list[tuple[str, str]] = field(default_factory=list)  # mobile, name
    items: int = 0
    cases: str = ""  # summary of the demo cases
    hall: str = ""  # summary of the hall's demo queue


def database_is_empty() -> bool:
    return not (
        Region.objects.exists() or ServiceItem.objects.exists() or StaffMember.objects.exists()
    )


def load_demo(*, password: str | None = None) -> DemoResult:
    password = password or secrets.token_urlsafe(9)
    result = DemoResult(password=password)
    with transaction.atomic():
        region_import_csv(text=REGIONS_CSV.read_text(encoding="utf-8"))
        regions = {r.code: r for r in Region.objects.all()}
        orgs = json.loads(ORGANISATIONS_JSON.read_text(encoding="utf-8"))
        departments: dict[tuple[str, str], Department] = {}
        for d in orgs["departments"]:
            dep = Department.objects.create(
                region=regions[d["region_code"]], code=d["code"], name=d["name"],
                short_name=d.get("short_name", ""), credit_code=d.get("credit_code", ""),
                phone=d.get("phone", ""), complaint_phone=d.get("complaint_phone", ""),
            )
            departments[(d["region_code"], d["code"])] = dep
        for c in orgs["centres"]:
            centre = ServiceCentre.objects.create(
                region=regions[c["region_code"]], kind=c["kind"], name=c["name"],
                address=c.get("address", ""), phone=c.get("phone", ""),
                complaint_phone=c.get("complaint_phone", ""),
                office_hours=c.get("office_hours", ""),
            )
            for w in c.get("windows", []):
                dep_code = w.get("department_code")
                Window.objects.create(
                    centre=centre, number=w["number"], name=w["name"], kind=w["kind"],
                    department=departments[(c["region_code"], dep_code)] if dep_code else None,
                )
        for s in orgs["staff"]:
            roles = s.get("roles", [])
            user = User.objects.create_user(
                username=s["username"], password=password, display_name=s["display_name"],
                is_staff=any(r["role"] in ADMIN_ROLES for r in roles),
            )
            home = regions[s["region_code"]]
            StaffMember.objects.create(
                user=user, staff_number=s["staff_number"], region=home,
                department=departments.get((s["region_code"], s.get("department_code") or "")),
                title=s.get("title", ""),
            )
            for r in roles:
                RoleAssignment.objects.create(
                    user=user, role=r["role"], region=regions[r["region_code"]],
                    department=departments.get((r["region_code"], r.get("department_code") or "")),
                )
            result.accounts.append(
                (user.username, s["display_name"], "、".join(r["role"] for r in roles))
            )
        imported = catalog_services.catalog_import(
            actor=None, data=CATALOG_JSON.read_bytes(), fmt="json"
        )
        result.items = imported.created
        from onewindow.hotline.demo import load_demo_articles

        load_demo_articles()
        _demo_popularity()
        _demo_authorisations()
        result.applicants = _demo_applicants()
        from onewindow.cases.demo import load_demo_cases

        result.cases = load_demo_cases().summary()
        from onewindow.proxy.demo import load_demo_proxy

        load_demo_proxy()
        from onewindow.hotline.demo_orders import load_demo_orders

        load_demo_orders()
        from onewindow.hall.demo import demo_summary, load_demo_hall

        result.hall = demo_summary(load_demo_hall())
        from onewindow.evaluation.demo import load_demo_evaluations

        load_demo_evaluations()
        from onewindow.packages.demo import load_demo_packages

        load_demo_packages()
        from onewindow.enterprise.demo import load_demo_enterprise

        load_demo_enterprise()
        # Supervision's first scan raises the cards of the demo's late cases (quietly), and
        # the dashboards' roll-up starts from everything loaded.
        from onewindow.supervision.services import supervision_scan

        supervision_scan()
        # Last month's window assessment, computed and published (after the scan: red cards
        # cap a window's grade).
        from onewindow.assessment.demo import load_demo_assessment

        load_demo_assessment()
        from onewindow.stats.rollup import stats_rebuild

        stats_rebuild()
        # The proxy, package and other demo histories add case events on past days after the
        # cases demo anchored them: the demo's anchors are made once more, over everything.
        from onewindow.cases import audit
        from onewindow.cases.models import AuditAnchor

        AuditAnchor.objects.all().delete()
        audit.anchor_days(until=timezone.localdate())
    _write_accounts_file(result)
    return result


# How often the guides of the best-known items have been opened (drives "most used" lists).
POPULAR = {
    "健康证": 980, "个体工商户": 860, "公司设立": 750, "居民身份证": 720, "社会保障卡": 640,
    "不动产": 610, "食品经营": 560, "居住证": 500, "结婚登记": 420, "出生医学证明": 380,
}


def _demo_popularity() -> None:
    items = list(ServiceItem.objects.select_related("basic"))
    for item in items:
        hits = [count for word, count in POPULAR.items() if word in item.basic.name]
        item.popularity = max(hits) if hits else zlib.crc32(item.implementation_code.encode()) % 200
    ServiceItem.objects.bulk_update(items, ["popularity"])


def _demo_authorisations() -> None:
    """Each chief representative may decide their department's instant items on the spot."""
    today = timezone.localdate()
    for n, ra in enumerate(
        RoleAssignment.objects.filter(role="chief").select_related("department", "user"), 1
    ):
        if ra.department is None:
            continue
        head = (
            RoleAssignment.objects.filter(role="dept_head", department=ra.department)
            .select_related("user")
            .first()
        )
        items = list(
            ServiceItem.objects.filter(department=ra.department).order_by("implementation_code")
        )
        instant = [i for i in items if i.current_version and i.current_version.case_type == "1"]
        chosen = instant or items[:3]
        if not chosen:
            continue
        auth = Authorisation.objects.create(
            number=f"YXSQ-{today.year}-{n:03d}", holder=ra.user, department=ra.department,
            issued_by=head.user if head else ra.user, valid_from=date(today.year, 1, 1),
            valid_to=date(today.year, 12, 31) + timedelta(days=365),
        )
        auth.items.set(chosen)


def _demo_applicants() -> list[tuple[str, str]]:
    people = [
        ("王建国", "13905391001", "37010219800512123"),
        ("李秀英", "13905391002", "37010219921103224"),
        ("张伟", "13905391003", "37010220010218031"),
    ]
    out = []
    for name, mobile, body in people:
        user = User.objects.create_user(username=f"m{mobile}", phone=mobile, display_name=name)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        Applicant.objects.create(
            kind=ApplicantKind.PERSON, name=name, mobile=mobile, id_number=make_id_number(body),
            user=user,
        )
        out.append((mobile, name))
    companies = [
        ("云溪市东湖餐饮管理有限公司", "王建国", "91379902MA3D1A2B3"),
        ("云溪清河农机专业合作社", "张伟", "N2379921MA3E5F6G7"),
    ]
    owner = User.objects.get(phone="13905391001")
    for name, rep, body in companies:
        Applicant.objects.create(
            kind=ApplicantKind.ORGANISATION, name=name, mobile="13905391001",
            credit_code=make_credit_code(body), legal_representative=rep, user=owner,
        )
    return out


def _write_accounts_file(result: DemoResult) -> None:
    lines = ["一窗通演示账户（仅用于演示环境）", "", f"工作人员密码：{result.password}", ""]
    lines += [f"  {u:<18} {n:<6} {r}" for u, n, r in result.accounts]
    lines += ["", "办事群众（手机验证码登录，验证码见 /accounts/demo-sms/）："]
    lines += [f"  {m}  {n}" for m, n in result.applicants]
    path = settings.VAR_DIR / "demo-accounts.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
