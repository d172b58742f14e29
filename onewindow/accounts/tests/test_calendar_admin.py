import pytest

from onewindow.workdays.models import CalendarOverride


def _staff(make_staff, role, region):
    user = make_staff(role, region)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.mark.django_db
def test_only_city_wide_admin_changes_the_calendar(client, regions, make_staff):
    url = "/admin/workdays/calendaroverride/add/"
    data = {"date": "2026-12-01", "kind": "holiday", "reason": "暴雪停工"}
    client.force_login(_staff(make_staff, "admin", regions["d1"]))
    assert client.get("/admin/workdays/calendaroverride/").status_code == 200  # may look
    assert client.post(url, data).status_code == 403
    assert CalendarOverride.objects.count() == 0
    client.force_login(_staff(make_staff, "clerk", regions["city"]))
    assert client.get("/admin/workdays/calendaroverride/").status_code == 403
    client.force_login(_staff(make_staff, "admin", regions["city"]))
    assert client.post(url, data).status_code == 302
    assert CalendarOverride.objects.get().reason == "暴雪停工"
