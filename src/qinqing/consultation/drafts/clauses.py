"""Splitting a pasted policy text into clauses.

Rule: when the text has clause headings at the start of a line — 第一条, 第二十三条, 第3条
(Chinese or Arabic numerals, followed by a space or the clause text) — every heading starts
a clause and runs to the next heading; text before the first heading (a title, a chapter
line) is kept as a preamble clause without heading. Chapter lines (第一章 …) inside a clause
stay in it. Without headings, every non-empty paragraph (line) is one clause.
Clauses are numbered 1, 2, 3 … in order; whitespace at their ends is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING = re.compile(
    r"^[ \t\u3000]*(第[一二三四五六七八九十百千零〇两0-9０-９]+条)[ \t\u3000]*", re.M
)


@dataclass(frozen=True)
class Piece:
    number: int
    heading: str
    text: str


def split_clauses(text: str) -> list[Piece]:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    matches = list(HEADING.finditer(text))
    pieces: list[tuple[str, str]] = []
    if matches:
        preamble = text[: matches[0].start()].strip()
        if preamble:
            pieces.append(("", preamble))
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            pieces.append((m.group(1), text[m.end() : end].strip()))
    else:
        pieces = [("", line.strip()) for line in text.split("\n") if line.strip()]
    return [Piece(i, heading, body) for i, (heading, body) in enumerate(pieces, start=1)]
