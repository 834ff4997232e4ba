"""Every write of the index: request a computation, run it, publish it."""

from __future__ import annotations

import traceback
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import NotPermitted, ServiceError

from . import compute as computation
from .method import DEFAULT_VERSION, load
from .models import ComputeRun, Level, Publication
from .permissions import can_preview, can_publish

register("index.compute", gettext_lazy("计算亲清指数"))
register("index.publish", gettext_lazy("发布亲清指数"))

MAX_DRAWS = 10_000


def _check_period(period: str, level: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    try:
        half = computation.HalfYear.parse(period)
    except computation.PeriodError:
        errors["period"] = [_("期间格式为“2026H1”（上半年）或“2026H2”（下半年）。")]
        half = None
    if level not in Level.values:
        errors["level"] = [_("请选择区县市或乡镇街道。")]
    if half is not None and half.start > timezone.localdate():
        errors["period"] = [_("该期间尚未开始。")]
    if errors:
        raise ServiceError(_("请检查输入。"), field_errors=errors)
    assert half is not None
    return half.key, level


@transaction.atomic
def compute_request(
    *, actor: Any, period: str, level: str, draws: int | None = None, method: str = DEFAULT_VERSION
) -> ComputeRun:
    """Queue a computation; the task runs it after the commit."""
    if not can_preview(actor):
        raise NotPermitted(_("您无权计算亲清指数。"))
    period, level = _check_period(period, level)
    m = load(method)
    if draws is None:
        draws = m.uncertainty.draws
    if not 0 <= draws <= MAX_DRAWS:
        raise ServiceError(
            _("请检查输入。"),
            field_errors={"draws": [_("蒙特卡洛次数应在 0 到 10000 之间。")]},
        )
    run = ComputeRun.objects.create(
        period=period, level=level, method=m.version, draws=draws, requested_by=actor
    )
    record(
        actor=actor,
        action="index.compute",
        obj=run,
        changes={"period": period, "level": level, "draws": draws, "method": m.version},
    )
    from .tasks import run_index_computation

    transaction.on_commit(lambda: run_index_computation.enqueue(run.pk))
    return run


def compute_execute(run_id: int, *, today: date | None = None) -> ComputeRun | None:
    """Run a queued computation (the task's body; idempotent: a finished run stays).

    A run found "running" was left so by a worker that died mid-computation: the queue
    gives a job to another worker only after the first one's heartbeat stopped (see
    ``qinqing.common.queue``), so this attempt takes it over. The computation is a pure
    function of the data and the method, so even a second live attempt writes the same
    snapshot."""
    with transaction.atomic():
        run = ComputeRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status == ComputeRun.Status.DONE:
            return run
        run.status = ComputeRun.Status.RUNNING
        run.save(update_fields=["status"])
    try:
        snap = computation.compute(
            period=run.period,
            level=run.level,
            method=load(run.method),
            draws=run.draws,
            today=today,
        )
    except Exception:  # the run records its failure for the staff page
        run.status = ComputeRun.Status.FAILED
        run.error = traceback.format_exc(limit=5)[-4000:]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        return run
    run.snapshot = snap
    run.status = ComputeRun.Status.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["snapshot", "status", "finished_at"])
    return run


@transaction.atomic
def publish(*, actor: Any, run_id: int, note: str = "") -> Publication:
    """Freeze a finished computation as the next version of its period and level."""
    if not can_publish(actor):
        raise NotPermitted(_("只有市、区县级监督人员或系统管理员可以发布亲清指数。"))
    run = ComputeRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None:
        raise ServiceError(_("计算记录不存在。"))
    if run.status != ComputeRun.Status.DONE or not run.snapshot:
        raise ServiceError(_("该计算尚未完成，不能发布。"))
    latest = (
        Publication.objects.select_for_update()
        .filter(period=run.period, level=run.level)
        .aggregate(v=Max("version"))["v"]
        or 0
    )
    note = note.strip()
    if latest and not note:
        raise ServiceError(
            _("该期间已发布，再次发布即为更正，请填写更正说明。"),
            field_errors={"note": [_("请填写更正说明。")]},
        )
    pub = Publication.objects.create(
        period=run.period,
        level=run.level,
        version=latest + 1,
        method=run.method,
        note=note,
        run=run,
        published_by=actor,
        published_at=timezone.now(),
        partial=bool(run.snapshot.get("partial")),
        snapshot=run.snapshot,
    )
    record(
        actor=actor,
        action="index.publish",
        obj=pub,
        changes={"period": pub.period, "level": pub.level, "version": pub.version, "note": note},
    )
    return pub


def record_snapshot(*, actor: Any, snapshot: dict[str, Any], finished_at: Any = None) -> ComputeRun:
    """A finished run for a snapshot computed outside the task (the demo load): the staff
    page shows it as a preview, and ``publish`` can publish it."""
    return ComputeRun.objects.create(
        period=snapshot["period"],
        level=snapshot["level"],
        method=snapshot["method"],
        draws=snapshot["draws"],
        status=ComputeRun.Status.DONE,
        requested_by=actor,
        finished_at=finished_at or timezone.now(),
        snapshot=snapshot,
    )


def publish_snapshot(
    *, actor: Any, snapshot: dict[str, Any], note: str = "", published_at: Any = None
) -> Publication:
    """Publish a snapshot computed outside a run (the demo load): same rules as ``publish``."""
    with transaction.atomic():
        run = record_snapshot(actor=actor, snapshot=snapshot, finished_at=published_at)
        pub = publish(actor=actor, run_id=run.pk, note=note)
        if published_at is not None:
            Publication.objects.filter(pk=pub.pk).update(published_at=published_at)
        return pub
