"""Published cases leave no name, USCC or phone number of the case's people and firms."""

from __future__ import annotations

import random

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinqing.common.uscc import ALPHABET, check_character
from qinqing.exemption import anonymise, services
from qinqing.exemption.models import Case
from tests.factories import EnterpriseFactory

from .conftest import decided

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁"
    "沈任姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严覃武"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰志辉建国红玉华飞鹏宇浩凯晨晓欣佳怡婷雪梅琳倩颖"
)
FILLER = (
    "为保项目按期投产在材料尚缺的情况下先行受理并核发许可后经整改补齐手续未造成损失"
    "，。 ；（）0123456789abcXYZ-"
)

names = st.builds(
    lambda s, g: s + g,
    st.sampled_from(SURNAMES),
    st.text(alphabet=GIVEN, min_size=1, max_size=2),
)
phones = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)


def _uscc(seed: int) -> str:
    rng = random.Random(seed)
    body = "91330203MA" + "".join(rng.choice(ALPHABET) for _ in range(7))
    return body + check_character(body)


usccs = st.integers(min_value=0, max_value=10**9).map(_uscc)
filler = st.text(alphabet=FILLER, max_size=30)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    person=names,
    rep=names,
    firm_word=st.text(alphabet=GIVEN, min_size=2, max_size=4),
    phone=phones,
    firm_phone=phones,
    code=usccs,
    pieces=st.lists(filler, min_size=6, max_size=6),
)
def test_the_published_case_holds_no_name_uscc_or_phone_of_the_case(
    world, second, person, rep, firm_word, phone, firm_phone, code, pieces
):
    with transaction.atomic():
        _check_one(world, second, person, rep, firm_word, phone, firm_phone, code, pieces)
        transaction.set_rollback(True)  # each example starts from the same world


def _check_one(world, second, person, rep, firm_word, phone, firm_phone, code, pieces):
    official = world.users["official"]
    official.display_name, official.phone = person, phone
    official.save()
    firm = EnterpriseFactory(
        name=f"宁波{firm_word}科技有限公司",
        uscc=code,
        legal_representative=rep,
        contact_phone=firm_phone,
        grid=world.grid_other,
    )
    p = pieces
    actions = (
        f"{p[0]}{person}同志接到{firm.name}{p[1]}（统一社会信用代码{code}）负责人{rep}"
        f"{p[2]}的电话{firm_phone}{p[3]}，经请示后{p[4]}先行核发许可，联系电话{phone}{p[5]}。"
    )
    a = decided(
        world, second, actions=actions, enterprise=firm, matter=f"{firm.name}项目提前核发许可"
    )
    case = services.case_draft(actor=world.users["supervisor"], application_id=a.pk)
    case = services.case_publish(
        actor=world.users["supervisor"], case_id=case.pk, title=case.title, text=case.text
    )
    published = Case.objects.get(pk=case.pk)
    for text in (published.title, published.text):
        for secret in (person, rep, firm.name, code, phone, firm_phone, official.display_name):
            assert secret not in text, (secret, text)
        assert code.lower() not in text.lower()
    assert anonymise.leaks(published.text, anonymise.identifiers_of(a)) == []


def test_publishing_refuses_a_text_the_publisher_put_a_name_back_into(world, second):
    from qinqing.common.errors import ServiceError

    a = decided(world, second)
    case = services.case_draft(actor=world.users["supervisor"], application_id=a.pk)
    text = case.text + f"\n经办人{world.users['official'].display_name}，电话 0574-87654321。"
    try:
        services.case_publish(
            actor=world.users["supervisor"], case_id=case.pk, title=case.title, text=text
        )
    except ServiceError as exc:
        assert "text" in exc.field_errors
    else:
        raise AssertionError("published a text with a name in it")
    assert Case.objects.get(pk=case.pk).published_at is None


def test_patterns_catch_identifiers_nobody_typed_into_a_field():
    text = (
        "身份证330203198001011234，手机 138-1234-5678，座机0574-87001234，"
        "邮箱 a.b@example.com，诉求SQ-2026-000123。"
    )
    out = anonymise.anonymise(text, anonymise.Identifiers())
    for secret in (
        "330203198001011234",
        "138-1234-5678",
        "0574-87001234",
        "a.b@example.com",
        "SQ-2026-000123",
    ):
        assert secret not in out
    assert anonymise.leaks(out, anonymise.Identifiers()) == []


def test_the_case_records_which_distinctions_applied_and_the_outcome(world, second):
    a = decided(world, second, outcome="reduced")
    case = services.case_draft(actor=world.users["supervisor"], application_id=a.pk)
    assert case.distinctions == ["d1", "d2", "d3"] and case.outcome == "reduced"
    assert "区分一" in case.text
