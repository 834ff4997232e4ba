"""An anonymous citizen reports misconduct and later reads the reply with the receipt;
a supervisor triages and assigns a report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from qinqing.integrity.reports import keyring, services
from qinqing.integrity.reports.models import Report
from tests.conftest import World
from tests.factories import UserFactory

from .conftest import login

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _cheap(settings: Any) -> None:
    settings.REPORTS_KDF_PROFILE = "demo"
    settings.REPORTS_POW_BITS = 8
    cache.clear()


def test_an_anonymous_report_and_the_reporters_later_check_with_the_receipt(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    lead = world.users["supervisor"]
    key = keyring.unlock(user=lead, password=password)
    page.goto(f"{live_server.url}/reports/new/")
    page.select_option("#id_region", label="古林镇")
    page.select_option("#id_category", value="bribery")
    page.fill("#id_title", "验收索要好处费")
    page.fill("#id_body", "三月五日消防验收时，验收人员暗示需要两万元。")
    expect(page.get_by_role("button", name="提交举报")).to_be_enabled()
    page.get_by_role("button", name="提交举报").click()
    code = page.locator("#receipt-code")
    expect(code).to_have_text(re.compile(r"^\d{4} \d{4} \d{4} \d{4}$"))
    receipt = code.inner_text()

    report = Report.objects.get()
    services.report_reply(
        actor=lead, report_id=report.pk, key=key, body="已收到，正在核实，感谢监督。"
    )

    page.goto(f"{live_server.url}/reports/new/")
    expect(page.locator("body")).not_to_contain_text(receipt)
    page.goto(f"{live_server.url}/reports/receipt/")
    page.fill("#id_receipt", receipt)
    page.get_by_role("button", name="查看").click()
    expect(page.locator("#messages")).to_contain_text("已收到，正在核实，感谢监督。")
    page.fill("#id_body", "补充：当时在场的还有一名协管员。")
    expect(page.get_by_role("button", name="提交补充")).to_be_enabled()
    page.get_by_role("button", name="提交补充").click()
    expect(page.locator("#messages")).to_contain_text("补充：当时在场的还有一名协管员。")


def test_a_supervisor_triages_and_assigns_a_report(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    second = UserFactory(username="zhengming", display_name="郑明")
    role_grant(actor=None, user=second, role=Role.SUPERVISOR, region=world.district)
    keyring.unlock(user=second, password=password)
    login(page, live_server, "supervisor", password)  # the login unlocks the key
    report, _receipt = services.report_submit(
        region=world.town, category="favours", title="检查要求宴请", body="检查后要求安排饭局。"
    )
    page.goto(f"{live_server.url}/reports/")
    page.get_by_role("link", name=report.number).click()
    expect(page.locator("#content")).to_contain_text("检查后要求安排饭局。")
    page.get_by_role("button", name="开始初核").click()
    expect(page.locator("#report-state")).to_contain_text("初核中")
    page.select_option("#id_supervisor", label="郑明")
    page.locator("#assign-form").get_by_role("button", name="分派").click()
    expect(page.locator("#report-state")).to_contain_text("已分派")
    expect(page.locator("#assignees")).to_contain_text("郑明")
    # no longer assigned to the lead: the content is sealed away from them
    expect(page.locator("#sealed-note")).to_be_visible()


def test_a_reporter_attaches_a_phone_photo_and_gets_it_back_without_place_or_phone(
    page: Page, live_server: LiveServer, world: World, tmp_path: Any
) -> None:
    from tests.common.test_metadata import photo_with_exif

    photo = tmp_path / "现场.jpg"
    photo.write_bytes(photo_with_exif())
    page.goto(f"{live_server.url}/reports/new/")
    expect(page.locator("body")).to_contain_text("照片的拍摄地点、设备等信息")
    page.select_option("#id_region", label="古林镇")
    page.select_option("#id_category", value="bribery")
    page.fill("#id_title", "验收索要好处费")
    page.fill("#id_body", "附现场照片。")
    page.set_input_files("#id_evidence", str(photo))
    expect(page.get_by_role("button", name="提交举报")).to_be_enabled()
    page.get_by_role("button", name="提交举报").click()
    receipt = page.locator("#receipt-code").inner_text()

    page.goto(f"{live_server.url}/reports/receipt/")
    page.fill("#id_receipt", receipt)
    page.get_by_role("button", name="查看").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="现场.jpg").click()
    got = Path(download.value.path()).read_bytes()
    assert got[:3] == b"\xff\xd8\xff"
    assert b"Huawei" not in got and b"Exif" not in got
