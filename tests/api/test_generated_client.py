"""An integrator's client, generated from the document by ``openapi-python-client`` (code no
one here wrote), runs the integrator stories against a live server.

The generator must read the document without a single warning (the configuration it is given
is the one docs/api.md tells integrators to use), and every call below goes through the
generated functions and models over HTTP: if the document says something the server does not
do, the client cannot parse the answer and the story stops.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant, token_issue
from qinqing.api.api import api
from qinqing.consultation import services as consultation
from qinqing.demands.models import Category, RoutingRule
from qinqing.integrity import services as integrity
from qinqing.integrity.reports import crypto, guard, keyring
from qinqing.integrity.reports import services as reports
from qinqing.integrity.reports.models import Report
from tests import uploads
from tests.factories import UserFactory
from tests.integrity.conftest import load_sample
from tests.integrity.reports.conftest import PASSWORD

CONFIG = Path(__file__).with_name("openapi-python-client.yaml")
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The generator's output for the current document, and what it printed."""
    out = tmp_path_factory.mktemp("client")
    document = out / "openapi.json"
    document.write_text(json.dumps(api.get_openapi_schema(), ensure_ascii=False, default=str))
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(document),
            "--config",
            str(CONFIG),
            "--meta",
            "none",
            "--output-path",
            str(out / "qinqing_client"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(out))
    try:
        yield run.stdout + run.stderr
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n.split(".")[0] == "qinqing_client"]:
            del sys.modules[name]


def op(tag: str, name: str) -> ModuleType:
    return importlib.import_module(f"qinqing_client.api.{tag}.{name}")


def model(name: str) -> Any:
    return getattr(importlib.import_module("qinqing_client.models"), name)


def client_for(live_server: LiveServer, user: Any = None) -> Any:
    module = importlib.import_module("qinqing_client")
    if user is None:
        return module.Client(base_url=live_server.url)
    _token, raw = token_issue(user=user, name="generated-client")
    return module.AuthenticatedClient(base_url=live_server.url, token=raw)


def test_the_generator_reads_the_document_without_a_warning(generated: str) -> None:
    assert "Generating" in generated
    assert "WARNING" not in generated and "Unable" not in generated, generated


