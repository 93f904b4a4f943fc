"""The layout record and the pieces every preset shares: panel grids and headline rules.

A `Layout` is pure geometry (no pixels): where each text goes, at which size, on which
surface, and which rectangles decoration must keep out of. Tests can check it directly.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from typing import Any, Literal

from imagent.backends.renderer.layout.geometry import Rect, free_of
from imagent.backends.renderer.layout.stack import Piece, Placed, StackStyle
from imagent.backends.renderer.layout.themes import Emphasis, Theme

SurfaceKind = Literal["card", "panel", "band", "item", "footer"]


@dataclass(frozen=True)
class Surface:
    """A filled shape text sits on: a card, a panel, a headline band, an item box."""

    rect: Rect
    kind: SurfaceKind
    radius: int = 0


@dataclass(frozen=True)
class Layout:
    """Where everything goes on one canvas."""

    canvas: Rect
    texts: tuple[Placed, ...] = ()
    surfaces: tuple[Surface, ...] = ()
    panels: tuple[Rect, ...] = ()  # one per panel when spec.panels > 1
    rules: tuple[Rect, ...] = ()  # accent bars (under headlines, beside items)
    art: Rect | None = None  # a spot kept free for one large decoration

    def keep_out(self) -> list[Rect]:
        """Rectangles decoration must not touch: every text with a margin, and the rules."""
        boxes = [t.box.grow(max(3, round(t.typeset.size * 0.45))) for t in self.texts]
        return boxes + [r.grow(2) for r in self.rules]


@dataclass
class LayoutInput:
    """What a preset lays out: the canvas, the texts in order, and the seeded choices."""

    canvas: Rect
    pieces: list[Piece]
    theme: Theme
    emphasis: Emphasis
    rng: random.Random
    from_subject: bool = False  # the only text is the spec's subject, shown as a caption

    def style(self, **overrides: Any) -> StackStyle:
        """The stack style for this theme and emphasis, with `overrides` applied."""
        base = StackStyle(
            emphasis=self.emphasis,
            headline_font=self.theme.headline_font,
            body_font=self.theme.body_font,
        )
        return replace(base, **overrides)

    def margin(self, low: float, high: float) -> int:
        """A seeded margin between `low` and `high` of the canvas's short side."""
        return round(self.canvas.short_side * self.rng.uniform(low, high))


def grid_shape(count: int, width: int, height: int) -> tuple[int, int]:
    """Rows and columns for `count` panels: cells as close to square as the canvas allows."""
    if count <= 1:
        return (1, 1)
    if count == 3:
        return (3, 1) if height > 1.5 * width else (1, 3)
    rows = max(1, min(count, round(math.sqrt(count * height / width))))
    cols = math.ceil(count / rows)
    return (math.ceil(count / cols), cols)


def grid_cells(
    area: Rect, count: int, gutter: int, shape: tuple[int, int] | None = None
) -> list[Rect]:
    """`count` cells in reading order (`shape`: rows and columns); a short last row is centred."""
    rows, cols = shape or grid_shape(count, area.w, area.h)
    cell_w = (area.w - gutter * (cols - 1)) / cols
    cell_h = (area.h - gutter * (rows - 1)) / rows
    cells = []
    for index in range(count):
        row, col = divmod(index, cols)
        in_row = min(cols, count - row * cols)
        shift = (cols - in_row) * (cell_w + gutter) / 2
        x0 = area.x0 + shift + col * (cell_w + gutter)
        y0 = area.y0 + row * (cell_h + gutter)
        cells.append(Rect(round(x0), round(y0), round(x0 + cell_w), round(y0 + cell_h)))
    return cells


def panel_pieces(pieces: list[Piece], count: int) -> list[list[Piece]]:
    """Block i goes to panel i; extra blocks join the last panel; empty panels get their number."""
    groups: list[list[Piece]] = [[] for _ in range(count)]
    for index, piece in enumerate(pieces):
        groups[min(index, count - 1)].append(piece)
    for index, group in enumerate(groups):
        if not group:
            group.append(Piece(str(index + 1), "label"))
    return groups


def headline_rules(texts: list[Placed], rng: random.Random, limit: Rect) -> list[Rect]:
    """An accent bar under the first headline, when the gap below it has room."""
    headlines = [t for t in texts if t.piece.role == "headline" and t.surface != "band"]
    if not headlines or rng.random() < 0.25:
        return []
    first = headlines[0]
    size = first.typeset.size
    thick = max(2, round(size * 0.07))
    width = min(first.box.w, max(round(size * 1.6), first.box.w // 3))
    x0 = {"left": first.box.x0, "center": first.box.cx - width // 2, "right": first.box.x1 - width}
    top = first.box.y1 + max(2, round(size * 0.12))
    rule = Rect(x0[first.align], top, x0[first.align] + width, top + thick)
    others = [t.box for t in texts if t is not first]
    return [rule] if limit.contains(rule) and free_of(rule.grow(2), others) else []
