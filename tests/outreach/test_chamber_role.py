"""A chamber's liaison raises and follows demands for members that consented, and no more."""

from __future__ import annotations

import pytest
from django.utils import timezone

from qinqing.accounts.models import Role, RoleAssignment
from qinqing.accounts.services import role_grant
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.demands.models import Category
from qinqing.demands.permissions import submit_channels
from qinqing.demands.selectors import demands_visible_to
from qinqing.demands.services import demand_submit
from qinqing.directory.models import Chamber, ChamberMembership
from qinqing.outreach.models import ChamberConsent

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chamber(world):
    chamber = Chamber.objects.create(name="古林镇商会", region=world.town)
    for firm in (world.firm_a, world.firm_b):
        ChamberMembership.objects.create(chamber=chamber, enterprise=firm)
    ChamberConsent.objects.create(
        chamber=chamber, enterprise=world.firm_a, granted_at=timezone.now()
    )
    return chamber


@pytest.fixture
def liaison(chamber):
    user = UserFactory(username="shanghui", display_name="商会联络员")
    role_grant(actor=None, user=user, role=Role.CHAMBER, chamber=chamber)
    return user


def test_the_chamber_role_needs_a_chamber_and_nothing_else(world, chamber) -> None:
    user = UserFactory()
    with pytest.raises(ServiceError, match="商会"):
        role_grant(actor=None, user=user, role=Role.CHAMBER, region=world.town)
    role_grant(actor=world.users["security_admin"], user=user, role=Role.CHAMBER, chamber=chamber)
    assert RoleAssignment.objects.filter(user=user, chamber=chamber).exists()


def test_the_liaison_raises_a_demand_only_for_a_member_that_consented(
    world, chamber, liaison
) -> None:
    assert submit_channels(liaison, world.firm_a) == ["chamber"]
    assert submit_channels(liaison, world.firm_b) == []  # a member without consent
    other = Category.objects.get(code="other")
    demand = demand_submit(
        actor=liaison,
        enterprise=world.firm_a,
        category=other,
        title="会员企业用地指标问题",
        description="会员企业反映用地指标紧张。",
    )
    assert demand.channel == "chamber"
    with pytest.raises(NotPermitted):
        demand_submit(
            actor=liaison,
            enterprise=world.firm_b,
            category=other,
            title="未授权会员",
            description="没有授权的会员企业。",
        )


def test_the_liaison_follows_only_what_the_chamber_raised_while_consent_stands(
    world, chamber, liaison
) -> None:
    other = Category.objects.get(code="other")
    raised = demand_submit(
        actor=liaison,
        enterprise=world.firm_a,
        category=other,
        title="商会代办",
        description="商会代会员提交。",
    )
    own = demand_submit(
        actor=world.users["enterprise"],
        enterprise=world.firm_a,
        category=other,
        title="企业自己提交",
        description="企业自己提交的诉求。",
    )
    assert list(demands_visible_to(liaison)) == [raised]
    assert own not in demands_visible_to(liaison)
    ChamberConsent.objects.filter(chamber=chamber).update(revoked_at=timezone.now())
    assert not demands_visible_to(liaison).exists()


def test_the_chamber_submit_page_offers_only_consenting_members(client, world, liaison) -> None:
    client.force_login(liaison)
    body = client.get("/demands/new/chamber/").content.decode()
    assert world.firm_a.name in body and world.firm_b.name not in body


def test_the_submit_forms_read_the_consents_once_however_many_firms(
    client, world, chamber, liaison, django_assert_max_num_queries
) -> None:
    from ..factories import EnterpriseFactory

    for n in range(30):
        firm = EnterpriseFactory(name=f"古林会员企业{n}", grid=world.grid_a)
        ChamberMembership.objects.create(chamber=chamber, enterprise=firm)
        ChamberConsent.objects.create(chamber=chamber, enterprise=firm, granted_at=timezone.now())
    client.force_login(world.users["coordinator"])
    with django_assert_max_num_queries(15):
        body = client.get("/demands/new/chamber/").content.decode()
    assert world.firm_a.name in body and "古林会员企业29" in body
    assert world.firm_b.name not in body  # a member without consent
    with django_assert_max_num_queries(15):
        assert "古林会员企业29" in client.get("/demands/new/phone/").content.decode()
    client.force_login(liaison)
    with django_assert_max_num_queries(15):
        body = client.get("/demands/new/chamber/").content.decode()
    assert "古林会员企业29" in body and world.firm_b.name not in body
