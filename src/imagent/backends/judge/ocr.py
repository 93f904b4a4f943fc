"""The `ocr` judge: reads the text in an image with RapidOCR and checks it against what the
checklist expects.

RapidOCR reads glyphs between roughly 32 and 96 px tall reliably; larger text comes back in
fragments. The judge therefore reads at several sizes (longer side 1024, 512, 256 px) and stops
as soon as every expectation has been seen at some size.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar

from PIL import Image
from rapidocr_onnxruntime import RapidOCR

from imagent.backends.judge.base import Judge
from imagent.backends.judge.text_match import Expectation, Haystack, quoted, reading_order
from imagent.core.types import ChecklistItem, GenerationSpec, ItemKind, Verdict

SCALES = (1024, 512, 256)  # longer side of the image, in px, tried in this order
MAX_ASPECT = 2.0  # RapidOCR upscales the short side to 736 px; pad very long images first
REASON_CHARS = 120

_lock = threading.Lock()
_engine: Any = None


def _get_engine() -> Any:
    """The process-wide RapidOCR engine, created on first use (~0.1-0.7 s). Call under `_lock`."""
    global _engine
    if _engine is None:
        _engine = RapidOCR()
    return _engine


def scales_for(image: Image.Image) -> list[int]:
    """Longer-side sizes to read `image` at: never upscaled, near-duplicates skipped."""
    first = min(max(image.size), SCALES[0])
    return [first, *(s for s in SCALES[1:] if s < 0.8 * first)]


def _prepare(image: Image.Image, longer_side: int) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        flat = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(flat, image.convert("RGBA"))
    image = image.convert("RGB")
    ratio = longer_side / max(image.size)
    if ratio < 1:
        size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    width, height = image.size
    short = round(max(width, height) / MAX_ASPECT)
    if min(width, height) < short:
        # A 1024x40 banner would be read at 18000x736; pad it with its own corner colour.
        canvas = Image.new("RGB", (max(width, short), max(height, short)), image.getpixel((0, 0)))
        canvas.paste(image, ((canvas.width - width) // 2, (canvas.height - height) // 2))
        image = canvas
    return image


def read_text(image: Image.Image, longer_side: int = SCALES[0]) -> list[str]:
    """The text fragments in `image`, in reading order, read with the image scaled down so its
    longer side is at most `longer_side` px. Blocking; safe to call from several threads."""
    prepared = _prepare(image, longer_side)
    with _lock:
        result, _ = _get_engine()(prepared)
    return reading_order([(box, text) for box, text, _score in result or []])


@dataclass
class _Reading:
    """Fragments read so far at each scale, and which expectations some scale satisfied."""

    fragments: dict[int, list[str]] = field(default_factory=dict)
    found_at: dict[Expectation, int] = field(default_factory=dict)

    def describe(self, scale: int | None = None) -> str:
        scale = scale if scale is not None else next(iter(self.fragments), 0)
        text = " | ".join(self.fragments.get(scale, []))
        if len(text) > REASON_CHARS:
            text = text[: REASON_CHARS - 1] + "…"
        return f'read "{text}" at {scale} px'


class OCRJudge(Judge):
    """Checks text items (and items quoting text) against the text RapidOCR reads."""

    provider: ClassVar[str] = "ocr"

    def applies_to(self, item: ChecklistItem) -> bool:
        return item.kind == ItemKind.TEXT or bool(quoted(item.question))

    async def judge(
        self, image: Image.Image | None, items: list[ChecklistItem], spec: GenerationSpec
    ) -> list[Verdict]:
        wanted = [expectations(item, spec) for item in items]
        pending = {e for exps in wanted for e in exps}
        reading = _Reading()
        if image is not None and pending:
            reading = await self._read(image, pending)
        return [self._verdict(i, w, image, reading) for i, w in zip(items, wanted, strict=True)]

    async def _read(self, image: Image.Image, pending: set[Expectation]) -> _Reading:
        reading = _Reading()
        for scale in scales_for(image):
            fragments = await asyncio.to_thread(read_text, image, scale)
            reading.fragments[scale] = fragments
            hay = Haystack.of(fragments)
            for expectation in [e for e in pending if e.found_in(hay)]:
                reading.found_at[expectation] = scale
                pending.discard(expectation)
            if not pending:
                break
        return reading

    def _verdict(
        self,
        item: ChecklistItem,
        wanted: list[Expectation],
        image: Image.Image | None,
        reading: _Reading,
    ) -> Verdict:
        def verdict(passed: bool | None, reason: str) -> Verdict:
            return Verdict(item_id=item.id, passed=passed, reason=reason, judge=self.id)

        if not wanted:
            return verdict(None, "no expected text")
        if image is None:
            return verdict(None, "no image to read")
        if not any(reading.fragments.values()):
            return verdict(False, "no text found")
        missing = [e for e in wanted if e not in reading.found_at]
        if missing:
            scales = ", ".join(str(s) for s in reading.fragments)
            names = ", ".join(str(e) for e in missing)
            return verdict(False, f"missing {names}; {reading.describe()} (tried {scales} px)")
        found = ", ".join(f"{e} at {reading.found_at[e]} px" for e in wanted)
        last = min(reading.found_at[e] for e in wanted)
        return verdict(True, f"found {found}; {reading.describe(last)}")


def expectations(item: ChecklistItem, spec: GenerationSpec) -> list[Expectation]:
    """What text `item` asks for: its `expect` regexes, else the strings its question quotes,
    else (for a text item) every text block of the spec."""
    if item.expect:
        return [Expectation(pattern, regex=True) for pattern in item.expect]
    if texts := quoted(item.question):
        return [Expectation(text) for text in texts]
    if item.kind == ItemKind.TEXT:
        return [Expectation(block.text) for block in spec.text if block.text.strip()]
    return []
