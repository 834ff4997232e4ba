"""Splitting a pasted policy text into clauses."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qinqing.consultation.drafts.clauses import split_clauses

NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "二十三", "4"]
# clause text: Chinese and ASCII words, no line that could start with a heading
words = st.text(
    alphabet=st.sampled_from(list("企业补助政策条件申请资金模具规定本办法元%0123456789，。、 ")),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() and not s.strip().startswith("第"))


def test_headings_start_clauses_and_a_title_is_a_preamble() -> None:
    pieces = split_clauses(
        "某某办法\n第一条 总则内容。\n第二条 具体规定。\n  补充说明。\n第三条 施行。"
    )
    assert [(p.number, p.heading) for p in pieces] == [
        (1, ""),
        (2, "第一条"),
        (3, "第二条"),
        (4, "第三条"),
    ]
    assert pieces[2].text == "具体规定。\n  补充说明。"


def test_without_headings_each_paragraph_is_a_clause() -> None:
    pieces = split_clauses("一、支持技改。\n\n二、减免租金。\r\n三、稳岗补贴。")
    assert [p.text for p in pieces] == ["一、支持技改。", "二、减免租金。", "三、稳岗补贴。"]
    assert all(p.heading == "" for p in pieces)


def test_a_mention_of_a_clause_inside_a_line_does_not_split() -> None:
    pieces = split_clauses("第一条 依照本办法第二条规定申请。\n第二条 条件。")
    assert len(pieces) == 2 and "第二条规定" in pieces[0].text


@given(st.lists(st.tuples(st.sampled_from(NUMERALS), words), min_size=1, max_size=12))
def test_every_heading_gives_one_clause_with_its_text_in_order(items) -> None:
    text = "\n".join(f"第{n}条 {body}" for n, body in items)
    pieces = split_clauses(text)
    assert [p.number for p in pieces] == list(range(1, len(items) + 1))
    assert [p.heading for p in pieces] == [f"第{n}条" for n, _ in items]
    assert [p.text for p in pieces] == [body.strip() for _, body in items]


@given(st.lists(words, min_size=0, max_size=12))
def test_paragraphs_are_kept_whole_and_none_is_lost(paragraphs) -> None:
    pieces = split_clauses("\n\n".join(paragraphs))
    assert [p.text for p in pieces] == [p.strip() for p in paragraphs]
