"""Pages and API: scope by id, the automatic checks, library search, exports."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from qinqing.exemption import services
from qinqing.exemption.models import Application, Evidence
from tests import uploads

from .conftest import accepted, decided, submit

PDF = uploads.pdf()


def test_an_official_applies_through_the_form_with_evidence(client, world):
    client.force_login(world.users["official"])
    response = client.post(
        "/exemption/new/",
        {
            "matter": "政策补贴提前拨付",
            "actions": "按当时对政策条款的理解，向企业拨付稳岗补贴。",
            "rules_at_time": "《稳岗补贴实施细则》第三条",
            "outcome_harm": "后经审计认定理解有误，多拨付8万元。",
            "corrected": "on",
            "correction": "企业已退回全部款项。",
            "attachments": [SimpleUploadedFile("说明.pdf", PDF, "application/pdf")],
        },
    )
    a = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exemption/{a.pk}/"
    assert Evidence.objects.get(application=a).name == "说明.pdf"
    page = client.get(f"/exemption/{a.pk}/").content.decode()
    assert "政策补贴提前拨付" in page and "说明.pdf" in page


def test_the_form_keeps_the_input_and_marks_the_field(client, world):
    client.force_login(world.users["official"])
    response = client.post(
        "/exemption/new/",
        {"matter": "保留的事项", "actions": "短", "rules_at_time": "规定", "outcome_harm": "损失"},
    )
    body = response.content.decode()
    assert response.status_code == 200 and "保留的事项" in body and "至少10个字" in body
    assert not Application.objects.exists()


def test_another_users_application_is_not_found_by_id(client, world):
    a = submit(world)
    evidence = services.evidence_add(
        actor=world.users["official"],
        application_id=a.pk,
        uploads=[SimpleUploadedFile("a.pdf", PDF, "application/pdf")],
    )[0]
    for role in ("steward", "coordinator", "handler", "enterprise"):
        client.force_login(world.users[role])
        assert client.get(f"/exemption/{a.pk}/").status_code == 404
        assert client.get(f"/exemption/evidence/{evidence.pk}/").status_code == 404
    client.force_login(world.users["supervisor"])
    assert client.get(f"/exemption/evidence/{evidence.pk}/").status_code == 200


def test_the_assessor_sees_every_check_run(client, world):
    a = accepted(world)
    client.force_login(world.users["supervisor"])
    body = client.get(f"/exemption/{a.pk}/").content.decode()
    assert "三个区分开来" in body and "此前查实的举报" in body
    assert "该项核查暂不可用" not in body


def test_a_wrong_state_move_through_the_page_says_why(client, world):
    a = submit(world)
    client.force_login(world.users["official"])
    response = client.post(
        f"/exemption/{a.pk}/appeal/", {"version": a.version, "appeal-reason": "理由理由理由"}
    )
    assert response.status_code in (403, 422)


def test_the_library_searches_and_filters_published_cases(client, world, second):
    a = decided(world, second, outcome="exempt")
    case = services.case_draft(actor=world.users["supervisor"], application_id=a.pk)
    services.case_publish(
        actor=world.users["supervisor"], case_id=case.pk, title=case.title, text=case.text
    )
    client.force_login(world.users["official"])
    assert case.title in client.get("/exemption/cases/", {"q": "施工许可"}).content.decode()
    assert case.title not in client.get("/exemption/cases/", {"q": "不存在的词"}).content.decode()
    assert (
        case.title not in client.get("/exemption/cases/", {"outcome": "reduced"}).content.decode()
    )
    assert case.title in client.get("/exemption/cases/", {"distinction": "d2"}).content.decode()
    client.force_login(world.users["enterprise"])
    assert client.get("/exemption/cases/").status_code == 403


def test_exports_are_excel_for_supervisors_only(client, world, second):
    from openpyxl import load_workbook

    decided(world, second)
    client.force_login(world.users["supervisor"])
    for url in ("/exemption/applications/export/", "/exemption/stats/export/"):
        response = client.get(url)
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet.max_row >= 2
    client.force_login(world.users["official"])
    assert client.get("/exemption/stats/export/").status_code == 403


def _token(client, user, password):
    response = client.post(
        "/api/v1/auth/token",
        {"username": user.username, "password": password},
        content_type="application/json",
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


def test_the_api_runs_the_whole_workflow(client, world, second, third, password):
    from .conftest import ASSESSMENT

    official = _token(client, world.users["official"], password)
    sup = _token(client, world.users["supervisor"], password)
    sup2 = _token(client, second, password)
    body = {
        "matter": "容缺受理企业登记",
        "actions": "企业缺少一份材料，按容缺受理先行办理登记。",
        "rules_at_time": "容缺受理暂行办法",
        "outcome_harm": "材料后补不及时，登记信息有误。",
    }
    r = client.post(
        "/api/v1/exemption/applications", body, content_type="application/json", **official
    )
    assert r.status_code == 201, r.content
    a = r.json()
    assert r["Location"] == f"/api/v1/exemption/applications/{a['id']}"
    assert (
        client.get(
            f"/api/v1/exemption/applications/{a['id']}",
            **_token(client, world.users["steward"], password),
        ).status_code
        == 404
    )

    def act(headers, **payload):
        current = client.get(f"/api/v1/exemption/applications/{a['id']}", **headers).json()
        return client.post(
            f"/api/v1/exemption/applications/{a['id']}/actions",
            {"version": current["version"], **payload},
            content_type="application/json",
            **headers,
        )

    assert act(official, action="accept").status_code == 403
    assert act(sup, action="accept").status_code == 200
    checks = client.get(f"/api/v1/exemption/applications/{a['id']}/checks", **sup).json()
    assert {c["name"] for c in checks} == {"conflicts", "reports", "conduct"}
    assert all(isinstance(c["available"], bool) for c in checks)
    r = act(
        sup, action="assess", assessment=ASSESSMENT, outcome="reduced", reasons="可从轻的理由。"
    )
    assert r.status_code == 200, r.content
    assert act(sup, action="sign_off").status_code == 403
    assert act(sup2, action="sign_off").json()["state"] == "decided"
    assert act(official, action="appeal", reason="请求复查，理由充分。").status_code == 200
    assert act(sup2, action="review", outcome="exempt", reasons="复查理由").status_code == 403
    r = act(
        _token(client, third, password),
        action="review",
        outcome="exempt",
        reasons="复查认为应免责。",
    )
    assert r.json()["final_outcome"] == "exempt"
    assert act(official, action="appeal", reason="第二次申诉理由").status_code == 409
    r = client.post(f"/api/v1/exemption/applications/{a['id']}/case", **sup)
    assert r.status_code == 200
    case = r.json()
    r = client.post(
        f"/api/v1/exemption/cases/{case['id']}/publish",
        {"title": case["title"], "text": case["text"]},
        content_type="application/json",
        **sup,
    )
    assert r.status_code == 200
    listed = client.get("/api/v1/exemption/cases", {"q": "容缺"}, **official).json()
    assert listed["count"] == 1
    stats = client.get(
        "/api/v1/exemption/stats", {"start": "2020-01-01", "end": "2099-01-01"}, **sup
    )
    assert stats.json()["total"]["decided"] == 1


def test_evidence_with_a_polyglot_among_it_is_refused_on_the_page_and_none_kept(client, world):
    a = submit(world)
    client.force_login(world.users["official"])
    response = client.post(
        f"/exemption/{a.pk}/evidence/",
        {
            "evidence-attachments": [
                SimpleUploadedFile("说明.pdf", PDF, "application/pdf"),
                SimpleUploadedFile("照片.jpg", uploads.jpeg() + uploads.PE_PROGRAM, "image/jpeg"),
            ]
        },
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "“照片.jpg”中夹带了可执行程序" in body and "2个文件均未上传" in body
    assert not Evidence.objects.filter(application=a).exists()


def test_the_api_refuses_a_zip_bomb_among_the_evidence_with_422(client, world, password):
    a = submit(world)
    response = client.post(
        f"/api/v1/exemption/applications/{a.pk}/evidence",
        {
            "files": [
                SimpleUploadedFile("说明.pdf", PDF, "application/pdf"),
                SimpleUploadedFile("纪要.docx", uploads.zip_bomb_docx(unpacked=2 * 1024 * 1024)),
            ]
        },
        **_token(client, world.users["official"], password),
    )
    assert response.status_code == 422
    errors = response.json()["field_errors"]["attachments"]
    assert "“纪要.docx”" in errors[0] and "压缩比异常" in errors[0]
    assert not Evidence.objects.filter(application=a).exists()
