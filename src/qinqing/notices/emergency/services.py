"""Every write of 协同监测: declaring and ending an emergency, reporting a firm's status, and
turning a reported need into a demand or a matching request. Each service takes the acting
user, checks it, runs atomically and leaves an audit record.

*Periods.* A daily emergency has one period a day, a weekly one a week from Monday (Asia/
Shanghai). A firm has at most one report per period (``report_once_per_period``); reporting
again in the same period edits it. Reports are taken only for the current period, while the
emergency runs (from its start day to its end day, both included).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Enterprise
from qinqing.directory.targeting import audience_create, audience_firms

from .models import Cadence, Emergency, EmergencyKind, OperatingStatus, StatusReport
from .permissions import can_declare, own_firm_ids, reports_for

register("emergency.declare", gettext_lazy("发布应急监测"))
register("emergency.end", gettext_lazy("结束应急监测"))
register("emergency.report", gettext_lazy("报送企业状态"))
register("emergency.report_on_behalf", gettext_lazy("代企业报送状态"))
register("emergency.need_to_demand", gettext_lazy("紧急需求转为诉求"))
register("emergency.need_to_listing", gettext_lazy("紧急需求转为对接需求"))
register("emergency.export", gettext_lazy("导出应急监测"))

MAX_STAFF = 1_000_000
DEFAULT_SUPPLY_ITEMS = ["口罩", "消毒液"]


def today() -> date:
    return timezone.now().astimezone(SHANGHAI).date()


def period_of(emergency: Emergency, day: date) -> date:
    """The period ``day`` falls in: the day itself, or the Monday of its week."""
    if emergency.cadence == Cadence.WEEKLY:
        return day - timedelta(days=day.weekday())
    return day


def is_running(emergency: Emergency, day: date | None = None) -> bool:
    day = day or today()
    return emergency.starts_on <= day and (emergency.ends_on is None or day <= emergency.ends_on)


def current_period(emergency: Emergency, day: date | None = None) -> date:
    """Today's period; for an ended emergency its last one; before the start, its first."""
    day = day or today()
    if emergency.ends_on is not None and day > emergency.ends_on:
        day = emergency.ends_on
    return period_of(emergency, max(day, emergency.starts_on))


def periods(emergency: Emergency, day: date | None = None) -> list[date]:
    """Every period from the start to the current one, oldest first."""
    step = timedelta(days=7 if emergency.cadence == Cadence.WEEKLY else 1)
    first, last = period_of(emergency, emergency.starts_on), current_period(emergency, day)
    out = []
    while first <= last:
        out.append(first)
        first += step
    return out


def _invalid(errors: dict[str, list[str]]) -> ServiceError:
    return ServiceError(next(iter(errors.values()))[0], field_errors=errors)


def _clean_items(items: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        text = str(item).strip()[:32]
        if text and text not in seen:
            seen.append(text)
    return seen[:12]


# --- emergencies -----------------------------------------------------------------------------
@transaction.atomic
def emergency_declare(
    *,
    actor: Any,
    title: str,
    kind: str,
    cadence: str,
    starts_on: date | None,
    ends_on: date | None = None,
    description: str = "",
    supply_items: Sequence[str] = (),
    reminder_hour: int = 10,
    regions: Sequence[Any] = (),
    industries: Sequence[str] = (),
    sizes: Sequence[str] = (),
    chambers: Sequence[Any] = (),
    firms: Sequence[Any] = (),
) -> Emergency:
    """Declare an emergency for an audience (regions, industries, sizes, chambers, firms)."""
    if not can_declare(actor):
        raise NotPermitted(_("只有家园协调员或监督员可以发布应急监测。"))
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("请填写名称。")]
    elif len(title) > 120:
        errors["title"] = [_("名称不超过120字。")]
    if kind not in EmergencyKind.values:
        errors["kind"] = [_("请选择类型。")]
    if cadence not in Cadence.values:
        errors["cadence"] = [_("请选择报送频次。")]
    if starts_on is None:
        errors["starts_on"] = [_("请填写开始日期。")]
    elif ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_("结束日期不能早于开始日期。")]
    if not 0 <= int(reminder_hour) <= 23:
        errors["reminder_hour"] = [_("提醒时间应在0至23时之间。")]
    if errors:
        raise _invalid(errors)
    audience = audience_create(
        actor=actor,
        regions=list(regions),
        industries=list(industries),
        sizes=list(sizes),
        chambers=list(chambers),
        firms=list(firms),
    )
    assert starts_on is not None
    emergency = Emergency.objects.create(
        title=title,
        kind=kind,
        description=(description or "").strip(),
        audience=audience,
        cadence=cadence,
        starts_on=starts_on,
        ends_on=ends_on,
        supply_items=_clean_items(supply_items),
        reminder_hour=int(reminder_hour),
        declared_by=actor,
    )
    record(
        actor=actor,
        action="emergency.declare",
        obj=emergency,
        changes={"kind": kind, "cadence": cadence, "starts_on": starts_on, "ends_on": ends_on},
    )
    return emergency


