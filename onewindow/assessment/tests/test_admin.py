"""The scoring scheme admin is scoped: a region's office sees and edits its subtree's schemes;
a scheme whose weights do not add up to 100 is refused beside the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from onewindow.assessment.models import ScoringScheme

pytestmark = pytest.mark.django_db
URL = "/admin/assessment/scoringscheme/"


def staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def form(region, **over):
    data = {"region": region.pk, "name": "区方案", "w_on_time": "30", "w_on_spot": "10",
            "w_speedup": "15", "w_satisfaction": "30", "w_workload": "15",
            "per_bad_review": "2", "per_upheld_complaint": "5", "per_alert": "1",
            "per_red_card": "3", "excellent_min": "90", "good_min": "80", "pass_min": "60",
            "excellent_max_percent": "", "red_flag_count": "3", "veto_red_card": "on",
            "veto_upheld_complaint": "on"}
    data.update(over)
    return data


def test_scheme_admin_is_scoped_and_validated(client, known):
    r = known.w.regions
    city = ScoringScheme.objects.create(region=r["city"], name="市方案")
    client.force_login(staff(known.admin))
    body = client.get(URL).content.decode()
    assert "市方案" not in body  # above the d1 office
    resp = client.post(f"{URL}add/", form(r["d1"], w_on_time="50"))
    assert resp.status_code == 200 and "各项权重之和应为 100" in resp.content.decode()
    resp = client.post(f"{URL}add/", form(r["d2"]))
    assert resp.status_code in (200, 403) and not ScoringScheme.objects.filter(
        region=r["d2"]).exists()
    resp = client.post(f"{URL}add/", form(r["d1"], excellent_max_percent="20"))
    assert resp.status_code == 302
    saved = ScoringScheme.objects.get(region=r["d1"])
    assert saved.excellent_max_percent == 20 and saved.w_on_time == Decimal(30)
    assert "区方案" in client.get(URL).content.decode()
    assert client.get(f"{URL}{city.pk}/change/").status_code in (302, 403, 404)
    client.force_login(staff(known.supervisor))
    assert client.get(URL).status_code == 403
