"""A small offline SVG picture of a person's neighbourhood (no JavaScript, no CDN)."""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .graph import FIRM, Node, neighbourhood

WIDTH, HEIGHT = 640, 520
RADII = {0: 0, 1: 140, 2: 235}


def _short(text: str, n: int = 10) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def neighbourhood_svg(person_id: int, *, highlight: set[Node] | None = None) -> SafeString:
    nodes, edges = neighbourhood(person_id)
    highlight = highlight or set()
    cx, cy = WIDTH / 2, HEIGHT / 2
    rings: dict[int, list[Node]] = {}
    for node, (_label, ring) in nodes.items():
        rings.setdefault(ring, []).append(node)
    pos: dict[Node, tuple[float, float]] = {}
    for ring, members in rings.items():
        for i, node in enumerate(members):
            angle = 2 * math.pi * i / max(len(members), 1) - math.pi / 2 + ring * 0.4
            r = RADII.get(ring, 235)
            pos[node] = (cx + r * math.cos(angle), cy + r * math.sin(angle))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'class="relations-graph" role="img" font-family="Noto Sans CJK SC, sans-serif" '
        'font-size="12">'
    ]
    for edge in edges:
        (x1, y1), (x2, y2) = pos[edge.a], pos[edge.b]
        hot = edge.a in highlight and edge.b in highlight
        colour = "#c0392b" if hot else "#98a2b3"
        parts.append(
            f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" '
            f'stroke="{colour}" stroke-width="{3 if hot else 1.5}"/>'
            f'<text x="{(x1 + x2) / 2:.0f}" y="{(y1 + y2) / 2 - 3:.0f}" text-anchor="middle" '
            f'fill="#475467" font-size="11">{escape(edge.label)}</text>'
        )
    for node, (label, ring) in nodes.items():
        x, y = pos[node]
        hot = node in highlight
        stroke = "#c0392b" if hot else "#344054"
        if node[0] == FIRM:
            shape = (
                f'<rect x="{x - 58:.0f}" y="{y - 14:.0f}" width="116" height="28" rx="4" '
                f'fill="#eef4ff" stroke="{stroke}"/>'
            )
        else:
            fill = "#fef3f2" if ring == 0 else "#ffffff"
            shape = f'<circle cx="{x:.0f}" cy="{y:.0f}" r="26" fill="{fill}" stroke="{stroke}"/>'
        parts.append(
            f'<g class="node {node[0]}">{shape}<text x="{x:.0f}" y="{y + 4:.0f}" '
            f'text-anchor="middle" fill="#101828">{escape(_short(label))}</text></g>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
