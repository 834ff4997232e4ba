"""Contact filings: who files, approvals by the superior only, visibility, registers."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Pairing
from qinqing.integrity import selectors, services
from qinqing.integrity.models import ConductItem, Filing, Gift
from qinqing.integrity.services import GiftIn
from qinqing.outreach.models import Invitation, Meeting, PairingContact
from tests.factories import UserFactory

from .conftest import LISTS, file_contact, load_sample, yesterday


@pytest.fixture
def official(world: Any) -> Any:
    return world.users["official"]


def another_official(world: Any) -> Any:
    user = UserFactory(username="official2", display_name="王副镇长")
    role_grant(actor=None, user=user, role=Role.OFFICIAL, region=world.other_town)
    return user


# --- filing ---------------------------------------------------------------------------------------
def test_a_firm_paid_lunch_is_prohibited_and_cites_the_negative_list(
    lists: None, world: Any
) -> None:
    filing = file_contact(
        world.users["official"], [world.firm_a], kind="meal", payer="firm",
        amount=Decimal("300"), headcount=3, place_kind="restaurant",
    )  # fmt: skip
    assert filing.status == "prohibited"
    assert "OFF-NEG-1" in {m.item.code for m in filing.matches.all()}
    assert filing.number.startswith(f"BB-{yesterday().year}-")
    assert AuditEntry.objects.filter(action="filing.submit", object_id=str(filing.pk)).exists()


def test_a_ceremony_needs_approval(lists: None, official: Any, world: Any) -> None:
    filing = file_contact(
        official, [world.firm_a], timing="before", kind="event",
        contact_date=services.today() + timedelta(days=3), place_kind="firm",
        purpose="出席企业成立20周年庆典",
    )  # fmt: skip
    assert (filing.outcome, filing.status) == ("needs_approval", "pending")
    assert "OFF-POS-2" in {m.item.code for m in filing.matches.all()}


def test_bad_input_is_refused_field_by_field_and_nothing_is_stored(
    lists: None, official: Any, world: Any
) -> None:
    with pytest.raises(ServiceError) as exc:
        file_contact(
            official, [], timing="before", contact_date=yesterday(), place="", payer="none",
            amount="12", gifts=[GiftIn("茶叶", "-1", "handed_in")],
        )  # fmt: skip
    errors = exc.value.field_errors
    assert {
        "firms",
        "contact_date",
        "place",
        "amount",
        "gifts-0-value",
        "gifts-0-handed_in_to",
    } <= set(errors)
    assert not Filing.objects.exists()


def test_only_staff_roles_may_file(lists: None, world: Any) -> None:
    with pytest.raises(NotPermitted):
        file_contact(world.users["enterprise"], [world.firm_a])


def test_an_open_demand_the_filer_handles_makes_a_private_meal_prohibited(
    lists: None, world: Any
) -> None:
    from qinqing.demands.models import Category, Demand

    handler = world.users["handler"]
    category = Category.objects.create(name="审批许可", code="approval")
    Demand.objects.create(
        number="SQ-2026-000001", enterprise=world.firm_a, region_path=world.grid_a.path,
        category=category, title="用电增容", description="卡了两个月", channel="web",
        state="accepted", department=world.other_department,
        submitted_at=datetime.now(tz=SHANGHAI),
    )  # fmt: skip
    filing = file_contact(handler, [world.firm_a], kind="meal", payer="self", amount="45")
    assert filing.outcome == "prohibited"
    assert "OFF-NEG-5" in {m.item.code for m in filing.matches.all()}


# --- approvals ------------------------------------------------------------------------------------
@pytest.fixture
def pending(lists: None, official: Any, world: Any) -> Filing:
    return file_contact(
        official, [world.firm_a], timing="before", kind="event",
        contact_date=services.today() + timedelta(days=2), purpose="出席开业仪式",
    )  # fmt: skip


def test_the_superior_in_scope_approves(pending: Filing, world: Any) -> None:
    supervisor = world.users["supervisor"]
    assert pending in selectors.approvals_for(supervisor)
    done = services.filing_decide(actor=supervisor, filing_id=pending.pk, approve=True)
    assert done.status == "approved" and done.decided_by == supervisor
    assert AuditEntry.objects.filter(action="filing.approve").exists()
    with pytest.raises(Conflict):
        services.filing_decide(actor=supervisor, filing_id=pending.pk, approve=False, reason="x")


def test_a_coordinator_of_another_town_cannot_approve(pending: Filing, world: Any) -> None:
    coordinator = world.users["coordinator"]  # 古林镇; the official is in 高桥镇
    assert pending not in selectors.approvals_for(coordinator)
    with pytest.raises(NotPermitted):
        services.filing_decide(actor=coordinator, filing_id=pending.pk, approve=True)


def test_the_filer_never_approves_their_own_filing(lists: None, world: Any) -> None:
    supervisor = world.users["supervisor"]
    role_grant(actor=None, user=supervisor, role=Role.OFFICIAL, region=world.district)
    own = file_contact(
        supervisor, [world.firm_a], timing="before", kind="event",
        contact_date=services.today() + timedelta(days=1),
    )  # fmt: skip
    assert own not in selectors.approvals_for(supervisor)
    with pytest.raises(NotPermitted):
        services.filing_decide(actor=supervisor, filing_id=own.pk, approve=True)


def test_a_rejection_needs_a_reason(pending: Filing, world: Any) -> None:
    with pytest.raises(ServiceError) as exc:
        services.filing_decide(actor=world.users["supervisor"], filing_id=pending.pk, approve=False)
    assert "reason" in exc.value.field_errors
    done = services.filing_decide(
        actor=world.users["supervisor"],
        filing_id=pending.pk,
        approve=False,
        reason="企业有在办事项",
    )
    assert done.status == "rejected"


# --- visibility -----------------------------------------------------------------------------------
def test_an_official_cannot_see_another_officials_filing(
    lists: None, world: Any, client: Any
) -> None:
    mine = file_contact(world.users["official"], [world.firm_a])
    other = another_official(world)
    assert not selectors.filings_visible_to(other).filter(pk=mine.pk).exists()
    client.force_login(other)
    assert client.get(f"/integrity/filings/{mine.pk}/").status_code == 404
    assert client.get(f"/api/v1/integrity/filings/{mine.pk}").status_code in (401, 404)
    assert selectors.filings_visible_to(world.users["supervisor"]).filter(pk=mine.pk).exists()
    assert not selectors.filings_visible_to(world.users["enterprise"]).exists()


# --- registers ------------------------------------------------------------------------------------
def test_the_gift_register_lists_handed_in_gifts_with_where_and_when(
    lists: None, official: Any, world: Any
) -> None:
    day = yesterday()
    file_contact(
        official, [world.firm_a], kind="gift",
        gifts=[GiftIn("茶叶", "880", "handed_in", "区纪委", day), GiftIn("台历", "20", "kept")],
    )  # fmt: skip
    rows = list(selectors.gifts_handed_in(user=world.users["supervisor"]))
    assert [(g.description, g.handed_in_to, g.handed_in_on) for g in rows] == [
        ("茶叶", "区纪委", day)
    ]


def test_a_kept_gift_handed_in_later_moves_to_the_register(
    lists: None, official: Any, world: Any
) -> None:
    filing = file_contact(
        official, [world.firm_a], kind="gift", gifts=[GiftIn("购物卡", "500", "kept")]
    )
    assert filing.outcome == "prohibited"
    gift = filing.gifts.get()
    with pytest.raises(NotPermitted):
        services.gift_hand_in(
            actor=world.users["supervisor"],
            gift_id=gift.pk,
            handed_in_to="区纪委",
            handed_in_on=yesterday(),
        )
    services.gift_hand_in(
        actor=official, gift_id=gift.pk, handed_in_to="区纪委", handed_in_on=services.today()
    )
    assert Gift.objects.get(pk=gift.pk).handling == "handed_in"


def test_the_database_refuses_a_handed_in_gift_without_where(
    lists: None, official: Any, world: Any
) -> None:
    filing = file_contact(official, [world.firm_a])
    with pytest.raises(IntegrityError), transaction.atomic():
        Gift.objects.create(filing=filing, description="酒", value=Decimal(1), handling="handed_in")


def test_the_register_filters_by_official_firm_and_period(
    lists: None, official: Any, world: Any
) -> None:
    a = file_contact(official, [world.firm_a], contact_date=yesterday())
    b = file_contact(official, [world.firm_b], contact_date=yesterday() - timedelta(days=40))
    other = another_official(world)
    c = file_contact(other, [world.firm_a])
    sup = world.users["supervisor"]
    assert set(selectors.filing_list(user=sup, firm_id=world.firm_a.pk)) == {a, c}
    assert set(selectors.filing_list(user=sup, filer_id=official.pk)) == {a, b}
    assert set(selectors.filing_list(user=sup, start=yesterday() - timedelta(days=10))) == {a, c}


def test_the_register_exports_to_excel(lists: None, official: Any, world: Any, client: Any) -> None:
    file_contact(official, [world.firm_a])
    client.force_login(world.users["supervisor"])
    response = client.get("/integrity/filings/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_register_list_has_a_bounded_number_of_queries(
    lists: None, official: Any, world: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(6):
        file_contact(
            official, [world.firm_a, world.firm_b], contact_date=yesterday() - timedelta(days=i)
        )
    supervisor = world.users["supervisor"]
    with django_assert_max_num_queries(4):
        rows = list(selectors.filing_list(user=supervisor))
        for f in rows:
            [x.name for x in f.firms.all()]
            [m.item.code for m in f.matches.all()]
            str(f.filer)
    assert len(rows) == 6


# --- missing filings ------------------------------------------------------------------------------
def test_missing_filings_are_found_by_query(
    lists: None, official: Any, world: Any, django_assert_max_num_queries: Any
) -> None:
    day = yesterday()
    pairing = Pairing.objects.create(
        official=official, enterprise=world.firm_a, started_on=day - timedelta(days=90)
    )
    PairingContact.objects.create(pairing=pairing, kind="visit", contacted_on=day)
    PairingContact.objects.create(
        pairing=pairing, kind="visit", contacted_on=day - timedelta(days=2)
    )
    PairingContact.objects.create(
        pairing=pairing, kind="call", contacted_on=day - timedelta(days=3)
    )
    file_contact(official, [world.firm_a], contact_date=day - timedelta(days=2))
    start = datetime.combine(day - timedelta(days=5), time(9), tzinfo=SHANGHAI)
    meeting = Meeting.objects.create(
        kind="roundtable", title="高桥镇政企恳谈会", region=world.other_town, organizer=official,
        starts_at=start, ends_at=start + timedelta(hours=2), status="held",
    )  # fmt: skip
    Invitation.objects.create(meeting=meeting, user=official, attended=True)
    Invitation.objects.create(meeting=meeting, enterprise=world.firm_other, attended=True)
    Invitation.objects.create(meeting=meeting, enterprise=world.firm_b, attended=False)
    supervisor = world.users["supervisor"]
    with django_assert_max_num_queries(3):
        rows = selectors.missing_filings(user=supervisor)
    found = {(r.source, r.official_id, r.enterprise_id, r.day) for r in rows}
    assert found == {
        ("pairing", official.pk, world.firm_a.pk, day),
        ("meeting", official.pk, world.firm_other.pk, (day - timedelta(days=5))),
    }
    file_contact(official, [world.firm_other], contact_date=day - timedelta(days=5))
    assert {r.source for r in selectors.missing_filings(user=official)} == {"pairing"}
    assert selectors.missing_filings(user=another_official(world)) == []


# --- the health index -----------------------------------------------------------------------------
def test_index_facts_counts_filings_in_the_period_and_clean_firms_at_its_end(
    lists: None, official: Any, world: Any
) -> None:
    from qinqing.integrity.models import CleanAssessment

    day = yesterday()
    file_contact(official, [world.firm_a], contact_date=day)
    file_contact(official, [world.firm_a], contact_date=day, kind="meal", payer="firm", amount="90")
    file_contact(official, [world.firm_a], contact_date=day - timedelta(days=60))
    CleanAssessment.objects.create(
        enterprise=world.firm_b, status="recognised", score=Decimal(90),
        valid_from=day - timedelta(days=30), valid_until=day + timedelta(days=300),
    )  # fmt: skip
    CleanAssessment.objects.create(
        enterprise=world.firm_a, status="recognised", score=Decimal(90),
        valid_from=day - timedelta(days=400), valid_until=day - timedelta(days=35),
    )  # fmt: skip
    rows = selectors.index_facts(start=day - timedelta(days=30), end=day + timedelta(days=1))
    path = world.other_town.path
    assert sorted(rows) == sorted(
        [
            (path, "filings.total", 1.0),
            (path, "filings.total", 1.0),
            (path, "filings.prohibited", 1.0),
            (world.grid_b.path, "clean_firms.recognised", 1.0),
        ]
    )
    assert selectors.index_facts(start=day, end=day) == [
        (world.grid_b.path, "clean_firms.recognised", 1.0)
    ]


# --- lists as versioned data ----------------------------------------------------------------------
def test_loading_twice_changes_nothing(lists: None) -> None:
    again = load_sample()
    assert (again.created, again.unchanged) == (0, 21)
    assert ConductItem.objects.count() == 21


def test_a_new_version_supersedes_from_its_date_and_the_old_is_kept(lists: None) -> None:
    data = services.read_list_file(LISTS / "sample_lists.yaml")
    item = next(i for i in data["items"] if i["id"] == "OFF-NEG-2")
    item["rule"]["when"]["gift"]["all"][0]["gt"] = 100
    item["effective_from"] = "2026-01-01"
    data["items"] = [item]
    result = services.conduct_load(actor=None, data=data)
    assert (result.created, result.superseded) == (1, 1)
    old, new = ConductItem.objects.filter(code="OFF-NEG-2").order_by("version")
    assert old.effective_to == new.effective_from == services.date(2026, 1, 1)
    on_old = services.screen(
        services.facts_of(
            timing="after", kind="gift", place_kind="office", payer="none", amount=Decimal(0),
            headcount=1, contact_date=services.date(2025, 6, 1), filed_on=services.date(2025, 6, 2),
            gifts=[{"value": Decimal(150), "handling": "kept"}],
        ),
        on=services.date(2025, 6, 1),
    )  # fmt: skip
    assert on_old.outcome == "allowed"


def test_a_supervisor_revises_an_item_and_it_is_audited(lists: None, world: Any) -> None:
    with pytest.raises(NotPermitted):
        services.conduct_item_revise(
            actor=world.users["official"], code="OFF-NEG-1", title="t", text="t", source="s",
            clause="", effective_from=services.today(), rule=None, note="n",
        )  # fmt: skip
    item = services.conduct_item_revise(
        actor=world.users["supervisor"], code="OFF-NEG-1", title="杜绝接受企业宴请",
        text="示例：修订后的条文。", source="示例（请替换为正式文本）", clause="负面清单第1项",
        effective_from=services.today(),
        rule={"when": {"field": "payer", "eq": "firm"}, "outcome": "prohibited"},
        note="按新文件修订",
    )  # fmt: skip
    assert item.version == 2
    assert selectors.items_in_force().get(code="OFF-NEG-1") == item
    assert AuditEntry.objects.filter(action="conduct.revise").exists()
    with pytest.raises(ServiceError) as exc:
        services.conduct_item_revise(
            actor=world.users["supervisor"], code="OFF-NEG-1", title="x", text="x", source="x",
            clause="", effective_from=services.today(), rule={"when": {"field": "x"}}, note="n",
        )  # fmt: skip
    assert "rule" in exc.value.field_errors


def test_a_bad_file_loads_nothing(db: Any) -> None:
    with pytest.raises(ServiceError):
        services.conduct_load(
            actor=None,
            data={"effective_from": "2025-01-01", "items": [{"id": "X-1", "list": "nope"}]},
        )
    assert not ConductItem.objects.exists()
