"""The audit admin verifies the audit chain through /api/v1, as on the web; no one else may."""

from __future__ import annotations

import pytest

from qinqing.audit.models import AuditEntry
from qinqing.audit.services import record

from .test_chain import _raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_for(client, world, password):
    def issue(role: str) -> dict[str, str]:
        response = client.post(
            "/api/v1/auth/token",
            {"username": role, "password": password},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}

    return issue


def test_the_audit_admin_verifies_an_untouched_chain(client, token_for) -> None:
    headers = token_for("audit_admin")
    before = AuditEntry.objects.count()

    response = client.post("/api/v1/audit/verify", **headers)

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["first_bad_seq"] is None and body["reason"] == ""
    assert body["checked"] == before and body["head_seq"] == before
    assert body["message"] == f"审计链完整：已校验 {before} 条记录。"
    check = AuditEntry.objects.get(action="audit.verify")
    assert check.changes == {"ok": True, "checked": before, "first_bad_seq": None}


def test_the_audit_admin_is_told_the_first_changed_entry(client, token_for) -> None:
    headers = token_for("audit_admin")
    for i in range(3):
        record(actor=None, action="region.create", object_type="directory.region", object_id=i)
    bad = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True)[1]
    _raw("UPDATE audit_auditentry SET object_label = %s WHERE seq = %s", ["篡改", bad])

    body = client.post("/api/v1/audit/verify", **headers).json()

    assert body["ok"] is False and body["first_bad_seq"] == bad
    assert body["reason"] == "changed" and body["reason_label"] == "记录被修改"
    assert body["checked"] == bad - 1
    assert body["message"] == f"审计链被破坏：第 {bad} 条记录（记录被修改）。"


@pytest.mark.parametrize("role", ["system_admin", "security_admin", "supervisor", "enterprise"])
def test_no_one_but_the_audit_admin_verifies(client, token_for, role) -> None:
    response = client.post("/api/v1/audit/verify", **token_for(role))

    assert response.status_code == 403
    assert response.json()["detail"] == "您没有执行此操作的权限。"
    assert not AuditEntry.objects.filter(action="audit.verify").exists()


def test_without_a_token_the_chain_is_not_verified(client, world) -> None:
    assert client.post("/api/v1/audit/verify").status_code == 401
