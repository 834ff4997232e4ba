"""Writing the synthetic dataset: bulk inserts in one transaction, one audit entry.

The load is the command line's bootstrap of an empty directory, so it writes rows in bulk
rather than through the per-row services; only the ten named demo accounts go through
``user_create`` and ``role_grant``. One PBKDF2 hash of the demo password is computed and
shared by every account the load creates. After the directory come the routing rules and the
demand history (``history``: from the start of the half-year four half-years back to the load
moment), again in bulk: no per-case
service calls and no per-case audit entries; the one ``demo.load`` entry carries the counts.
Last comes the outreach of the same span (``outreach_history``): visits, meetings, pairing contacts,
activities, the Chunhu group's requests and observers' notes, written the same way.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import models, transaction
from django.utils import timezone
from tqdm import tqdm

from qinqing.accounts.models import ADMIN_ROLES, RoleAssignment, User
from qinqing.accounts.services import role_grant, user_create
from qinqing.audit.services import record
from qinqing.directory.models import (
    Chamber,
    ChamberMembership,
    Department,
    Enterprise,
    Pairing,
    Region,
    RegionLevel,
    ServiceHome,
)
from qinqing.outreach.models import ServiceGroup

from . import data
from .context import DemoContext
from .extensions import ORDER as EXTENSION_ORDER
from .generate import DemoPlan, generate
from .history import category_specs, plan_history, write_history
from .outreach_history import plan_outreach, write_outreach

BATCH = 1000
M = TypeVar("M", bound=models.Model)


class DemoDataExists(Exception):
    """The database already holds data the load would clash with."""


@dataclass(frozen=True)
class LoadResult:
    seed: int
    regions: int
    grids: int
    enterprises: int
    above_scale: int
    departments: int
    homes: int
    users: int
    stewards: int
    observers: int
    chambers: int
    pairings: int
    routing_rules: int
    demands: int
    open_demands: int
    demand_events: int
    visits: int
    key_firms: int
    meetings: int
    invitations: int
    follow_ups: int
    pairing_contacts: int
    activities: int
    registrations: int
    group_services: int
    group_requests: int
    observer_feedback: int
    # each app's demo extension: app label → {count name: count}
    extras: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        counts = {k: int(v) for k, v in self.__dict__.items() if k != "extras"}
        for label, extra in self.extras.items():
            counts.update({f"{label}.{name}": int(n) for name, n in extra.items()})
        return counts


def existing_data() -> str | None:
    """Why the load would clash with what is stored, or None when it may go ahead."""
    if Enterprise.objects.exists():
        return f"数据库中已有 {Enterprise.objects.count()} 家企业"
    if Region.objects.filter(code=data.CITY_CODE).exists():
        return f"区域树中已有{data.CITY_NAME}（{data.CITY_CODE}）"
    usernames = [a.username for a in data.DEMO_ACCOUNTS]
    taken = list(User.objects.filter(username__in=usernames).values_list("username", flat=True)[:3])
    if taken:
        return "演示账户已存在：" + "、".join(taken)
    return None


def _chunks(rows: Sequence[M], size: int) -> Iterator[Sequence[M]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _bulk(model: type[M], rows: Sequence[M], *, desc: str, progress: bool) -> list[M]:
    """bulk_create in batches, with a progress bar on stderr for the long ones."""
    created: list[M] = []
    with tqdm(
        total=len(rows),
        desc=desc,
        unit="行",
        file=sys.stderr,
        disable=None if progress and len(rows) > BATCH else True,
        leave=False,
    ) as bar:
        for chunk in _chunks(rows, BATCH):
            created.extend(model._default_manager.bulk_create(chunk))
            bar.update(len(chunk))
    return created


class _Writer:
    def __init__(self, plan: DemoPlan, progress: bool, now: datetime) -> None:
        self.plan = plan
        self.progress = progress
        self.now = now
        self.regions: dict[str, Region] = {}
        self.firms: dict[str, Enterprise] = {}
        self.departments: dict[tuple[str, str], Department] = {}
        self.users: dict[str, User] = {}
        self.password_hash = ""

    def region_tree(self) -> None:
        for level in RegionLevel.values:
            rows = []
            for r in self.plan.regions:
                if r.level != level:
                    continue
                parent = self.regions[r.parent] if r.parent else None
                rows.append(
                    Region(
                        code=r.code,
                        name=r.name,
                        level=r.level,
                        parent=parent,
                        path=Region.build_path(parent, r.code),
                        is_industrial=r.is_industrial,
                    )
                )
            for region in Region.objects.bulk_create(rows):
                self.regions[region.code] = region

    def enterprises(self) -> None:
        rows = [
            Enterprise(
                uscc=f.uscc,
                name=f.name,
                legal_representative=f.legal_representative,
                industry_section=f.industry_section,
                above_scale=f.above_scale,
                employees=f.employees,
                address=f.address,
                grid=self.regions[f.grid],
                contact_phone=f.contact_phone,
            )
            for f in self.plan.firms
        ]
        for firm in _bulk(Enterprise, rows, desc="企业", progress=self.progress):
            self.firms[firm.uscc] = firm

    def departments_and_group(self) -> None:
        rows = [
            Department(name=d.name, kind=d.kind, region=self.regions[d.region])
            for d in self.plan.departments
        ]
        for dept in Department.objects.bulk_create(rows):
            self.departments[(dept.region.code, dept.name)] = dept
        chunhu = self.regions[self.plan.code_of(data.CHUNHU)]
        group = ServiceGroup.objects.create(
            name=data.CHUNHU_GROUP_NAME, region=chunhu, purpose=data.CHUNHU_GROUP_PURPOSE
        )
        group.departments.set([self.departments[key] for key in self.plan.service_group])

    def homes(self) -> None:
        ServiceHome.objects.bulk_create(
            ServiceHome(
                name=h.name,
                level=h.level,
                region=self.regions[self.plan.code_of(h.region)],
                operator=h.operator,
                floor_area=h.floor_area,
                functions=list(h.functions),
                address=h.address,
            )
            for h in data.HOMES
        )

    def people(self) -> None:
        users = [
            User(
                username=p.username,
                display_name=p.display_name,
                phone=p.phone,
                title=p.title,
                password=self.password_hash,
            )
            for p in self.plan.people
        ]
        for user in _bulk(User, users, desc="人员", progress=self.progress):
            self.users[user.username] = user
        assignments = [
            RoleAssignment(
                user=self.users[p.username],
                role=p.role,
                region=self.regions[p.region] if p.region else None,
                enterprise=self.firms[p.firm] if p.firm else None,
            )
            for p in self.plan.people
        ]
        _bulk(RoleAssignment, assignments, desc="角色", progress=self.progress)

    def demo_accounts(self) -> None:
        """The named accounts of USERS.md, through the account services (audited)."""
        for account in data.DEMO_ACCOUNTS:
            user = user_create(
                actor=None,
                username=account.username,
                password=None,  # the shared hash is set below: one PBKDF2 run in all
                display_name=account.display_name,
                phone=account.phone,
                title=account.title,
            )
            scope: dict[str, Any] = {}
            if account.region:
                scope["region"] = self.regions[self.plan.code_of(account.region)]
            elif account.department:
                scope["department"] = next(
                    d for d in self.departments.values() if d.name == account.department
                )
            elif account.firm:
                scope["enterprise"] = self.firms[self.plan.account_firms[account.firm]]
            elif account.role not in ADMIN_ROLES:
                raise ValueError(f"demo account {account.username} has no scope")
            role_grant(actor=None, user=user, role=account.role, **scope)
            self.users[user.username] = user
        User.objects.filter(username__in=[a.username for a in data.DEMO_ACCOUNTS]).update(
            password=self.password_hash
        )

    def chambers_and_pairings(self) -> None:
        memberships = []
        for c in self.plan.chambers:
            chamber = Chamber.objects.create(name=c.name, region=self.regions[c.region])
            memberships += [
                ChamberMembership(
                    chamber=chamber,
                    enterprise=self.firms[m.firm],
                    position=m.position,
                    joined_on=m.joined_on,
                )
                for m in c.members
            ]
        ChamberMembership.objects.bulk_create(memberships)
        Pairing.objects.bulk_create(
            Pairing(
                official=self.users[p.official],
                enterprise=self.firms[p.firm],
                started_on=p.started_on,
                contacts_per_quarter=1,
            )
            for p in self.plan.pairings
        )

    def run(self) -> LoadResult:
        validate_password(data.DEMO_PASSWORD)
        self.password_hash = make_password(data.DEMO_PASSWORD)
        self.region_tree()
        self.departments_and_group()
        self.enterprises()
        self.homes()
        self.people()
        self.demo_accounts()
        self.chambers_and_pairings()
        history = plan_history(self.plan, category_specs(), self.now)
        counts = write_history(
            history,
            regions=self.regions,
            firms=self.firms,
            departments=self.departments,
            users=self.users,
            progress=self.progress,
        )
        outreach = write_outreach(
            plan_outreach(self.plan, history, self.now),
            regions=self.regions,
            firms=self.firms,
            departments=self.departments,
            users=self.users,
            progress=self.progress,
        )
        context = DemoContext(
            plan=self.plan,
            history=history,
            now=self.now,
            regions=self.regions,
            firms=self.firms,
            departments=self.departments,
            users=self.users,
            progress=self.progress,
        )
        extras = {
            label: importlib.import_module(f"qinqing.demo.extensions.{label}").write(context)
            for label in EXTENSION_ORDER
        }
        roles = [p.role for p in self.plan.people] + [a.role for a in data.DEMO_ACCOUNTS]
        return LoadResult(
            seed=self.plan.seed,
            regions=len(self.regions),
            grids=sum(1 for r in self.plan.regions if r.level == RegionLevel.GRID),
            enterprises=len(self.firms),
            above_scale=sum(1 for f in self.plan.firms if f.above_scale),
            departments=len(self.departments),
            homes=len(data.HOMES),
            users=len(self.users),
            stewards=roles.count("steward"),
            observers=roles.count("observer"),
            chambers=len(self.plan.chambers),
            pairings=len(self.plan.pairings),
            routing_rules=counts.routing_rules,
            demands=counts.demands,
            open_demands=counts.open_demands,
            demand_events=counts.demand_events,
            **asdict(outreach),
            extras={label: counts for label, counts in extras.items() if counts},
        )


def load(
    *, seed: int = data.DEFAULT_SEED, progress: bool = False, now: datetime | None = None
) -> LoadResult:
    """Load the dataset for ``seed`` into an empty directory; raise DemoDataExists if not empty.

    The demand and outreach history covers the year before ``now`` (default: the moment of
    the load).
    """
    plan = generate(seed)
    with transaction.atomic():
        reason = existing_data()
        if reason:
            raise DemoDataExists(reason)
        result = _Writer(plan, progress, now or timezone.now()).run()
        record(actor=None, action="demo.load", changes=result.as_dict())
    return result
