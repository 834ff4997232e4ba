"""The demand pages as 王丽, 陈刚, 赵敏, 周华 and 孙悦 use them (Django test client)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.demands import services
from qinqing.demands.models import Category, Demand, DemandEvent, Extension, RoutingRule
from qinqing.demands.views import readable_deadline
from qinqing.demands.workflow import State
from qinqing.directory.models import Department, Enterprise

from ..conftest import World
from ..factories import DepartmentFactory, EnterpriseFactory, UserFactory

CONFLICT = "该诉求已被他人处理，请刷新后重试。"


@dataclass
class Desk:
    """The people and rules of one ordinary day of demand handling in 古林镇."""

    world: World
    tax: Category
    lead: Department
    tax_bureau: Department
    handler: User  # 赵敏, 海曙区市场监督管理局
    tax_handler: User  # 海曙区税务局
    firm_user: User  # 王丽, 宁波甲模具有限公司
    coordinator: User  # 周华, 古林镇
    supervisor: User  # 孙悦, 海曙区
    steward: User  # 陈刚, 古林第一网格

    def submit(self, **values: Any) -> Demand:
        data: dict[str, Any] = {
            "actor": self.firm_user,
            "enterprise": self.world.firm_a,
            "category": self.tax,
            "title": "用电增容审批卡在供电所两个月",
            "description": "用电增容审批两个月没有进展，影响新生产线投产。",
        }
        data.update(values)
        return services.demand_submit(**data)

    def client_of(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client


@pytest.fixture
def desk(world: World) -> Desk:
    tax = Category.objects.get(code="tax")
    lead = world.department
    tax_bureau = DepartmentFactory(name="海曙区税务局", region=world.district, kind="tax")
    handler = UserFactory(username="zhaomin", display_name="赵敏")
    role_grant(actor=None, user=handler, role=Role.HANDLER, department=lead)
    tax_handler = UserFactory(username="qianshui", display_name="钱税")
    role_grant(actor=None, user=tax_handler, role=Role.HANDLER, department=tax_bureau)
    RoutingRule.objects.create(region=world.town, category=tax, department=lead)
    return Desk(
        world=world,
        tax=tax,
        lead=lead,
        tax_bureau=tax_bureau,
        handler=handler,
        tax_handler=tax_handler,
        firm_user=world.users["enterprise"],
        coordinator=world.users["coordinator"],
        supervisor=world.users["supervisor"],
        steward=world.users["steward"],
    )


def firm_b_user(world: World) -> User:
    user = UserFactory(username="firm_b_owner", display_name="李乙")
    role_grant(actor=None, user=user, role=Role.ENTERPRISE, enterprise=world.firm_b)
    return user


def text(response: Any) -> str:
    return response.content.decode()


def fresh(demand: Demand) -> Demand:
    return Demand.objects.get(pk=demand.pk)


def act(client: Client, demand: Demand, action: str, **fields: Any) -> Any:
    data = {"action": action, "version": fresh(demand).version}
    data.update({f"{action}-{k}" if k != "version" else k: v for k, v in fields.items()})
    return client.post(f"/demands/{demand.pk}/act/", data)


# --- the firm ---------------------------------------------------------------------------------


def test_the_readable_deadline_is_a_shanghai_date_with_the_weekday() -> None:
    moment = datetime.fromisoformat("2026-10-12T15:59:59+00:00")  # 23:59:59 in Shanghai

    assert readable_deadline(moment) == "2026年10月12日（星期一）23:59前"


def test_a_firm_sees_her_steward_on_the_submit_form(desk: Desk) -> None:
    response = desk.client_of(desk.firm_user).get("/demands/new/")

    assert response.status_code == 200
    page = text(response)
    assert desk.steward.display_name in page
    assert desk.world.firm_a.name in page
    assert "用电报装与增容" in page  # a child category, inside its parent's group
    assert '<optgroup label="审批许可">' in page


def test_a_firm_submits_and_is_told_the_number_the_department_and_the_deadline(
    desk: Desk,
) -> None:
    client = desk.client_of(desk.firm_user)

    response = client.post(
        "/demands/new/",
        {
            "enterprise": desk.world.firm_a.pk,
            "category": desk.tax.pk,
            "title": "用电增容审批卡在供电所两个月",
            "description": "用电增容审批两个月没有进展。",
        },
        follow=True,
    )

    demand = Demand.objects.get()
    page = text(response)
    assert re.fullmatch(r"SQ-\d{4}-\d{6}", demand.number)
    assert demand.number in page
    assert desk.lead.name in page
    assert readable_deadline(demand.resolve_due_at) in page
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日（星期.）23:59前", page)
    assert demand.channel == "portal" and demand.state == State.DISPATCHED
    listing = text(client.get("/demands/cases/"))
    assert demand.number in listing and demand.title in listing


def test_without_a_routing_rule_the_firm_is_told_the_coordinator_will_dispatch(
    desk: Desk,
) -> None:
    other = Category.objects.get(code="other")
    client = desk.client_of(desk.firm_user)

    response = client.post(
        "/demands/new/",
        {"enterprise": desk.world.firm_a.pk, "category": other.pk, "title": "厂门口路灯坏了",
         "description": "工业路厂门口的路灯坏了一个月。"},
        follow=True,
    )  # fmt: skip

    assert "待协调员派单" in text(response)
    assert Demand.objects.get().state == State.SUBMITTED


def test_bad_input_shows_the_message_next_to_the_field_keeps_the_input_and_stores_nothing(
    desk: Desk,
) -> None:
    client = desk.client_of(desk.firm_user)

    response = client.post(
        "/demands/new/",
        {"enterprise": desk.world.firm_a.pk, "category": desk.tax.pk, "title": "",
         "description": "太短"},
    )  # fmt: skip

    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["title"] == ["请填写标题。"]
    assert form.errors["description"] == ["请具体描述诉求（至少5个字）。"]
    page = text(response)
    assert "请填写标题。" in page and "太短" in page
    assert Demand.objects.count() == 0


def test_a_firm_cannot_submit_for_another_firm(desk: Desk) -> None:
    response = desk.client_of(desk.firm_user).post(
        "/demands/new/",
        {"enterprise": desk.world.firm_b.pk, "category": desk.tax.pk, "title": "标题",
         "description": "冒充别的企业提交诉求。"},
    )  # fmt: skip

    assert response.status_code == 422
    assert "您不能为该企业提交诉求。" in text(response)
    assert Demand.objects.count() == 0


def test_a_firm_with_two_firms_picks_the_firm(desk: Desk) -> None:
    role_grant(actor=None, user=desk.firm_user, role=Role.ENTERPRISE, enterprise=desk.world.firm_b)
    client = desk.client_of(desk.firm_user)

    page = text(client.get("/demands/new/"))
    assert '<select name="enterprise"' in page
    assert desk.world.firm_a.name in page and desk.world.firm_b.name in page
    client.post(
        "/demands/new/",
        {"enterprise": desk.world.firm_b.pk, "category": desk.tax.pk, "title": "乙公司的诉求",
         "description": "乙公司的用电增容问题。"},
    )  # fmt: skip

    assert Demand.objects.get().enterprise == desk.world.firm_b


def test_another_firms_case_is_not_found_for_the_firm_user(desk: Desk) -> None:
    theirs = desk.submit(actor=firm_b_user(desk.world), enterprise=desk.world.firm_b)
    client = desk.client_of(desk.firm_user)

    assert client.get(f"/demands/{theirs.pk}/").status_code == 404
    assert client.get(f"/demands/{theirs.pk}/submitted/").status_code == 404
    assert act(client, theirs, "withdraw").status_code == 404
    assert theirs.number not in text(client.get("/demands/cases/"))
    assert fresh(theirs).state == State.DISPATCHED


def test_a_handler_of_another_department_neither_sees_nor_acts_on_the_case(desk: Desk) -> None:
    demand = desk.submit()
    outsider = desk.client_of(desk.world.users["handler"])  # 高桥镇税务所

    assert outsider.get(f"/demands/{demand.pk}/").status_code == 404
    assert act(outsider, demand, "accept").status_code == 404
    assert outsider.post(f"/demands/{demand.pk}/note/", {"note-note": "看看"}).status_code == 404
    assert demand.number not in text(outsider.get("/demands/inbox/"))
    assert fresh(demand).state == State.DISPATCHED


def test_a_firm_cannot_accept_its_own_case(desk: Desk) -> None:
    demand = desk.submit()

    response = act(desk.client_of(desk.firm_user), demand, "accept")

    assert response.status_code == 403
    assert "您没有执行此操作的权限。" in text(response)
    assert fresh(demand).state == State.DISPATCHED


# --- the handler ------------------------------------------------------------------------------


def test_the_inbox_lists_only_the_departments_cases_nearest_deadline_first(desk: Desk) -> None:
    policy, market, land = (Category.objects.get(code=c) for c in ("policy", "market", "land"))
    for category in (market, policy):
        RoutingRule.objects.create(region=desk.world.town, category=category, department=desk.lead)
    RoutingRule.objects.create(region=desk.world.town, category=land, department=desk.tax_bureau)
    slow = desk.submit(category=market, title="市场监管事项十个工作日")
    middle = desk.submit(title="税费事项五个工作日")
    quick = desk.submit(category=policy, title="政策咨询三个工作日")
    elsewhere = desk.submit(category=land, title="用地规划事项")

    response = desk.client_of(desk.handler).get("/demands/inbox/")

    page = text(response)
    positions = [page.index(d.number) for d in (quick, middle, slow)]
    assert positions == sorted(positions)
    assert elsewhere.number not in page
    assert [r.demand for r in response.context["rows"]] == [quick, middle, slow]


def test_overdue_rows_are_red_and_rows_past_80_percent_are_amber(desk: Desk) -> None:
    now = datetime.now().astimezone()
    overdue = desk.submit(title="已经超期的诉求", submitted_at=now.replace(year=now.year - 1))
    fresh_case = desk.submit(title="刚提交的诉求")
    warn = desk.submit(title="快到期的诉求")
    remaining = fresh(warn).resolve_due_at - now  # type: ignore[operator]
    # submitted long enough ago that 90 % of its time is used
    Demand.objects.filter(pk=warn.pk).update(submitted_at=now - remaining * 9)

    response = desk.client_of(desk.handler).get("/demands/inbox/")

    timers = {r.demand.pk: r.timer for r in response.context["rows"]}
    assert timers == {overdue.pk: "overdue", warn.pk: "warn", fresh_case.pk: ""}
    assert re.search(r'<tr class="demand-row overdue">', text(response))
    only_overdue = desk.client_of(desk.handler).get("/demands/inbox/?overdue=1")
    assert [r.demand.pk for r in only_overdue.context["rows"]] == [overdue.pk]


def test_the_inbox_filters_by_state_and_answers_htmx_with_the_rows_only(desk: Desk) -> None:
    accepted = desk.submit(title="已受理的诉求")
    waiting = desk.submit(title="待受理的诉求")
    client = desk.client_of(desk.handler)
    act(client, accepted, "accept")

    response = client.get("/demands/inbox/?state=accepted", headers={"HX-Request": "true"})

    page = text(response)
    assert accepted.number in page and waiting.number not in page
    assert "<html" not in page


def test_the_inbox_is_for_handlers_only(desk: Desk) -> None:
    assert desk.client_of(desk.firm_user).get("/demands/inbox/").status_code == 403


def test_accept_reply_and_rate_round_trip(desk: Desk) -> None:
    demand = desk.submit()
    handler, firm = desk.client_of(desk.handler), desk.client_of(desk.firm_user)

    page = text(handler.get(f"/demands/{demand.pk}/"))
    assert 'name="action" value="accept"' in page
    assert act(handler, demand, "accept").status_code == 302
    assert fresh(demand).state == State.ACCEPTED
    assert act(handler, demand, "reply", note="已协调供电所，下周完成增容。").status_code == 302
    assert fresh(demand).state == State.REPLIED

    firm_page = text(firm.get(f"/demands/{demand.pk}/"))
    assert "已协调供电所，下周完成增容。" in firm_page
    assert "评价答复" in firm_page and "不认可答复" in firm_page
    response = act(firm, demand, "rate", satisfaction="satisfied", rating=5, note="很及时")
    assert response.status_code == 302

    closed = fresh(demand)
    assert (closed.state, closed.satisfaction, closed.rating) == (State.CLOSED, "satisfied", 5)
    final = text(firm.get(f"/demands/{demand.pk}/"))
    assert "已办结" in final and "满意" in final and "很及时" in final


def test_a_stale_version_shows_the_conflict_keeps_the_typed_reply_and_changes_nothing(
    desk: Desk,
) -> None:
    demand = desk.submit()
    handler = desk.client_of(desk.handler)
    act(handler, demand, "accept")
    stale = fresh(demand).version
    services.demand_act(
        actor=desk.handler, demand_id=demand.pk, action="start", version=stale
    )  # a colleague moved the case meanwhile

    response = handler.post(
        f"/demands/{demand.pk}/act/",
        {"action": "reply", "version": stale, "reply-note": "答复草稿：已协调供电所。"},
    )

    assert response.status_code == 409
    page = text(response)
    assert CONFLICT in page
    assert "答复草稿：已协调供电所。" in page
    after = fresh(demand)
    assert after.state == State.IN_PROGRESS and after.reply == ""
    assert f'name="version" value="{after.version}"' in page  # the form can be sent again


def test_when_a_colleague_already_replied_the_typed_reply_is_still_on_the_page(
    desk: Desk,
) -> None:
    demand = desk.submit()
    handler = desk.client_of(desk.handler)
    act(handler, demand, "accept")
    stale = fresh(demand).version
    services.demand_act(
        actor=desk.handler, demand_id=demand.pk, action="reply", version=stale, note="同事的答复"
    )

    response = handler.post(
        f"/demands/{demand.pk}/act/",
        {"action": "reply", "version": stale, "reply-note": "我写了半小时的答复"},
    )

    assert response.status_code == 409
    page = text(response)
    assert CONFLICT in page
    assert response.context["unsent"] == ["我写了半小时的答复"]
    assert fresh(demand).reply == "同事的答复"


def test_an_empty_reply_is_refused_next_to_the_field_and_nothing_is_stored(desk: Desk) -> None:
    demand = desk.submit()
    handler = desk.client_of(desk.handler)
    act(handler, demand, "accept")
    events = DemandEvent.objects.filter(demand=demand).count()

    response = act(handler, demand, "reply", note="   ")

    assert response.status_code == 422
    page = text(response)
    assert "请填写答复内容。" in page and "必填。" in page
    assert fresh(demand).state == State.ACCEPTED
    assert DemandEvent.objects.filter(demand=demand).count() == events


def test_return_needs_a_reason_and_sends_the_case_back_to_the_coordinator(desk: Desk) -> None:
    demand = desk.submit()
    handler = desk.client_of(desk.handler)

    assert act(handler, demand, "return", note="").status_code == 422
    assert (
        act(handler, demand, "return", note="不属于本局职责，应由供电公司办理。").status_code == 302
    )

    returned = fresh(demand)
    assert returned.state == State.SUBMITTED and returned.department is None
    board = desk.client_of(desk.coordinator).get("/demands/board/?column=returned")
    assert demand.number in text(board)


def test_the_handler_requests_an_extension_and_the_coordinator_approves_it(desk: Desk) -> None:
    demand = desk.submit()
    handler, coordinator = desk.client_of(desk.handler), desk.client_of(desk.coordinator)
    act(handler, demand, "accept")
    due = fresh(demand).resolve_due_at

    response = handler.post(
        f"/demands/{demand.pk}/extension/",
        {"extension-days": "3", "extension-reason": "需要供电公司现场勘查。"},
    )
    assert response.status_code == 302
    extension = Extension.objects.get(demand=demand)
    board = coordinator.get("/demands/board/?column=extensions")
    assert demand.number in text(board)
    assert "需要供电公司现场勘查。" in text(coordinator.get(f"/demands/{demand.pk}/"))

    response = coordinator.post(
        f"/demands/{demand.pk}/extensions/{extension.pk}/decide/",
        {"decision": "approve", f"decide{extension.pk}-note": "同意"},
    )

    assert response.status_code == 302
    assert Extension.objects.get(pk=extension.pk).status == Extension.Status.APPROVED
    assert fresh(demand).resolve_due_at > due  # type: ignore[operator]


def test_an_extension_of_zero_days_is_refused_next_to_the_field(desk: Desk) -> None:
    demand = desk.submit()
    handler = desk.client_of(desk.handler)
    act(handler, demand, "accept")

    response = handler.post(
        f"/demands/{demand.pk}/extension/",
        {"extension-days": "0", "extension-reason": "理由"},
    )

    assert response.status_code == 422
    assert response.context["panels"]  # the page is shown again
    assert "延期天数须为1到30个工作日。" in text(response)
    assert not Extension.objects.exists()


def test_the_lead_asks_another_department_to_co_handle_and_it_answers(desk: Desk) -> None:
    demand = desk.submit()
    handler = desk.client_of(desk.handler)
    act(handler, demand, "accept")

    response = handler.post(
        f"/demands/{demand.pk}/assist/",
        {"assist-department": desk.tax_bureau.pk, "assist-part": "核实增容涉及的税费减免"},
    )
    assert response.status_code == 302

    helper = desk.client_of(desk.tax_handler)
    page = text(helper.get(f"/demands/{demand.pk}/"))
    assert "核实增容涉及的税费减免" in page
    assert 'value="accept"' not in page  # the supporting department does not lead the case
    assist = demand.assists.get()
    response = helper.post(
        f"/demands/{demand.pk}/assists/{assist.pk}/reply/",
        {f"assist{assist.pk}-reply": "可享受小微企业减免。"},
    )
    assert response.status_code == 302
    assert demand.assists.get().status == "done"


def test_internal_notes_are_hidden_from_the_firm(desk: Desk) -> None:
    demand = desk.submit()
    handler = desk.client_of(desk.handler)

    handler.post(
        f"/demands/{demand.pk}/note/",
        {"note-note": "内部：企业此前有类似投诉", "note-internal": "on"},
    )
    handler.post(f"/demands/{demand.pk}/note/", {"note-note": "已电话联系企业"})

    firm_page = text(desk.client_of(desk.firm_user).get(f"/demands/{demand.pk}/"))
    assert "内部：企业此前有类似投诉" not in firm_page
    assert "已电话联系企业" in firm_page
    assert "内部：企业此前有类似投诉" in text(handler.get(f"/demands/{demand.pk}/"))


def test_a_firm_cannot_make_a_note_internal(desk: Desk) -> None:
    demand = desk.submit()
    firm = desk.client_of(desk.firm_user)

    firm.post(
        f"/demands/{demand.pk}/note/",
        {"note-note": "补充：附上供电所受理单号", "note-internal": "on"},
    )

    assert DemandEvent.objects.get(demand=demand, action="note").internal is False


def test_the_firm_withdraws_a_case_not_yet_accepted(desk: Desk) -> None:
    demand = desk.submit()
    firm = desk.client_of(desk.firm_user)
    assert "撤回诉求" in text(firm.get(f"/demands/{demand.pk}/"))

    assert act(firm, demand, "withdraw").status_code == 302

    assert fresh(demand).state == State.WITHDRAWN
    assert "撤回诉求" not in text(firm.get(f"/demands/{demand.pk}/"))


def test_the_firm_rejects_a_reply_with_a_reason(desk: Desk) -> None:
    demand = desk.submit()
    handler, firm = desk.client_of(desk.handler), desk.client_of(desk.firm_user)
    act(handler, demand, "accept")
    act(handler, demand, "reply", note="已答复。")

    assert act(firm, demand, "reject", note="").status_code == 422
    assert act(firm, demand, "reject", note="问题没有解决，增容仍未批。").status_code == 302

    assert fresh(demand).state == State.IN_PROGRESS
    assert "问题没有解决，增容仍未批。" in text(handler.get(f"/demands/{demand.pk}/"))


def test_a_rating_without_satisfaction_is_refused_and_the_comment_is_kept(desk: Desk) -> None:
    demand = desk.submit()
    handler, firm = desk.client_of(desk.handler), desk.client_of(desk.firm_user)
    act(handler, demand, "accept")
    act(handler, demand, "reply", note="已答复。")

    response = act(firm, demand, "rate", rating=4, note="还行吧")

    assert response.status_code == 422
    assert response.context["panels"][0].form.errors["satisfaction"] == ["必填。"]
    assert "还行吧" in text(response)
    assert fresh(demand).state == State.REPLIED


# --- the coordinator --------------------------------------------------------------------------


def test_the_coordinator_dispatches_an_unassigned_case_from_the_board(desk: Desk) -> None:
    other = Category.objects.get(code="other")
    demand = desk.submit(category=other, title="厂区门口道路破损")
    coordinator = desk.client_of(desk.coordinator)

    board = coordinator.get("/demands/board/")
    assert demand.number in text(board)
    assert {t["key"]: t["count"] for t in board.context["tabs"]}["unassigned"] == 1
    assert [d.pk for d in board.context["rows"][0].departments] == [
        desk.lead.pk,
        desk.tax_bureau.pk,
    ]

    response = coordinator.post(
        f"/demands/{demand.pk}/act/",
        {"action": "dispatch", "version": fresh(demand).version,
         "dispatch-department": desk.tax_bureau.pk, "next": "/demands/board/"},
    )  # fmt: skip

    assert response.status_code == 302 and response["Location"] == "/demands/board/"
    dispatched = fresh(demand)
    assert dispatched.state == State.DISPATCHED and dispatched.department == desk.tax_bureau


def test_the_board_tabs_answer_htmx_with_the_column_only(desk: Desk) -> None:
    response = desk.client_of(desk.coordinator).get(
        "/demands/board/?column=disputed", headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "<html" not in text(response)
    assert 'aria-selected="true">争议待定' in text(response)


def test_a_department_outside_the_firms_region_is_refused_for_dispatch(desk: Desk) -> None:
    demand = desk.submit(category=Category.objects.get(code="other"))

    response = desk.client_of(desk.coordinator).post(
        f"/demands/{demand.pk}/act/",
        {"action": "dispatch", "version": fresh(demand).version,
         "dispatch-department": desk.world.other_department.pk},
    )  # fmt: skip

    assert response.status_code == 422
    assert "请选择服务该区域的部门。" in text(response)
    assert fresh(demand).state == State.SUBMITTED


def test_the_routing_editor_creates_a_rule_and_the_next_submission_is_dispatched(
    desk: Desk,
) -> None:
    other = Category.objects.get(code="other")
    coordinator = desk.client_of(desk.coordinator)
    page = text(coordinator.get("/demands/routing/"))
    assert desk.world.town.name in page
    assert desk.world.other_town.name not in page  # not in 周华's region

    response = coordinator.post(
        "/demands/routing/",
        {"region": desk.world.town.pk, "category": other.pk, "department": desk.tax_bureau.pk},
    )

    assert response.status_code == 302
    assert RoutingRule.objects.get(region=desk.world.town, category=other).department == (
        desk.tax_bureau
    )
    assert desk.tax_bureau.name in text(coordinator.get("/demands/routing/"))
    demand = desk.submit(category=other, title="厂区门口道路破损")
    assert demand.state == State.DISPATCHED and demand.department == desk.tax_bureau


def test_the_routing_editor_refuses_a_region_outside_the_coordinators(desk: Desk) -> None:
    response = desk.client_of(desk.coordinator).post(
        "/demands/routing/",
        {"region": desk.world.other_town.pk, "category": desk.tax.pk, "department": desk.lead.pk},
    )

    assert response.status_code == 422
    assert "只能设置本辖区的派单规则。" in text(response)
    assert not RoutingRule.objects.filter(region=desk.world.other_town).exists()


def test_the_coordinator_removes_a_rule(desk: Desk) -> None:
    rule = RoutingRule.objects.get()

    response = desk.client_of(desk.coordinator).post("/demands/routing/remove/", {"rule": rule.pk})

    assert response.status_code == 302
    assert not RoutingRule.objects.exists()
    assert desk.submit().state == State.SUBMITTED


def test_the_coordinator_registers_a_phone_call_for_a_firm_of_the_town(desk: Desk) -> None:
    outside = EnterpriseFactory(name="高桥某公司", grid=desk.world.grid_other)
    client = desk.client_of(desk.coordinator)
    page = text(client.get("/demands/new/phone/"))
    assert desk.world.firm_b.name in page and outside.name not in page

    response = client.post(
        "/demands/new/phone/",
        {"enterprise": desk.world.firm_b.pk, "category": desk.tax.pk,
         "title": "来电：发票申领问题", "description": "企业来电反映发票申领系统无法登录。"},
    )  # fmt: skip

    demand = Demand.objects.get()
    assert response.status_code == 302
    assert demand.channel == "phone" and demand.enterprise == desk.world.firm_b


def test_the_coordinator_merges_a_possible_duplicate(desk: Desk) -> None:
    first = desk.submit(title="用电增容审批")
    second = desk.submit(title="用电增容审批进度")
    coordinator = desk.client_of(desk.coordinator)
    page = text(coordinator.get(f"/demands/{first.pk}/"))
    assert "可能重复的诉求" in page and second.number in page

    response = coordinator.post(f"/demands/{first.pk}/merge/", {"duplicate": second.pk})

    assert response.status_code == 302
    merged = fresh(second)
    assert merged.state == State.CLOSED and merged.merged_into_id == first.pk


def test_the_coordinator_closes_a_disputed_case(desk: Desk) -> None:
    demand = desk.submit()
    Demand.objects.filter(pk=demand.pk).update(state=State.DISPUTED)
    coordinator = desk.client_of(desk.coordinator)

    assert act(coordinator, demand, "close", note="经协调，企业与部门达成一致。").status_code == 302

    assert fresh(demand).state == State.CLOSED


# --- the steward and the supervisor -----------------------------------------------------------


def test_the_steward_submits_for_a_firm_of_his_grid_only(desk: Desk) -> None:
    neighbour = EnterpriseFactory(name="宁波丁五金有限公司", grid=desk.world.grid_a)
    client = desk.client_of(desk.steward)

    response = client.get(f"/demands/new/steward/?enterprise={neighbour.pk}")
    page = text(response)
    assert f'<option value="{neighbour.pk}" selected>' in page
    assert desk.world.firm_a.name in page and desk.world.firm_b.name not in page

    refused = client.post(
        "/demands/new/steward/",
        {"enterprise": desk.world.firm_b.pk, "category": desk.tax.pk, "title": "走访发现的问题",
         "description": "走访时企业反映的问题。"},
    )  # fmt: skip
    assert refused.status_code == 422 and Demand.objects.count() == 0

    client.post(
        "/demands/new/steward/",
        {"enterprise": neighbour.pk, "category": desk.tax.pk, "title": "走访发现的问题",
         "description": "走访时企业反映的问题。"},
    )  # fmt: skip
    demand = Demand.objects.get()
    assert demand.channel == "steward" and demand.submitted_by == desk.steward


def test_a_firm_cannot_open_the_steward_form(desk: Desk) -> None:
    assert desk.client_of(desk.firm_user).get("/demands/new/steward/").status_code == 403


def test_the_supervisor_flags_a_case_with_a_note(desk: Desk) -> None:
    demand = desk.submit()
    supervisor = desk.client_of(desk.supervisor)
    assert "督办意见" in text(supervisor.get(f"/demands/{demand.pk}/"))

    empty = supervisor.post(f"/demands/{demand.pk}/supervise/", {"supervise-note": ""})
    assert empty.status_code == 422 and not fresh(demand).supervised
    response = supervisor.post(
        f"/demands/{demand.pk}/supervise/", {"supervise-note": "请三日内办结并报告。"}
    )

    assert response.status_code == 302
    assert fresh(demand).supervised
    assert "请三日内办结并报告。" in text(supervisor.get(f"/demands/{demand.pk}/"))
    assert "督办" in text(desk.client_of(desk.handler).get("/demands/inbox/"))


def test_a_handler_cannot_supervise(desk: Desk) -> None:
    demand = desk.submit()

    response = desk.client_of(desk.handler).post(
        f"/demands/{demand.pk}/supervise/", {"supervise-note": "自己督办自己"}
    )

    assert response.status_code == 403
    assert not fresh(demand).supervised


def test_the_overview_counts_cases_by_department_and_state(desk: Desk) -> None:
    desk.submit()
    desk.submit()
    desk.submit(category=Category.objects.get(code="other"))
    now = datetime.now().astimezone()
    desk.submit(submitted_at=now.replace(year=now.year - 1))

    response = desk.client_of(desk.supervisor).get("/demands/overview/")

    assert response.status_code == 200
    rows = {str(r["name"]): r for r in response.context["table"]}
    assert rows[desk.lead.name]["total"] == 3 and rows[desk.lead.name]["overdue"] == 1
    assert rows[desk.lead.name]["cells"][State.DISPATCHED] == 3
    assert rows["未派单"]["total"] == 1
    assert response.context["totals"]["total"] == 4


def test_each_role_lands_on_its_working_page(desk: Desk) -> None:
    expected = {
        desk.firm_user: "/demands/cases/",
        desk.handler: "/demands/inbox/",
        desk.coordinator: "/demands/board/",
        desk.supervisor: "/demands/overview/",
        desk.steward: "/demands/cases/",
    }
    for user, url in expected.items():
        assert desk.client_of(user).get("/demands/")["Location"] == url
    assert "诉求" in text(desk.client_of(desk.firm_user).get("/"))


# --- export and query counts ------------------------------------------------------------------


def test_staff_export_the_visible_list_to_excel_and_firms_may_not(desk: Desk) -> None:
    land = Category.objects.get(code="land")
    RoutingRule.objects.create(region=desk.world.town, category=land, department=desk.tax_bureau)
    mine = desk.submit()
    desk.submit(category=land, title="用地规划事项")  # the tax bureau's, not 赵敏's

    response = desk.client_of(desk.handler).get("/demands/cases/export/")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "编号"
    assert [row[0] for row in values[1:]] == [mine.number]
    assert desk.client_of(desk.firm_user).get("/demands/cases/export/").status_code == 403


def make_cases(desk: Desk, n: int) -> None:
    for i in range(n):
        desk.submit(title=f"批量诉求{i:02d}")


def queries_of(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("firm_user", "/demands/cases/"),
        ("handler", "/demands/inbox/"),
        ("coordinator", "/demands/board/?column=unassigned"),
        ("coordinator", "/demands/cases/"),
        ("supervisor", "/demands/overview/"),
    ],
)
def test_list_pages_use_as_many_queries_for_30_cases_as_for_5(
    desk: Desk, who: str, url: str, django_assert_max_num_queries: Any
) -> None:
    if "unassigned" in url:
        RoutingRule.objects.all().delete()
    client = desk.client_of(getattr(desk, who))
    make_cases(desk, 5)
    few = queries_of(client, url)

    make_cases(desk, 25)
    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert response.status_code == 200


def test_a_firm_user_of_an_unrelated_firm_sees_an_empty_list(desk: Desk) -> None:
    desk.submit()
    other_owner = UserFactory(username="other_owner")
    role_grant(
        actor=None,
        user=other_owner,
        role=Role.ENTERPRISE,
        enterprise=Enterprise.objects.get(pk=desk.world.firm_other.pk),
    )

    response = desk.client_of(other_owner).get("/demands/cases/")

    assert response.status_code == 200
    assert response.context["rows"] == []