@pytest.mark.django_db(transaction=True)
def test_a_firm_submits_with_a_photo_the_handler_replies_and_the_firm_rates(
    generated: str, live_server: LiveServer, world: Any
) -> None:
    tax = Category.objects.get(code="tax")
    RoutingRule.objects.create(region=world.town, category=tax, department=world.department)
    handler = UserFactory(username="zhaomin", display_name="赵敏")
    role_grant(actor=None, user=handler, role=Role.HANDLER, department=world.department)
    firm = client_for(live_server, world.users["enterprise"])
    office = client_for(live_server, handler)
    demands = "demands"

    created = op(demands, "qinqing_demands_api_demand_create").sync_detailed(
        client=firm,
        body=model("DemandIn").from_dict(
            {
                "enterprise_id": world.firm_a.pk,
                "category": "tax",
                "title": "出口退税迟迟未到账",
                "description": "三月申报的出口退税至今未到账，影响资金周转。",
            }
        ),
    )
    assert created.status_code == 201, created.content
    demand = created.parsed
    assert created.headers["Location"].endswith(f"/api/v1/demands/{demand.id}")
    types = importlib.import_module("qinqing_client.types")
    photo = types.File(
        payload=io.BytesIO(uploads.jpeg()), file_name="现场.jpg", mime_type="image/jpeg"
    )
    attached = op(demands, "qinqing_demands_api_attachment_create").sync_detailed(
        demand.id,
        client=firm,
        body=model("QinqingDemandsApiAttachmentCreateFileParams")(file=photo),
    )
    assert attached.status_code == 201, attached.content
    assert attached.parsed.name == "现场.jpg"

    act = op(demands, "qinqing_demands_api_demand_action")
    accepted = act.sync_detailed(
        demand.id,
        client=office,
        body=model("DemandActionIn").from_dict({"action": "accept", "version": demand.version}),
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.parsed.state == "accepted"
    replied = act.sync_detailed(
        demand.id,
        client=office,
        body=model("DemandActionIn").from_dict(
            {
                "action": "reply",
                "version": accepted.parsed.version,
                "note": "已协调税务局加快审核。",
            }
        ),
    )
    assert replied.status_code == 200, replied.content
    rated = act.sync_detailed(
        demand.id,
        client=firm,
        body=model("DemandActionIn").from_dict(
            {
                "action": "rate",
                "version": replied.parsed.version,
                "satisfaction": "satisfied",
                "rating": 5,
            }
        ),
    )
    assert rated.status_code == 200, rated.content
    assert (rated.parsed.state, rated.parsed.rating) == ("closed", 5)
    assert rated.parsed.timers.closed_at.endswith("+08:00")

    stale = act.sync_detailed(
        demand.id,
        client=office,
        body=model("DemandActionIn").from_dict({"action": "accept", "version": demand.version}),
    )
    assert stale.status_code == 409
    assert stale.parsed.detail == "该诉求已被他人处理，请刷新后重试。"


@pytest.mark.django_db(transaction=True)
def test_an_anonymous_reporter_sends_evidence_and_reads_the_report_back(
    generated: str, live_server: LiveServer, world: Any, settings: Any
) -> None:
    settings.REPORTS_KDF_PROFILE = "demo"
    settings.REPORTS_POW_BITS = 4
    assert keyring.unlock(user=world.users["supervisor"], password=PASSWORD) is not None
    reports.recovery_key_install(actor=None, public_key=crypto.new_key_pair()[1])
    anonymous = client_for(live_server)
    tag = "举报与调查"
    challenge = op(tag, "qinqing_integrity_reports_api_challenge").sync_detailed(client=anonymous)
    assert challenge.status_code == 200, challenge.content
    types = importlib.import_module("qinqing_client.types")
    evidence = [
        types.File(
            payload=io.BytesIO(uploads.pdf()), file_name="验收单.pdf", mime_type="application/pdf"
        ),
        types.File(
            payload=io.BytesIO(uploads.png()), file_name="聊天记录.png", mime_type="image/png"
        ),
    ]
    body = model("QinqingIntegrityReportsApiSubmitWithFilesMultiPartBodyParams").from_dict(
        {
            "region_code": world.town.code,
            "category": "bribery",
            "title": "验收索要好处费",
            "body": "王科长在验收时索要两万元好处费",
            "pow_challenge": challenge.parsed.challenge,
            "pow_nonce": guard.solve(challenge.parsed.challenge, challenge.parsed.bits),
        }
    )
    body.evidence = evidence
    submitted = op(tag, "qinqing_integrity_reports_api_submit_with_files").sync_detailed(
        client=anonymous, body=body
    )
    assert submitted.status_code == 201, submitted.content
    report = Report.objects.get()
    assert not report.named

    seen = op(tag, "qinqing_integrity_reports_api_receipt").sync_detailed(
        client=anonymous, body=model("ReceiptIn").from_dict({"receipt": submitted.parsed.receipt})
    )
    assert seen.status_code == 200, seen.content
    assert sorted(f.name for f in seen.parsed.files) == ["聊天记录.png", "验收单.pdf"]


@pytest.mark.django_db(transaction=True)
def test_a_firm_answers_a_survey_of_its_coordinator(
    generated: str, live_server: LiveServer, world: Any
) -> None:
    tag = "意见征询"
    author = client_for(live_server, world.users["coordinator"])
    created = op(tag, "qinqing_consultation_api_survey_create").sync_detailed(
        client=author,
        body=model("SurveyIn").from_dict(
            {
                "title": "用工需求调查",
                "closes_on": (consultation.today() + timedelta(days=7)).isoformat(),
                "audience": {"regions": [world.town.code]},
                "sections": [
                    {
                        "title": "用工",
                        "questions": [
                            {"kind": "single", "text": "是否缺工？", "options": ["是", "否"]},
                            {"kind": "scale", "text": "招工服务满意度"},
                        ],
                    }
                ],
            }
        ),
    )
    assert created.status_code == 201, created.content
    survey = created.parsed
    published = op(tag, "qinqing_consultation_api_survey_publish").sync_detailed(
        survey.id, client=author
    )
    assert published.status_code == 200, published.content
    firm = client_for(live_server, world.users["enterprise"])
    first, second = (q.id for q in survey.questions)
    answered = op(tag, "qinqing_consultation_api_response_put").sync_detailed(
        survey.id,
        client=firm,
        body=model("ResponseIn").from_dict(
            {"enterprise_id": world.firm_a.pk, "answers": {str(first): 1, str(second): 4}}
        ),
    )
    assert answered.status_code == 200, answered.content
    assert answered.parsed.answers.to_dict() == {str(first): 1, str(second): 4}
    results = op(tag, "qinqing_consultation_api_survey_results").sync_detailed(
        survey.id, client=author
    )
    assert results.status_code == 200 and results.parsed.answered == 1


@pytest.mark.django_db(transaction=True)
def test_an_official_files_a_meal_paid_by_a_firm_and_is_told_it_is_prohibited(
    generated: str, live_server: LiveServer, world: Any
) -> None:
    load_sample()
    official = client_for(live_server, world.users["official"])
    filed = op("廉情监督", "qinqing_integrity_api_filing_create").sync_detailed(
        client=official,
        body=model("FilingIn").from_dict(
            {
                "timing": "after",
                "kind": "meal",
                "contact_date": str(integrity.today() - timedelta(days=1)),
                "place": "某酒店",
                "place_kind": "restaurant",
                "enterprise_ids": [world.firm_a.pk],
                "purpose": "午餐",
                "payer": "firm",
                "amount": "360",
                "headcount": 3,
            }
        ),
    )
    assert filed.status_code == 201, filed.content
    assert filed.parsed.outcome == "prohibited"
    assert "OFF-NEG-1" in {m.code for m in filed.parsed.matches}
