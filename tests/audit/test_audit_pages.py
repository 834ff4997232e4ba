from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from qinqing.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["system_admin", "security_admin", "supervisor", "steward"])
def test_only_the_audit_admin_reads_the_audit_log(client, world, role) -> None:
    client.force_login(world.users[role])
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export/").status_code == 403


def test_the_audit_admin_searches_by_action(client, world) -> None:
    client.force_login(world.users["audit_admin"])
    body = client.get("/audit/", {"action": "role.grant"}).content.decode()
    assert "role.grant" in body and "user.login" not in body


def test_a_bad_date_range_is_explained(client, world) -> None:
    client.force_login(world.users["audit_admin"])
    body = client.get("/audit/", {"date_from": "2026-12-01", "date_to": "2026-01-01"})
    assert "起始日期不能晚于截止日期" in body.content.decode()


def test_the_audit_admin_exports_to_excel_and_the_export_is_itself_audited(client, world) -> None:
    client.force_login(world.users["audit_admin"])
    response = client.get("/audit/export/")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]][:5] == ["序号", "时间", "操作人", "角色", "动作"]
    assert sheet.max_row > 1
    assert AuditEntry.objects.filter(action="audit.export").exists()


def test_the_audit_admin_runs_the_chain_check_from_the_page(client, world) -> None:
    client.force_login(world.users["audit_admin"])
    response = client.post("/audit/verify/", follow=True)
    assert response.redirect_chain[-1][0] == "/audit/"
    assert "审计链完整" in response.content.decode()


def test_staff_reading_a_firm_leaves_an_access_entry_but_the_firm_itself_does_not(
    client, world
) -> None:
    client.force_login(world.users["steward"])
    client.get(f"/directory/enterprises/{world.firm_a.pk}/")
    views = AuditEntry.objects.filter(action="enterprise.view", object_id=str(world.firm_a.pk))
    assert views.count() == 1
    entry = views.get()
    assert entry.actor_id == world.users["steward"].pk and entry.actor_role == "steward"
    assert entry.client_ip == "127.0.0.1"
    client.force_login(world.users["enterprise"])
    client.get(f"/directory/enterprises/{world.firm_a.pk}/")
    assert views.count() == 1


def test_the_log_reads_in_words_with_the_codes_beside_them(client, world) -> None:
    client.force_login(world.users["steward"])
    client.get(f"/directory/enterprises/{world.firm_a.pk}/")
    client.force_login(world.users["audit_admin"])
    body = client.get("/audit/", {"action": "enterprise.view"}).content.decode()
    row = body[body.index("<tbody>") : body.index("</tbody>")]
    assert "查看企业信息" in row and "enterprise.view" in row  # label, and the code searched
    assert "管家" in row and ">steward<" not in row  # the role by its name
    assert "企业" in row and "directory.enterprise" not in row  # the object type by its name


def test_the_export_carries_the_labels_and_the_codes(client, world) -> None:
    client.force_login(world.users["steward"])
    client.get(f"/directory/enterprises/{world.firm_a.pk}/")
    client.force_login(world.users["audit_admin"])
    response = client.get("/audit/export/", {"action": "enterprise.view"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["角色"] == "管家" and row["动作"] == "查看企业信息"
    assert row["动作代码"] == "enterprise.view" and row["对象类型"] == "企业"
