"""The public verification page a notice's or certificate's QR code opens (/verify/<code>/)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from onewindow.cases import services
from onewindow.cases.models import Certificate, Notice, NoticeKind

pytestmark = pytest.mark.django_db


def approved_case(world):
    case = world.accepted_case()
    review, decide = list(case.tasks.order_by("seq"))
    services.task_pass(actor=world.reviewer, task=review, opinion="符合条件")
    decide.refresh_from_db()
    services.task_decide(actor=world.head, task=decide, approve=True)
    return case


def page(client, code: str, status: int = 200) -> str:
    response = client.get(f"/verify/{code}/")
    assert response.status_code == status
    assert response["X-Robots-Tag"] == "noindex"
    return response.content.decode()


def test_notice_page_shows_the_document_with_the_applicant_masked(world, client):
    case = world.accepted_case()
    notice = case.notices.get(kind=NoticeKind.ACCEPTANCE)
    html = page(client, notice.verify_code)
    content = notice.content
    assert "真实有效" in html
    for expected in ("受理通知书", notice.number, content["department"], content["centre"],
                     content["issued_on"], case.case_no, "食品经营许可", notice.digest):
        assert expected in html, expected
    assert "张**" in html
    assert "张三丰" not in html and world.applicant.id_number not in html
    assert '<meta name="robots" content="noindex">' in html


def test_code_is_read_case_insensitively_and_without_spaces(world, client):
    notice = world.accepted_case().notices.get(kind=NoticeKind.ACCEPTANCE)
    code = notice.verify_code
    spaced = " ".join(code[i:i + 4] for i in range(0, len(code), 4)).lower()
    html = page(client, spaced)
    assert notice.number in html and "真实有效" in html


def test_notice_whose_record_no_longer_matches_its_digest_is_not_called_valid(world, client):
    notice = world.accepted_case().notices.get(kind=NoticeKind.ACCEPTANCE)
    tampered = dict(notice.content, applicant="李四")
    Notice.objects.filter(pk=notice.pk).update(content=tampered)
    html = page(client, notice.verify_code)
    assert "真实有效" not in html
    assert "记录校验不一致" in html and "李*" in html


def test_certificate_page_shows_name_number_masked_holder_dates_and_validity(world, client):
    case = approved_case(world)
    cert = Certificate.objects.get(case=case)
    html = page(client, cert.verify_code)
    issued = f"{cert.issued_on.year}年{cert.issued_on.month}月{cert.issued_on.day}日"
    for expected in ("真实有效", cert.name, cert.number, "张**", issued, "长期有效",
                     "食品经营许可", cert.content["department"]):
        assert expected in html, expected
    assert "张三丰" not in html and "已注销" not in html


def test_revoked_certificate_is_shown_as_revoked_not_valid(world, client):
    cert = Certificate.objects.get(case=approved_case(world))
    Certificate.objects.filter(pk=cert.pk).update(revoked_at=timezone.now())
    html = page(client, cert.verify_code)
    assert "已注销" in html and "真实有效" not in html and cert.number in html


def test_expired_certificate_says_so(world, client):
    cert = Certificate.objects.get(case=approved_case(world))
    Certificate.objects.filter(pk=cert.pk).update(
        valid_until=cert.issued_on.replace(year=cert.issued_on.year - 1))
    html = page(client, cert.verify_code)
    assert "已过有效期" in html and "真实有效" not in html


def test_unknown_code_is_a_404_page_saying_the_document_was_not_found(world, client):
    world.accepted_case()  # documents exist, just not this one
    html = page(client, "ABCDEFGHJKMNPQRS", status=404)
    assert "没有找到这份文书" in html
    assert "真实有效" not in html


@pytest.mark.parametrize("code", [
    "x", "%00", "ABC%00DEF", "<img src=x onerror=alert(1)>", "核验码", "A" * 500, "..", "AB-CD",
    "%E2%80%AE", "'; DROP TABLE cases_notice; --",
])
def test_malformed_codes_are_not_found_never_an_error(world, client, code):
    html = page(client, code, status=404)
    assert "没有找到这份文书" in html
    assert "<img src=x" not in html


def test_a_path_with_more_segments_is_the_site_404(client):
    response = client.get("/verify/<script>alert(1)</script>/")
    assert response.status_code == 404
    assert "<script>alert(1)" not in response.content.decode()


def test_page_makes_a_fixed_number_of_queries(world, client, django_assert_num_queries):
    case = approved_case(world)
    notice = case.notices.get(kind=NoticeKind.APPROVAL)
    cert = Certificate.objects.get(case=case)
    with django_assert_num_queries(1):  # the notice, with what the page shows
        page(client, notice.verify_code)
    with django_assert_num_queries(2):  # no notice has the code; the certificate and holder
        page(client, cert.verify_code)
    with django_assert_num_queries(0):  # a malformed code never reaches the database
        page(client, "%00", status=404)