@transaction.atomic
def emergency_end(*, actor: Any, emergency_id: int, ends_on: date | None = None) -> Emergency:
    emergency = Emergency.objects.select_for_update().get(pk=emergency_id)
    if not can_declare(actor):
        raise NotPermitted(_("只有家园协调员或监督员可以结束应急监测。"))
    day = ends_on or today()
    if day < emergency.starts_on:
        raise ServiceError(_("结束日期不能早于开始日期。"))
    before = emergency.ends_on
    emergency.ends_on = day
    emergency.save(update_fields=["ends_on"])
    record(actor=actor, action="emergency.end", obj=emergency, changes={"ends_on": [before, day]})
    return emergency


# --- reports ---------------------------------------------------------------------------------
def _count(value: Any, field: str, errors: dict[str, list[str]]) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= MAX_STAFF:
        errors[field] = [_("请填写0或正整数。")]
    return number


def _clean_supplies(emergency: Emergency, supplies: Any, errors: dict[str, list[str]]) -> list:
    rows = []
    for entry in supplies or []:
        item = str(entry.get("item", "")).strip()[:32]
        days = entry.get("days")
        if not item or days in (None, ""):
            continue
        try:
            number = int(days)
        except (TypeError, ValueError):
            number = -1
        if not 0 <= number <= 3650:
            errors["supplies"] = [_("库存可用天数应为0至3650之间的整数。")]
            continue
        rows.append({"item": item, "days": number})
    return rows[:20]


@transaction.atomic
def report_submit(
    *,
    actor: Any,
    emergency: Emergency,
    enterprise: Enterprise,
    status: str,
    staff_on_site: Any,
    staff_absent: Any,
    supplies: Any = (),
    need_text: str = "",
    need_item: str = "",
    need_quantity: Any = None,
) -> StatusReport:
    """The firm's report of the current period: created, or edited when it exists."""
    if not reports_for(actor, enterprise):
        raise NotPermitted(_("您不能为该企业报送。"))
    if not audience_firms(emergency.audience).filter(pk=enterprise.pk).exists():
        raise NotPermitted(_("该企业不在本次监测范围内。"))
    day = today()
    if not is_running(emergency, day):
        raise Conflict(_("本次监测未开始或已结束，不能报送。"))
    errors: dict[str, list[str]] = {}
    if status not in OperatingStatus.values:
        errors["status"] = [_("请选择生产状态。")]
    on_site = _count(staff_on_site, "staff_on_site", errors)
    absent = _count(staff_absent, "staff_absent", errors)
    rows = _clean_supplies(emergency, supplies, errors)
    need_text, need_item = (need_text or "").strip(), (need_item or "").strip()
    if len(need_text) > 500:
        errors["need_text"] = [_("紧急需求不超过500字。")]
    quantity: int | None = None
    if need_quantity not in (None, ""):
        try:
            quantity = int(need_quantity)
        except (TypeError, ValueError):
            quantity = 0
        if not 1 <= quantity <= 100_000_000:
            errors["need_quantity"] = [_("需求数量应为正整数。")]
    if quantity is not None and not need_item:
        errors["need_item"] = [_("填写了数量，请同时填写需求物资。")]
    if errors:
        raise _invalid(errors)
    period = period_of(emergency, day)
    on_behalf = enterprise.pk not in own_firm_ids(actor)
    values = {
        "status": status,
        "staff_on_site": on_site,
        "staff_absent": absent,
        "supplies": rows,
        "need_text": need_text,
        "need_item": need_item[:64],
        "need_quantity": quantity,
        "on_behalf": on_behalf,
        "reported_by": actor,
        "region_path": enterprise.grid.path,
    }
    report = (
        StatusReport.objects.select_for_update()
        .filter(emergency=emergency, enterprise=enterprise, period=period)
        .first()
    )
    created = report is None
    if report is None:
        try:
            with transaction.atomic():
                report = StatusReport.objects.create(
                    emergency=emergency, enterprise=enterprise, period=period, **values
                )
        except IntegrityError:
            # a report of the same period was written at the same moment: edit it instead
            report = StatusReport.objects.select_for_update().get(
                emergency=emergency, enterprise=enterprise, period=period
            )
            created = False
    if not created:
        for name, value in values.items():
            setattr(report, name, value)
        report.save()
    record(
        actor=actor,
        action="emergency.report_on_behalf" if on_behalf else "emergency.report",
        obj=report,
        object_label=f"{enterprise.name} {period:%Y-%m-%d}",
        changes={
            "emergency": emergency.pk,
            "enterprise": enterprise.pk,
            "period": period,
            "status": status,
            "staff_on_site": on_site,
            "staff_absent": absent,
            "edited": not created,
        },
    )
    return report


