"""What an app's demo extension is given: the generated plan and the rows already written.

The core load (``loader``) writes the directory, the accounts, and the demands and outreach
of the history (four whole half-years and the current one); then each app's
``qinqing.demo.extensions.<label>.write(ctx)`` adds its own rows in bulk, in the order of
``extensions.ORDER``. The maps are keyed as the plan keys them: regions by code, firms by
USCC, departments by (region code, name), users by username. Randomness must come only from
``random.Random(f"{ctx.plan.seed}-<part>")`` so that the same seed and load moment give the
same rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from qinqing.accounts.models import User
from qinqing.directory.models import Department, Enterprise, Region

from .generate import DemoPlan
from .history import HistoryPlan


@dataclass(frozen=True)
class DemoContext:
    plan: DemoPlan
    history: HistoryPlan
    now: datetime
    regions: Mapping[str, Region]
    firms: Mapping[str, Enterprise]
    departments: Mapping[tuple[str, str], Department]
    users: Mapping[str, User]
    progress: bool
