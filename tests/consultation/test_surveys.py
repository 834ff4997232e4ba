"""Surveys: targeting, one response per firm, anonymity, skip logic, permissions."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from openpyxl import load_workbook

from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.consultation import services
from qinqing.consultation.models import Answer, Response, Survey, SurveyStatus, SurveyTarget
from qinqing.consultation.selectors import index_facts, surveys_visible_to
from qinqing.inbox.models import Message

from .conftest import answers, build, firm_user, q


def test_the_audience_resolves_to_the_firms_of_the_town_and_is_frozen_at_publish(
    world: Any, survey: Survey
) -> None:
    firms = set(SurveyTarget.objects.filter(survey=survey).values_list("enterprise", flat=True))
    assert firms == {world.firm_a.pk, world.firm_b.pk}  # 古林镇, not 高桥镇's firm_other


def test_publishing_tells_the_firm_users_in_their_inbox(world: Any, survey: Survey) -> None:
    user = world.users["enterprise"]
    assert Message.objects.filter(user=user, source=f"survey-published:{survey.pk}").count() == 1


def test_a_steward_cannot_author_a_survey(world: Any) -> None:
    with pytest.raises(NotPermitted):
        build(world.users["steward"])


def test_an_author_cannot_address_firms_outside_their_region(world: Any) -> None:
    # the official's region is 高桥镇; 古林镇 is outside it
    with pytest.raises(ServiceError) as caught:
        build(world.users["official"], region=world.town.code)
    assert "regions" in caught.value.field_errors


def test_a_published_survey_s_questions_are_frozen(
    world: Any, coordinator: Any, survey: Survey
) -> None:
    with pytest.raises(Conflict):
        services.question_add(
            actor=coordinator,
            survey_id=survey.pk,
            section_id=survey.sections.first().pk,
            kind="scale",
            text="新题",
        )
    with pytest.raises(Conflict):
        services.question_delete(actor=coordinator, question_id=q(survey, 6).pk)


def test_one_response_per_firm_a_second_submission_updates_the_first(
    world: Any, survey: Survey
) -> None:
    user = world.users["enterprise"]
    services.response_submit(
        actor=user, survey_id=survey.pk, enterprise=world.firm_a, answers=answers(survey, scale=2)
    )
    services.response_submit(
        actor=user, survey_id=survey.pk, enterprise=world.firm_a, answers=answers(survey, scale=5)
    )
    response = Response.objects.get(survey=survey)
    assert response.enterprise == world.firm_a
    assert list(Answer.objects.filter(question=q(survey, 3)).values_list("number", flat=True)) == [
        5.0
    ]
    assert SurveyTarget.objects.get(survey=survey, enterprise=world.firm_a).answered_on is not None


def test_only_the_firm_s_own_user_answers_for_it(world: Any, survey: Survey) -> None:
    with pytest.raises(NotPermitted):
        services.response_submit(
            actor=world.users["enterprise"],
            survey_id=survey.pk,
            enterprise=world.firm_b,
            answers=answers(survey),
        )


def test_a_firm_outside_the_audience_cannot_answer(world: Any, survey: Survey) -> None:
    with pytest.raises(NotPermitted):
        services.response_submit(
            actor=firm_user(world.firm_other),
            survey_id=survey.pk,
            enterprise=world.firm_other,
            answers=answers(survey),
        )


def test_after_the_close_date_nothing_can_be_changed(world: Any, survey: Survey) -> None:
    Survey.objects.filter(pk=survey.pk).update(closes_on=date(2020, 1, 1))
    with pytest.raises(Conflict):
        services.response_submit(
            actor=world.users["enterprise"],
            survey_id=survey.pk,
            enterprise=world.firm_a,
            answers=answers(survey),
        )


def test_skip_logic_a_hidden_question_is_neither_required_nor_stored(
    world: Any, survey: Survey
) -> None:
    user = world.users["enterprise"]
    # resumed: Q2 (reason) is hidden, so its text is dropped and not required
    services.response_submit(
        actor=user,
        survey_id=survey.pk,
        enterprise=world.firm_a,
        answers=answers(survey, resumed=True, reason="不应保存"),
    )
    assert not Answer.objects.filter(question=q(survey, 2)).exists()
    # not resumed: Q2 shows and is required
    with pytest.raises(ServiceError) as caught:
        services.response_submit(
            actor=user,
            survey_id=survey.pk,
            enterprise=world.firm_a,
            answers=answers(survey, resumed=False),
        )
    assert f"q{q(survey, 2).pk}" in caught.value.field_errors
    services.response_submit(
        actor=user,
        survey_id=survey.pk,
        enterprise=world.firm_a,
        answers=answers(survey, resumed=False, reason="缺工人"),
    )
    assert Answer.objects.get(question=q(survey, 2)).text == "缺工人"


def test_required_questions_and_bad_values_are_rejected_and_nothing_is_stored(
    world: Any, survey: Survey
) -> None:
    raw = answers(survey, scale=9)
    raw[str(q(survey, 5).pk)] = [7]
    with pytest.raises(ServiceError) as caught:
        services.response_submit(
            actor=world.users["enterprise"],
            survey_id=survey.pk,
            enterprise=world.firm_a,
            answers=raw,
        )
    assert set(caught.value.field_errors) == {f"q{q(survey, 3).pk}", f"q{q(survey, 5).pk}"}
    assert not Response.objects.exists()
    assert SurveyTarget.objects.get(survey=survey, enterprise=world.firm_a).answered_on is None


def test_an_anonymous_survey_keeps_no_link_from_answer_to_firm_or_user(
    world: Any, anonymous_survey: Survey
) -> None:
    survey = anonymous_survey
    user = world.users["enterprise"]
    services.response_submit(
        actor=user,
        survey_id=survey.pk,
        enterprise=world.firm_a,
        answers=answers(survey, text="希望减免房租"),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Response._meta.db_table}")
        columns = [c[0] for c in cursor.description]
        (row,) = cursor.fetchall()
    stored = dict(zip(columns, row, strict=True))
    assert stored["enterprise_id"] is None
    assert stored["submitted_by_id"] is None
    assert stored["submitted_at"] is None and stored["updated_at"] is None
    assert stored["region_id"] == world.town.pk  # the town, not the grid
    # the answers' own columns name nothing but the response and the question
    answer_columns = {f.column for f in Answer._meta.concrete_fields}
    assert answer_columns == {
        "id",
        "response_id",
        "question_id",
        "row",
        "choice",
        "number",
        "text",
        "day",
    }
    # the marker has the firm and a date only
    target = SurveyTarget.objects.get(survey=survey, enterprise=world.firm_a)
    assert isinstance(target.answered_on, date)
    # the audit entry names the survey, not the response
    entry = AuditEntry.objects.filter(action="survey.answer").get()
    assert str(stored["id"]) not in str(entry.changes) and entry.object_id == str(survey.pk)
    # anonymous answers are final
    with pytest.raises(Conflict):
        services.response_submit(
            actor=user, survey_id=survey.pk, enterprise=world.firm_a, answers=answers(survey)
        )


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_two_submissions_of_one_firm_at_once_leave_one_response(world: Any) -> None:
    """Real concurrency (PostgreSQL): two users of the same firm submit at the same moment."""
    import threading

    from django.db import connection as default_connection

    coordinator = world.users["coordinator"]
    survey = services.survey_publish(actor=coordinator, survey_id=build(coordinator).pk)
    users = [world.users["enterprise"], firm_user(world.firm_a)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(user: Any, scale: int) -> None:
        try:
            barrier.wait()
            services.response_submit(
                actor=user,
                survey_id=survey.pk,
                enterprise=world.firm_a,
                answers=answers(survey, scale=scale),
            )
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            default_connection.close()

    threads = [
        threading.Thread(target=submit, args=(u, s)) for u, s in zip(users, (2, 5), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["ok", "ok"]
    assert Response.objects.filter(survey=survey).count() == 1
    assert Answer.objects.filter(question=q(survey, 3)).count() == 1


def test_a_steward_reminds_an_unanswered_firm_of_their_grid_once_a_day(
    world: Any, survey: Survey, django_capture_on_commit_callbacks: Any
) -> None:
    steward = world.users["steward"]  # grid_a: firm_a only
    with django_capture_on_commit_callbacks(execute=True):
        services.survey_remind(actor=steward, survey_id=survey.pk, enterprise_id=world.firm_a.pk)
    assert Message.objects.filter(source__startswith=f"survey-remind:{survey.pk}:").count() == 1
    assert AuditEntry.objects.filter(action="survey.remind").count() == 1
    with pytest.raises(Conflict):
        services.survey_remind(actor=steward, survey_id=survey.pk, enterprise_id=world.firm_a.pk)
    with pytest.raises(NotPermitted):  # firm_b is in grid_b
        services.survey_remind(actor=steward, survey_id=survey.pk, enterprise_id=world.firm_b.pk)


def test_reminders_before_the_close_go_once_to_firms_that_have_not_answered(
    world: Any, survey: Survey, firm_b_user: Any
) -> None:
    services.response_submit(
        actor=world.users["enterprise"],
        survey_id=survey.pk,
        enterprise=world.firm_a,
        answers=answers(survey),
    )
    assert services.send_reminders() == 0  # the close is 10 days away
    Survey.objects.filter(pk=survey.pk).update(closes_on=services.today())
    assert services.send_reminders() == 1  # firm_b's user only
    assert services.send_reminders() == 0
    assert Message.objects.filter(source=f"survey-closing:{survey.pk}").get().user == firm_b_user


def test_the_hourly_job_closes_a_survey_past_its_close_date(world: Any, survey: Survey) -> None:
    Survey.objects.filter(pk=survey.pk).update(closes_on=services.today() - timedelta(days=1))
    services.send_reminders()
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.CLOSED


def test_another_author_s_draft_is_not_visible_and_results_need_a_covering_region(
    world: Any, coordinator: Any
) -> None:
    draft = build(coordinator)
    assert draft not in surveys_visible_to(world.users["supervisor"])
    services.survey_publish(actor=coordinator, survey_id=draft.pk)
    assert draft in surveys_visible_to(world.users["supervisor"])  # 海曙区 covers 古林镇
    assert draft not in surveys_visible_to(world.users["official"])  # 高桥镇 does not
    assert draft not in surveys_visible_to(world.users["handler"])
    from qinqing.consultation.permissions import can_read_results

    assert can_read_results(world.users["supervisor"], draft)
    assert not can_read_results(world.users["steward"], draft)
    assert not can_read_results(world.users["official"], draft)


def test_index_facts_count_the_tagged_scale_answers_by_town_and_value_in_the_period(
    world: Any, anonymous_survey: Survey, firm_b_user: Any
) -> None:
    survey = anonymous_survey
    services.response_submit(
        actor=world.users["enterprise"],
        survey_id=survey.pk,
        enterprise=world.firm_a,
        answers=answers(survey, scale=4, matrix={"1": 2, "2": 5}),
    )
    services.response_submit(
        actor=firm_b_user,
        survey_id=survey.pk,
        enterprise=world.firm_b,
        answers=answers(survey, scale=4, matrix={"1": 3, "2": 5}),
    )
    close = survey.closes_on
    facts = sorted(index_facts(start=close, end=close + timedelta(days=1)))
    path = world.town.path  # both firms' answers are the town's
    assert facts == [
        (path, "survey.closeness", 4.0, 2.0),
        (path, "survey.factors", 2.0, 1.0),
        (path, "survey.factors", 3.0, 1.0),
        (path, "survey.factors", 5.0, 2.0),
    ]
    assert index_facts(start=close + timedelta(days=1), end=close + timedelta(days=30)) == []


def test_the_business_environment_template_has_five_dimensions_and_index_tags(
    world: Any, coordinator: Any
) -> None:
    survey = services.survey_from_template(
        actor=coordinator,
        template="business_environment",
        closes_on=services.today() + timedelta(days=5),
        audience={"regions": [world.town.code]},
    )
    tags = set(survey.questions.exclude(tag="").values_list("tag", flat=True))
    assert tags == {
        "factors", "rule_of_law", "government_services", "market", "innovation",
        "closeness", "cleanness", "burden",
    }  # fmt: skip
    assert survey.anonymous and survey.status == SurveyStatus.DRAFT
    services.survey_publish(actor=coordinator, survey_id=survey.pk)


def test_the_excel_export_opens_with_openpyxl_and_holds_every_answer(
    world: Any, survey: Survey, firm_b_user: Any, coordinator: Any
) -> None:
    services.response_submit(
        actor=world.users["enterprise"],
        survey_id=survey.pk,
        enterprise=world.firm_a,
        answers=answers(survey, scale=5, matrix={"1": 3, "2": 4}, needs=[1, 3], text="多谢"),
    )
    services.response_submit(
        actor=firm_b_user,
        survey_id=survey.pk,
        enterprise=world.firm_b,
        answers=answers(survey, resumed=False, reason="缺原料", scale=2),
    )
    header, rows = services.export_rows(actor=coordinator, survey=survey)
    from qinqing.common.spreadsheet import xlsx_bytes

    book = load_workbook(io.BytesIO(xlsx_bytes("答卷", header, rows)))
    sheet = book.active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][:4] == ["企业名称", "统一社会信用代码", "填答时间", "所在镇街"]
    assert len(values) == 3
    by_firm = {row[0]: row for row in values[1:]}
    a = by_firm[world.firm_a.name]
    assert a[3:] == ["古林镇", "已复工", None, 5, 3, 4, "口罩；资金", "多谢"]
    b = by_firm[world.firm_b.name]
    assert b[3:] == ["古林镇", "未复工", "缺原料", 2, None, None, None, None]
    assert AuditEntry.objects.filter(action="survey.export").count() == 1
    with pytest.raises(NotPermitted):
        services.export_rows(actor=world.users["steward"], survey=survey)
