"""Setting text: the shipped fonts, word wrapping, and truncation with an ellipsis.

Text is never changed, only broken into lines: at spaces, at explicit newlines, and inside
a word only when the word alone is wider than the measure.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files

from PIL import ImageFont

from imagent.backends.renderer.layout.scripts import CJK_FACES, cjk_font_path, font_for

FONT_FILES = {
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "serif-bold": "DejaVuSerif-Bold.ttf",
}
ELLIPSIS = "…"

Font = ImageFont.FreeTypeFont
_per_thread = threading.local()  # FreeType faces are not safe to share between threads


@cache
def _font_bytes(name: str) -> bytes:
    return (files("imagent") / "assets" / "fonts" / FONT_FILES[name]).read_bytes()


def load_font(name: str, size: int) -> Font:
    """A font at a pixel size, cached per thread: a shipped one (`sans`, `sans-bold`,
    `serif-bold`) or a face of Noto Sans CJK (`cjk-sc`, `cjk-tc`, `cjk-jp`, `cjk-kr`)."""
    fonts: dict[tuple[str, int], Font] | None = getattr(_per_thread, "fonts", None)
    if fonts is None or len(fonts) > 512:
        fonts = _per_thread.fonts = {}
    key = (name, max(1, size))
    if key not in fonts:
        if name in CJK_FACES:
            fonts[key] = ImageFont.truetype(str(cjk_font_path()), key[1], index=CJK_FACES[name])
        else:
            fonts[key] = ImageFont.truetype(io.BytesIO(_font_bytes(name)), key[1])
    return fonts[key]


@dataclass(frozen=True)
class Typeset:
    """A text broken into lines at one font and size, with its measured extent."""

    lines: tuple[str, ...]
    font_name: str
    size: int
    pitch: int  # baseline-to-baseline distance
    width: int  # the widest line's advance
    height: int
    overflow: bool  # some line is wider than the measure even after breaking
    truncated: bool = False
    broken: bool = False  # a word was split across lines (a last resort)

    @property
    def font(self) -> Font:
        return load_font(self.font_name, self.size)


def _break_word(word: str, font: Font, measure: float) -> list[str]:
    """Split a word wider than the measure into pieces that fit (one glyph at least)."""
    pieces, current = [], ""
    for char in word:
        if current and font.getlength(current + char) > measure:
            pieces.append(current)
            current = char
        else:
            current += char
    return [*pieces, current]


# A word, or one CJK character with the punctuation that may not start a line after it.
_TOKEN = re.compile(
    r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\u3040-\u30ff][、。，．！？：；）」』】〉》…ー・%％]*"
    r"|[^\s\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\u3040-\u30ff]+"
)


def _wrap_paragraph(paragraph: str, font: Font, measure: float) -> tuple[list[str], bool]:
    """Greedy wrap at spaces, and between any two CJK characters (which have no spaces)."""
    lines: list[str] = []
    current, broken = "", False
    for match in _TOKEN.finditer(paragraph):
        word = match.group(0)
        spaced = bool(current) and paragraph[match.start() - 1 : match.start()].isspace()
        candidate = f"{current} {word}" if spaced else current + word
        if not current or font.getlength(candidate) <= measure:
            current = candidate
        else:
            lines.append(current)
            current = word
        if current == word and font.getlength(word) > measure:
            *done, current = _break_word(word, font, measure)
            lines.extend(done)
            broken = broken or bool(done)
    return [*lines, current], broken


def wrap(text: str, font: Font, measure: float) -> tuple[list[str], bool]:
    """Greedy word wrap; explicit newlines always break. Also says whether a word was split."""
    lines: list[str] = []
    broken = False
    for paragraph in text.strip().split("\n"):
        paragraph_lines, paragraph_broken = _wrap_paragraph(paragraph, font, measure)
        lines.extend(paragraph_lines)
        broken = broken or paragraph_broken
    return lines, broken


def _measure(lines: list[str], font: Font, font_name: str, size: int, leading: float) -> Typeset:
    ascent, descent = font.getmetrics()
    pitch = ascent + descent + round(size * leading)
    widths = [font.getlength(line) for line in lines] or [0.0]
    height = (len(lines) - 1) * pitch + ascent + descent
    return Typeset(tuple(lines), font_name, size, pitch, round(max(widths)), height, False)


def set_text(
    text: str,
    font_name: str,
    size: int,
    measure: int,
    *,
    leading: float = 0.1,
    single_line: bool = False,
) -> Typeset:
    """Set `text` at `size`, wrapped to `measure` pixels (or only at newlines if single_line)."""
    font_name = font_for(text, font_name)
    font = load_font(font_name, size)
    if single_line:
        lines, broken = [line.strip() for line in text.strip().split("\n")], False
    else:
        lines, broken = wrap(text, font, measure)
    typeset = _measure(lines, font, font_name, size, leading)
    return replace(typeset, overflow=typeset.width > measure, broken=broken)


def balance(typeset: Typeset, text: str, measure: int, leading: float) -> Typeset:
    """Re-wrap to the narrowest measure that keeps the line count, so lines come out even."""
    if len(typeset.lines) < 2 or typeset.overflow or typeset.broken:
        return typeset
    low, high = measure // 2, measure
    best = typeset
    while high - low > 2:
        middle = (low + high) // 2
        trial = set_text(text, typeset.font_name, typeset.size, middle, leading=leading)
        if len(trial.lines) <= len(typeset.lines) and not trial.overflow and not trial.broken:
            best, high = trial, middle
        else:
            low = middle
    return best


def truncate(typeset: Typeset, max_height: int, measure: int, leading: float) -> Typeset | None:
    """Keep the lines that fit in `max_height`, ending the last one with an ellipsis.

    Returns None when not even one line fits.
    """
    font = typeset.font
    ascent, descent = font.getmetrics()
    keep = (
        (max_height - ascent - descent) // typeset.pitch + 1
        if max_height >= ascent + descent
        else 0
    )
    if keep <= 0:
        return None
    if keep >= len(typeset.lines):
        return typeset
    lines = list(typeset.lines[:keep])
    last = lines[-1].rstrip()
    while last and font.getlength(last + ELLIPSIS) > measure:
        last = last[:-1].rstrip()
    lines[-1] = last + ELLIPSIS
    return replace(_measure(lines, font, typeset.font_name, typeset.size, leading), truncated=True)
