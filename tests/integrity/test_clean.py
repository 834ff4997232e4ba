"""Clean enterprises: the checklist, scoring, review by the chamber or a supervisor, the list."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.directory.models import Chamber, ChamberMembership
from qinqing.integrity import selectors, services
from qinqing.integrity.models import CleanAssessment, CleanCriterion, CleanEvidence
from tests import uploads

PDF = uploads.pdf()


def pdf(name: str = "制度.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def fill(user: Any, firm: Any, level: int = 2) -> None:
    for c in CleanCriterion.objects.filter(active=True):
        services.clean_answer(
            actor=user, enterprise=firm, criterion=c, level=level,
            files=[pdf()] if c.evidence_required and level else [],
        )  # fmt: skip


def test_the_score_is_the_weighted_share_of_the_levels(lists: None) -> None:
    criteria = list(CleanCriterion.objects.filter(active=True))
    assert sum(c.weight for c in criteria) == 100
    full = {c.pk: 2 for c in criteria}
    assert services.score_of(full, criteria) == Decimal("100.0")
    half = {c.pk: (1 if c.code == "CE-1" else 2) for c in criteria}
    assert services.score_of(half, criteria) == Decimal("90.0")
    assert services.score_of({}, criteria) == Decimal("0.0")


def test_submitting_needs_every_item_and_the_evidence(lists: None, world: Any) -> None:
    user, firm = world.users["enterprise"], world.firm_a
    first = CleanCriterion.objects.get(code="CE-1")
    services.clean_answer(actor=user, enterprise=firm, criterion=first, level=2)
    with pytest.raises(ServiceError):
        services.clean_submit(actor=user, enterprise=firm)
    fill(user, firm)
    services.clean_answer(actor=user, enterprise=firm, criterion=first, level=2)
    submitted = services.clean_submit(actor=user, enterprise=firm)
    assert submitted.status == "submitted" and submitted.score == Decimal("100.0")
    with pytest.raises(Conflict):
        services.clean_answer(actor=user, enterprise=firm, criterion=first, level=0)


def test_a_fake_pdf_is_refused(lists: None, world: Any) -> None:
    with pytest.raises(ServiceError) as exc:
        services.clean_answer(
            actor=world.users["enterprise"], enterprise=world.firm_a,
            criterion=CleanCriterion.objects.get(code="CE-1"), level=2,
            files=[SimpleUploadedFile("x.pdf", b"MZ\x90\x00", content_type="application/pdf")],
        )  # fmt: skip
    assert "files" in exc.value.field_errors


def test_another_firms_user_cannot_fill_the_checklist(lists: None, world: Any) -> None:
    with pytest.raises(NotPermitted):
        services.clean_answer(
            actor=world.users["enterprise"], enterprise=world.firm_b,
            criterion=CleanCriterion.objects.get(code="CE-1"), level=2,
        )  # fmt: skip


def test_the_chamber_liaison_recognises_a_member_with_a_validity_period(
    lists: None, world: Any
) -> None:
    user, firm = world.users["enterprise"], world.firm_a
    fill(user, firm)
    assessment = services.clean_submit(actor=user, enterprise=firm)
    liaison = world.users["chamber"]
    with pytest.raises(NotPermitted):  # not a member of the liaison's chamber yet
        services.clean_review(actor=liaison, assessment_id=assessment.pk, recognise=True)
    ChamberMembership.objects.create(
        chamber=Chamber.objects.get(name="海曙区工商联"), enterprise=firm
    )
    assert assessment in selectors.reviews_for(liaison)
    until = services.today() + timedelta(days=730)
    done = services.clean_review(
        actor=liaison, assessment_id=assessment.pk, recognise=True, valid_until=until
    )
    assert (done.status, done.valid_from, done.valid_until) == (
        "recognised",
        services.today(),
        until,
    )
    assert list(selectors.clean_recognised()) == [done]
    assert not selectors.clean_recognised(on=until + timedelta(days=1)).exists()
    assert AuditEntry.objects.filter(action="clean.recognise").exists()


def test_a_supervisor_returns_a_low_score_with_comments(lists: None, world: Any) -> None:
    user, firm = world.users["enterprise"], world.firm_a
    fill(user, firm, level=1)
    assessment = services.clean_submit(actor=user, enterprise=firm)
    supervisor = world.users["supervisor"]
    with pytest.raises(ServiceError) as exc:
        services.clean_review(
            actor=supervisor, assessment_id=assessment.pk, recognise=True,
            valid_until=services.today() + timedelta(days=365),
        )  # fmt: skip
    assert "score" in exc.value.field_errors
    with pytest.raises(ServiceError):
        services.clean_review(actor=supervisor, assessment_id=assessment.pk, recognise=False)
    returned = services.clean_review(
        actor=supervisor, assessment_id=assessment.pk, recognise=False, comments="举报渠道未公示"
    )
    assert returned.status == "returned"
    services.clean_answer(
        actor=user, enterprise=firm, criterion=CleanCriterion.objects.get(code="CE-4"), level=2
    )


def test_the_public_list_needs_no_login(lists: None, world: Any, client: Any) -> None:
    response = client.get("/integrity/clean/")
    assert response.status_code == 200
    assert client.get("/integrity/lists/").status_code == 200
    assert "OFF-NEG-1" in client.get("/integrity/lists/").content.decode()


def test_the_index_counts_clean_firms_valid_on_the_periods_last_day(world: Any) -> None:
    """A half-year is the days [start, end): a firm recognised until the period's last day
    counts for it; one whose recognition only starts on ``end`` (the next period) does not."""
    start, end = date(2026, 1, 1), date(2026, 7, 1)
    CleanAssessment.objects.create(
        enterprise=world.firm_a, status="recognised",
        valid_from=date(2025, 7, 1), valid_until=date(2026, 6, 30),
    )  # fmt: skip
    CleanAssessment.objects.create(
        enterprise=world.firm_b, status="recognised",
        valid_from=end, valid_until=date(2028, 6, 30),
    )  # fmt: skip
    rows = selectors.index_facts(start=start, end=end)
    clean = [path for path, fact, _ in rows if fact == "clean_firms.recognised"]
    assert clean == [world.grid_a.path]


def test_evidence_carrying_a_program_refuses_the_answer_naming_the_file(
    lists: None, world: Any
) -> None:
    polyglot = uploads.jpeg() + uploads.PE_PROGRAM
    with pytest.raises(ServiceError) as exc:
        services.clean_answer(
            actor=world.users["enterprise"],
            enterprise=world.firm_a,
            criterion=CleanCriterion.objects.get(code="CE-1"),
            level=2,
            files=[pdf(), SimpleUploadedFile("制度.jpg", polyglot, content_type="image/jpeg")],
        )
    assert "“制度.jpg”中夹带了可执行程序" in exc.value.field_errors["files"][0]
    assert not CleanEvidence.objects.exists()
