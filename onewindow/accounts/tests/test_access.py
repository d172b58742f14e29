"""The permission module: roles reach their region subtree and department, nothing else."""

from __future__ import annotations

import pytest

from onewindow.accounts import access
from onewindow.accounts.access import Perm
from onewindow.core.errors import PermissionDenied
from onewindow.regions.models import Region


@pytest.mark.django_db
def test_district_admin_reaches_own_subtree_only(regions, make_staff):
    admin = make_staff("admin", regions["d1"])
    assert access.can(admin, Perm.REGION_MANAGE, region=regions["d1"])
    assert access.can(admin, Perm.REGION_MANAGE, region=regions["v1"])
    assert not access.can(admin, Perm.REGION_MANAGE, region=regions["d2"])
    assert not access.can(admin, Perm.REGION_MANAGE, region=regions["city"])
    visible = Region.objects.filter(
        access.scope_q(admin, Perm.REGION_MANAGE, region_field="", department_field=None)
    )
    assert {r.code for r in visible} == {"379902000000", "379902001000", "379902001001"}


@pytest.mark.django_db
def test_department_role_is_limited_to_its_department(regions, departments, make_staff):
    head = make_staff("dept_head", regions["city"], departments["city_market"])
    assert access.can(head, Perm.CATALOG_EDIT, department=departments["city_market"])
    assert not access.can(head, Perm.CATALOG_EDIT, department=departments["city_health"])
    # A departmental grant never reaches rows that have no department.
    assert not access.can(head, Perm.CATALOG_EDIT, region=regions["city"])
    items_q = access.scope_q(head, Perm.CATALOG_EDIT, region_field="region",
                             department_field="department")
    assert "department_id" in str(items_q)


@pytest.mark.django_db
def test_roles_without_the_permission_get_nothing(regions, make_staff):
    clerk = make_staff("clerk", regions["city"])
    assert not access.can(clerk, Perm.CATALOG_PUBLISH, region=regions["city"])
    with pytest.raises(PermissionDenied):
        access.require(clerk, Perm.STAFF_MANAGE, region=regions["d1"])
    assert access.has_any(clerk, Perm.APPLICANT_REGISTER)


@pytest.mark.django_db
def test_anonymous_and_inactive_users_hold_no_grant(regions, make_staff):
    from django.contrib.auth.models import AnonymousUser

    assert access.grants(AnonymousUser()) == []
    user = make_staff("admin", regions["city"])
    user.is_active = False
    assert not access.can(user, Perm.REGION_MANAGE, region=regions["city"])


@pytest.mark.django_db
def test_grants_are_loaded_with_one_query(regions, make_staff, django_assert_num_queries):
    admin = make_staff("admin", regions["city"])
    access.forget_grants(admin)
    with django_assert_num_queries(1):
        for region in regions.values():
            access.can(admin, Perm.REGION_MANAGE, region=region)
        access.has_any(admin, Perm.SUPERVISE)


@pytest.mark.django_db
def test_only_city_wide_roles_are_root_grants(regions, make_staff):
    assert access.is_root_grant(make_staff("admin", regions["city"]), Perm.CALENDAR_MANAGE)
    assert not access.is_root_grant(make_staff("admin", regions["d1"]), Perm.CALENDAR_MANAGE)


@pytest.mark.django_db
def test_the_same_role_cannot_be_granted_twice(regions, make_staff):
    from django.db import IntegrityError, transaction

    from onewindow.accounts.models import RoleAssignment

    admin = make_staff("admin", regions["city"])
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=admin, role="admin", region=regions["city"])
