"""Each role sees its own scope; another scope's ids are simply 'not found'."""

from __future__ import annotations

import pytest

from qinqing.accounts.models import Role
from qinqing.directory.models import Pairing
from qinqing.directory.selectors import enterprise_list, enterprises_visible_to

from ..factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

# role -> which of the world's firms it may see
VISIBLE = {
    Role.ENTERPRISE: {"firm_a"},
    Role.OBSERVER: {"firm_a"},
    Role.STEWARD: {"firm_a"},
    Role.COORDINATOR: {"firm_a", "firm_b"},
    Role.OFFICIAL: {"firm_other"},
    Role.SUPERVISOR: {"firm_a", "firm_b", "firm_other"},
    Role.HANDLER: {"firm_other"},
    Role.SYSTEM_ADMIN: {"firm_a", "firm_b", "firm_other"},
    Role.SECURITY_ADMIN: set(),
    Role.AUDIT_ADMIN: set(),
}
FIRMS = ("firm_a", "firm_b", "firm_other")


@pytest.mark.parametrize("role", list(VISIBLE))
def test_each_role_sees_exactly_its_scope(world, role) -> None:
    seen = set(enterprises_visible_to(world.users[role]).values_list("name", flat=True))
    assert seen == {getattr(world, f).name for f in VISIBLE[role]}


@pytest.mark.parametrize("role", list(VISIBLE))
@pytest.mark.parametrize("firm", FIRMS)
def test_opening_a_firm_outside_the_scope_by_id_is_not_found(client, world, role, firm) -> None:
    client.force_login(world.users[role])
    enterprise = getattr(world, firm)
    response = client.get(f"/directory/enterprises/{enterprise.pk}/")
    if firm in VISIBLE[role]:
        assert response.status_code == 200
        assert enterprise.name in response.content.decode()
    else:
        assert response.status_code == 404
        assert enterprise.name not in response.content.decode()


def test_an_official_also_sees_the_firms_paired_with_them(world) -> None:
    official = world.users["official"]
    Pairing.objects.create(official=official, enterprise=world.firm_a, started_on="2026-01-01")
    seen = set(enterprises_visible_to(official).values_list("name", flat=True))
    assert seen == {world.firm_other.name, world.firm_a.name}


def test_the_list_shows_phones_masked_and_the_detail_shows_them_whole(client, world) -> None:
    client.force_login(world.users["steward"])
    listing = client.get("/directory/enterprises/").content.decode()
    assert "138****5678" in listing and "13812345678" not in listing
    detail = client.get(f"/directory/enterprises/{world.firm_a.pk}/").content.decode()
    assert "13812345678" in detail


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"query": "甲模具"}, {"firm_a"}),
        ({"query": "王"}, {"firm_a", "firm_b", "firm_other"}),
        ({"size": "above"}, {"firm_b"}),
        ({"size": "below"}, {"firm_a", "firm_other"}),
        ({"industry": "F"}, set()),
    ],
)
def test_search_and_filters_narrow_the_list(world, params, expected) -> None:
    found = enterprise_list(user=world.users["supervisor"], **params)
    assert {e.name for e in found} == {getattr(world, f).name for f in expected}


def test_search_by_uscc_finds_the_firm(world) -> None:
    found = enterprise_list(user=world.users["supervisor"], query=world.firm_b.uscc.lower())
    assert [e.pk for e in found] == [world.firm_b.pk]


def test_filter_by_region_keeps_the_subtree(world) -> None:
    found = enterprise_list(user=world.users["system_admin"], region=world.town)
    assert {e.name for e in found} == {world.firm_a.name, world.firm_b.name}


def test_the_list_page_costs_the_same_queries_for_5_or_50_firms(
    client, world, django_assert_max_num_queries
) -> None:
    client.force_login(world.users["supervisor"])
    with django_assert_max_num_queries(12):
        client.get("/directory/enterprises/")
    EnterpriseFactory.create_batch(45, grid=world.grid_a)
    with django_assert_max_num_queries(12):
        response = client.get("/directory/enterprises/")
    assert "第 1 / 3 页" in response.content.decode()


def test_the_list_paginates_and_keeps_the_filters_in_the_links(client, world) -> None:
    EnterpriseFactory.create_batch(25, grid=world.grid_a, name="宁波批量模具有限公司")
    client.force_login(world.users["supervisor"])
    body = client.get("/directory/enterprises/", {"q": "批量"}).content.decode()
    assert "共 25 条" in body and "q=%E6%89%B9%E9%87%8F" in body


def test_a_firm_user_sees_their_steward_on_the_firm_page(client, world) -> None:
    client.force_login(world.users["enterprise"])
    body = client.get(f"/directory/enterprises/{world.firm_a.pk}/").content.decode()
    assert world.users["steward"].display_name in body


def test_the_region_tree_and_its_counts(client, world) -> None:
    client.force_login(world.users["supervisor"])
    body = client.get("/directory/regions/", {"parent": world.town.pk}).content.decode()
    assert "古林工业社区" in body
    assert '<div class="stat">2</div>' in body  # two firms, two grids in 古林镇
