"""Stacking text blocks in an area: one scale for all, searched so the stack just fits.

Every role's size is a fixed ratio of the headline's (so the hierarchy holds whatever the
text), capped per role so short texts do not balloon, and floored so nothing becomes
unreadable. When even the floor does not fit, headlines under 200 characters shrink below
it and other blocks are cut at a line boundary with an ellipsis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Literal

from imagent.backends.renderer.layout.geometry import Rect
from imagent.backends.renderer.layout.text import Typeset, balance, set_text, truncate
from imagent.backends.renderer.layout.themes import Emphasis

Align = Literal["left", "center", "right"]
VAlign = Literal["top", "center", "bottom"]

MIN_FONT_SIZE = 8
HARD_MIN_FONT_SIZE = 3  # only for short headlines that must never be truncated
NEVER_TRUNCATE_HEADLINE_BELOW = 200

_RATIOS: dict[Emphasis, dict[str, float]] = {
    "small": {"headline": 1.0, "label": 0.8, "body": 0.7, "caption": 0.55},
    "normal": {"headline": 1.0, "label": 0.5, "body": 0.42, "caption": 0.32},
    "large": {"headline": 1.0, "label": 0.3, "body": 0.26, "caption": 0.2},
}
_HEADLINE_CAP: dict[Emphasis, float] = {"small": 0.12, "normal": 0.36, "large": 0.9}
_OTHER_CAP = {"label": 0.08, "body": 0.11, "caption": 0.06}  # of the area's short side
_LEADING = {"headline": 0.0, "label": 0.1, "body": 0.18, "caption": 0.12}


@dataclass(frozen=True)
class Piece:
    """A text to place and its role; `source` is its index in `spec.text` (-1: not from it)."""

    text: str
    role: str
    source: int = -1


@dataclass(frozen=True)
class StackStyle:
    """How a stack sits in its area and which fonts it uses."""

    align: Align = "center"
    valign: VAlign = "center"
    emphasis: Emphasis = "normal"
    headline_font: str = "sans-bold"
    body_font: str = "sans"
    single_line_headline: bool = False
    headline_cap: float | None = None  # overrides the emphasis cap (fraction of area height)
    size_cap: int | None = None  # no role larger than this (to match sizes across boxes)
    role_cap: float | None = None  # caps non-headline roles at this fraction of the area height
    fill: float = 1.0  # the share of the area's height the stack may take (room for decoration)
    surface: str = "background"


@dataclass(frozen=True)
class Placed:
    """A piece set in lines at a position: `box` is the extent of its lines."""

    piece: Piece
    typeset: Typeset
    box: Rect
    align: Align
    surface: str

    def line_origins(self) -> list[tuple[int, int]]:
        """Top-left corner of each line (for Pillow's "la" anchor)."""
        font, origins = self.typeset.font, []
        for i, line in enumerate(self.typeset.lines):
            width = round(font.getlength(line))
            x = {
                "left": self.box.x0,
                "center": self.box.cx - width // 2,
                "right": self.box.x1 - width,
            }[self.align]
            origins.append((x, self.box.y0 + i * self.typeset.pitch))
        return origins


def _font_for(role: str, style: StackStyle) -> str:
    return {"headline": style.headline_font, "label": "sans-bold"}.get(role, style.body_font)


def _caps(area: Rect, style: StackStyle) -> dict[str, int]:
    headline = style.headline_cap or _HEADLINE_CAP[style.emphasis]
    if style.role_cap is not None:
        caps = {role: round(area.h * style.role_cap) for role in _OTHER_CAP}
    else:
        caps = {role: round(area.short_side * f) for role, f in _OTHER_CAP.items()}
    caps["headline"] = round(area.h * headline)
    if style.size_cap is not None:
        caps = {role: min(cap, style.size_cap) for role, cap in caps.items()}
    return {role: max(MIN_FONT_SIZE, cap) for role, cap in caps.items()}


def _set(piece: Piece, size: int, area: Rect, style: StackStyle) -> Typeset:
    single = style.single_line_headline and piece.role == "headline"
    return set_text(
        piece.text, _font_for(piece.role, style), size, area.w,
        leading=_LEADING[piece.role], single_line=single,
    )  # fmt: skip


def _gaps(typesets: list[Typeset]) -> list[int]:
    return [round(0.4 * max(a.size, b.size)) for a, b in pairwise(typesets)]


def _height(typesets: list[Typeset]) -> int:
    return sum(t.height for t in typesets) + sum(_gaps(typesets))


def _set_at_scale(pieces: list[Piece], scale: int, area: Rect, style: StackStyle) -> list[Typeset]:
    caps, ratios = _caps(area, style), _RATIOS[style.emphasis]
    sizes = [min(caps[p.role], max(MIN_FONT_SIZE, round(scale * ratios[p.role]))) for p in pieces]
    return [_set(p, size, area, style) for p, size in zip(pieces, sizes, strict=True)]


def _fits(typesets: list[Typeset], area: Rect, strict: bool = False) -> bool:
    """Fits the area; `strict` also refuses words split across lines."""
    if strict and any(t.broken for t in typesets):
        return False
    return _height(typesets) <= area.h and not any(t.overflow for t in typesets)


def _search(low: int, high: int, fits: Callable[[int], bool]) -> int:
    """The largest value in [low, high] that fits, given that `low` fits."""
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _grow_headlines(
    pieces: list[Piece], typesets: list[Typeset], area: Rect, style: StackStyle, strict: bool
) -> list[Typeset]:
    """Give headlines the room the other blocks left (they may be held at their floor)."""
    heads = [i for i, p in enumerate(pieces) if p.role == "headline"]
    if not heads or len(heads) == len(pieces):
        return typesets
    tried: dict[int, list[Typeset]] = {typesets[heads[0]].size: typesets}

    def fits(size: int) -> bool:
        trial = list(typesets)
        for i in heads:
            trial[i] = _set(pieces[i], size, area, style)
        tried[size] = trial
        return _fits(trial, area, strict)

    start = typesets[heads[0]].size
    return tried[_search(start, max(start, _caps(area, style)["headline"]), fits)]


def _fit_scale(
    pieces: list[Piece], area: Rect, style: StackStyle, strict: bool
) -> list[Typeset] | None:
    """Binary search on the headline scale; None when even the floor sizes do not fit."""
    caps, ratios = _caps(area, style), _RATIOS[style.emphasis]
    tried: dict[int, list[Typeset]] = {}

    def fits(scale: int) -> bool:
        tried[scale] = _set_at_scale(pieces, scale, area, style)
        return _fits(tried[scale], area, strict)

    if not fits(1):
        return None
    high = max(round(caps[p.role] / ratios[p.role]) for p in pieces)
    return _grow_headlines(pieces, tried[_search(1, high, fits)], area, style, strict)


def _largest_fit(pieces: list[Piece], area: Rect, style: StackStyle) -> list[Typeset] | None:
    """The largest sizes that fit; splitting a word is allowed only when nothing else fits."""
    return _fit_scale(pieces, area, style, strict=True) or _fit_scale(
        pieces, area, style, strict=False
    )


def _protected(piece: Piece) -> bool:
    return piece.role == "headline" and len(piece.text) < NEVER_TRUNCATE_HEADLINE_BELOW


def _shrink_protected(pieces: list[Piece], area: Rect, style: StackStyle) -> dict[int, Typeset]:
    """Set the never-truncated headlines at the largest shared size (down to the hard floor)
    at which they alone fit the area."""
    indices = [i for i, p in enumerate(pieces) if _protected(p)]
    size = MIN_FONT_SIZE
    while size > HARD_MIN_FONT_SIZE:
        typesets = [_set(pieces[i], size, area, style) for i in indices]
        if _fits(typesets, area):
            break
        size -= 1
    return {i: _set(pieces[i], size, area, style) for i in indices}


def _squeeze(pieces: list[Piece], area: Rect, style: StackStyle) -> list[tuple[Piece, Typeset]]:
    """Fit text that does not fit at the floor sizes: shrink short headlines, cut the rest.

    A short headline is cut only when even the hard floor cannot fit it in the area alone
    (a long headline in a tiny panel): staying inside the canvas comes first.
    """
    fixed = _shrink_protected(pieces, area, style)
    floor = _set_at_scale(pieces, 1, area, style)
    budget = area.h - sum(t.height for t in fixed.values() if t.height <= area.h)
    kept: list[tuple[Piece, Typeset]] = []
    for i, piece in enumerate(pieces):
        typeset = fixed.get(i)
        if typeset is not None and typeset.height <= area.h:
            kept.append((piece, typeset))
            continue
        gap = round(0.4 * floor[i].size) if kept else 0
        cut = truncate(typeset or floor[i], budget - gap, area.w, _LEADING[piece.role])
        if cut is not None:
            kept.append((piece, cut))
            budget -= cut.height + gap
    return kept


def _balanced(piece: Piece, typeset: Typeset, area: Rect, style: StackStyle) -> Typeset:
    single = style.single_line_headline and piece.role == "headline"
    if single or typeset.truncated or len(typeset.lines) > 6:
        return typeset
    return balance(typeset, piece.text, area.w, _LEADING[piece.role])


def _stack_top(height: int, area: Rect, valign: VAlign) -> int:
    spare = max(0, area.h - height)
    return area.y0 + {"top": 0, "center": spare // 2, "bottom": spare}[valign]


def _x0(width: int, area: Rect, align: Align) -> int:
    return {"left": area.x0, "center": area.cx - width // 2, "right": area.x1 - width}[align]


def place_stack(pieces: list[Piece], area: Rect, style: StackStyle) -> list[Placed]:
    """Set `pieces` as large as their roles allow inside `area`, top to bottom, in order."""
    pieces = [p for p in pieces if p.text.strip()]
    if not pieces or area.w < 4 or area.h < 4:
        return []
    room = Rect(area.x0, area.y0, area.x1, area.y0 + max(4, round(area.h * style.fill)))
    fitted = _largest_fit(pieces, room, style)
    if fitted is None and room != area:
        fitted = _largest_fit(pieces, area, style)
    if fitted is None and style.single_line_headline:
        return place_stack(pieces, area, replace(style, single_line_headline=False))
    if fitted is None:
        pairs = _squeeze(pieces, area, style)
    else:
        pairs = list(zip(pieces, fitted, strict=True))
    if style.align == "center":
        pairs = [(p, _balanced(p, t, area, style)) for p, t in pairs]
    typesets = [t for _, t in pairs]
    if not typesets:
        return []
    y = _stack_top(_height(typesets), area, style.valign)
    placed = []
    for (piece, typeset), gap in zip(pairs, [*_gaps(typesets), 0], strict=True):
        width = min(typeset.width, area.w)
        x0 = _x0(width, area, style.align)
        box = Rect(x0, y, x0 + width, y + typeset.height)
        placed.append(Placed(piece, typeset, box, style.align, style.surface))
        y += typeset.height + gap
    return placed
