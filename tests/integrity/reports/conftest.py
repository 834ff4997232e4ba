"""Fixtures of the reports tests: supervisors with unlocked keys, a recovery key, a report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from nacl.public import PrivateKey

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.integrity.reports import crypto, guard, keyring, services
from qinqing.integrity.reports.keyring import Unlocked
from qinqing.integrity.reports.models import Report
from tests.factories import UserFactory

PASSWORD = "Qinqing#2026"
SECRET_TEXT = "王科长在验收时索要两万元好处费"


@pytest.fixture(autouse=True)
def _reports_settings(settings: Any) -> None:
    settings.REPORTS_KDF_PROFILE = "demo"
    settings.REPORTS_POW_BITS = 4
    cache.clear()


@pytest.fixture
def delays(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the delays the receipt guard would sleep, instead of sleeping."""
    seen: list[float] = []
    monkeypatch.setattr(guard, "sleep", seen.append)
    return seen


@dataclass
class Desk:
    """Supervisors of 海曙区 (lead, second) and of 高桥镇 only (outsider), keys unlocked."""

    lead: User
    second: User
    outsider: User
    keys: dict[str, Unlocked]
    recovery: PrivateKey

    def key(self, user: User) -> Unlocked:
        return self.keys[user.username]


def supervisor(username: str, region: Any) -> User:
    user = UserFactory(username=username, display_name=f"{username}监督员")
    role_grant(actor=None, user=user, role=Role.SUPERVISOR, region=region)
    return user


@pytest.fixture
def desk(world: Any) -> Desk:
    lead = world.users["supervisor"]
    second = supervisor("second", world.district)
    outsider = supervisor("outsider", world.other_town)
    keys = {}
    for user in (lead, second, outsider):
        unlocked = keyring.unlock(user=user, password=PASSWORD)
        assert unlocked is not None
        keys[user.username] = unlocked
    private, public = crypto.new_key_pair()
    services.recovery_key_install(actor=None, public_key=public)
    return Desk(lead, second, outsider, keys, private)


@pytest.fixture
def report_and_receipt(world: Any, desk: Desk) -> tuple[Report, str]:
    return services.report_submit(
        region=world.town,
        category="bribery",
        title="验收索要好处费",
        body=SECRET_TEXT,
        accused_people="王科长",
    )


def pow_fields(client: Any, url: str) -> dict[str, str]:
    """Fetch the page's challenge and solve it as the browser would."""
    import re

    html = client.get(url).content.decode()
    value = re.search(r'name="pow_challenge" value="([0-9a-f]+)"', html)
    assert value, "the form carries a proof-of-work challenge"
    return {"pow_challenge": value.group(1), "pow_nonce": guard.solve(value.group(1), 4)}
