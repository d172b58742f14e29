"""Applying for a package: one combined form, each material once, linked cases; all or nothing."""

from __future__ import annotations

import pytest

from onewindow.cases.models import Case, CaseMaterial, MaterialOrigin
from onewindow.cases.services import Upload
from onewindow.cases.workflow import CaseState
from onewindow.core.errors import Conflict, NotFound, ValidationFailed
from onewindow.notifications.models import Notification
from onewindow.packages import services
from onewindow.packages.design import load_design, material_key
from onewindow.packages.models import PackageApplication, PackageCase, PackageUpload
from onewindow.packages.workflow import ApplicationState, ItemState

pytestmark = pytest.mark.django_db


def test_design_merges_materials_by_name_and_takes_prerequisite_results_as_certificates(w):
    d = load_design(w.package)
    assert d.problems == []
    names = [m.name for m in d.materials]
    # 经营场所使用证明 is needed by A, B and C: listed once; 营业执照 and 食品经营许可证 are
    # the results of A and B, so B and C get them from the certificates, not from an upload.
    assert names.count("经营场所使用证明") == 1
    shared = d.material(material_key("经营场所使用证明"))
    assert shared is not None and shared.item_names == ["公司设立登记", "食品经营许可",
                                                        "公共场所卫生许可"]
    assert "营业执照" not in names and "食品经营许可证" not in names
    assert {(c.item_name, c.material_name, c.prerequisite_name) for c in d.from_certificates} == {
        ("食品经营许可", "营业执照", "公司设立登记"),
        ("公共场所卫生许可", "食品经营许可证", "食品经营许可"),
    }
    # The combined field feeding required item fields is required, though not declared so.
    assert {f["name"] for f in d.schema if f["required"]} == {
        "org_name", "legal_rep", "mobile", "category", "area_sqm", "location"}
    assert [[p.name for p in level] for level in d.levels()] == [
        ["公司设立登记", "户外招牌设置"], ["食品经营许可"], ["公共场所卫生许可"]]


def test_combined_form_once_gives_linked_cases_with_each_items_form(w):
    application = w.apply()
    assert application.number.startswith("YJS-379902-")
    assert application.state == ApplicationState.IN_PROGRESS
    pcs = {pc.package_item.item.implementation_code: pc
           for pc in PackageCase.objects.select_related("case", "package_item__item")
           .filter(application=application)}
    assert set(pcs) == {"PKG-A", "PKG-B", "PKG-C", "PKG-D"}
    # A and D need nothing first: submitted now; B and C wait, without a case yet.
    a, d = pcs["PKG-A"].case, pcs["PKG-D"].case
    assert a.state == d.state == CaseState.SUBMITTED
    assert pcs["PKG-B"].state == pcs["PKG-C"].state == ItemState.WAITING
    assert pcs["PKG-B"].case is None and pcs["PKG-C"].case is None
    assert "公司设立登记" in pcs["PKG-B"].note
    # The name typed once reaches A as company_name and D as org_name.
    assert a.form_data == {"company_name": "东湖小馆餐饮店", "legal_rep": "张三丰",
                           "mobile": "13905391001"}
    assert d.form_data == {"org_name": "东湖小馆餐饮店", "mobile": "13905391001",
                           "location": "政通路88号门头"}
    # The waiting items already hold their own forms, checked now.
    assert pcs["PKG-C"].form_data == {"org_name": "东湖小馆餐饮店", "mobile": "13905391001",
                                      "area_sqm": "120"}
    assert a.applicant == w.applicant and a.created_by == w.applicant_user
    assert Case.objects.count() == 2
    assert application.delivery_method == "post"
    # One message for the package (the cases send their own as well).
    assert Notification.objects.filter(dedupe_key__startswith=f"package:{application.pk}:")\
        .count() == 2


def test_a_shared_material_is_uploaded_once_and_used_by_every_case(w):
    application = w.apply(uploads=w.uploads(skip=("授权委托书",)))
    shared = material_key("经营场所使用证明")
    upload = PackageUpload.objects.get(application=application, key=shared)
    a = PackageCase.objects.get(application=application, package_item=w.pitems["A"]).case
    first = CaseMaterial.objects.get(case=a, name="经营场所使用证明")
    assert upload.first_material == first and first.origin == MaterialOrigin.UPLOAD
    assert first.sha256 == upload.sha256
    # Later items reuse the stored copy rather than another upload (see the chain tests for B
    # and C); every upload of the package was stored once in a case.
    # 章程, 场所, 效果图: one stored copy each
    assert CaseMaterial.objects.filter(origin=MaterialOrigin.UPLOAD).count() == 3
    d = PackageCase.objects.get(application=application, package_item=w.pitems["D"]).case
    assert CaseMaterial.objects.get(case=d, name="招牌效果图").origin == MaterialOrigin.UPLOAD
    assert not CaseMaterial.objects.get(case=d, name="授权委托书").file  # optional, not given


