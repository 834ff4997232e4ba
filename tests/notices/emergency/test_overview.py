"""The live overview: figures equal a hand computation; drill-down; trend; query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qinqing.notices.emergency.models import StatusReport
from qinqing.notices.emergency.selectors import figures, overview, trend
from qinqing.notices.emergency.services import report_submit, today
from tests.factories import EnterpriseFactory

from .conftest import answers, firm_user

pytestmark = pytest.mark.django_db


def test_overview_figures_equal_a_hand_computation(world, epidemic, firm_c) -> None:
    firm_d = EnterpriseFactory(name="宁波庚纺织有限公司", grid=world.grid_b)
    report_submit(
        actor=world.users["enterprise"],
        emergency=epidemic,
        enterprise=world.firm_a,
        **answers(status="running", staff_on_site=40, staff_absent=0),
    )
    report_submit(
        actor=firm_user(world.firm_b),
        emergency=epidemic,
        enterprise=world.firm_b,
        **answers(status="partly", staff_on_site=30, staff_absent=20, need_text="缺工人"),
    )
    report_submit(
        actor=world.users["steward"],
        emergency=epidemic,
        enterprise=firm_c,
        **answers(status="stopped", staff_on_site=0, staff_absent=10),
    )
    # firm_d has not reported; firm_other (高桥镇) is outside the audience
    view = overview(emergency=epidemic, region=world.town, period=today())
    total = view["total"]
    assert (total.targeted, total.reported) == (4, 3)
    assert total.reporting_rate == 0.75
    assert total.operating_share == round(2 / 3, 4)  # running + partly of the 3 reports
    assert total.running_share == round(1 / 3, 4)
    assert total.return_rate == round(70 / 100, 4)  # (40+30+0) / (40+30+0 + 0+20+10)
    assert total.needs == 1
    [community] = view["children"]
    assert community.targeted == 4
    grids = overview(emergency=epidemic, region=world.community, period=today())["children"]
    by_name = {f.label: f for f in grids}
    assert (by_name["古林第一网格"].targeted, by_name["古林第一网格"].reported) == (2, 2)
    assert by_name["古林第二网格"].return_rate == 0.6
    assert firm_d.pk  # counted in 古林第二网格's targeted
    assert by_name["古林第二网格"].targeted == 2


def test_the_trend_has_every_period_and_counts_each_days_reports(world, epidemic) -> None:
    report = report_submit(
        actor=world.users["enterprise"],
        emergency=epidemic,
        enterprise=world.firm_a,
        **answers(status="stopped", staff_on_site=0, staff_absent=40),
    )
    StatusReport.objects.filter(pk=report.pk).update(period=today() - timedelta(days=2))
    report_submit(
        actor=world.users["enterprise"],
        emergency=epidemic,
        enterprise=world.firm_a,
        **answers(status="running", staff_on_site=40, staff_absent=0),
    )
    rows = trend(emergency=epidemic, region=world.town)
    assert [r.period for r in rows] == [today() - timedelta(days=d) for d in (3, 2, 1, 0)]
    assert [r.reported for r in rows] == [0, 1, 0, 1]
    assert rows[1].operating_share == 0 and rows[3].operating_share == 1
    assert rows[0].operating_share is None


def test_figures_take_two_queries_whatever_the_number_of_regions(
    world, epidemic, django_assert_num_queries
) -> None:
    regions = [world.town, world.community, world.grid_a, world.grid_b, world.district]
    with django_assert_num_queries(4):  # audience regions, chambers; targeted; reports
        figures(emergency=epidemic, regions=regions, period=today())
