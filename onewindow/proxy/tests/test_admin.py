"""The proxy item lists in the admin: scoped to the region subtree of who publishes there."""

from __future__ import annotations

import pytest

from onewindow.proxy.models import ProxyItem

pytestmark = pytest.mark.django_db
URL = "/admin/proxy/proxyitem/"


def _staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def test_the_list_is_scoped_and_items_below_the_list_are_refused(client, pw, make_staff):
    from onewindow.accounts.models import Role

    d2_list = ProxyItem.objects.create(item=pw.other_district_item, region=pw.regions["d2"],
                                       published=True)
    client.force_login(_staff(pw.district_admin))
    page = client.get(URL).content.decode()
    assert page.count("食品经营许可") >= 2 and "城乡居民基本养老保险参保登记" in page
    assert f"{URL}{d2_list.pk}/change/" not in page
    assert client.get(f"{URL}{d2_list.pk}/change/").status_code in (302, 403, 404)
    # An item of the village cannot go onto the town's list.
    resp = client.post(f"{URL}add/", {"region": pw.regions["t1"].pk,
                                      "item": pw.village_item.pk, "full_proxy": "on",
                                      "note": "", "sort_order": 0})
    assert resp.status_code == 200 and "只能列入本级或上级实施的事项" in resp.content.decode()
    resp = client.post(f"{URL}add/", {"region": pw.v2.pk, "item": pw.district_item.pk,
                                      "full_proxy": "on", "note": "望湖社区代办",
                                      "sort_order": 1})
    assert resp.status_code == 302
    row = ProxyItem.objects.get(region=pw.v2)
    assert row.note == "望湖社区代办" and not row.published
    client.post(URL, {"action": "publish", "_selected_action": [row.pk, d2_list.pk]})
    row.refresh_from_db()
    assert row.published and row.published_at is not None
    # The other district's row was not even selectable (out of scope): unchanged.
    client.post(URL, {"action": "unpublish", "_selected_action": [d2_list.pk]})
    d2_list.refresh_from_db()
    assert d2_list.published
    # A window clerk has no say over the lists.
    client.force_login(_staff(make_staff(Role.CLERK, pw.regions["d1"], username="clerk2")))
    assert client.get(URL).status_code == 403
