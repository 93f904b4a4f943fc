"""Integer rectangles: the unit every layout decision is made in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rect:
    """A half-open pixel rectangle: x0 <= x < x1, y0 <= y < y1."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def w(self) -> int:
        return self.x1 - self.x0

    @property
    def h(self) -> int:
        return self.y1 - self.y0

    @property
    def cx(self) -> int:
        return (self.x0 + self.x1) // 2

    @property
    def cy(self) -> int:
        return (self.y0 + self.y1) // 2

    @property
    def short_side(self) -> int:
        return min(self.w, self.h)

    @property
    def box(self) -> tuple[int, int, int, int]:
        """The inclusive corner box Pillow's drawing functions take."""
        return (self.x0, self.y0, max(self.x0, self.x1 - 1), max(self.y0, self.y1 - 1))

    def inset(self, dx: int, dy: int | None = None) -> Rect:
        """Shrink by `dx` left and right and `dy` (default `dx`) top and bottom; never inverts."""
        dy = dx if dy is None else dy
        dx, dy = min(dx, (self.w - 1) // 2), min(dy, (self.h - 1) // 2)
        return Rect(self.x0 + dx, self.y0 + dy, self.x1 - dx, self.y1 - dy)

    def grow(self, d: int) -> Rect:
        return Rect(self.x0 - d, self.y0 - d, self.x1 + d, self.y1 + d)

    def intersects(self, other: Rect) -> bool:
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )

    def contains(self, other: Rect) -> bool:
        return (
            self.x0 <= other.x0
            and self.y0 <= other.y0
            and other.x1 <= self.x1
            and other.y1 <= self.y1
        )

    def top(self, height: int) -> Rect:
        """The top strip of this rectangle, `height` tall."""
        return Rect(self.x0, self.y0, self.x1, min(self.y1, self.y0 + height))

    def below(self, y: int) -> Rect:
        """The part of this rectangle under the line `y`."""
        return Rect(self.x0, min(self.y1 - 1, max(self.y0, y)), self.x1, self.y1)

    def left(self, width: int) -> Rect:
        return Rect(self.x0, self.y0, min(self.x1, self.x0 + width), self.y1)

    def right_of(self, x: int) -> Rect:
        return Rect(min(self.x1 - 1, max(self.x0, x)), self.y0, self.x1, self.y1)


def free_of(rect: Rect, obstacles: list[Rect]) -> bool:
    """True when `rect` overlaps none of the obstacles."""
    return not any(rect.intersects(o) for o in obstacles)
