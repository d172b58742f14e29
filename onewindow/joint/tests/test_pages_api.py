"""Pages and API of 联合踏勘 / 联席会议: who sees and does what (a refused request changes
nothing), Chinese errors beside their fields, uploads, the PDF, the case-screen section."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.template import Context, Template

from onewindow.joint import services
from onewindow.joint.models import InspectionFinding, InspectionPhoto, JointInspection
from onewindow.joint.tests.conftest import FRIDAY, THURSDAY, jpeg_bytes, png_bytes
from onewindow.joint.tests.test_inspection import FIRE_FINDINGS, HOUSING_FINDINGS, pdf_text
from onewindow.joint.workflow import InspectionState, InviteState

pytestmark = pytest.mark.django_db

API = "/api/v1/joint"


def scheduled(jw: Any) -> JointInspection:
    return services.inspection_schedule(actor=jw.lead, case=jw.case(), scheduled_at=THURSDAY,
                                        place="东湖区湖滨路88号经营场所")


def post_json(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def _users(jw: Any) -> dict[str, Any]:
    return {"lead": jw.lead, "participant": jw.fire_reviewer, "uninvolved": jw.health_reviewer,
            "other_district": jw.w.other_reviewer, "applicant": jw.w.applicant_user}


PAGE_EXPECTED = {"lead": 200, "participant": 200, "uninvolved": 404, "other_district": 404,
                 "applicant": 403}
API_EXPECTED = {"lead": 200, "participant": 200, "uninvolved": 404, "other_district": 404,
                "applicant": 403}


@pytest.mark.parametrize("who", list(PAGE_EXPECTED))
def test_inspection_page_and_api_permission_matrix(client, jw, who):
    inspection = scheduled(jw)
    client.force_login(_users(jw)[who])
    page = client.get(f"/workbench/joint/inspections/{inspection.pk}/")
    assert page.status_code == PAGE_EXPECTED[who]
    if page.status_code == 200:
        html = page.content.decode()
        assert inspection.number in html and "东湖区消防救援大队" in html
    api = client.get(f"{API}/inspections/{inspection.pk}")
    assert api.status_code == API_EXPECTED[who]
    if api.status_code == 200:
        assert api.json()["state"] == "scheduled" and len(api.json()["invites"]) == 2
    else:
        assert "message" in api.json()


def test_anonymous_is_sent_to_sign_in_and_the_api_says_401(client, jw):
    inspection = scheduled(jw)
    for url in ("/workbench/joint/", f"/workbench/joint/inspections/{inspection.pk}/",
                f"/workbench/joint/cases/{inspection.case.case_no}/"):
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert client.get(f"{API}/inspections/{inspection.pk}").status_code == 401
    r = post_json(client, f"{API}/inspections/{inspection.pk}/respond", {"confirm": True})
    assert r.status_code == 401
    assert invite_states(inspection) == {InviteState.INVITED}


def invite_states(inspection: JointInspection) -> set[str]:
    return set(inspection.invites.values_list("state", flat=True))


def test_refused_actions_change_nothing(client, jw):
    case = jw.case()
    # A participant (sees the case) may not schedule: 403; the uninvolved: 404.
    for user, status in ((jw.fire_reviewer, 403), (jw.health_reviewer, 404),
                         (jw.w.other_reviewer, 404), (jw.w.head, 403)):
        client.force_login(user)
        r = post_json(client, f"{API}/cases/{case.case_no}/inspections",
                      {"scheduled_at": THURSDAY.isoformat(), "place": "东湖区湖滨路88号"})
        assert r.status_code == status, (user, r.content)
        page = client.post(f"/workbench/joint/cases/{case.case_no}/",
                           {"action": "schedule", "scheduled_at": "2026-11-26T09:30",
                            "place": "东湖区湖滨路88号"})
        assert page.status_code == status
    assert not JointInspection.objects.exists()
    client.force_login(jw.w.applicant_user)
    assert client.post(f"/workbench/joint/cases/{case.case_no}/",
                       {"action": "schedule"}).status_code == 403
    client.force_login(jw.lead)
    r = post_json(client, f"{API}/cases/{case.case_no}/inspections",
                  {"scheduled_at": "2026-11-26T09:30:00", "place": "东湖区湖滨路88号"})
    assert r.status_code == 201 and r.json()["stops_clock"] is True
    inspection_id = r.json()["id"]
    # The lead cannot answer for a department; the participant cannot close.
    r = post_json(client, f"{API}/inspections/{inspection_id}/respond", {"confirm": True})
    assert r.status_code == 403
    client.force_login(jw.fire_reviewer)
    r = post_json(client, f"{API}/inspections/{inspection_id}/close", {"summary": "通过踏勘"})
    assert r.status_code == 403
    r = post_json(client, f"{API}/inspections/{inspection_id}/respond", {"confirm": True})
    assert r.status_code == 200
    states = {i["department"]: i["state"] for i in r.json()["invites"]}
    assert states == {"东湖区消防救援大队": "confirmed", "东湖区住房和城乡建设局": "invited"}


def test_bad_input_on_pages_and_api_is_chinese_and_per_field(client, jw, travel):
    case = jw.case()
    client.force_login(jw.lead)
    url = f"/workbench/joint/cases/{case.case_no}/"
    r = client.post(url, {"action": "schedule", "scheduled_at": "2026-11-20T09:00",
                          "place": ""})
    html = r.content.decode()
    assert r.status_code == 422
    assert "时间不能早于现在" in html and "请填写踏勘地点。" in html
    r = client.post(url, {"action": "schedule", "scheduled_at": "明天上午", "place": "湖滨路"})
    assert r.status_code == 422 and "请填写正确的日期和时间。" in r.content.decode()
    r = post_json(client, f"{API}/cases/{case.case_no}/inspections",
                  {"scheduled_at": "2026-11-01T09:00:00", "place": "东湖区湖滨路88号"})
    assert r.status_code == 422
    assert r.json()["errors"]["scheduled_at"] == ["时间不能早于现在，请选择今后的日期和时间。"]
    r = post_json(client, f"{API}/cases/{case.case_no}/inspections",
                  {"scheduled_at": "not a time", "place": "东湖区湖滨路88号"})
    assert r.status_code == 422 and "scheduled_at" in r.json()["errors"]
    assert not JointInspection.objects.exists()

    inspection = services.inspection_schedule(actor=jw.lead, case=case, scheduled_at=THURSDAY,
                                              place="东湖区湖滨路88号")
    travel.move_to(THURSDAY + dt.timedelta(hours=1))
    client.force_login(jw.fire_reviewer)
    page = f"/workbench/joint/inspections/{inspection.pk}/"
    r = client.post(page, {"action": "finding", "findings": "", "conclusion": "",
                           "photos": [_file("plan.jpg", b"GIF89a not really")]})
    html = r.content.decode()
    assert r.status_code == 422
    assert "请填写本部门的踏勘情况。" in html and "请选择踏勘结论" in html
    assert "只接受 PDF、JPG、PNG" in html
    r = client.post(f"{API}/inspections/{inspection.pk}/findings",
                    {"findings": FIRE_FINDINGS, "conclusion": "pass",
                     "photos": [_file("scan.png", b"%PDF-1.7\n/Page\n%%EOF")]})
    assert r.status_code == 422 and "不是 JPG 或 PNG" in r.json()["errors"]["photos"][0]
    assert not InspectionFinding.objects.exists() and not InspectionPhoto.objects.exists()


def _file(name: str, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_findings_with_photos_the_record_pdf_and_its_access(client, jw, travel):
    inspection = scheduled(jw)
    travel.move_to(THURSDAY + dt.timedelta(hours=1))
    client.force_login(jw.fire_reviewer)
    page = f"/workbench/joint/inspections/{inspection.pk}/"
    r = client.post(page, {"action": "finding", "findings": FIRE_FINDINGS, "conclusion": "pass",
                           "photos": [_file("通道.png", png_bytes()),
                                      _file("灭火器.jpg", jpeg_bytes())]})
    assert r.status_code == 302
    photo = InspectionPhoto.objects.order_by("id").first()
    assert photo is not None and photo.content_type == "image/png"
    r = client.get(f"/workbench/joint/inspections/{inspection.pk}/photos/{photo.pk}/")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert b"".join(r.streaming_content).startswith(b"\x89PNG")
    client.force_login(jw.housing_reviewer)
    r = client.post(f"{API}/inspections/{inspection.pk}/findings",
                    {"findings": HOUSING_FINDINGS, "conclusion": "rectify"})
    assert r.status_code == 200, r.content
    assert {f["department"] for f in r.json()["findings"]} == {"东湖区消防救援大队",
                                                                "东湖区住房和城乡建设局"}
    client.force_login(jw.health_reviewer)
    assert client.get(f"/workbench/joint/inspections/{inspection.pk}/photos/{photo.pk}/"
                      ).status_code == 404

    # Not closed yet: no PDF.
    client.force_login(jw.lead)
    assert client.get(f"/workbench/joint/inspections/{inspection.pk}/record.pdf"
                      ).status_code == 404
    r = client.post(page, {"action": "close", "summary": ""})
    assert r.status_code == 422 and "请填写此项。" in r.content.decode()
    travel.move_to(FRIDAY)
    client.force_login(jw.lead)  # sessions last 8 hours
    r = client.post(page, {"action": "close", "summary": "各部门意见一致，踏勘通过"})
    assert r.status_code == 302
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.DONE
    r = client.get(f"/workbench/joint/inspections/{inspection.pk}/record.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    data = b"".join(r.streaming_content)
    flat = "".join(pdf_text(data).split())
    assert "".join(FIRE_FINDINGS.split()) in flat and "".join(HOUSING_FINDINGS.split()) in flat
    api = client.get(f"{API}/inspections/{inspection.pk}/record.pdf")
    assert api.status_code == 200 and api.content == data
    for user in (jw.health_reviewer, jw.w.other_reviewer):
        client.force_login(user)
        assert client.get(f"/workbench/joint/inspections/{inspection.pk}/record.pdf"
                          ).status_code == 404
        assert client.get(f"{API}/inspections/{inspection.pk}/record.pdf").status_code == 404


def test_my_department_list_shows_invitations_with_due_dates(client, jw, travel):
    inspection = scheduled(jw)
    client.force_login(jw.fire_reviewer)
    html = client.get("/workbench/joint/").content.decode()
    assert inspection.number in html and "确认参加或提议改期" in html
    mine = client.get(f"{API}/mine").json()
    assert [r["number"] for r in mine["invited"]] == [inspection.number]
    assert mine["invited"][0]["due"] == "2026-11-26" and mine["leading"] == []
    travel.move_to(THURSDAY + dt.timedelta(hours=1))
    client.force_login(jw.fire_reviewer)  # sessions last 8 hours
    mine = client.get(f"{API}/mine").json()
    assert mine["invited"][0]["todo"] == "记录踏勘意见"
    assert mine["invited"][0]["due"] == "2026-11-30"  # two working days after Thursday
    client.force_login(jw.lead)
    mine = client.get(f"{API}/mine").json()
    assert [r["number"] for r in mine["leading"]] == [inspection.number]
    assert mine["leading"][0]["todo"] == "等待 2 个部门记录意见"
    client.force_login(jw.health_reviewer)
    html = client.get("/workbench/joint/").content.decode()
    assert inspection.number not in html and "暂无受邀的联合踏勘" in html
    client.force_login(jw.w.applicant_user)
    assert client.get("/workbench/joint/").status_code == 403
    assert client.get(f"{API}/mine").status_code == 403


def test_meeting_pages_and_api(client, jw, travel):
    case = jw.case()
    client.force_login(jw.lead)
    r = client.post(f"/workbench/joint/cases/{case.case_no}/",
                    {"action": "convene", "held_at": "2026-11-26T14:30",
                     "place": "政务服务中心三楼会议室", "topic": "集中会审"})
    assert r.status_code == 302
    meeting_id = int(r["Location"].rstrip("/").split("/")[-1])
    travel.move_to(THURSDAY + dt.timedelta(hours=6))
    client.force_login(jw.fire_reviewer)
    r = post_json(client, f"{API}/meetings/{meeting_id}/conclusions",
                  {"department_id": jw.housing.pk, "conclusion": "agree"})
    assert r.status_code == 403
    r = post_json(client, f"{API}/meetings/{meeting_id}/conclusions",
                  {"department_id": jw.fire.pk, "conclusion": "disagree", "text": ""})
    assert r.status_code == 422 and "text" in r.json()["errors"]
    r = client.post(f"/workbench/joint/meetings/{meeting_id}/",
                    {"action": "conclude", "department": jw.fire.pk, "conclusion": "agree"})
    assert r.status_code == 302
    client.force_login(jw.lead)
    for dep in (jw.housing, jw.ecology):
        r = post_json(client, f"{API}/meetings/{meeting_id}/conclusions",
                      {"department_id": dep.pk, "conclusion": "agree"})
        assert r.status_code == 200
    r = client.post(f"/workbench/joint/meetings/{meeting_id}/",
                    {"action": "close", "minutes": ""})
    assert r.status_code == 422 and "请填写此项。" in r.content.decode()
    r = post_json(client, f"{API}/meetings/{meeting_id}/close",
                  {"minutes": "会议同意准予许可，住建部门附条件意见由申请人开业前落实。"})
    assert r.status_code == 200 and r.json()["state"] == "held" and r.json()["record_url"]
    assert client.get(r.json()["record_url"]).status_code == 200
    client.force_login(jw.health_reviewer)
    assert client.get(f"/workbench/joint/meetings/{meeting_id}/").status_code == 404
    assert client.get(f"{API}/meetings/{meeting_id}").status_code == 404


def test_case_screen_section_via_the_template_tag(client, jw, rf):
    case = jw.case()
    request = rf.get("/")
    request.user = jw.lead
    tpl = Template("{% load joint_tags %}{% joint_case_section case %}")
    html = tpl.render(Context({"case": case, "request": request}))
    assert "联合踏勘 · 联席会议" in html and "#schedule" in html and "#convene" in html
    request.user = jw.fire_reviewer  # a participant sees the section, not the lead's buttons
    html = tpl.render(Context({"case": case, "request": request}))
    assert "本事项需要联合踏勘" in html and "#schedule" not in html and "#convene" not in html
    scheduled_case = services.inspection_schedule(actor=jw.lead, case=case, scheduled_at=THURSDAY,
                                                  place="东湖区湖滨路88号")
    html = tpl.render(Context({"case": case, "request": request}))
    assert scheduled_case.number in html and "受邀 2 个部门：已确认 0" in html
    # The joint page of the case has the schedule form for the lead only.
    client.force_login(jw.lead)
    other = jw.case()
    html = client.get(f"/workbench/joint/cases/{other.case_no}/").content.decode()
    assert 'id="schedule"' in html and "东湖区住房和城乡建设局" in html
    client.force_login(jw.fire_reviewer)
    html = client.get(f"/workbench/joint/cases/{other.case_no}/").content.decode()
    assert 'id="schedule"' not in html


def test_detail_reads_do_not_grow_with_photos(client, jw, travel, django_assert_max_num_queries):
    inspection = scheduled(jw)
    travel.move_to(THURSDAY + dt.timedelta(hours=1))
    from onewindow.cases.services import Upload

    client.force_login(jw.fire_reviewer)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{API}/inspections/{inspection.pk}").status_code == 200
            assert client.get(f"/workbench/joint/inspections/{inspection.pk}/"
                              ).status_code == 200
        return len(ctx.captured_queries)

    services.finding_record(actor=jw.fire_reviewer, inspection=inspection, department=jw.fire,
                            findings=FIRE_FINDINGS, conclusion="pass",
                            photos=[Upload("a.png", png_bytes())])
    one = count()
    services.finding_record(actor=jw.housing_reviewer, inspection=inspection,
                            department=jw.housing, findings=HOUSING_FINDINGS, conclusion="pass",
                            photos=[Upload(f"{n}.png", png_bytes(size=64 + n)) for n in range(4)])
    assert count() == one


def test_propose_reschedule_and_cancel_through_the_api_and_pages(client, jw, travel):
    inspection = scheduled(jw)
    url = f"{API}/inspections/{inspection.pk}"
    client.force_login(jw.housing_reviewer)
    r = post_json(client, f"{url}/respond", {"confirm": False, "proposed_at": None, "note": ""})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"proposed_at", "note"}
    r = post_json(client, f"{url}/respond", {"confirm": False, "note": "周四另有检查任务",
                                             "proposed_at": FRIDAY.isoformat()})
    assert r.status_code == 200 and r.json()["state"] == "rescheduling"
    client.force_login(jw.lead)
    r = post_json(client, f"{url}/reschedule", {"scheduled_at": "2026-11-20T09:00:00"})
    assert r.status_code == 422 and "scheduled_at" in r.json()["errors"]
    r = post_json(client, f"{url}/reschedule", {"scheduled_at": FRIDAY.isoformat(),
                                                "place": "东湖区湖滨路90号"})
    body = r.json()
    assert r.status_code == 200 and body["state"] == "scheduled"
    assert body["place"] == "东湖区湖滨路90号" and body["reschedules"][0]["reason"]
    assert {i["state"] for i in body["invites"]} == {"invited"}
    # The page: the participant proposes with a bad time, sees the error beside the field.
    client.force_login(jw.fire_reviewer)
    page = f"/workbench/joint/inspections/{inspection.pk}/"
    r = client.post(page, {"action": "propose", "proposed_at": "2026-11-01T09:00",
                           "note": "时间冲突"})
    assert r.status_code == 422 and "时间不能早于现在" in r.content.decode()
    assert invite_state(inspection, jw.fire) == InviteState.INVITED
    # Photos removed on the page by their own department.
    travel.move_to(FRIDAY + dt.timedelta(hours=1))
    client.force_login(jw.fire_reviewer)
    from onewindow.cases.services import Upload

    finding = services.finding_record(actor=jw.fire_reviewer, inspection=inspection,
                                      department=jw.fire, findings=FIRE_FINDINGS,
                                      conclusion="pass", photos=[Upload("a.png", png_bytes())])
    photo = finding.photos.get()
    client.force_login(jw.housing_reviewer)
    r = client.post(page, {"action": "remove_photo", "photo": photo.pk})
    assert r.status_code == 403 and InspectionPhoto.objects.filter(pk=photo.pk).exists()
    client.force_login(jw.fire_reviewer)
    r = client.post(page, {"action": "remove_photo", "photo": photo.pk})
    assert r.status_code == 302 and not InspectionPhoto.objects.filter(pk=photo.pk).exists()
    client.force_login(jw.lead)
    r = post_json(client, f"{url}/cancel", {"reason": ""})
    assert r.status_code == 422
    r = post_json(client, f"{url}/cancel", {"reason": "申请人变更经营地址"})
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert r.json()["cancel_reason"] == "申请人变更经营地址"


def invite_state(inspection: JointInspection, department: Any) -> str:
    return inspection.invites.get(department=department).state
