import pytest

pytestmark = pytest.mark.django_db


def test_a_firm_user_sees_their_firm_and_steward_at_the_top(client, world) -> None:
    steward = world.users["steward"]
    steward.phone = "13900002222"
    steward.save()
    client.force_login(world.users["enterprise"])
    body = client.get("/").content.decode()
    assert world.firm_a.name in body
    assert steward.display_name in body and "13900002222" in body


def test_a_steward_sees_the_number_of_firms_in_their_grid(client, world) -> None:
    client.force_login(world.users["steward"])
    body = client.get("/").content.decode()
    assert '<div class="stat">1</div>' in body
    assert "管家 · 古林第一网格" in body


def test_the_audit_admin_sees_no_firm_figures(client, world) -> None:
    client.force_login(world.users["audit_admin"])
    body = client.get("/").content.decode()
    assert "我服务范围内的企业" not in body and "查看审计日志" in body
