from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinqing.accounts.models import ADMIN_ROLES, Role, RoleAssignment
from qinqing.accounts.services import role_grant, role_revoke, user_create, user_set_password
from qinqing.accounts.validators import character_classes
from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def test_only_the_security_admin_grants_roles(world) -> None:
    target = UserFactory()
    for role in ("system_admin", "audit_admin", "coordinator", "supervisor"):
        with pytest.raises(NotPermitted):
            role_grant(actor=world.users[role], user=target, role=Role.STEWARD, region=world.grid_b)
    role_grant(
        actor=world.users["security_admin"], user=target, role=Role.STEWARD, region=world.grid_b
    )
    assert RoleAssignment.objects.filter(user=target, role="steward", region=world.grid_b).exists()
    assert AuditEntry.objects.filter(action="role.grant", object_id=str(target.pk)).exists()


def test_the_security_admin_cannot_grant_roles_to_themself(world) -> None:
    me = world.users["security_admin"]
    with pytest.raises(NotPermitted):
        role_grant(actor=me, user=me, role=Role.SUPERVISOR, region=world.district)


@pytest.mark.parametrize("first", sorted(ADMIN_ROLES))
@pytest.mark.parametrize("second", sorted(ADMIN_ROLES))
def test_no_one_holds_two_admin_duties(world, first, second) -> None:
    target = UserFactory()
    role_grant(actor=None, user=target, role=first)
    if first == second:
        with pytest.raises(Conflict):  # the same role twice is a duplicate
            role_grant(actor=world.users["security_admin"], user=target, role=second)
    else:
        with pytest.raises(Conflict, match="三员分立"):
            role_grant(actor=world.users["security_admin"], user=target, role=second)


@pytest.mark.parametrize(
    ("role", "scope_name"),
    [
        (Role.STEWARD, None),
        (Role.STEWARD, "firm_a"),
        (Role.ENTERPRISE, "grid_a"),
        (Role.HANDLER, "grid_a"),
        (Role.SYSTEM_ADMIN, "grid_a"),
    ],
)
def test_a_role_must_carry_the_right_kind_of_scope(world, role, scope_name) -> None:
    target = UserFactory()
    scope = {}
    if scope_name == "firm_a":
        scope = {"enterprise": world.firm_a}
    elif scope_name == "grid_a":
        scope = {"region": world.grid_a}
    with pytest.raises(ServiceError):
        role_grant(actor=world.users["security_admin"], user=target, role=role, **scope)
    assert not RoleAssignment.objects.filter(user=target).exists()


def test_revoking_a_role_removes_access_and_is_audited(world, client) -> None:
    steward = world.users["steward"]
    assignment = RoleAssignment.objects.get(user=steward, role="steward")
    role_revoke(actor=world.users["security_admin"], assignment=assignment)
    client.force_login(steward)
    response = client.get("/directory/enterprises/")
    assert world.firm_a.name not in response.content.decode()
    assert AuditEntry.objects.filter(action="role.revoke").exists()


def test_only_the_system_admin_creates_users(world) -> None:
    with pytest.raises(NotPermitted):
        user_create(actor=world.users["security_admin"], username="x1", password="Abcdefgh#12")
    user = user_create(actor=world.users["system_admin"], username="x1", password="Abcdefgh#12")
    assert user.check_password("Abcdefgh#12")


@pytest.mark.parametrize(
    ("password", "reason"),
    [("Short#1a", "10"), ("alllowercase1", "3类"), ("ALLUPPERCASE12", "3类")],
)
def test_weak_passwords_are_refused_with_the_reason(world, password, reason) -> None:
    with pytest.raises(ServiceError) as refused:
        user_set_password(
            actor=world.users["steward"], user=world.users["steward"], password=password
        )
    assert reason in refused.value.message


@given(st.text(min_size=10, max_size=30))
@settings(max_examples=200, deadline=None)
def test_character_classes_counts_between_zero_and_four(password) -> None:
    assert 0 <= character_classes(password) <= 4


def test_the_security_admin_grants_a_role_on_the_web_and_bad_scopes_are_explained(
    client, world
) -> None:
    target = world.users["observer"]
    client.force_login(world.users["security_admin"])
    url = f"/accounts/users/{target.pk}/roles/"
    bad = client.post(url, {"role": "steward", "region_code": "NOPE"})
    assert "找不到该区域编码" in bad.content.decode()
    good = client.post(url, {"role": "steward", "region_code": world.grid_b.code})
    assert good.status_code == 302
    assert RoleAssignment.objects.filter(user=target, role="steward", region=world.grid_b).exists()


def test_the_system_admin_sees_users_but_cannot_grant(client, world) -> None:
    client.force_login(world.users["system_admin"])
    assert client.get("/accounts/users/").status_code == 200
    target = world.users["observer"]
    client.post(
        f"/accounts/users/{target.pk}/roles/", {"role": "steward", "region_code": world.grid_b.code}
    )
    assert not RoleAssignment.objects.filter(user=target, role="steward").exists()


def test_a_steward_cannot_open_the_user_pages(client, world) -> None:
    client.force_login(world.users["steward"])
    assert client.get("/accounts/users/").status_code == 403
