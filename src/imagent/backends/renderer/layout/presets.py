"""The layout presets (poster, card, infographic, slide, banner) and the panel grid.

Each preset turns the texts into a `Layout`; the seed varies its choices (alignment,
margins, corner radii, where free space for art goes) but never the text.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

from imagent.backends.renderer.layout.geometry import Rect
from imagent.backends.renderer.layout.regions import (
    Layout,
    LayoutInput,
    Surface,
    grid_cells,
    headline_rules,
    panel_pieces,
)
from imagent.backends.renderer.layout.stack import Piece, Placed, StackStyle, place_stack
from imagent.backends.renderer.layout.themes import Theme, headline_emphasis
from imagent.core.types import GenerationSpec


def poster(inp: LayoutInput) -> Layout:
    """Bold type filling most of the canvas; the seed picks alignment and vertical position."""
    large = inp.emphasis == "large"
    area = inp.canvas.inset(inp.margin(0.05, 0.065) if large else inp.margin(0.07, 0.1))
    if inp.from_subject:
        return Layout(inp.canvas, tuple(place_stack(inp.pieces, area, inp.style(valign="bottom"))))
    align, valign = inp.rng.choice(
        [
            ("center", "center"),
            ("center", "center"),
            ("center", "top"),
            ("left", "center"),
            ("left", "bottom"),
        ]
    )
    style = inp.style(align=align, valign=valign, fill=1.0 if large else 0.8)
    texts = place_stack(inp.pieces, area, style)
    return Layout(inp.canvas, tuple(texts), rules=tuple(headline_rules(texts, inp.rng, area)))


def card(inp: LayoutInput) -> Layout:
    """A rounded card in the middle of the canvas, text centred on it."""
    rect = inp.canvas.inset(inp.margin(0.07, 0.11))
    radius = round(rect.short_side * inp.rng.uniform(0.03, 0.08))
    area = rect.inset(round(rect.short_side * 0.08) + radius // 3)
    valign = "bottom" if inp.from_subject else "center"
    texts = place_stack(inp.pieces, area, inp.style(surface="card", valign=valign))
    rules = headline_rules(texts, inp.rng, area)
    return Layout(inp.canvas, tuple(texts), (Surface(rect, "card", radius),), rules=tuple(rules))


def _split_ends(pieces: list[Piece]) -> tuple[list[Piece], list[Piece], list[Piece]]:
    """A leading headline, the middle, and trailing captions (a footer), in order."""
    head = pieces[:1] if pieces and pieces[0].role == "headline" else []
    rest = pieces[len(head) :]
    cut = len(rest)
    while cut > 0 and rest[cut - 1].role == "caption":
        cut -= 1
    return head, rest[:cut], rest[cut:]


def _slide_title(
    title: list[Piece], area: Rect, inp: LayoutInput
) -> tuple[list[Placed], list[Rect], int]:
    """The title in the top third, a short rule under it, and where the body may start."""
    style = inp.style(align="left", valign="top", headline_cap=0.75)
    texts = place_stack(title, area.top(round(area.h * 0.3)), style)
    if not texts:
        return [], [], area.y0
    thick = max(2, round(area.short_side * 0.012))
    y = texts[-1].box.y1 + round(texts[-1].typeset.size * 0.25)
    rule = Rect(area.x0, y, area.x0 + max(thick * 4, round(area.w * 0.16)), y + thick)
    return texts, [rule], y + thick + round(area.h * 0.06)


def slide(inp: LayoutInput) -> Layout:
    """Title top-left with a rule under it, body below, trailing captions bottom-right.

    On wide slides the seed may keep the right third free for a large decoration."""
    canvas = inp.canvas
    area = canvas.inset(round(canvas.w * 0.07), round(canvas.h * 0.08))
    title, body, footer = _split_ends(inp.pieces)
    if not body and not footer:
        texts = place_stack(title, area, inp.style(align="left"))
        return Layout(canvas, tuple(texts), rules=tuple(headline_rules(texts, inp.rng, area)))
    texts, rules, top = _slide_title(title, area, inp)
    bottom = area.y1 - (round(area.h * 0.1) if footer else 0)
    art = None
    if canvas.w > 1.25 * canvas.h and inp.rng.random() < 0.6:
        art = Rect(area.x1 - round(area.w * 0.3), top, area.x1, bottom)
    body_right = art.x0 - round(area.w * 0.04) if art else area.x1
    texts += place_stack(
        body, Rect(area.x0, top, body_right, bottom), inp.style(align="left", valign="top")
    )
    footer_style = inp.style(align="right", valign="bottom", role_cap=0.45)
    texts += place_stack(footer, area.below(bottom), footer_style)
    return Layout(canvas, tuple(texts), rules=tuple(rules), art=art)


def _items(
    pieces: list[Piece], area: Rect, inp: LayoutInput, largest: int | None
) -> tuple[list[Placed], list[Surface], list[Rect]]:
    """Each piece in its own box with an accent marker, text sizes matched across boxes
    (and no larger than `largest`, to stay below the headline)."""
    if not pieces:
        return [], [], []
    cols = 2 if len(pieces) >= 4 and area.w >= area.h * 0.9 else 1
    gutter = round(area.short_side * 0.035)
    cells = grid_cells(area, len(pieces), gutter, shape=(-(-len(pieces) // cols), cols))
    radius = round(min(c.short_side for c in cells) * inp.rng.choice([0.0, 0.12, 0.25]))
    markers = [c.left(max(3, round(c.short_side * 0.07))) for c in cells]
    areas = [
        c.right_of(m.x1).inset(round(c.short_side * 0.14))
        for c, m in zip(cells, markers, strict=True)
    ]

    def place(size_cap: int | None) -> list[Placed]:
        style = inp.style(align="left", surface="item", size_cap=size_cap, role_cap=0.42)
        return [t for p, a in zip(pieces, areas, strict=True) for t in place_stack([p], a, style)]

    first = place(largest)
    texts = place(min((t.typeset.size for t in first), default=largest))
    return texts, [Surface(c, "item", radius) for c in cells], markers


def infographic(inp: LayoutInput) -> Layout:
    """A headline band across the top, then one box per block, trailing captions as a footer."""
    canvas = inp.canvas
    head, items, footer = _split_ends(inp.pieces)
    margin = round(canvas.short_side * 0.06)
    texts: list[Placed] = []
    surfaces: list[Surface] = []
    top = canvas.y0 + margin
    if head:
        band = canvas.top(round(canvas.h * (0.26 if items or footer else 0.42)))
        surfaces.append(Surface(band, "band"))
        band_area = band.inset(margin, round(band.h * 0.14))
        texts += place_stack(head, band_area, inp.style(surface="band", headline_cap=0.85))
        top = band.y1 + margin
    footer_h = round(canvas.h * 0.09) if footer else 0
    body = Rect(canvas.x0 + margin, top, canvas.x1 - margin, canvas.y1 - margin - footer_h)
    largest = round(texts[0].typeset.size * 0.6) if texts else None
    item_texts, item_surfaces, markers = _items(items, body, inp, largest)
    texts += item_texts
    footer_area = Rect(body.x0, body.y1 + margin // 2, body.x1, canvas.y1 - margin // 2)
    texts += place_stack(footer, footer_area, inp.style(role_cap=0.5, size_cap=largest))
    art = body if not items and body.h > margin else None
    return Layout(
        canvas, tuple(texts), tuple(surfaces + item_surfaces), rules=tuple(markers), art=art
    )


def banner(inp: LayoutInput) -> Layout:
    """A wide strip: the headline on one line, the rest in a smaller line under it."""
    canvas = inp.canvas
    margin_y = round(canvas.h * 0.14)
    area = canvas.inset(max(margin_y, round(canvas.w * 0.05)), margin_y)
    cap = {"small": 0.3, "normal": 0.62, "large": 0.85}[inp.emphasis]
    align = inp.rng.choice(["center", "center", "left"])
    style = inp.style(align=align, single_line_headline=True, headline_cap=cap, role_cap=0.2)
    texts = place_stack(inp.pieces, area, style)
    return Layout(canvas, tuple(texts), rules=tuple(headline_rules(texts, inp.rng, area)))


def _panel_texts(group: list[Piece], cell: Rect, style: StackStyle) -> list[Placed]:
    """A panel's blocks fill it; a panel with only its number gets it small in a corner."""
    area = cell.inset(round(cell.short_side * 0.09))
    if len(group) == 1 and group[0].source < 0 and group[0].role == "label":
        corner = area.top(max(8, round(cell.h * 0.16)))
        return place_stack(group, corner, replace(style, align="left", valign="top", role_cap=0.9))
    return place_stack(group, area, style)


