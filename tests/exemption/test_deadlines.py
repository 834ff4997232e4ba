"""Deadlines on the working-day calendar, across a holiday; overdue flagged once by the sweep."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from qinqing.common.workdays import SHANGHAI
from qinqing.exemption import services
from qinqing.exemption.models import Application
from qinqing.exemption.tasks import sweep_exemption_deadlines
from qinqing.inbox.models import Message

from .conftest import submit


def test_acceptance_is_due_five_working_days_later_across_the_national_day_holiday(world):
    # 2025-09-30 is a Tuesday; 1–8 October are holidays; Saturday 11 October is a make-up day
    at = datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)
    a = submit(world, submitted_at=at)
    due = a.accept_due_at.astimezone(SHANGHAI)
    assert due.date().isoformat() == "2025-10-14"  # 9, 10, 11 (Sat, worked), 13, 14 October
    assert (due.hour, due.minute) == (23, 59)


def test_the_decision_deadline_is_thirty_working_days_from_acceptance_and_configurable(
    world, settings
):
    settings.EXEMPTION_DEADLINES = {"accept": 2}
    a = submit(world, submitted_at=datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI))
    assert a.accept_due_at.astimezone(SHANGHAI).date().isoformat() == "2025-10-10"
    assert services.deadline_days("decide") == 30


def test_days_to_decide_counts_working_days(world, second):
    from .conftest import ASSESSMENT

    a = submit(world, submitted_at=timezone.now() - timedelta(days=14))
    a = services.application_accept(
        actor=world.users["supervisor"], application_id=a.pk, version=a.version
    )
    a = services.application_assess(
        actor=world.users["supervisor"],
        application_id=a.pk,
        version=a.version,
        assessment=ASSESSMENT,
        outcome="exempt",
        reasons="符合容错情形的理由。",
    )
    a = services.application_sign_off(actor=second, application_id=a.pk, version=a.version)
    from qinqing.common.workdays import working_days_between

    assert a.days_to_decide == working_days_between(a.submitted_at, a.decided_at)
    assert 0 < a.days_to_decide <= 14


def test_the_sweep_flags_an_overdue_application_once_and_tells_the_supervisors(
    world, django_capture_on_commit_callbacks
):
    a = submit(world, submitted_at=timezone.now() - timedelta(days=30))
    assert services.is_overdue(a)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_exemption_deadlines.enqueue().return_value == {"flagged": 1}
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_deadlines() == {"flagged": 0}
    a = Application.objects.get(pk=a.pk)
    assert a.overdue_stage == "accept" and a.overdue_flagged_at is not None
    told = Message.objects.filter(user=world.users["supervisor"], title__contains="超过受理期限")
    assert told.count() == 1
    assert not Message.objects.filter(user=world.users["official"], title__contains="超过").exists()


def test_a_fresh_application_is_not_overdue(world):
    assert not services.is_overdue(submit(world))
