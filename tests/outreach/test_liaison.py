"""Chamber liaison, judicial safeguards and observers: who may do what, and who never sees."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.demands.models import Category, Demand
from qinqing.demands.workflow import State
from qinqing.directory.models import (
    Chamber,
    ChamberMembership,
    Department,
    Enterprise,
    Pairing,
    RegionLevel,
)
from qinqing.inbox.models import Message
from qinqing.outreach import liaison
from qinqing.outreach.models import (
    ChamberConsent,
    Invitation,
    LegalRequest,
    Meeting,
    MeetingKind,
    ObserverFeedback,
    Visit,
)
from tests.conftest import World, region
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def user_with(role: str, username: str, **scope: Any) -> User:
    user = UserFactory(username=username, display_name=username)
    role_grant(actor=None, user=user, role=role, **scope)
    return user


# === chamber liaison =========================================================================
@pytest.fixture
def chamber(world: World) -> Chamber:
    chamber = Chamber.objects.create(name="古林镇模具商会", region=world.town)
    ChamberMembership.objects.create(chamber=chamber, enterprise=world.firm_a, position="会长")
    ChamberMembership.objects.create(chamber=chamber, enterprise=world.firm_b)
    return chamber


def demand(firm: Enterprise, state: str, **values: Any) -> Demand:
    now = timezone.now()
    fields: dict[str, Any] = {
        "number": f"SQ-2026-{next(_numbers):06d}",
        "enterprise": firm,
        "region_path": firm.grid.path,
        "category": Category.objects.get(code="tax"),
        "title": "用电增容审批",
        "description": "用电增容审批两个月没有进展。",
        "channel": "portal",
        "state": state,
        "submitted_at": now - timedelta(days=10),
        "accept_due_at": now - timedelta(days=9),
        "resolve_due_at": now - timedelta(days=3),
    }
    fields.update(values)
    return Demand.objects.create(**fields)


def test_a_member_grants_and_revokes_its_consent_and_both_are_audited(
    world: World, chamber: Chamber
) -> None:
    user = world.users["enterprise"]
    consent = liaison.chamber_consent_grant(
        actor=user, chamber_id=chamber.pk, enterprise=world.firm_a
    )
    assert liaison.active_consent(chamber.pk, world.firm_a.pk) == consent
    with pytest.raises(Conflict):
        liaison.chamber_consent_grant(actor=user, chamber_id=chamber.pk, enterprise=world.firm_a)

    liaison.chamber_consent_revoke(actor=user, consent_id=consent.pk)
    assert liaison.active_consent(chamber.pk, world.firm_a.pk) is None
    with pytest.raises(Conflict):
        liaison.chamber_consent_revoke(actor=user, consent_id=consent.pk)
    granted = AuditEntry.objects.get(action="chamber.consent_grant")
    revoked = AuditEntry.objects.get(action="chamber.consent_revoke")
    assert granted.object_id == revoked.object_id == str(consent.pk)
    assert granted.actor_id == revoked.actor_id == user.pk

    again = liaison.chamber_consent_grant(
        actor=user, chamber_id=chamber.pk, enterprise=world.firm_a
    )
    assert again.pk != consent.pk and ChamberConsent.objects.count() == 2


def test_only_the_firm_itself_consents_and_only_to_its_own_chamber(
    world: World, chamber: Chamber
) -> None:
    for who in ("coordinator", "supervisor", "steward", "observer"):
        with pytest.raises(NotPermitted):
            liaison.chamber_consent_grant(
                actor=world.users[who], chamber_id=chamber.pk, enterprise=world.firm_a
            )
    other_user = user_with(Role.ENTERPRISE, "firm_other", enterprise=world.firm_other)
    with pytest.raises(NotPermitted, match="不是该商会的会员"):
        liaison.chamber_consent_grant(
            actor=other_user, chamber_id=chamber.pk, enterprise=world.firm_other
        )
    consent = liaison.chamber_consent_grant(
        actor=world.users["enterprise"], chamber_id=chamber.pk, enterprise=world.firm_a
    )
    with pytest.raises(NotPermitted):
        liaison.chamber_consent_revoke(actor=world.users["coordinator"], consent_id=consent.pk)
    assert not ChamberConsent.objects.filter(revoked_at__isnull=False).exists()


def test_the_chamber_figures_count_the_members_demands_only(world: World, chamber: Chamber) -> None:
    now = timezone.now()
    demand(world.firm_a, State.CLOSED, replied_at=now - timedelta(days=5), closed_at=now)
    demand(world.firm_a, State.REPLIED, replied_at=now - timedelta(days=1), channel="chamber")
    demand(world.firm_b, State.DISPATCHED)
    demand(world.firm_b, State.ACCEPTED, resolve_due_at=now + timedelta(days=3))
    demand(world.firm_other, State.CLOSED, replied_at=now - timedelta(days=5), closed_at=now)
    liaison.chamber_consent_grant(
        actor=world.users["enterprise"], chamber_id=chamber.pk, enterprise=world.firm_a
    )

    f = liaison.chamber_figures(user=world.users["coordinator"], chamber=chamber)
    states = {s: n for s, _label, n in f.by_state}
    assert (f.members, f.consents, f.figures.received, f.open, f.via_chamber) == (2, 1, 4, 3, 1)
    assert states[State.CLOSED] == 1 and states[State.REPLIED] == 1
    assert states[State.DISPATCHED] == 1 and states[State.ACCEPTED] == 1
    # due: two resolved and one overdue; on time: the one replied before its deadline
    assert (f.figures.due, f.figures.resolved, f.figures.resolved_on_time) == (3, 2, 1)
    assert f.figures.resolved_on_time_text == "33.3%"


@pytest.mark.parametrize("who", ["steward", "official", "handler", "enterprise", "observer"])
def test_only_staff_of_the_chambers_region_read_its_figures(
    world: World, chamber: Chamber, who: str
) -> None:
    with pytest.raises(NotPermitted):
        liaison.chamber_figures(user=world.users[who], chamber=chamber)


def test_the_chamber_page_shows_figures_docking_meetings_and_consents_to_staff(
    world: World, chamber: Chamber
) -> None:
    demand(world.firm_a, State.DISPATCHED, title="某企业的具体诉求标题")
    start = timezone.now() + timedelta(days=3)
    docking = Meeting.objects.create(
        kind=MeetingKind.DOCKING,
        title="模具商会与市场监管局对接会",
        region=world.town,
        organizer=world.users["coordinator"],
        chamber=chamber,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    docking.departments.add(world.department)
    Meeting.objects.create(
        kind=MeetingKind.ROUNDTABLE,
        title="季度座谈会",
        region=world.town,
        organizer=world.users["coordinator"],
        chamber=chamber,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    url = f"/outreach/liaison/chambers/{chamber.pk}/"
    for who in ("coordinator", "supervisor"):
        body = client_for(world.users[who]).get(url).content.decode()
        assert "模具商会与市场监管局对接会" in body and world.department.name in body
        assert "季度座谈会" not in body
        assert "某企业的具体诉求标题" not in body  # counts only
        assert "按期办结率" in body
    firm_page = client_for(world.users["enterprise"]).get(url).content.decode()
    assert "授权商会代办" in firm_page and "对接会" not in firm_page
    outsider = user_with(Role.COORDINATOR, "gaoqiao", region=world.other_town)
    assert client_for(outsider).get(url).status_code == 404


def test_consent_through_the_page_and_the_api(world: World, chamber: Chamber) -> None:
    client = client_for(world.users["enterprise"])
    client.post(
        f"/outreach/liaison/chambers/{chamber.pk}/consent/", {"enterprise": world.firm_a.pk}
    )
    consent = ChamberConsent.objects.get()
    assert consent.granted_by == world.users["enterprise"]
    twice = client.post(
        f"/api/v1/outreach/chambers/{chamber.pk}/consents",
        {"enterprise_id": world.firm_a.pk},
        content_type="application/json",
    )
    assert twice.status_code == 409
    revoked = client.post(f"/api/v1/outreach/consents/{consent.pk}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    other = client_for(user_with(Role.ENTERPRISE, "firm_b", enterprise=world.firm_b))
    assert other.post(f"/api/v1/outreach/consents/{consent.pk}/revoke").status_code == 404
    figures = client_for(world.users["supervisor"]).get(
        f"/api/v1/outreach/chambers/{chamber.pk}/figures"
    )
    assert figures.status_code == 200 and figures.json()["members"] == 2


# === judicial safeguards =====================================================================
@dataclass
class Legal:
    court: Department
    procuratorate: Department
    justice: Department
    court_liaison: User
    justice_liaison: User


@pytest.fixture
def legal(world: World) -> Legal:
    court = DepartmentFactory(name="海曙区人民法院", region=world.district, kind="court")
    procuratorate = DepartmentFactory(
        name="海曙区人民检察院", region=world.district, kind="procuratorate"
    )
    justice = DepartmentFactory(name="古林镇司法所", region=world.town, kind="justice")
    return Legal(
        court=court,
        procuratorate=procuratorate,
        justice=justice,
        court_liaison=user_with(Role.HANDLER, "court_liaison", department=court),
        justice_liaison=user_with(Role.HANDLER, "justice_liaison", department=justice),
    )


SECRET = "我司与某供应商的买卖合同纠纷案（2026浙0203民初123号）执行难"


def ask_legal(world: World, legal: Legal, **kwargs: Any) -> LegalRequest:
    values: dict[str, Any] = {
        "actor": world.users["enterprise"],
        "enterprise": world.firm_a,
        "kind": "rights",
        "institution": "court",
        "department_id": legal.court.pk,
        "description": SECRET,
    }
    values.update(kwargs)
    return liaison.legal_request_submit(**values)


def test_a_firm_asks_the_court_liaison_and_the_audit_keeps_no_content(
    world: World, legal: Legal, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        req = ask_legal(world, legal)
    entry = AuditEntry.objects.get(action="legal.submit")
    assert entry.object_id == str(req.pk)
    assert "民初" not in str(entry.changes) and "民初" not in entry.object_label
    assert Message.objects.filter(user=legal.court_liaison).exists()
    assert not Message.objects.filter(user=legal.justice_liaison).exists()


def test_the_department_must_match_the_institution_and_serve_the_firm(
    world: World, legal: Legal
) -> None:
    with pytest.raises(ServiceError) as caught:
        ask_legal(world, legal, institution="court", department_id=legal.justice.pk)
    assert caught.value.field_errors["department"] == ["所选联络单位与受理机关不一致。"]
    far = DepartmentFactory(name="高桥镇司法所", region=world.other_town, kind="justice")
    with pytest.raises(ServiceError, match="不服务贵企业所在区域"):
        ask_legal(world, legal, institution="justice", department_id=far.pk)
    with pytest.raises(ServiceError):
        ask_legal(world, legal, institution="court", department_id=world.department.pk)
    assert not LegalRequest.objects.exists()


def test_only_the_firms_enterprise_users_ask(world: World, legal: Legal) -> None:
    for who in ("observer", "steward", "coordinator"):
        with pytest.raises(NotPermitted):
            ask_legal(world, legal, actor=world.users[who])


def test_the_firm_and_the_liaison_see_the_request(world: World, legal: Legal) -> None:
    req = ask_legal(world, legal)
    for user in (world.users["enterprise"], legal.court_liaison):
        assert client_for(user).get(f"/outreach/liaison/legal/{req.pk}/").status_code == 200
        api = client_for(user).get(f"/api/v1/outreach/legal-requests/{req.pk}")
        assert api.status_code == 200 and api.json()["description"] == SECRET
    assert AuditEntry.objects.filter(action="legal.view", actor_id=legal.court_liaison.pk).exists()


@pytest.mark.parametrize(
    "who",
    [
        "another_firm",
        "steward",
        "supervisor",
        "coordinator",
        "observer",
        "another_department",
        "justice_liaison",
        "system_admin",
    ],
)
def test_everyone_else_gets_not_found(world: World, legal: Legal, who: str) -> None:
    req = ask_legal(world, legal)
    users = {
        "another_firm": user_with(Role.ENTERPRISE, "firm_b", enterprise=world.firm_b),
        "another_department": world.users["handler"],
        "justice_liaison": legal.justice_liaison,
    }
    user = users.get(who) or world.users[who]
    client = client_for(user)
    assert client.get(f"/outreach/liaison/legal/{req.pk}/").status_code == 404
    assert client.post(f"/outreach/liaison/legal/{req.pk}/", {"a-reply": "答复"}).status_code == 404
    assert client.get(f"/api/v1/outreach/legal-requests/{req.pk}").status_code == 404
    assert SECRET not in client.get("/outreach/liaison/legal/").content.decode()
    assert client.get("/api/v1/outreach/legal-requests").json() == []
    assert req not in liaison.legal_requests_visible_to(user)


def test_the_liaison_answers_and_the_firm_is_told(
    world: World, legal: Legal, django_capture_on_commit_callbacks: Any
) -> None:
    req = ask_legal(world, legal)
    with pytest.raises(NotPermitted):
        liaison.legal_request_answer(
            actor=world.users["enterprise"], request_id=req.pk, reply="自己答复自己"
        )
    with pytest.raises(NotPermitted):
        liaison.legal_request_answer(
            actor=legal.justice_liaison, request_id=req.pk, reply="已联系执行局"
        )
    response = client_for(legal.court_liaison).post(
        f"/outreach/liaison/legal/{req.pk}/", {"a-reply": "短"}
    )
    assert response.status_code == 422 and "请填写答复（至少5个字）。" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(legal.court_liaison).post(
            f"/outreach/liaison/legal/{req.pk}/", {"a-reply": "已协调执行局优先办理，请保持联系。"}
        )
    req.refresh_from_db()
    assert req.status == LegalRequest.Status.ANSWERED and req.answered_at is not None
    assert Message.objects.filter(
        user=world.users["enterprise"], title="司法保障请求已答复"
    ).exists()
    with pytest.raises(Conflict):
        liaison.legal_request_answer(
            actor=legal.court_liaison, request_id=req.pk, reply="再次答复内容"
        )


def test_the_statistics_count_by_kind_and_institution_per_district_without_details(
    world: World, legal: Legal
) -> None:
    ask_legal(world, legal)
    ask_legal(
        world, legal, kind="consultation", institution="justice", department_id=legal.justice.pk
    )
    ask_legal(
        world,
        legal,
        kind="mediation",
        institution="procuratorate",
        department_id=legal.procuratorate.pk,
    )
    other_district = region("330205", "江北区", RegionLevel.DISTRICT, world.city)
    rows = {r.label: r for r in liaison.legal_statistics()}
    assert rows["海曙区"].total == 3 and rows["江北区"].total == 0
    assert rows["海曙区"].by_kind == {"rights": 1, "consultation": 1, "mediation": 1}
    assert rows["海曙区"].by_institution == {"court": 1, "justice": 1, "procuratorate": 1}
    assert rows["合计"].total == 3
    assert other_district.pk  # a district without requests still has its row

    body = client_for(world.users["supervisor"]).get("/outreach/liaison/legal/statistics/")
    text = body.content.decode()
    assert body.status_code == 200 and "海曙区" in text
    for detail in (SECRET, world.firm_a.name, legal.court.name, "民初"):
        assert detail not in text
    api = client_for(world.users["coordinator"]).get("/api/v1/outreach/legal-requests/statistics")
    assert api.status_code == 200
    assert set(api.json()[0]) == {"district_id", "district", "total", "by_kind", "by_institution"}
    assert (
        client_for(world.users["enterprise"]).get("/outreach/liaison/legal/statistics/").status_code
        == 403
    )


# === observers ===============================================================================
@dataclass
class Firm:
    official: User
    visit: Visit
    other_visit: Visit
    meeting: Meeting
    uninvited: Meeting


@pytest.fixture
def firm(world: World) -> Firm:
    """firm_a's steward (world steward on grid_a), a paired official, visits and meetings."""
    official = UserFactory(username="liujianguo", display_name="刘建国")
    Pairing.objects.create(official=official, enterprise=world.firm_a, started_on=date(2026, 1, 5))
    steward = world.users["steward"]
    visit = Visit.objects.create(
        enterprise=world.firm_a,
        grid=world.grid_a,
        steward=steward,
        visited_on=date(2026, 11, 3),
        met_person="王丽",
        topics="了解用电增容进展，宣讲稳岗补贴",
    )
    other_visit = Visit.objects.create(
        enterprise=world.firm_b,
        grid=world.grid_b,
        steward=steward,
        visited_on=date(2026, 11, 4),
        topics="乙公司的走访内容",
    )
    start = timezone.now() + timedelta(days=5)
    meeting = Meeting.objects.create(
        kind=MeetingKind.ROUNDTABLE,
        title="灵峰社区四季度企业座谈会",
        region=world.community,
        organizer=world.users["coordinator"],
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    Invitation.objects.create(meeting=meeting, enterprise=world.firm_a)
    uninvited = Meeting.objects.create(
        kind=MeetingKind.JOINT,
        title="部门联席会议",
        region=world.town,
        organizer=world.users["coordinator"],
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    return Firm(official, visit, other_visit, meeting, uninvited)


def send(world: World, **kwargs: Any) -> ObserverFeedback:
    values: dict[str, Any] = {
        "actor": world.users["observer"],
        "enterprise": world.firm_a,
        "kind": "routine",
        "text": "今天市场监管的检查公平规范。",
    }
    values.update(kwargs)
    return liaison.observer_feedback_send(**values)


def test_the_observer_sees_the_firms_steward_visits_and_meetings(world: World, firm: Firm) -> None:
    o = liaison.observer_overview(user=world.users["observer"], enterprise_id=world.firm_a.pk)
    assert o.stewards == [world.users["steward"]]
    assert o.officials == [firm.official]
    assert o.visits == [firm.visit]
    assert [row.meeting for row in o.meetings] == [firm.meeting]

    body = client_for(world.users["observer"]).get("/outreach/liaison/observer/", follow=True)
    text = body.content.decode()
    assert "管家测试" in text and "刘建国" in text
    assert "了解用电增容进展" in text and "灵峰社区四季度企业座谈会" in text
    assert "乙公司的走访内容" not in text and "部门联席会议" not in text


def test_an_observer_sees_only_their_own_firm(world: World, firm: Firm) -> None:
    client = client_for(world.users["observer"])
    assert client.get(f"/outreach/liaison/observer/{world.firm_b.pk}/").status_code == 404
    assert client.get(f"/api/v1/outreach/observer/firms/{world.firm_b.pk}").status_code == 404
    with pytest.raises(Enterprise.DoesNotExist):
        liaison.observer_overview(user=world.users["enterprise"], enterprise_id=world.firm_a.pk)
    assert (
        client_for(world.users["enterprise"]).get("/outreach/liaison/observer/").status_code == 403
    )


def test_the_observer_sends_feedback_about_the_steward_stored_and_audited(
    world: World, firm: Firm
) -> None:
    feedback = send(world, subject_id=world.users["steward"].pk)
    assert (
        feedback.subject == world.users["steward"] and feedback.observer == world.users["observer"]
    )
    entry = AuditEntry.objects.get(action="observer.feedback")
    assert entry.object_id == str(feedback.pk) and entry.actor_id == world.users["observer"].pk
    assert "检查公平" not in str(entry.changes)


def test_feedback_needs_a_kind_a_text_and_a_subject_of_the_firm(world: World, firm: Firm) -> None:
    with pytest.raises(ServiceError) as caught:
        send(world, kind="gossip", text="", subject_id=world.users["supervisor"].pk)
    errors = caught.value.field_errors
    assert set(errors) == {"kind", "text", "subject"}
    assert not ObserverFeedback.objects.exists()
    with pytest.raises(NotPermitted):
        send(world, actor=world.users["enterprise"])
    with pytest.raises(NotPermitted):
        send(world, enterprise=world.firm_b)


def test_supervisors_of_the_region_read_feedback_and_the_subject_never_does(
    world: World, firm: Firm, django_capture_on_commit_callbacks: Any
) -> None:
    # the paired official also supervises the district: still, feedback about him is hidden
    role_grant(actor=None, user=firm.official, role=Role.SUPERVISOR, region=world.district)
    with django_capture_on_commit_callbacks(execute=True):
        about_official = send(
            world, kind="concern", subject_id=firm.official.pk, text="刘某暗示要安排亲属的公司供货"
        )
    about_steward = send(world, subject_id=world.users["steward"].pk)
    supervisor = world.users["supervisor"]

    assert set(liaison.feedback_visible_to(supervisor)) == {about_official, about_steward}
    assert set(liaison.feedback_visible_to(firm.official)) == {about_steward}
    assert not liaison.feedback_visible_to(world.users["steward"]).exists()
    assert Message.objects.filter(user=supervisor, title__contains="观察员问题反映").exists()
    assert not Message.objects.filter(user=firm.official).exists()

    page = client_for(supervisor).get("/outreach/liaison/feedback/")
    assert page.status_code == 200 and "刘某暗示要安排亲属的公司供货" in page.content.decode()
    assert AuditEntry.objects.filter(
        action="observer.feedback_view", actor_id=supervisor.pk
    ).exists()
    subject_page = client_for(firm.official).get("/outreach/liaison/feedback/").content.decode()
    assert "刘某暗示" not in subject_page
    assert client_for(world.users["steward"]).get("/outreach/liaison/feedback/").status_code == 403
    api = client_for(world.users["steward"]).get("/api/v1/outreach/observer/feedback")
    assert api.status_code == 403


def test_a_supervisor_of_another_district_does_not_read_it(world: World, firm: Firm) -> None:
    send(world)
    jiangbei = region("330205", "江北区", RegionLevel.DISTRICT, world.city)
    other = user_with(Role.SUPERVISOR, "jiangbei_supervisor", region=jiangbei)
    assert not liaison.feedback_visible_to(other).exists()


def test_the_feedback_form_keeps_the_input_on_error(world: World, firm: Firm) -> None:
    url = f"/outreach/liaison/observer/{world.firm_a.pk}/"
    response = client_for(world.users["observer"]).post(
        url, {"kind": "", "subject": str(world.users["steward"].pk), "text": "今天的检查"}
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "请选择反馈类型。" in body and "今天的检查" in body
    assert not ObserverFeedback.objects.exists()


def test_feedback_through_the_api(world: World, firm: Firm) -> None:
    client = client_for(world.users["observer"])
    ok = client.post(
        "/api/v1/outreach/observer/feedback",
        {"enterprise_id": world.firm_a.pk, "kind": "routine", "text": "今天的检查公平。"},
        content_type="application/json",
    )
    assert ok.status_code == 201
    wrong = client.post(
        "/api/v1/outreach/observer/feedback",
        {"enterprise_id": world.firm_b.pk, "kind": "routine", "text": "不是我的企业"},
        content_type="application/json",
    )
    assert wrong.status_code == 403
    listing = client_for(world.users["supervisor"]).get("/api/v1/outreach/observer/feedback")
    assert listing.json()["count"] == 1


# === the pages render for the people who use them ==============================================
@pytest.mark.parametrize(
    "who",
    [
        "enterprise",
        "observer",
        "steward",
        "handler",
        "coordinator",
        "official",
        "supervisor",
        "system_admin",
    ],
)
def test_the_outreach_index_shows_each_role_its_liaison_cards(world: World, who: str) -> None:
    body = client_for(world.users[who]).get("/outreach/").content.decode()
    cards = {
        "observer": "亲清观察员",
        "supervisor": "观察员反馈",
        "enterprise": "司法保障",
        "handler": "司法保障",
        "coordinator": "靶向服务团",
    }
    if who in cards:
        assert cards[who] in body
    if who != "observer":
        assert 'href="/outreach/liaison/observer/"' not in body


def test_the_lists_and_forms_render(world: World, legal: Legal, chamber: Chamber) -> None:
    firm = client_for(world.users["enterprise"])
    for url in (
        "/outreach/liaison/chambers/",
        "/outreach/liaison/legal/",
        "/outreach/liaison/legal/new/",
        "/outreach/liaison/groups/",
        "/outreach/liaison/activities/",
    ):
        assert firm.get(url).status_code == 200, url
    staff = client_for(world.users["coordinator"])
    for url in ("/outreach/liaison/chambers/", "/outreach/liaison/legal/statistics/"):
        assert staff.get(url).status_code == 200, url
    assert staff.get("/outreach/liaison/legal/new/").status_code == 403


def test_the_legal_form_shows_the_mismatch_next_to_the_department_and_keeps_the_text(
    world: World, legal: Legal
) -> None:
    response = client_for(world.users["enterprise"]).post(
        "/outreach/liaison/legal/new/",
        {
            "enterprise": world.firm_a.pk,
            "kind": "consultation",
            "institution": "court",
            "department": legal.justice.pk,
            "description": "劳动合同条款是否合法",
        },
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "所选联络单位与受理机关不一致。" in body and "劳动合同条款是否合法" in body
    assert not LegalRequest.objects.exists()
