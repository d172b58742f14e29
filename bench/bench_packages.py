"""一件事: packages of 5 items, each with 4 parallel participants, from submission to decision
through the API, on PostgreSQL.

Usage (the database is dropped, created and migrated every run):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onewindow_bench_packages \
        .venv/bin/python bench/bench_packages.py [--packages 50]

The package: items P1…P5 of one district, each with its own lead department and the same four
participating departments (fire, housing, health, environment: 并联审批), P2 needing P1 (its
营业执照 comes from P1's certificate), P3–P5 independent. Each item has its own application
form field and material, and all share 经营场所使用证明 (one upload for the package).

For every package, all through the HTTP API (Django's test client in this process, sessions
per user, JSON and multipart exactly as a client sends them):
  1. the applicant applies: one multipart request (combined form + 6 files);
  2. then, until every case is decided: the window verifies the materials and accepts
     (``/materials/{id}/check``, ``/accept``), each participant gives its opinion
     (``/tasks/{id}/opinion``), the lead's reviewer passes and its head decides
     (``/tasks/{id}/pass``, ``/tasks/{id}/decide``); the staff read the case
     (``GET /cases/{no}``) to find their task. P2 starts by itself when P1 is decided
     (the ``case_decided`` signal after commit) and is then handled the same way.
Printed: queries and wall time per package — applying, handling, total — as median, p90 and
max over the packages; per case and per request as well. Not a test: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The package app's test settings add the app until the project's settings name it; once they
# do, they are the project's settings unchanged.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.packages.tests.settings")
os.environ.setdefault("ONEWINDOW_TESTING", "1")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("ONEWINDOW_LOG_LEVEL", "WARNING")

DB_NAME = "onewindow_bench_packages"
DISTRICT = "379902000000"
PARTICIPANTS = [("XF", "消防救援大队", "消防安全"), ("ZJ", "住房和城乡建设局", "建筑安全"),
                ("WJ", "卫生健康局", "卫生条件"), ("HB", "生态环境分局", "环境影响")]
LEADS = [("SCJG", "市场监督管理局"), ("SP", "食品药品监督管理局"), ("CG", "综合行政执法局"),
         ("WL", "文化和旅游局"), ("JT", "交通运输局")]
PASSWORD = "Bench-Pass-2026"  # noqa: S105 - a throw-away database


def log(message: str) -> None:
    print(message, flush=True)


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must point to PostgreSQL "
                 f"(e.g. postgres://postgres@127.0.0.1:5432/{DB_NAME}).")
    return url


def recreate_database() -> None:
    import psycopg

    base, _, name = database_url().rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def pdf(text: str) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canvas = Canvas(buf)
    canvas.drawString(72, 720, text.encode("ascii", "replace").decode())
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


# --- the world ---------------------------------------------------------------------------------


def build(n_packages: int) -> dict[str, Any]:
    from django.db import transaction

    from onewindow.accounts.models import (
        Applicant,
        ApplicantKind,
        RoleAssignment,
        StaffMember,
        User,
    )
    from onewindow.cases.models import ParallelParticipant
    from onewindow.catalog import services as catalog
    from onewindow.catalog.tests.test_services import basic_data, guide_data
    from onewindow.core.identity import make_id_number
    from onewindow.packages.models import Package, PackageField, PackageItem
    from onewindow.regions.models import Department, Region, RegionLevel

    def staff(username: str, role: str, region: Any, dep: Any) -> Any:
        user = User.objects.create_user(username=username, password=PASSWORD,
                                        display_name=username)
        StaffMember.objects.create(user=user, staff_number=username[-20:], region=region,
                                   department=dep)
        RoleAssignment.objects.create(user=user, role=role, region=region, department=dep)
        return user

    with transaction.atomic():
        city = Region.objects.create(code="379900000000", name="云溪市", level=RegionLevel.CITY)
        district = Region.objects.create(code=DISTRICT, name="东湖区",
                                         level=RegionLevel.DISTRICT, parent=city)
        leads = [Department.objects.create(region=district, code=c, name=f"东湖区{n}")
                 for c, n in LEADS]
        participants = [Department.objects.create(region=district, code=c, name=f"东湖区{n}")
                        for c, n, _s in PARTICIPANTS]
        people: dict[str, Any] = {"clerk": staff("bench_clerk", "clerk", district, None)}
        for k, dep in enumerate(leads, start=1):
            people[f"rev{k}"] = staff(f"bench_rev_{k}", "reviewer", district, dep)
            people[f"head{k}"] = staff(f"bench_head_{k}", "dept_head", district, dep)
        for k, dep in enumerate(participants, start=1):
            people[f"part{k}"] = staff(f"bench_part_{k}", "reviewer", district, dep)
        items = []
        for k, dep in enumerate(leads, start=1):
            def material(name: str, source: str = "1") -> dict[str, Any]:
                return {"name": name, "issuing_body": "", "requirements": "", "form": "both",
                        "original_count": 1, "copy_count": 0, "required": True,
                        "tolerable": False, "source": source, "acceptance_standard": ""}

            materials = [material(f"P{k}申请书"), material("经营场所使用证明")]
            if k == 2:
                materials.append(material("营业执照", "2"))
            guide = guide_data(
                promised_limit=10, result_name="营业执照" if k == 1 else f"P{k}许可证",
                form_schema=[
                    {"name": "org_name", "label": "经营者名称", "type": "text",
                     "required": True},
                    {"name": "contact_mobile", "label": "联系电话", "type": "phone",
                     "required": True},
                    {"name": f"detail_{k}", "label": f"P{k}事项信息", "type": "text",
                     "required": True},
                ],
                materials=materials,
            )
            item = catalog.item_create(
                actor=None, basic=basic_data(basic_code=f"BP{k:03d}", name=f"P{k}许可"),
                region=district, department=dep, implementation_code=f"BENCH-PKG-{k}",
                guide=guide)
            catalog.version_publish(actor=None, version=item.versions.get(),
                                    effective_from=None)
            item.refresh_from_db()
            for n, part in enumerate(participants, start=1):
                ParallelParticipant.objects.create(
                    item=item, department=part, sort_order=n,
                    subject=PARTICIPANTS[n - 1][2], limit_days=5)
            items.append(item)
        package = Package.objects.create(code="bench", name="基准一件事", region=district,
                                         lead_department=leads[0], published=True)
        pitems = [PackageItem.objects.create(package=package, item=item, sort_order=k)
                  for k, item in enumerate(items, start=1)]
        pitems[1].depends_on.set([pitems[0]])
        fields = [("org_name", "经营者名称", "text"), ("contact_mobile", "联系电话", "phone")]
        fields += [(f"detail_{k}", f"P{k}事项信息", "text") for k in range(1, 6)]
        PackageField.objects.bulk_create(
            PackageField(package=package, sort_order=n, name=name, label=label, type=kind)
            for n, (name, label, kind) in enumerate(fields, start=1))
        applicants = []
        for n in range(n_packages):
            mobile = f"139{n:08d}"
            user = User.objects.create_user(username=mobile, phone=mobile)
            applicants.append(Applicant.objects.create(
                kind=ApplicantKind.PERSON, name=f"申请人{n}", mobile=mobile, user=user,
                id_number=make_id_number(f"37990219800101{n % 1000:03d}")))
    from onewindow.packages.design import load_design

    problems = load_design(package).problems
    if problems:
        sys.exit("package not ready: " + "; ".join(problems))
    return {"package": package, "people": people, "applicants": applicants}


# --- the run -------------------------------------------------------------------------------------


class Api:
    """One signed-in client per user; counts requests."""

    def __init__(self) -> None:
        self.clients: dict[int, Any] = {}
        self.requests = 0

    def client(self, user: Any) -> Any:
        from django.test import Client

        if user.pk not in self.clients:
            c = Client()
            c.force_login(user)
            self.clients[user.pk] = c
        return self.clients[user.pk]

    def get(self, user: Any, path: str) -> Any:
        self.requests += 1
        response = self.client(user).get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.content[:300]!r}")
        return response.json()

    def post(self, user: Any, path: str, data: Any = None, *, multipart: bool = False,
             expect: int = 200) -> Any:
        self.requests += 1
        c = self.client(user)
        if multipart:
            response = c.post(path, data)
        else:
            response = c.post(path, json.dumps(data or {}), content_type="application/json")
        if response.status_code != expect:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.content[:400]!r}")
        return response.json()


def apply(api: Api, package: Any, applicant: Any, files: dict[str, bytes], n: int) -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = {"org_name": f"东湖第{n}餐饮店", "contact_mobile": applicant.mobile}
    form.update({f"detail_{k}": f"第{n}号申请的P{k}信息" for k in range(1, 6)})
    body: dict[str, Any] = {"form": json.dumps(form, ensure_ascii=False),
                            "delivery_method": "electronic"}
    for key, data in files.items():
        body[key] = SimpleUploadedFile(f"{key}.pdf", data, content_type="application/pdf")
    out = api.post(applicant.user, f"/api/v1/packages/{package.code}/apply", body,
                   multipart=True, expect=201)
    return str(out["number"])


def handle_case(api: Api, people: dict[str, Any], case_no: str, lead: int) -> None:
    clerk = people["clerk"]
    case = api.get(clerk, f"/api/v1/cases/{case_no}")
    for m in case["materials"]:
        if m["required"]:
            api.post(clerk, f"/api/v1/cases/{case_no}/materials/{m['id']}/check",
                     {"verdict": "verified"})
    api.post(clerk, f"/api/v1/cases/{case_no}/accept", {})
    # Every participant reads the case and gives its opinion (并联: all at once).
    for k in range(1, 5):
        user = people[f"part{k}"]
        tasks = api.get(user, f"/api/v1/cases/{case_no}")["tasks"]
        mine = next(t for t in tasks if t["kind"] == "opinion" and t["state"] == "active"
                    and t["department"].endswith(PARTICIPANTS[k - 1][1]))
        api.post(user, f"/api/v1/cases/tasks/{mine['id']}/opinion",
                 {"agree": True, "opinion": "同意"})
    reviewer, head = people[f"rev{lead}"], people[f"head{lead}"]
    tasks = api.get(reviewer, f"/api/v1/cases/{case_no}")["tasks"]
    step = next(t for t in tasks if t["kind"] == "step" and t["state"] == "active")
    api.post(reviewer, f"/api/v1/cases/tasks/{step['id']}/pass", {"opinion": "材料齐全"})
    tasks = api.get(head, f"/api/v1/cases/{case_no}")["tasks"]
    step = next(t for t in tasks if t["kind"] == "step" and t["state"] == "active")
    api.post(head, f"/api/v1/cases/tasks/{step['id']}/decide", {"approve": True})


def run_one(api: Api, world: dict[str, Any], applicant: Any, files: dict[str, bytes],
            n: int) -> dict[str, float]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    people, package = world["people"], world["package"]
    reset_queries()  # the log keeps 9,000 queries: start each package from an empty one
    started = time.perf_counter()
    requests_before = api.requests
    with CaptureQueriesContext(connection) as applied:
        number = apply(api, package, applicant, files, n)
    t_apply = time.perf_counter() - started
    handled: set[str] = set()
    reset_queries()
    with CaptureQueriesContext(connection) as handling:
        while True:
            view = api.get(applicant.user, f"/api/v1/packages/applications/{number}")
            todo = [(i["case_no"], int(i["item_code"].rsplit("-", 1)[1]))
                    for i in view["items"] if i["case_no"] and i["case_no"] not in handled]
            if not todo:
                break
            for case_no, lead in todo:
                handle_case(api, people, case_no, lead)
                handled.add(case_no)
    total = time.perf_counter() - started
    decided = [i for i in view["items"] if i["case_state"] == "decided"]
    if len(decided) != 5 or view["state"] != "awaiting_delivery":
        raise RuntimeError(f"{number}: not every case decided: {view}")
    return {"apply_q": len(applied), "handle_q": len(handling),
            "total_q": len(applied) + len(handling), "apply_s": t_apply, "total_s": total,
            "requests": api.requests - requests_before, "cases": len(handled)}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=50)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = database_url()
    recreate_database()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    log(f"migrated in {time.perf_counter() - t0:.0f} s")
    world = build(args.packages)
    from onewindow.packages.design import load_design

    files = {m.key: pdf(m.key) for m in load_design(world["package"]).materials}
    log(f"package: 5 items x 4 participants, {len(files)} uploads per application; "
        f"{args.packages} applicants")
    api = Api()
    # One warm-up package (imports, prepared plans, first sessions) not counted.
    rows = []
    for n, applicant in enumerate(world["applicants"]):
        row = run_one(api, world, applicant, files, n)
        if n > 0 or args.packages == 1:
            rows.append(row)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM cases_case WHERE state = 'decided'")
        decided = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM cases_task WHERE kind = 'opinion' AND outcome = "
                    "'agree'")
        opinions = cur.fetchone()[0]
    log(f"decided cases: {decided} (expected {5 * args.packages}); opinions: {opinions}")

    def line(label: str, key: str, fmt: str) -> None:
        values = [r[key] for r in rows]
        log(f"  {label:<28} median {fmt.format(statistics.median(values))}  "
            f"p90 {fmt.format(pct(values, .9))}  max {fmt.format(max(values))}")

    log(f"per package ({len(rows)} measured, the first one a warm-up):")
    line("queries, apply", "apply_q", "{:.0f}")
    line("queries, handling to decision", "handle_q", "{:.0f}")
    line("queries, total", "total_q", "{:.0f}")
    line("API requests", "requests", "{:.0f}")
    line("seconds, apply", "apply_s", "{:.3f}")
    line("seconds, submission to decision", "total_s", "{:.3f}")
    per_request = statistics.median(r["total_s"] / r["requests"] for r in rows)
    per_case_q = statistics.median(r["handle_q"] / r["cases"] for r in rows)
    log(f"  median per request {per_request * 1000:.1f} ms; handling queries per case "
        f"{per_case_q:.0f}")


if __name__ == "__main__":
    main()