def test_errors_are_reported_field_by_field_and_nothing_is_written(w):
    uploads = w.uploads(skip=("招牌效果图",))
    uploads[material_key("公司章程")] = Upload("章程.pdf", b"not a pdf at all")
    with pytest.raises(ValidationFailed) as exc:
        w.apply(form_data=w.form(org_name="", mobile="12345", category="网吧"),
                uploads=uploads, delivery_method="post", delivery_address="")
    errors = exc.value.field_errors
    assert errors["form.org_name"] == ["请填写“经营者名称”。"]
    assert errors["form.mobile"] and "手机" in errors["form.mobile"][0]
    assert errors["form.category"] == ["请从选项中选择。"]
    assert errors[f"materials.{material_key('招牌效果图')}"] == ["请上传“招牌效果图”。"]
    assert "PDF" in errors[f"materials.{material_key('公司章程')}"][0]
    assert errors["delivery_address"] == ["邮寄送达请填写收件地址。"]
    assert "经营者名称" in exc.value.message
    assert PackageApplication.objects.count() == 0 and Case.objects.count() == 0
    assert PackageUpload.objects.count() == 0 and Notification.objects.count() == 0


def test_an_items_own_rule_is_reported_on_the_combined_field(w):
    # A's company_name allows 60 characters like the combined field; D's location is plain
    # text: make the combined org_name longer than an item allows.
    field = w.package.fields.get(name="org_name")
    field.max_length = 200
    field.save()
    with pytest.raises(ValidationFailed) as exc:
        w.apply(form_data=w.form(org_name="店" * 80))
    assert exc.value.field_errors["form.org_name"][0].startswith("公司设立登记：")
    assert PackageApplication.objects.count() == 0


def test_a_case_service_refusing_midway_rolls_the_whole_package_back(w):
    from onewindow.catalog.models import ItemVersion

    # D's guide stops being online after the package was checked: case_create refuses D
    # after A was created; nothing of the package remains.
    ItemVersion.objects.filter(item=w.items["D"]).update(online=False)
    with pytest.raises(Conflict):
        w.apply()
    assert PackageApplication.objects.count() == 0 and Case.objects.count() == 0


def test_only_the_applicants_own_identity_and_a_published_package(w):
    with pytest.raises(NotFound):
        w.apply(applicant=w.other_applicant)
    w.package.published = False
    w.package.save()
    with pytest.raises(NotFound):
        w.apply()
    assert PackageApplication.objects.count() == 0


def test_draft_steps_then_submit(w):
    application = services.application_start(actor=w.applicant_user, package=w.package,
                                             applicant=w.applicant,
                                             form_data={"mobile": "13905391001", "area_sqm": "x"})
    assert application.state == ApplicationState.DRAFT
    assert application.form_data == {"mobile": "13905391001"}  # the bad value left out
    with pytest.raises(ValidationFailed) as exc:
        services.application_save(actor=w.applicant_user, application=application,
                                  form_data={"area_sqm": "abc"})
    assert exc.value.field_errors == {"form.area_sqm": ["请输入数字。"]}
    services.application_save(actor=w.applicant_user, application=application,
                              form_data=w.form())
    for key, upload in w.uploads().items():
        services.application_upload(actor=w.applicant_user, application=application, key=key,
                                    upload=upload)
    with pytest.raises(ValidationFailed) as exc:
        services.application_upload(actor=w.applicant_user, application=application,
                                    key="mnope", upload=Upload("x.pdf", b"%PDF-"))
    assert "material" in exc.value.field_errors
    # Someone else cannot touch it.
    with pytest.raises(NotFound):
        services.application_submit(actor=w.other_user, application=application,
                                    delivery_method="electronic")
    with pytest.raises(ValidationFailed) as exc:
        services.application_submit(actor=w.applicant_user, application=application,
                                    delivery_method="")
    assert exc.value.field_errors == {"delivery_method": ["请选择办结后结果的送达方式。"]}
    services.application_submit(actor=w.applicant_user, application=application,
                                delivery_method="electronic")
    application.refresh_from_db()
    assert application.state == ApplicationState.IN_PROGRESS
    assert PackageCase.objects.filter(application=application, case__isnull=False).count() == 2
    with pytest.raises(Conflict):
        services.application_save(actor=w.applicant_user, application=application,
                                  form_data=w.form())
