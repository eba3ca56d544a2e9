"""Diagrams drawn from the lifecycle tables (workflow.lifecycles.ALL), so a picture can never disagree with the rules:
Mermaid text for the README (GitHub renders it) and a self-contained SVG for the application's lifecycle page (drawn
here, on the server: no script, no CDN, nothing for the Content-Security-Policy to allow).
"""
from __future__ import annotations

import re
from collections import deque
from html import escape

from workflow.lifecycles import ALL, View

# ------------------------------------------------------------------------------------------------ Mermaid
README_BEGIN = "<!-- lifecycle:{key} (generated from the tables: `python -m workflow.diagrams`) -->"
README_END = "<!-- /lifecycle:{key} -->"


def mermaid(view: View) -> str:
    """A `stateDiagram-v2` with the codes (the README is read by engineers); one edge per source of each trigger."""
    lines = ["stateDiagram-v2"]
    if view.initial:
        lines.append(f"    [*] --> {view.initial}")
    for step in view.steps:
        for source in step.sources:
            lines.append(f"    {source} --> {step.dest}: {step.code}")
    for state in view.final:
        lines.append(f"    {state} --> [*]")
    return "\n".join(lines)


def readme_block(view: View) -> str:
    return "\n".join((README_BEGIN.format(key=view.key), "```mermaid", mermaid(view), "```",
                      README_END.format(key=view.key)))


def readme_blocks(text: str) -> dict[str, str]:
    """The generated blocks found in a README's text, by lifecycle key."""
    found = {}
    for m in re.finditer(r"<!-- lifecycle:(\w+) .*?-->.*?<!-- /lifecycle:\1 -->", text, flags=re.S):
        found[m.group(1)] = m.group(0)
    return found


def refresh_readme(text: str) -> str:
    """The README with every lifecycle block replaced by what the tables generate now."""
    blocks = readme_blocks(text)
    for view in ALL:
        if view.key in blocks:
            text = text.replace(blocks[view.key], readme_block(view))
    return text


# ------------------------------------------------------------------------------------------------ SVG
NODE_W, NODE_H, COL, ROW, MARGIN = 176, 46, 250, 96, 40


def _layers(view: View) -> dict[str, int]:
    """Each state's column: its distance from the initial state along the triggers (unreachable states last)."""
    edges = {s: [] for s in view.states}
    for step in view.steps:
        for source in step.sources:
            edges[source].append(step.dest)
    layer = {view.initial: 0} if view.initial else {}
    queue = deque(layer)
    while queue:
        state = queue.popleft()
        for dest in edges[state]:
            if dest not in layer:
                layer[dest] = layer[state] + 1
                queue.append(dest)
    last = max(layer.values(), default=-1) + 1
    return {s: layer.get(s, last) for s in view.states}


def _positions(view: View) -> tuple[dict[str, tuple[float, float]], float, float]:
    layer = _layers(view)
    columns: dict[int, list[str]] = {}
    for state in view.states:
        columns.setdefault(layer[state], []).append(state)
    tallest = max(len(c) for c in columns.values())
    width = MARGIN * 2 + (max(columns) + 1) * COL - (COL - NODE_W)
    height = MARGIN * 2 + tallest * ROW - (ROW - NODE_H) + 2 * 40  # room for the arcs above and below
    pos = {}
    for col, states in columns.items():
        top = MARGIN + 40 + (tallest - len(states)) * ROW / 2
        for i, state in enumerate(states):
            pos[state] = (MARGIN + col * COL, top + i * ROW)
    return pos, width, height


def _text_width(text: str) -> float:
    return len(text) * 6.2 + 10


def _wrap(text: str, limit: int = 24) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > limit:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


def svg(view: View) -> str:
    """The lifecycle as an accessible SVG: states as boxes (final ones doubled), one labelled arrow per source of
    each trigger. Forward steps run left to right; steps back (or within a column) arc above or below."""
    pos, width, height = _positions(view)
    layer = _layers(view)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-labelledby="lc-{view.key}-title" class="lifecycle-diagram" '
        f'font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="lc-{view.key}-title">Sơ đồ vòng đời: {escape(view.title)}</title>',
        f'<defs><marker id="lc-{view.key}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#495057"/></marker></defs>',
    ]
    edges, labels = [], []
    arcs = 0
    for step in view.steps:
        label = view.action_labels.get(step.code, step.code)
        for source in step.sources:
            (x1, y1), (x2, y2) = pos[source], pos[step.dest]
            if layer[step.dest] > layer[source]:
                sx, sy, ex, ey = x1 + NODE_W, y1 + NODE_H / 2, x2, y2 + NODE_H / 2
                dx = (ex - sx) / 2
                path = f"M{sx:.0f},{sy:.0f} C{sx + dx:.0f},{sy:.0f} {ex - dx:.0f},{ey:.0f} {ex:.0f},{ey:.0f}"
                lx, ly = (sx + ex) / 2, (sy + ey) / 2
            else:
                above = arcs % 2 == 0
                arcs += 1
                sy = y1 if above else y1 + NODE_H
                ey = y2 if above else y2 + NODE_H
                sx, ex = x1 + NODE_W * 0.6, x2 + NODE_W * 0.4
                lift = -42 if above else 42
                cy = min(sy, ey) + lift if above else max(sy, ey) + lift
                path = f"M{sx:.0f},{sy:.0f} C{sx:.0f},{cy:.0f} {ex:.0f},{cy:.0f} {ex:.0f},{ey:.0f}"
                lx, ly = (sx + ex) / 2, cy + (8 if above else -8)
            edges.append(f'<path d="{path}" fill="none" stroke="#495057" stroke-width="1.4" '
                         f'marker-end="url(#lc-{view.key}-arrow)"><title>{escape(label)} ({step.code})</title></path>')
            w = _text_width(label)
            labels.append(f'<rect x="{lx - w / 2:.0f}" y="{ly - 9:.0f}" width="{w:.0f}" height="16" rx="3" '
                          f'fill="#ffffff" fill-opacity="0.9"/><text x="{lx:.0f}" y="{ly + 3:.0f}" '
                          f'text-anchor="middle" fill="#212529">{escape(label)}</text>')
    nodes = []
    for state in view.states:
        x, y = pos[state]
        final = state in view.final
        initial = state == view.initial
        fill, stroke = ("#e9ecef" if final else "#e7f1ff"), ("#212529" if initial else "#0d6efd")
        nodes.append(f'<g data-state="{state}"><rect x="{x:.0f}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" '
                     f'rx="8" fill="{fill}" stroke="{stroke}" stroke-width="{2.5 if initial else 1.5}"/>')
        if final:
            nodes.append(f'<rect x="{x + 3:.0f}" y="{y + 3:.0f}" width="{NODE_W - 6}" height="{NODE_H - 6}" rx="6" '
                         'fill="none" stroke="#6c757d"/>')
        lines = _wrap(view.state_labels.get(state, state))
        first = y + NODE_H / 2 - (len(lines) - 1) * 7 + 4
        for i, line in enumerate(lines):
            nodes.append(f'<text x="{x + NODE_W / 2:.0f}" y="{first + i * 14:.0f}" text-anchor="middle" '
                         f'font-weight="600" fill="#212529">{escape(line)}</text>')
        nodes.append("</g>")
    return "\n".join([*out, *edges, *nodes, *labels, "</svg>"])


if __name__ == "__main__":  # prints the README blocks, to paste (or check) by hand
    print("\n\n".join(readme_block(v) for v in ALL))
