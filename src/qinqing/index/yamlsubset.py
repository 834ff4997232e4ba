"""A loader for the strict subset of YAML the methodology files are written in.

PyYAML is used when it is installed; otherwise this reader handles the subset the files
keep to: block mappings and sequences (indentation by spaces), ``- key: value`` items,
plain, single- and double-quoted scalars, flow sequences of scalars (``[a, b]``), folded
(``>``) and literal (``|``) block scalars, comments and the scalars null/true/false,
integers and floats. Anything else is an error, so a file never means two things.
"""

from __future__ import annotations

import re
from typing import Any

_INT = re.compile(r"^[-+]?\d+$")
_FLOAT = re.compile(r"^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")


class YamlError(ValueError):
    pass


def _strip_comment(line: str) -> str:
    out, quote = [], ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            break
        out.append(ch)
    return "".join(out).rstrip()


def scalar(text: str) -> Any:
    text = text.strip()
    if text == "" or text in ("null", "~"):
        return None
    if text[0] == '"' and text[-1] == '"' and len(text) >= 2:
        return bytes(text[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
    if text[0] == "'" and text[-1] == "'" and len(text) >= 2:
        return text[1:-1].replace("''", "'")
    if text[0] == "[":
        if text[-1] != "]":
            raise YamlError(f"unclosed flow sequence: {text}")
        inner = text[1:-1].strip()
        return [scalar(part) for part in _split_flow(inner)] if inner else []
    if text[0] in "{&*!%@`":
        raise YamlError(f"unsupported YAML: {text}")
    if text in ("true", "True"):
        return True
    if text in ("false", "False"):
        return False
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _split_flow(inner: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    for ch in inner:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == ",":
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


class _Reader:
    def __init__(self, text: str) -> None:
        self.raw = text.splitlines()
        self.lines: list[tuple[int, str, int]] = []  # (indent, content, raw index)
        for number, line in enumerate(self.raw):
            if "\t" in line[: len(line) - len(line.lstrip())]:
                raise YamlError(f"line {number + 1}: tabs are not allowed for indentation")
            content = _strip_comment(line)
            if content.strip() in ("", "---"):
                continue
            self.lines.append((len(content) - len(content.lstrip(" ")), content.strip(), number))
        self.pos = 0

    def parse(self) -> Any:
        if not self.lines:
            return None
        value = self.block(self.lines[0][0])
        if self.pos != len(self.lines):
            raise YamlError(f"line {self.lines[self.pos][2] + 1}: unexpected indentation")
        return value

    def block(self, indent: int) -> Any:
        if self.lines[self.pos][1].startswith("- ") or self.lines[self.pos][1] == "-":
            return self.sequence(indent)
        return self.mapping(indent)

    def sequence(self, indent: int) -> list[Any]:
        items: list[Any] = []
        while self.pos < len(self.lines):
            ind, content, number = self.lines[self.pos]
            if ind < indent:
                break
            if ind > indent or not (content.startswith("- ") or content == "-"):
                raise YamlError(f"line {number + 1}: bad sequence item")
            rest = content[1:].strip()
            if not rest:
                self.pos += 1
                items.append(self.block(self.lines[self.pos][0]))
            elif _key_of(rest) is not None:
                # "- key: value" starts a mapping indented at the item's content
                child = ind + (len(content) - len(rest))
                self.lines[self.pos] = (child, rest, number)
                items.append(self.mapping(child))
            else:
                self.pos += 1
                items.append(scalar(rest))
        return items

    def mapping(self, indent: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while self.pos < len(self.lines):
            ind, content, number = self.lines[self.pos]
            if ind < indent:
                break
            if ind > indent:
                raise YamlError(f"line {number + 1}: unexpected indentation")
            key = _key_of(content)
            if key is None:
                raise YamlError(f"line {number + 1}: expected 'key: value'")
            if key in result:
                raise YamlError(f"line {number + 1}: duplicate key {key}")
            rest = content[len(key) + 1 :].strip()
            key = scalar(key) if key[0] in "'\"" else key
            self.pos += 1
            if rest in (">", "|", ">-", "|-"):
                result[key] = self.block_scalar(indent, folded=rest[0] == ">")
            elif rest:
                result[key] = scalar(rest)
            elif self.pos < len(self.lines) and self.lines[self.pos][0] > indent:
                result[key] = self.block(self.lines[self.pos][0])
            elif (
                self.pos < len(self.lines)
                and self.lines[self.pos][0] == indent
                and self.lines[self.pos][1].startswith("- ")
            ):
                result[key] = self.sequence(indent)
            else:
                result[key] = None
        return result

    def block_scalar(self, indent: int, *, folded: bool) -> str:
        start = self.lines[self.pos - 1][2] + 1
        texts: list[str] = []
        end = start
        while end < len(self.raw):
            line = self.raw[end]
            if line.strip() and len(line) - len(line.lstrip(" ")) <= indent:
                break
            texts.append(line.strip())
            end += 1
        while self.pos < len(self.lines) and self.lines[self.pos][2] < end:
            self.pos += 1
        while texts and not texts[-1]:
            texts.pop()
        if folded:
            paragraphs = "\n".join(texts).split("\n\n")
            return "\n".join(" ".join(p.split()) for p in paragraphs)
        return "\n".join(texts)


def _key_of(content: str) -> str | None:
    if content[0] in "'\"":
        close = content.find(content[0], 1)
        if close > 0 and content[close + 1 : close + 2] == ":":
            return content[: close + 1]
        return None
    match = re.match(r"^([^\s:\[\]{}#,][^:#]*?):(\s|$)", content)
    return match.group(1) if match else None


def loads(text: str) -> Any:
    """Parse ``text`` (PyYAML's ``safe_load`` when installed, else the subset reader)."""
    try:
        import yaml
    except ImportError:
        return _Reader(text).parse()
    return yaml.safe_load(text)


def loads_subset(text: str) -> Any:
    """The subset reader alone (tests compare it with PyYAML when that is installed)."""
    return _Reader(text).parse()
