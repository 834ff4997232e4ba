"""Conduct lists as versioned YAML files: `qinqing conduct load`, its errors, the samples."""

from __future__ import annotations

import json
import re
from collections import Counter
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from qinqing.common.errors import ServiceError
from qinqing.integrity import rules, selectors, services
from qinqing.integrity.models import CleanCriterion, ConductItem

from .conftest import LISTS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "conduct-lists.md"

LOCAL_LIST = """\
# 某区补充规定（测试用）
format: qinqing-conduct-lists/1
effective_from: 2026-01-01   # 不加引号的日期

items:
  - id: LOC-T-1
    list: local
    subject: official
    polarity: negative
    position: 1
    title: 不得在工作日午间饮酒
    text: 工作日午间一律不得饮酒；因公务接待确需用餐的，按公务接待标准执行。
    source: 某区纪委监委通知
    clause: 第1条
    rule:
      when:
        all:
          - {field: kind, eq: meal}
          - {field: amount_per_person, gt: 150}
      outcome: needs_approval

  - id: LOC-T-2
    list: local
    subject: entrepreneur
    polarity: negative
    position: 2
    title: 不得以会员卡形式输送利益
    text: "企业不得向公职人员赠送会员卡、预付卡: 已赠送的应当收回。"  # 含“: ”须加引号
    source: 某区纪委监委通知
"""