def panel_grid(inp: LayoutInput, count: int, preset: str) -> Layout:
    """`count` bordered panels in a grid; block i in panel i (see `panel_pieces`)."""
    canvas = inp.canvas
    area = canvas.inset(round(canvas.short_side * 0.05))
    cells = grid_cells(area, count, max(2, round(canvas.short_side * 0.03)))
    radius = round(min(c.short_side for c in cells) * inp.rng.choice([0.0, 0.04, 0.08]))
    align = "left" if preset == "slide" else "center"
    style = inp.style(align=align, surface="panel", role_cap=0.16)
    texts: list[Placed] = []
    for cell, group in zip(cells, panel_pieces(inp.pieces, count), strict=True):
        texts += _panel_texts(group, cell, style)
    surfaces = tuple(Surface(c, "panel", radius) for c in cells)
    return Layout(canvas, tuple(texts), surfaces, panels=tuple(cells))


PRESETS: dict[str, Callable[[LayoutInput], Layout]] = {
    "poster": poster,
    "card": card,
    "infographic": infographic,
    "slide": slide,
    "banner": banner,
}


def plan_layout(spec: GenerationSpec, preset: str, seed: int, theme: Theme) -> Layout:
    """The layout of one image: pure geometry, the same for the same spec, preset and seed."""
    canvas = Rect(0, 0, spec.size.width, spec.size.height)
    pieces = [Piece(b.text, b.role, i) for i, b in enumerate(spec.text) if b.text.strip()]
    from_subject = not pieces and bool(spec.subject.strip())
    if from_subject:
        pieces = [Piece(spec.subject.strip(), "caption")]
    rng = random.Random(f"layout:{preset}:{seed}")
    inp = LayoutInput(canvas, pieces, theme, headline_emphasis(spec), rng, from_subject)
    if spec.panels > 1:
        return panel_grid(inp, spec.panels, preset)
    return PRESETS[preset](inp)
