"""Named pairing as 刘建国 and 孙悦 use it: the contact log, the quarterly contact rule in
Asia/Shanghai, and the supervisor's view of the pairings in the district."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant, token_issue
from qinqing.audit.models import AuditEntry
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Pairing
from qinqing.outreach import pairings as pair
from qinqing.outreach.meetings import Quarter
from qinqing.outreach.models import PairingContact

from ..conftest import World
from ..factories import EnterpriseFactory, RegionFactory, UserFactory

#: 00:30 on 1 April in Ningbo is still 31 March in UTC
FIRST_OF_APRIL_SHANGHAI = dt.datetime(2026, 4, 1, 0, 30, tzinfo=SHANGHAI)
#: 23:59 on 31 March in Ningbo
LAST_MINUTE_OF_MARCH_SHANGHAI = dt.datetime(2026, 3, 31, 23, 59, tzinfo=SHANGHAI)


@dataclass
class Pairs:
    world: World
    official: User  # 刘建国
    other_official: User
    supervisor: User  # 孙悦, 海曙区
    with_a: Pairing  # 刘建国 ↔ 宁波甲模具
    with_other: Pairing  # 刘建国 ↔ 宁波丙塑料 (高桥镇)
    colleague: Pairing  # another official ↔ 宁波乙机械

    def log(self, pairing: Pairing, day: dt.date, *, actor: User | None = None, **kw: Any) -> Any:
        return pair.contact_log(
            actor=actor or pairing.official,
            pairing_id=pairing.pk,
            kind=kw.pop("kind", PairingContact.Kind.VISIT),
            contacted_on=day,
            now=kw.pop("now", FIRST_OF_APRIL_SHANGHAI),
            **kw,
        )

    def login(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client


@pytest.fixture
def pairs(world: World) -> Pairs:
    official = world.users["official"]
    other = UserFactory(username="wangfuqu", display_name="王副区长")
    role_grant(actor=None, user=other, role=Role.OFFICIAL, region=world.district)
    started = dt.date(2025, 10, 1)
    return Pairs(
        world=world,
        official=official,
        other_official=other,
        supervisor=world.users["supervisor"],
        with_a=Pairing.objects.create(
            official=official, enterprise=world.firm_a, started_on=started
        ),
        with_other=Pairing.objects.create(
            official=official, enterprise=world.firm_other, started_on=started
        ),
        colleague=Pairing.objects.create(
            official=other, enterprise=world.firm_b, started_on=started
        ),
    )


# --- the contact log ------------------------------------------------------------------------
def test_the_official_logs_a_contact_with_a_paired_firm(pairs: Pairs) -> None:
    contact = pairs.log(pairs.with_a, dt.date(2026, 3, 20), note="了解用工情况")
    assert contact.logged_by == pairs.official
    assert contact.pairing == pairs.with_a


def test_an_official_cannot_log_a_contact_for_a_firm_they_are_not_paired_with(
    pairs: Pairs,
) -> None:
    with pytest.raises(NotPermitted):
        pairs.log(pairs.colleague, dt.date(2026, 3, 20), actor=pairs.official)
    client = pairs.login(pairs.official)
    page = client.post(
        f"/outreach/meetings/pairings/{pairs.colleague.pk}/",
        {"kind": "visit", "contacted_on": "2026-03-20", "note": "顺路看看"},
    )
    assert page.status_code == 404
    _token, raw = token_issue(user=pairs.official)
    api = Client().post(
        f"/api/v1/outreach/pairings/{pairs.colleague.pk}/contacts",
        {"kind": "call", "contacted_on": "2026-03-20"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert api.status_code == 404
    assert not PairingContact.objects.exists()


def test_a_supervisor_reads_pairings_but_does_not_log_contacts(pairs: Pairs) -> None:
    with pytest.raises(NotPermitted):
        pairs.log(pairs.with_a, dt.date(2026, 3, 20), actor=pairs.supervisor)
    response = pairs.login(pairs.supervisor).post(
        f"/outreach/meetings/pairings/{pairs.with_a.pk}/",
        {"kind": "visit", "contacted_on": "2026-03-20"},
    )
    assert response.status_code == 403
    assert not PairingContact.objects.exists()


def test_a_contact_date_in_the_future_or_before_the_pairing_is_refused(pairs: Pairs) -> None:
    with pytest.raises(ServiceError) as future:
        pairs.log(pairs.with_a, dt.date(2026, 4, 2))
    assert future.value.field_errors == {"contacted_on": ["联系日期不能晚于今天。"]}
    with pytest.raises(ServiceError) as before:
        pairs.log(pairs.with_a, dt.date(2025, 9, 30))
    assert "contacted_on" in before.value.field_errors
    assert not PairingContact.objects.exists()


def test_the_contact_form_keeps_the_input_and_shows_the_message(pairs: Pairs) -> None:
    response = pairs.login(pairs.official).post(
        f"/outreach/meetings/pairings/{pairs.with_a.pk}/",
        {"kind": "call", "contacted_on": "2099-01-01", "note": "电话了解订单情况"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "联系日期不能晚于今天。" in html and "电话了解订单情况" in html
    assert not PairingContact.objects.exists()
    ok = pairs.login(pairs.official).post(
        f"/outreach/meetings/pairings/{pairs.with_a.pk}/",
        {"kind": "call", "contacted_on": "2026-01-05", "note": "电话了解订单情况"},
    )
    assert ok.status_code == 302
    assert PairingContact.objects.get().kind == "call"


# --- the quarterly rule at the boundaries, in Asia/Shanghai ---------------------------------
def test_the_quarter_turns_at_midnight_in_shanghai_not_utc() -> None:
    assert FIRST_OF_APRIL_SHANGHAI.astimezone(dt.UTC).date() == dt.date(2026, 3, 31)
    assert Quarter.current(FIRST_OF_APRIL_SHANGHAI) == Quarter(2026, 2)
    assert Quarter.current(LAST_MINUTE_OF_MARCH_SHANGHAI) == Quarter(2026, 1)
    assert Quarter.of(dt.date(2026, 3, 31)).end == dt.date(2026, 3, 31)
    assert Quarter.parse("2026q4") == Quarter(2026, 4) and Quarter.parse("2026Q5") is None


def test_a_contact_on_31_march_counts_for_the_first_quarter(pairs: Pairs) -> None:
    pairs.log(pairs.with_a, dt.date(2026, 3, 31))
    behind = pair.pairings_behind(user=pairs.official, now=FIRST_OF_APRIL_SHANGHAI)
    # Q1 is over in Ningbo: the firm contacted on 31 March is fine, the other one is overdue
    assert [(s.pairing, s.quarter, s.state) for s in behind] == [
        (pairs.with_other, Quarter(2026, 1), pair.OVERDUE)
    ]
    q2 = pair.pairing_overview(user=pairs.official, now=FIRST_OF_APRIL_SHANGHAI)
    assert q2.quarter == Quarter(2026, 2)
    assert {s.pairing: s.done for s in q2.rows} == {pairs.with_a: 0, pairs.with_other: 0}
    assert {s.state for s in q2.rows} == {pair.DUE}
    assert [s.pairing for s in q2.overdue] == [pairs.with_other]


def test_on_the_last_evening_of_march_the_quarter_is_still_due_not_overdue(pairs: Pairs) -> None:
    overview = pair.pairing_overview(user=pairs.official, now=LAST_MINUTE_OF_MARCH_SHANGHAI)
    assert overview.quarter == Quarter(2026, 1)
    assert {s.state for s in overview.rows} == {pair.DUE}
    pairs.log(pairs.with_a, dt.date(2026, 3, 31), now=LAST_MINUTE_OF_MARCH_SHANGHAI)
    overview = pair.pairing_overview(user=pairs.official, now=LAST_MINUTE_OF_MARCH_SHANGHAI)
    assert {s.pairing: s.state for s in overview.rows} == {
        pairs.with_a: pair.MET,
        pairs.with_other: pair.DUE,
    }


def test_a_contact_on_1_april_counts_for_the_second_quarter(pairs: Pairs) -> None:
    pairs.log(pairs.with_a, dt.date(2026, 4, 1))
    q1 = pair.pairing_statuses(
        Pairing.objects.filter(pk=pairs.with_a.pk),
        quarter=Quarter(2026, 1),
        today=dt.date(2026, 4, 1),
    )
    q2 = pair.pairing_statuses(
        Pairing.objects.filter(pk=pairs.with_a.pk),
        quarter=Quarter(2026, 2),
        today=dt.date(2026, 4, 1),
    )
    assert (q1[0].done, q1[0].state) == (0, pair.OVERDUE)
    assert (q2[0].done, q2[0].state) == (1, pair.MET)


def test_a_rule_of_two_contacts_needs_two(pairs: Pairs) -> None:
    Pairing.objects.filter(pk=pairs.with_a.pk).update(contacts_per_quarter=2)
    pairs.log(pairs.with_a, dt.date(2026, 2, 1))
    behind = pair.pairings_behind(user=pairs.official, now=FIRST_OF_APRIL_SHANGHAI)
    assert {s.pairing: (s.done, s.required) for s in behind} == {
        pairs.with_a: (1, 2),
        pairs.with_other: (0, 1),
    }


def test_a_pairing_begun_during_a_quarter_is_judged_from_the_next(pairs: Pairs) -> None:
    late = Pairing.objects.create(
        official=pairs.official,
        enterprise=EnterpriseFactory(grid=pairs.world.grid_a),
        started_on=dt.date(2026, 2, 15),
    )
    q1 = {
        s.pairing: s.state
        for s in pair.pairings_behind(user=pairs.official, now=FIRST_OF_APRIL_SHANGHAI)
    }
    assert late not in q1
    q2 = pair.pairing_overview(user=pairs.official, now=FIRST_OF_APRIL_SHANGHAI)
    assert {s.pairing: s.state for s in q2.rows}[late] == pair.DUE


# --- who sees pairings ----------------------------------------------------------------------
def test_the_official_sees_only_their_own_pairings(pairs: Pairs) -> None:
    assert set(pair.pairings_visible_to(pairs.official)) == {pairs.with_a, pairs.with_other}
    assert set(pair.pairings_visible_to(pairs.other_official)) == {pairs.colleague}
    assert not pair.pairings_visible_to(pairs.world.users["steward"]).exists()
    assert not pair.pairings_visible_to(pairs.world.users["enterprise"]).exists()


def test_a_supervisor_sees_the_pairings_and_contacts_in_their_region(pairs: Pairs) -> None:
    pairs.log(pairs.with_other, dt.date(2026, 3, 2), note="走访了解订单")
    assert set(pair.pairings_visible_to(pairs.supervisor)) == {
        pairs.with_a,
        pairs.with_other,
        pairs.colleague,
    }
    assert pair.contacts_visible_to(pairs.supervisor).count() == 1
    # a supervisor of another district sees none of them
    jiangbei = RegionFactory(code="330205", name="江北区", level=2, parent=pairs.world.city)
    outsider = UserFactory(username="jiangbei_sup")
    role_grant(actor=None, user=outsider, role=Role.SUPERVISOR, region=jiangbei)
    assert not pair.pairings_visible_to(outsider).exists()
    page = pairs.login(outsider).get(f"/outreach/meetings/pairings/{pairs.with_other.pk}/")
    assert page.status_code == 404
    detail = pairs.login(pairs.supervisor).get(
        f"/outreach/meetings/pairings/{pairs.with_other.pk}/"
    )
    assert detail.status_code == 200 and "走访了解订单" in detail.content.decode()


def test_a_supervisor_reading_a_contact_log_leaves_an_access_record(pairs: Pairs) -> None:
    pairs.login(pairs.official).get(f"/outreach/meetings/pairings/{pairs.with_a.pk}/")
    assert not AuditEntry.objects.filter(action="pairing.view").exists()
    pairs.login(pairs.supervisor).get(f"/outreach/meetings/pairings/{pairs.with_a.pk}/")
    entry = AuditEntry.objects.get(action="pairing.view")
    assert entry.actor_id == pairs.supervisor.pk and entry.object_id == str(pairs.with_a.pk)


def test_the_pairing_page_shows_the_rule_and_who_is_behind(pairs: Pairs) -> None:
    client = pairs.login(pairs.official)
    html = client.get("/outreach/meetings/pairings/").content.decode()
    assert "我的结对企业" in html
    assert pairs.world.firm_a.name in html and pairs.world.firm_other.name in html
    assert pairs.world.firm_b.name not in html
    assert (
        pairs.login(pairs.world.users["steward"]).get("/outreach/meetings/pairings/").status_code
        == 403
    )


def test_the_supervisor_exports_the_quarter(pairs: Pairs) -> None:
    pairs.log(pairs.with_a, dt.date(2026, 1, 8))
    response = pairs.login(pairs.supervisor).get(
        "/outreach/meetings/pairings/export/?quarter=2026Q1"
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("结对干部", "企业")
    firms = {r[1]: r[5] for r in rows[1:]}
    assert firms[pairs.world.firm_a.name] == 1 and len(firms) == 3
    assert pairs.login(pairs.official).get("/outreach/meetings/pairings/export/").status_code == 403


def test_the_api_lists_pairings_and_logs_a_contact(pairs: Pairs) -> None:
    _token, raw = token_issue(user=pairs.official)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    listed = Client().get("/api/v1/outreach/pairings?quarter=2026Q1", **auth)
    assert listed.status_code == 200
    assert {p["enterprise_name"] for p in listed.json()} == {
        pairs.world.firm_a.name,
        pairs.world.firm_other.name,
    }
    assert Client().get("/api/v1/outreach/pairings?quarter=Q1", **auth).status_code == 422
    created = Client().post(
        f"/api/v1/outreach/pairings/{pairs.with_a.pk}/contacts",
        {"kind": "call", "contacted_on": "2026-01-05", "note": "电话"},
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201 and created.json()["kind_label"] == "电话"
    _t, sup = token_issue(user=pairs.supervisor)
    refused = Client().post(
        f"/api/v1/outreach/pairings/{pairs.with_a.pk}/contacts",
        {"kind": "call", "contacted_on": "2026-01-05"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {sup}",
    )
    assert refused.status_code == 403


def test_a_pairing_that_ended_is_not_judged_after_its_term_and_takes_no_new_contacts(
    pairs: Pairs,
) -> None:
    pairs.with_a.ended_on = dt.date(2026, 2, 15)
    pairs.with_a.save()
    assert pair.judged_in(pairs.with_a, Quarter(2025, 4))
    assert not pair.judged_in(pairs.with_a, Quarter(2026, 1))
    with pytest.raises(ServiceError, match="结对已于2026-02-15结束"):
        pairs.log(pairs.with_a, dt.date(2026, 3, 1))
    assert pairs.log(pairs.with_a, dt.date(2026, 2, 10)).pk
