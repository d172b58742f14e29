"""Admin: defining packages within one's scope; field maps checked against the items' forms;
publishing only a package whose combined form covers every item."""

from __future__ import annotations

import pytest

from onewindow.accounts.models import Role
from onewindow.core.errors import PermissionDenied, ValidationFailed
from onewindow.packages import services
from onewindow.packages.admin import PackageItemForm
from onewindow.packages.models import Package, PackageField

pytestmark = pytest.mark.django_db


def _staff_user(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def test_change_page_shows_the_check_and_stays_in_scope(client, w, make_staff):
    admin_user = _staff_user(w.admin)
    client.force_login(admin_user)
    page = client.get(f"/admin/packages/package/{w.package.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "配置完整" in text and "公共场所卫生许可" in text
    other = _staff_user(make_staff(Role.ADMIN, w.regions["d2"], username="admin_d2"))
    client.force_login(other)
    assert "开餐馆一件事" not in client.get("/admin/packages/package/").content.decode()
    assert client.get(f"/admin/packages/package/{w.package.pk}/change/").status_code in (302,
                                                                                          403)


def test_item_form_checks_the_field_map_against_the_items_form(w):
    pi = w.pitems["B"]
    form = PackageItemForm(instance=pi, data={
        "item": pi.item_id, "sort_order": 2, "depends_on": [w.pitems["A"].pk],
        "field_map": '{"org_name": "no_such_field", "Bad Name": "mobile"}',
        "material_map": '{"不存在的材料": "营业执照"}',
    })
    assert not form.is_valid()
    errors = " ".join(form.errors["field_map"])
    assert "没有字段“no_such_field”" in errors and "不合规" in errors
    assert "没有名为“不存在的材料”的材料" in " ".join(form.errors["material_map"])
    good = PackageItemForm(instance=pi, data={
        "item": pi.item_id, "sort_order": 2, "depends_on": [w.pitems["A"].pk],
        "field_map": '{"org_name": "org_name"}', "material_map": "{}",
    })
    assert good.is_valid(), good.errors


def test_publishing_refuses_an_incomplete_combined_form(w, make_staff):
    w.package.published = False
    w.package.save()
    PackageField.objects.filter(package=w.package, name="area_sqm").delete()
    with pytest.raises(ValidationFailed) as exc:
        services.package_publish(actor=w.admin, package=w.package)
    assert "必填项“营业面积（平方米）”" in exc.value.message
    assert not Package.objects.get(pk=w.package.pk).published
    with pytest.raises(PermissionDenied):
        services.package_publish(actor=w.clerk, package=w.package)
    # The admin action: add the missing field from the items' forms, then publish.
    added = services.package_derive_fields(actor=w.admin, package=w.package)
    assert [f.name for f in added] == ["area_sqm"] and added[0].label == "营业面积（平方米）"
    services.package_publish(actor=w.admin, package=w.package)
    assert Package.objects.get(pk=w.package.pk).published


def test_the_publish_action_in_the_admin(client, w):
    w.package.published = False
    w.package.save()
    client.force_login(_staff_user(w.admin))
    response = client.post("/admin/packages/package/", {
        "action": "publish", "_selected_action": [w.package.pk]}, follow=True)
    assert response.status_code == 200 and "已发布 1 件" in response.content.decode()
    assert Package.objects.get(pk=w.package.pk).published
