"""Fixtures for cases: a published item with materials, staff of every role, an applicant."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from onewindow.accounts.models import Applicant, ApplicantKind, Role, User
from onewindow.cases import services
from onewindow.cases.models import Case, CaseMaterialStatus
from onewindow.cases.services import Upload
from onewindow.catalog import services as catalog_services
from onewindow.catalog.models import ServiceItem
from onewindow.catalog.tests.test_services import make_item


def pdf_bytes(text: str = "material") -> bytes:
    """A small real PDF with one page."""
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canvas = Canvas(buf)
    canvas.drawString(72, 720, text)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def png_bytes(blank: bool = False) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (64, 64), "white")
    if not blank:
        ImageDraw.Draw(img).rectangle((8, 8, 40, 40), fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class World:
    item: ServiceItem
    applicant: Applicant
    applicant_user: User
    clerk: User
    reviewer: User
    head: User
    chief: User
    other_clerk: User
    other_reviewer: User
    departments: dict[str, Any]
    regions: dict[str, Any]

    def new_case(self, *, submit: bool = True, upload: bool = True, **kw: Any) -> Case:
        case = services.case_create(
            actor=self.applicant_user, item=self.item, applicant=self.applicant,
            form_data={"shop_name": "湖滨小吃店", "category": "预包装食品"}, **kw,
        )
        if upload:
            for m in case.materials.all():
                services.case_attach_material(
                    actor=self.applicant_user, case=case, material_id=m.pk,
                    upload=Upload(f"{m.name}.pdf", pdf_bytes(m.name)),
                )
        if submit:
            services.case_submit(actor=self.applicant_user, case=case)
        case.refresh_from_db()
        return case

    def verify_all(self, case: Case) -> None:
        for m in case.materials.all():
            services.case_check_material(
                actor=self.clerk, case=case, material_id=m.pk,
                verdict=CaseMaterialStatus.VERIFIED,
            )

    def accepted_case(self, **kw: Any) -> Case:
        case = self.new_case(**kw)
        self.verify_all(case)
        services.case_accept(actor=self.clerk, case=case)
        case.refresh_from_db()
        return case


@pytest.fixture
def world(departments: dict[str, Any], regions: dict[str, Any], make_staff: Any) -> World:
    item = make_item(departments)
    applicant_user = User.objects.create_user(username="13905391001", phone="13905391001")
    applicant = Applicant.objects.create(
        kind=ApplicantKind.PERSON, name="张三丰", id_number="11010519491231002X",
        mobile="13905391001", user=applicant_user,
    )
    dep = departments["d1_market"]
    chief = make_staff(Role.CHIEF, regions["d1"], dep, username="chief")
    head = make_staff(Role.DEPARTMENT_HEAD, regions["d1"], dep, username="head")
    catalog_services.authorisation_issue(
        actor=head, holder=chief, department=dep, items=[item],
        valid_from=date.today() - timedelta(days=30), valid_to=date.today() + timedelta(days=300),
        number="SQ-2026-001",
    )
    return World(
        item=item, applicant=applicant, applicant_user=applicant_user,
        clerk=make_staff(Role.CLERK, regions["d1"], username="clerk"),
        reviewer=make_staff(Role.REVIEWER, regions["d1"], dep, username="reviewer"),
        head=head,
        chief=chief,
        other_clerk=make_staff(Role.CLERK, regions["d2"], username="otherclerk"),
        other_reviewer=make_staff(Role.REVIEWER, regions["d2"], departments["d2_market"],
                                  username="otherreviewer"),
        departments=departments, regions=regions,
    )