def write(tmp_path: Path, text: str, name: str = "local.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(path: Path) -> str:
    out = StringIO()
    call_command("conduct", "load", str(path), stdout=out)
    return out.getvalue()


def load_error(path: Path) -> str:
    with pytest.raises(CommandError) as exc:
        load(path)
    return str(exc.value)


def test_a_yaml_file_loads_and_loading_it_again_changes_nothing(db: Any, tmp_path: Path) -> None:
    path = write(tmp_path, LOCAL_LIST)
    assert "local.yaml: 2 new, 0 superseded, 0 unchanged" in load(path)
    first = ConductItem.objects.get(code="LOC-T-1")
    assert first.effective_from == services.date(2026, 1, 1) and first.version == 1
    assert first.rule == {
        "when": {
            "all": [
                {"field": "kind", "eq": "meal"},
                {"field": "amount_per_person", "gt": 150},
            ]
        },
        "outcome": "needs_approval",
    }
    second = ConductItem.objects.get(code="LOC-T-2")
    assert second.text == "企业不得向公职人员赠送会员卡、预付卡: 已赠送的应当收回。"
    assert second.rule is None and second.clause == ""
    assert "0 new, 0 superseded, 2 unchanged" in load(path)
    assert ConductItem.objects.count() == 2


def test_a_changed_item_in_the_file_becomes_a_new_version(db: Any, tmp_path: Path) -> None:
    load(write(tmp_path, LOCAL_LIST))
    changed = LOCAL_LIST.replace("gt: 150}", "gt: 120}").replace(
        "    clause: 第1条\n", "    clause: 第1条\n    effective_from: 2026-07-01\n"
    )
    assert "1 new, 1 superseded, 1 unchanged" in load(write(tmp_path, changed, "v2.yaml"))
    old, new = ConductItem.objects.filter(code="LOC-T-1").order_by("version")
    assert (old.version, new.version) == (1, 2)
    assert old.effective_to == new.effective_from == services.date(2026, 7, 1)
    assert new.note == "v2.yaml"
    in_june = selectors.items_in_force(services.date(2026, 6, 30)).get(code="LOC-T-1")
    assert in_june == old


def test_json_is_still_accepted(db: Any, tmp_path: Path) -> None:
    data = yaml.safe_load(LOCAL_LIST)
    data["effective_from"] = "2026-01-01"
    path = write(tmp_path, json.dumps(data, ensure_ascii=False, indent=1), "local.json")
    assert "2 new" in load(path)
    # the same items from YAML are the same versions
    assert "0 new, 0 superseded, 2 unchanged" in load(write(tmp_path, LOCAL_LIST))


def test_malformed_yaml_is_refused_in_chinese_naming_the_line(db: Any, tmp_path: Path) -> None:
    broken = LOCAL_LIST.replace("title: 不得在工作日午间饮酒", "title: 不得在工作日: 午间饮酒")
    line = broken.splitlines().index("    title: 不得在工作日: 午间饮酒") + 1
    message = load_error(write(tmp_path, broken))
    assert f"local.yaml 第 {line} 行" in message
    assert "不是有效的 YAML" in message
    assert not ConductItem.objects.exists()


def test_an_unclosed_bracket_names_where_it_was_opened(db: Any, tmp_path: Path) -> None:
    broken = LOCAL_LIST.replace("{field: kind, eq: meal}", "{field: kind, eq: meal")
    message = load_error(write(tmp_path, broken))
    assert "不是有效的 YAML" in message
    opened = next(i for i, s in enumerate(broken.splitlines(), 1) if "eq: meal" in s)
    assert re.search(rf"第 {opened} 行", message), message


def test_a_key_written_twice_is_refused_naming_the_line(db: Any, tmp_path: Path) -> None:
    twice = LOCAL_LIST.replace("    clause: 第1条\n", "    clause: 第1条\n    title: 另一个要点\n")
    line = twice.splitlines().index("    title: 另一个要点") + 1
    message = load_error(write(tmp_path, twice))
    assert f"第 {line} 行：键“title”在同一处写了两次" in message
    assert not ConductItem.objects.exists()


def test_an_unknown_rule_field_is_refused_naming_the_item(db: Any, tmp_path: Path) -> None:
    bad = LOCAL_LIST.replace("{field: amount_per_person, gt: 150}", "{field: price, gt: 150}")
    message = load_error(write(tmp_path, bad))
    assert "清单文件有误" in message
    assert "条目 LOC-T-1：机器规则有误" in message and "'price'" in message
    assert "LOC-T-2" not in message
    assert not ConductItem.objects.exists()


def test_a_misspelt_key_and_a_bad_choice_are_refused_naming_the_item(
    db: Any, tmp_path: Path
) -> None:
    bad = LOCAL_LIST.replace("    clause: 第1条\n", "    clasue: 第1条\n").replace(
        "subject: entrepreneur", "subject: firm"
    )
    message = load_error(write(tmp_path, bad))
    assert "条目 LOC-T-1：未知的键 clasue" in message
    assert "条目 LOC-T-2：subject 应是 official, entrepreneur 之一" in message


def test_an_item_without_an_id_is_named_by_its_place(db: Any, tmp_path: Path) -> None:
    bad = LOCAL_LIST.replace("  - id: LOC-T-2\n    list: local", "  - list: local")
    assert "第 2 个条目：id 必填" in load_error(write(tmp_path, bad))


def test_an_id_twice_and_a_datetime_are_refused(db: Any, tmp_path: Path) -> None:
    bad = LOCAL_LIST.replace("id: LOC-T-2", "id: LOC-T-1").replace(
        "effective_from: 2026-01-01 ", "effective_from: 2026-01-01 08:00 "
    )
    message = load_error(write(tmp_path, bad))
    assert "条目 LOC-T-1 出现了不止一次" in message
    assert "文件顶层：effective_from 不是日期" in message


def test_a_date_that_does_not_exist_is_refused_naming_the_line(db: Any, tmp_path: Path) -> None:
    bad = LOCAL_LIST.replace(
        "    clause: 第1条\n", "    clause: 第1条\n    effective_to: 2026-02-30\n"
    )
    line = bad.splitlines().index("    effective_to: 2026-02-30") + 1
    message = load_error(write(tmp_path, bad))
    assert f"local.yaml 第 {line} 行第 19 列：无法读取“2026-02-30”" in message


def test_a_checklist_with_a_bad_weight_loads_nothing(db: Any, tmp_path: Path) -> None:
    text = (
        "checklist:\n"
        "  - {code: T-1, area: 内部控制, title: 有制度, weight: 60}\n"
        "  - {code: T-2, area: 培训, title: 有培训, weight: 0, evidence_required: 'no'}\n"
    )
    message = load_error(write(tmp_path, text))
    assert "评价项 T-2：weight 应是1–100的整数" in message
    assert "评价项 T-2：evidence_required 应是 true 或 false" in message
    assert not CleanCriterion.objects.exists()


def test_files_that_are_not_lists_are_refused(db: Any, tmp_path: Path) -> None:
    assert "清单文件格式不正确" in load_error(write(tmp_path, "- 只是一个列表\n"))
    assert "既没有 items" in load_error(write(tmp_path, "# 空的\nformat: x\n"))
    assert "未知的键 item" in load_error(write(tmp_path, "item:\n  - id: X\n"))
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("title: café".encode("latin-1"))
    assert "不是 UTF-8 编码的文本" in load_error(latin1)
    assert "无法读取" in load_error(tmp_path / "missing.yaml")


def test_yaml_tags_that_build_objects_are_refused(db: Any, tmp_path: Path) -> None:
    evil = "!!python/object/apply:os.system ['echo hacked']\n"
    assert "不是有效的 YAML" in load_error(write(tmp_path, evil))


@given(st.text(max_size=200))
def test_any_text_parses_or_is_refused_with_a_service_error(text: str) -> None:
    try:
        services.parse_list_file(text, "x.yaml")
    except ServiceError as exc:
        assert exc.message.startswith("x.yaml")


# --- the shipped samples --------------------------------------------------------------------------
def test_the_sample_files_are_commented_yaml_with_7_6_7_items_and_valid_rules() -> None:
    text = (LISTS / "sample_lists.yaml").read_text(encoding="utf-8")
    assert text.startswith("#") and "机器规则语言" in text
    data = services.parse_list_file(text)
    kinds = Counter(item["list"] for item in data["items"])
    assert kinds == {
        "official_positive": 7,
        "official_negative": 6,
        "entrepreneur_negative": 7,
        "local": 1,
    }
    for item in data["items"]:
        assert item["text"].startswith("示例")
        rules.validate(item.get("rule"))
    checklist = services.read_list_file(LISTS / "clean_checklist.yaml")["checklist"]
    assert sum(c["weight"] for c in checklist) == 100
    assert not list(LISTS.glob("*.json"))


def test_the_sample_command_loads_both_files_once(db: Any) -> None:
    out = StringIO()
    call_command("conduct", "load", "--sample", stdout=out)
    assert "sample_lists.yaml: 21 new" in out.getvalue()
    assert "clean_checklist.yaml: 0 new, 0 superseded, 0 unchanged, 8 checklist items" in (
        out.getvalue()
    )
    out = StringIO()
    call_command("conduct", "load", "--sample", stdout=out)
    assert "sample_lists.yaml: 0 new, 0 superseded, 21 unchanged" in out.getvalue()
    assert ConductItem.objects.count() == 21


def test_the_examples_in_the_documentation_load(db: Any, tmp_path: Path) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 2, "docs/conduct-lists.md has a file and a rule example"
    for i, block in enumerate(blocks):
        data = services.parse_list_file(block)
        if "items" in data:
            assert "1 new" in load(write(tmp_path, block, f"example{i}.yaml"))
        else:
            rules.validate(data["rule"])
    assert ConductItem.objects.filter(rule__isnull=False).exists()
