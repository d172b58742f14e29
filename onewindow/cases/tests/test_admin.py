"""The process-step admin is limited to the user's scope."""

from __future__ import annotations

import pytest

from onewindow.accounts.models import Role
from onewindow.cases.models import ProcessStep

pytestmark = pytest.mark.django_db


def test_a_department_head_edits_steps_of_own_items_only(client, world, make_staff):
    step = ProcessStep.objects.create(item=world.item, sort_order=1, name="审查", role="reviewer",
                                      limit_days=3)
    world.head.is_staff = True
    world.head.save()
    client.force_login(world.head)
    listing = client.get("/admin/cases/processstep/")
    assert listing.status_code == 200 and "审查" in listing.content.decode()
    other_head = make_staff(Role.DEPARTMENT_HEAD, world.regions["d2"],
                            world.departments["d2_market"])
    other_head.is_staff = True
    other_head.save()
    client.force_login(other_head)
    assert "审查" not in client.get("/admin/cases/processstep/").content.decode()
    response = client.post(f"/admin/cases/processstep/{step.pk}/change/", {
        "item": world.item.pk, "sort_order": 1, "name": "改名", "role": "reviewer",
        "limit_days": 1,
    })
    assert response.status_code in (302, 403, 404)
    step.refresh_from_db()
    assert step.name == "审查"