@transaction.atomic
def need_to_demand(*, actor: Any, report_id: int, category: Any) -> StatusReport:
    """Raise the reported need as a demand of the firm (through ``demand_submit``)."""
    from qinqing.demands.services import demand_submit

    report = (
        StatusReport.objects.select_for_update()
        .select_related("emergency", "enterprise__grid")
        .get(pk=report_id)
    )
    if not reports_for(actor, report.enterprise):
        raise NotPermitted(_("您不能为该企业提交诉求。"))
    if not report.has_need:
        raise ServiceError(_("该报送没有填写紧急需求。"))
    if report.need_demand_id is not None:
        raise Conflict(_("该需求已转为诉求。"))
    what = report.need_item or report.need_text[:30]
    if report.need_quantity:
        what = f"{what} {report.need_quantity}"
    description = _("%(emergency)s期间报送的紧急需求（%(period)s）：%(text)s") % {
        "emergency": report.emergency.title,
        "period": f"{report.period:%Y-%m-%d}",
        "text": report.need_text or what,
    }
    demand = demand_submit(
        actor=actor,
        enterprise=report.enterprise,
        category=category,
        title=_("紧急需求：%(what)s") % {"what": what[:100]},
        description=description,
    )
    report.need_demand = demand
    report.save(update_fields=["need_demand", "updated_at"])
    record(
        actor=actor,
        action="emergency.need_to_demand",
        obj=report,
        changes={"demand": demand.number},
    )
    return report


@transaction.atomic
def need_link_listing(*, actor: Any, report_id: int, listing: Any) -> StatusReport:
    """Remember that the need became ``listing`` (a matching request of the same firm)."""
    report = (
        StatusReport.objects.select_for_update()
        .select_related("enterprise__grid")
        .get(pk=report_id)
    )
    if not reports_for(actor, report.enterprise) or listing.enterprise_id != report.enterprise_id:
        raise NotPermitted(_("您不能为该企业关联对接需求。"))
    if report.need_listing_id is not None:
        raise Conflict(_("该需求已转为对接需求。"))
    report.need_listing = listing
    report.save(update_fields=["need_listing", "updated_at"])
    record(
        actor=actor,
        action="emergency.need_to_listing",
        obj=report,
        changes={"listing": listing.pk},
    )
    return report


# --- reminders -------------------------------------------------------------------------------
def send_reminders(*, now: datetime | None = None) -> int:
    """For each running emergency past its reminder hour, message the users of the firms that
    have not reported this period. Idempotent per (emergency, period): ``deliver`` sends each
    source once."""
    from qinqing.accounts.models import Role, RoleAssignment
    from qinqing.inbox.services import deliver

    local = (now or timezone.now()).astimezone(SHANGHAI)
    sent = 0
    for emergency in Emergency.objects.select_related("audience"):
        if not is_running(emergency, local.date()) or local.hour < emergency.reminder_hour:
            continue
        period = period_of(emergency, local.date())
        reported = StatusReport.objects.filter(emergency=emergency, period=period).values(
            "enterprise_id"
        )
        missing = audience_firms(emergency.audience).exclude(pk__in=reported).values("pk")
        users = [
            a.user
            for a in RoleAssignment.objects.filter(
                role=Role.ENTERPRISE, enterprise_id__in=missing
            ).select_related("user")
        ]
        sent += deliver(
            users=users,
            title=_("请报送本期企业状态：%(title)s") % {"title": emergency.title},
            body=_("贵企业尚未报送 %(period)s 的生产经营状态，填写只需一分钟。")
            % {"period": f"{period:%Y-%m-%d}"},
            link=f"/emergency/{emergency.pk}/report/",
            source=f"emergency.remind:{emergency.pk}:{period:%Y-%m-%d}",
        )
    return sent
