"""`qinqing demo load` on a database: the figures of the source text, and the accounts.

The tests read the session's one demo load (``demo_loaded``, tests/demo/shared.py), made
through the command inside an outer transaction that is rolled back when the last test using
it is done, so the other test modules still start from an empty database.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.test import Client

from qinqing.accounts.models import Role, RoleAssignment, User
from qinqing.accounts.services import login_check
from qinqing.audit.models import AuditEntry
from qinqing.audit.services import verify
from qinqing.common.uscc import is_valid_uscc
from qinqing.demands.models import Demand, RoutingRule
from qinqing.demo import data
from qinqing.demo.generate import generate
from qinqing.directory.models import (
    ChamberMembership,
    Enterprise,
    HomeLevel,
    Pairing,
    Region,
    RegionLevel,
    ServiceHome,
)
from qinqing.directory.selectors import region_by_name, region_stats
from qinqing.outreach.models import ServiceGroup

from .shared import DemoLoad

pytestmark = pytest.mark.usefixtures("demo_loaded")


def region(name: str) -> Region:
    found = region_by_name(name)
    assert found is not None, name
    return found


def test_the_load_reports_what_it_wrote(db: Any, demo_loaded: DemoLoad) -> None:
    assert "已载入宁波演示数据" in demo_loaded.output
    assert f"种子 {data.DEFAULT_SEED}" in demo_loaded.output


def test_gulin_has_3500_firms_114_above_scale_in_9_grids_with_9_stewards(db: Any) -> None:
    stats = region_stats(region(data.GULIN))
    assert stats["enterprises"] >= 3500
    assert stats["above_scale"] == 114
    assert stats["grids"] == 9
    assert stats["stewards"] == 9


def test_stats_command_prints_the_gulin_figures_as_json(db: Any) -> None:
    out = StringIO()
    call_command("stats", region="古林镇", as_json=True, stdout=out)
    stats = json.loads(out.getvalue())
    assert stats["enterprises"] >= 3500
    assert (stats["above_scale"], stats["grids"], stats["stewards"]) == (114, 9, 9)


def test_each_gulin_grid_has_exactly_one_steward(db: Any) -> None:
    gulin = region(data.GULIN)
    grids = Region.objects.filter(path__startswith=gulin.path, level=RegionLevel.GRID)
    counts = grids.annotate(
        n=Count("role_assignments", filter=Q(role_assignments__role=Role.STEWARD))
    ).values_list("n", flat=True)
    assert sorted(counts) == [1] * 9


def test_lingfeng_has_6_stewards_each_holding_one_grid_of_about_20_firms(db: Any) -> None:
    lingfeng = region(data.LINGFENG)
    assert lingfeng.is_industrial
    grids = list(Region.objects.filter(parent=lingfeng, level=RegionLevel.GRID))
    assert len(grids) == 6
    stewards = RoleAssignment.objects.filter(role=Role.STEWARD, region__in=grids)
    assert stewards.count() == 6
    assert {a.region_id for a in stewards} == {g.pk for g in grids}
    for grid in grids:
        assert 18 <= grid.enterprises.count() <= 22
    assert region_stats(lingfeng)["stewards"] == 6


def test_every_lingfeng_firm_has_two_or_three_observers_of_its_own(db: Any) -> None:
    lingfeng = region(data.LINGFENG)
    firms = Enterprise.objects.filter(grid__path__startswith=lingfeng.path)
    observers = Counter(
        RoleAssignment.objects.filter(role=Role.OBSERVER, enterprise__in=firms).values_list(
            "enterprise_id", flat=True
        )
    )
    assert set(observers) == set(firms.values_list("pk", flat=True))
    assert set(observers.values()) <= {2, 3}


def test_chen_gang_steers_the_first_lingfeng_grid_and_lin_tao_observes_a_firm_there(
    db: Any,
) -> None:
    chen = RoleAssignment.objects.get(user__username="chengang")
    assert (chen.role, str(chen.region)) == (Role.STEWARD, "灵峰社区第一网格")
    lin = RoleAssignment.objects.get(user__username="lintao")
    assert lin.role == Role.OBSERVER
    assert lin.enterprise is not None and lin.enterprise.grid_id == chen.region_id


def test_wang_li_owns_a_40_person_mould_factory_in_gulin(db: Any) -> None:
    wang = RoleAssignment.objects.get(user__username="wangli")
    firm = wang.enterprise
    assert firm is not None
    assert (firm.legal_representative, firm.employees) == ("王丽", 40)
    assert "模具" in firm.name
    assert firm.grid.path.startswith(region(data.GULIN).path)


def test_the_chunhu_service_group_has_33_member_departments(db: Any) -> None:
    group = ServiceGroup.objects.get(name="莼湖街道靶向服务团")
    assert group.region == region(data.CHUNHU)
    members = list(group.departments.select_related("region"))
    assert len(members) == 33
    assert {m.region.name for m in members} == {"莼湖街道", "奉化区"}
    names = {m.name for m in members}
    assert {"莼湖税务分局", "莼湖市场监管所", "莼湖司法所", "奉化区人民法院莼湖法庭"} <= names


def test_every_district_has_its_nine_departments(db: Any) -> None:
    for _code, district, _towns in data.DISTRICTS:
        kinds = set(region(district).departments.values_list("kind", flat=True).distinct())
        assert len(kinds) >= 9, district
    assert region("海曙区").departments.filter(name="海曙区市场监督管理局", kind="market").exists()


def test_eight_homes_over_the_three_levels(db: Any) -> None:
    homes = ServiceHome.objects.all()
    assert homes.count() == 8
    assert set(homes.values_list("level", flat=True)) == set(HomeLevel.values)
    assert ServiceHome.objects.get(name="宁海县亲清家园").level == HomeLevel.DISTRICT
    lingfeng_home = ServiceHome.objects.get(name="灵峰社区亲清家园")
    assert (lingfeng_home.level, lingfeng_home.region.name) == (HomeLevel.COMMUNITY, "灵峰社区")


def test_the_gulin_home_is_1200_square_metres_run_by_the_yongshang_platform(db: Any) -> None:
    home = ServiceHome.objects.get(name="古林镇亲清家园")
    assert home.level == HomeLevel.TOWN
    assert home.region.name == "古林镇"
    assert home.floor_area == Decimal("1200")
    assert home.operator == "甬商公共服务平台"
    assert home.functions == ["dialogue", "briefing", "information", "coordination", "integrity"]


def test_every_enterprise_has_a_valid_unique_code_and_sits_in_a_grid(db: Any) -> None:
    rows = list(Enterprise.objects.values_list("uscc", "grid__level"))
    assert len(rows) > 3500
    codes = [code for code, _ in rows]
    assert all(is_valid_uscc(code) for code in codes)
    assert len(set(codes)) == len(codes)
    assert {level for _, level in rows} == {RegionLevel.GRID}


def test_the_stored_data_is_the_data_generated_for_the_seed(db: Any) -> None:
    plan = generate(data.DEFAULT_SEED)
    stored = set(Enterprise.objects.values_list("uscc", "name", "contact_phone"))
    assert stored == {(f.uscc, f.name, f.contact_phone) for f in plan.firms}
    people = set(
        User.objects.filter(username__in=[p.username for p in plan.people]).values_list(
            "username", "display_name", "phone"
        )
    )
    assert people == {(p.username, p.display_name, p.phone) for p in plan.people}


def test_liu_jianguo_is_paired_with_five_firms(db: Any) -> None:
    assert Pairing.objects.filter(official__username="liujianguo").count() == 5
    assert (
        Pairing.objects.filter(official__username="liujianguo")
        .exclude(enterprise__grid__path__startswith=region("海曙区").path)
        .count()
        == 0
    )


def test_chambers_have_member_firms(db: Any) -> None:
    members = ChamberMembership.objects.filter(chamber__name="海曙区古林镇商会")
    assert members.count() == 60
    assert members.filter(position="会长").count() == 1
    assert members.filter(enterprise__legal_representative="王丽").exists()


def test_loading_again_with_if_empty_does_nothing(db: Any) -> None:
    before = Enterprise.objects.count()
    out = StringIO()
    call_command("demo", "load", "--if-empty", stdout=out)
    assert "已存在" in out.getvalue()
    assert Enterprise.objects.count() == before


def test_loading_twice_fails_with_a_clear_message(db: Any) -> None:
    before = Enterprise.objects.count()
    with pytest.raises(CommandError, match=r"数据库不为空.*--if-empty"):
        call_command("demo", "load", "--seed", "7")
    assert Enterprise.objects.count() == before


def test_the_load_leaves_one_audit_entry_and_a_sound_chain(db: Any) -> None:
    entries = AuditEntry.objects.filter(action="demo.load")
    assert entries.count() == 1
    changes = entries.get().changes
    assert changes["seed"] == data.DEFAULT_SEED
    assert changes["enterprises"] == Enterprise.objects.count()
    # the demand history is written in bulk: its counts ride on this one entry
    assert changes["demands"] == Demand.objects.count() > 3000
    assert changes["routing_rules"] == RoutingRule.objects.count() > 100
    assert not AuditEntry.objects.filter(action__startswith="demand.").exists()
    assert verify().ok


@pytest.mark.parametrize("account", data.DEMO_ACCOUNTS, ids=lambda a: a.username)
def test_each_demo_account_can_log_in(db: Any, account: data.DemoAccount) -> None:
    user = login_check(request=None, identifier=account.username, password=data.DEMO_PASSWORD)
    assert user.display_name == account.display_name
    assert RoleAssignment.objects.filter(user=user, role=account.role).exists()


def test_wang_li_logs_in_on_the_web_with_her_phone_number(db: Any, client: Client) -> None:
    phone = next(a.phone for a in data.DEMO_ACCOUNTS if a.username == "wangli")
    response = client.post("/accounts/login/", {"username": phone, "password": data.DEMO_PASSWORD})
    assert response.status_code == 302


def test_generated_stewards_share_the_demo_password(db: Any) -> None:
    steward = User.objects.filter(username__startswith="steward_").first()
    assert steward is not None and steward.check_password(data.DEMO_PASSWORD)


def test_the_accounts_command_prints_every_role_and_nothing_secret_but_the_password(
    db: Any,
) -> None:
    out = StringIO()
    call_command("demo", "accounts", stdout=out)
    text = out.getvalue()
    for account in data.DEMO_ACCOUNTS:
        assert account.username in text
        assert str(Role(account.role).label) in text
    assert "王丽" in text and "宁波古林华达模具有限公司" in text
    assert data.DEMO_PASSWORD in text
    assert "pbkdf2" not in text


def test_every_supervisor_is_a_demo_account_listed_by_the_accounts_command(db: Any) -> None:
    supervisors = {
        a.user.username: str(a.region)
        for a in RoleAssignment.objects.filter(role=Role.SUPERVISOR).select_related(
            "user", "region"
        )
    }
    assert supervisors == {
        "sunyue": "海曙区",
        "qianhong": "海曙区",
        "lishan": "海曙区",
        "zhengming": "海曙区",
        "hexin": "北仑区",
    }
    out = StringIO()
    call_command("demo", "accounts", stdout=out)
    lines = out.getvalue().splitlines()
    for username, scope in supervisors.items():
        row = next(line for line in lines if f" {username} " in line)
        assert "监督员" in row and scope in row and data.DEMO_PASSWORD in row


def test_the_exemption_demo_is_signed_off_and_reviewed_by_the_demo_supervisors(db: Any) -> None:
    from qinqing.exemption.models import Application

    signers = set(
        Application.objects.exclude(signed_off_by=None).values_list(
            "signed_off_by__username", flat=True
        )
    )
    reviewers = set(
        Application.objects.exclude(appeal_reviewer=None).values_list(
            "appeal_reviewer__username", flat=True
        )
    )
    assert (signers, reviewers) == ({"qianhong"}, {"lishan"})


def test_the_supervisors_open_their_reports_and_only_those_of_their_district(db: Any) -> None:
    from qinqing.common.errors import NotPermitted
    from qinqing.integrity.reports import keyring
    from qinqing.integrity.reports import services as reports
    from qinqing.integrity.reports.models import Assignment, Report

    users = {
        u.username: u for u in User.objects.filter(username__in=["sunyue", "zhengming", "hexin"])
    }
    keys = {name: keyring.unlock(user=u, password=data.DEMO_PASSWORD) for name, u in users.items()}
    for name in ("sunyue", "zhengming"):
        assigned = [a.report for a in Assignment.objects.filter(supervisor=users[name])]
        assert assigned, name
        for report in assigned:
            assert reports.report_open(actor=users[name], report=report, key=keys[name]).content
    beilun = region("北仑区")
    theirs = Report.objects.filter(region_path__startswith=beilun.path)
    assert theirs.count() >= 2
    for report in theirs:
        assert reports.report_open(actor=users["hexin"], report=report, key=keys["hexin"]).content
    haishu = Report.objects.filter(region_path__startswith=region("海曙区").path).first()
    assert haishu is not None
    with pytest.raises(NotPermitted):
        reports.report_open(actor=users["hexin"], report=haishu, key=keys["hexin"])


def test_the_2026_holiday_notice_is_imported_by_one_admin_and_confirmed_by_another(
    db: Any,
) -> None:
    from qinqing.common.models import HolidayNotice

    notice = HolidayNotice.objects.select_related("imported_by", "confirmed_by").get(year=2026)
    assert notice.status == "confirmed"
    assert notice.document_number == "国办发明电〔2025〕7号"
    assert (notice.imported_by.username, notice.confirmed_by.username) == (
        "sysadmin",
        "sysadmin2",
    )
    assert AuditEntry.objects.filter(action="calendar.notice_confirm").count() == 1
