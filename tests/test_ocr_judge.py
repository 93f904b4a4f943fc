"""The `ocr` judge: text matching helpers (no engine), then the real RapidOCR engine (slow)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image, ImageDraw, ImageFont

from imagent.backends.judge.text_match import (
    Expectation,
    Haystack,
    best_window,
    literal_found,
    literal_of,
    normalise,
    quoted,
    reading_order,
)
from imagent.core.types import ChecklistItem, GenerationSpec, ItemKind, TextBlock, Verdict
from imagent.settings import Settings

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
GREEN = (20, 90, 40)
SPEC = GenerationSpec(brief="a poster", text=[TextBlock(text="391")])


def found(expected: str, *fragments: str) -> bool:
    return literal_found(normalise(expected), Haystack.of(fragments))


# --- normalisation and matching, no engine ---------------------------------------------------


def test_normalise() -> None:
    assert normalise("  ＯＰＥＮ\n  Now ") == "open now"
    assert normalise("“Don’t” — stop – go") == '"don\'t" - stop - go'
    assert normalise("STRASSE Straße") == "strasse strasse"
    assert normalise("Straße  “X”", fold=False) == 'Straße "X"'


def test_quoted() -> None:
    assert quoted('Does the sign read "OPEN"?') == ["OPEN"]
    assert quoted("Does it say “Grand Opening” and «Sale»?") == ["Grand Opening", "Sale"]
    assert quoted("Does the sign's text read 'OPEN 24/7'?") == ["OPEN 24/7"]
    assert quoted("Is the dog's tail visible? It's brown.") == []
    assert quoted('Empty "" quotes') == []


def test_literal_of() -> None:
    assert literal_of(r"\bOPEN NOW\b") == "OPEN NOW"
    assert literal_of(r"^\$5\.00$") == "$5.00"
    assert literal_of("391") == "391"
    assert literal_of(r"\d+") is None
    assert literal_of("open|closed") is None
    assert literal_of(r"colou?r") is None


def test_fragments_join_with_and_without_spaces() -> None:
    assert found("391", "39", "1")
    assert found("Grand Opening Sale", "Grand Opening", "Sale")
    assert found("Grand Opening Sale", "GrandOpening Sale")
    assert found("391", "OPEN 391")
    assert found("open", "OPEN")


def test_short_text_must_match_exactly_and_whole() -> None:
    assert not found("391", "39")
    assert not found("391", "39", "91")  # overlapping fragments of big text
    assert not found("391", "3912")
    assert not found("391", "39", "12")
    assert not found("391", "A391")
    assert not found("", "anything")


def test_long_text_tolerates_a_misread_letter_but_not_a_digit() -> None:
    assert found("Grand Opening Sale", "Grand Openinq Sale")
    assert found("Grand Opening Sale", "Big", "Grand 0pening Sale", "today")
    assert not found("Grand Opening Sale", "Grand Sale")
    assert not found("Call 555-0123 now", "Call 555-0124 now")
    assert not found("Call 555-0123 now", "Call 555-123 now")
    assert found("Call 555-0123 now", "Call 555–0123 n0w")


def test_regex_expectations() -> None:
    number = Expectation(r"\b391\b", regex=True)
    assert number.found_in(Haystack.of(["Room", "391"]))
    assert number.found_in(Haystack.of(["39", "1"]))
    assert not number.found_in(Haystack.of(["3912"]))
    assert not Expectation(r"\b392\b", regex=True).found_in(Haystack.of(["391"]))
    assert Expectation(r"\bopen\b", regex=True).found_in(Haystack.of(["OPEN"]))
    assert Expectation(r"Grand Opening Sale", regex=True).found_in(
        Haystack.of(["GRAND OPENlNG SALE"])
    )
    assert not Expectation(r"\d{4}", regex=True).found_in(Haystack.of(["391"]))


def test_best_window() -> None:
    assert best_window("opening", "grand openinq sale") == (1, "openinq")
    assert best_window("abc", "xxabcxx") == (0, "abc")
    assert best_window("", "text") == (0, "")


def test_reading_order_lines_then_left_to_right() -> None:
    def box(x: float, y: float, w: float = 50, h: float = 20) -> list[list[float]]:
        return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]

    boxes = [
        (box(300, 105), "line2-right"),
        (box(10, 12), "line1-left"),
        (box(10, 100), "line2-left"),
        (box(200, 8, h=30), "line1-right"),
        (box(10, 300), "line3"),
    ]
    assert reading_order(boxes) == [
        "line1-left",
        "line1-right",
        "line2-left",
        "line2-right",
        "line3",
    ]
    assert reading_order([]) == []


# --- the judge's logic, with a scripted reader -----------------------------------------------


@pytest.fixture
def ocr() -> ModuleType:
    pytest.importorskip("rapidocr_onnxruntime")
    from imagent.backends.judge import ocr

    return ocr


def item(question: str = "Is the number right?", **fields: object) -> ChecklistItem:
    return ChecklistItem.model_validate({"id": "t1", "question": question, **fields})


def test_applies_to(ocr: ModuleType) -> None:
    judge = ocr.OCRJudge()
    assert judge.applies_to(item(kind=ItemKind.TEXT))
    assert judge.applies_to(item('Does the sign read "OPEN"?'))
    assert not judge.applies_to(item("Is there a dog?"))


def test_expectations_in_order_of_preference(ocr: ModuleType) -> None:
    expect = item('Does it read "OPEN"?', kind="text", expect=[r"\bOPEN\b"])
    assert ocr.expectations(expect, SPEC) == [Expectation(r"\bOPEN\b", regex=True)]
    assert ocr.expectations(item('Does it read "OPEN"?', kind="text"), SPEC) == [
        Expectation("OPEN")
    ]
    assert ocr.expectations(item(kind="text"), SPEC) == [Expectation("391")]
    assert ocr.expectations(item(), SPEC) == []


def test_scales_for(ocr: ModuleType) -> None:
    assert ocr.scales_for(Image.new("RGB", (2048, 1024))) == [1024, 512, 256]
    assert ocr.scales_for(Image.new("RGB", (600, 300))) == [600, 256]
    assert ocr.scales_for(Image.new("RGB", (300, 300))) == [300]
    assert ocr.scales_for(Image.new("RGB", (1, 1))) == [1]


async def test_reads_smaller_until_every_expectation_is_found(
    ocr: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_scale = {1024: ["39", "91", "OPEN"], 512: ["391"], 256: ["391"]}
    calls: list[int] = []

    def fake_read(image: Image.Image, longer_side: int) -> list[str]:
        calls.append(longer_side)
        return by_scale[longer_side]

    monkeypatch.setattr(ocr, "read_text", fake_read)
    items = [item(kind="text"), item('Does it read "OPEN"?', id="t2")]
    first, second = await ocr.OCRJudge().judge(Image.new("RGB", (1024, 1024)), items, SPEC)
    assert calls == [1024, 512]
    assert (first.passed, second.passed) == (True, True)
    assert "'391' at 512 px" in first.reason
    assert "'OPEN' at 1024 px" in second.reason
    assert first.judge == "ocr"


async def test_no_expectations_or_no_image_means_cannot_tell(
    ocr: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_reading(image: Image.Image, longer_side: int) -> list[str]:
        raise AssertionError("nothing to look for: the image must not be read")

    monkeypatch.setattr(ocr, "read_text", no_reading)
    judge = ocr.OCRJudge()
    [verdict] = await judge.judge(Image.new("RGB", (64, 64)), [item()], SPEC)
    assert (verdict.passed, verdict.reason) == (None, "no expected text")
    [verdict] = await judge.judge(None, [item(kind="text")], SPEC)
    assert verdict.passed is None


def test_registered_as_ocr(tmp_path: Path, ocr: ModuleType) -> None:
    from imagent.registry import resolve

    judge = resolve("judge", "ocr", Settings(home=tmp_path))
    assert isinstance(judge, ocr.OCRJudge)
    assert judge.id == "ocr"


# --- the real engine -------------------------------------------------------------------------


def poster(text: str, glyph_px: int, size: tuple[int, int] = (1024, 1024)) -> Image.Image:
    """White `text` on dark green, centred, its glyphs about `glyph_px` tall."""
    if not FONT.exists():
        pytest.skip(f"font {FONT} is not installed")
    image = Image.new("RGB", size, GREEN)
    draw = ImageDraw.Draw(image)
    probe = ImageFont.truetype(str(FONT), 100)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=probe)
    font = ImageFont.truetype(str(FONT), round(100 * glyph_px / (bottom - top)))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = (size[0] - (right - left)) / 2 - left
    y = (size[1] - (bottom - top)) / 2 - top
    draw.text((x, y), text, font=font, fill="white")
    return image


async def verdict_for(
    ocr: ModuleType, image: Image.Image, checklist_item: ChecklistItem
) -> bool | None:
    verdicts: list[Verdict] = await ocr.OCRJudge().judge(image, [checklist_item], SPEC)
    assert [v.judge for v in verdicts] == ["ocr"]
    return verdicts[0].passed


@pytest.mark.slow
async def test_big_number_passes_its_own_regex_and_fails_another(ocr: ModuleType) -> None:
    image = poster("391", 300)
    assert await verdict_for(ocr, image, item(kind="text", expect=[r"\b391\b"])) is True
    assert await verdict_for(ocr, image, item(kind="text", expect=[r"\b392\b"])) is False


@pytest.mark.slow
async def test_very_big_text_is_read_at_a_smaller_scale(ocr: ModuleType) -> None:
    # At ~350 px glyphs RapidOCR reads "39" + "91" at full size; a smaller scale reads "391".
    [verdict] = await ocr.OCRJudge().judge(poster("391", 350), [item(kind="text")], SPEC)
    assert verdict.passed is True, verdict.reason


@pytest.mark.slow
async def test_partial_number_fails(ocr: ModuleType) -> None:
    [verdict] = await ocr.OCRJudge().judge(poster("39", 300), [item(kind="text")], SPEC)
    assert verdict.passed is False
    assert "missing '391'" in verdict.reason
    assert 'read "39"' in verdict.reason


@pytest.mark.slow
async def test_quoted_text_question(ocr: ModuleType) -> None:
    image = poster("OPEN", 120)
    assert await verdict_for(ocr, image, item('Does the sign read "OPEN"?')) is True
    assert await verdict_for(ocr, image, item("Does the sign read “CLOSED”?")) is False


@pytest.mark.slow
async def test_blank_and_tiny_images_have_no_text(ocr: ModuleType) -> None:
    for image in (Image.new("RGB", (1024, 1024), GREEN), Image.new("RGB", (1, 1))):
        [verdict] = await ocr.OCRJudge().judge(image, [item(kind="text")], SPEC)
        assert (verdict.passed, verdict.reason) == (False, "no text found")


@pytest.mark.slow
def test_read_text_in_reading_order(ocr: ModuleType) -> None:
    if not FONT.exists():
        pytest.skip(f"font {FONT} is not installed")
    image = Image.new("RGBA", (1024, 512), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 64)
    draw.text((60, 80), "FIRST LINE", font=font, fill="black")
    draw.text((60, 300), "SECOND", font=font, fill="black")
    draw.text((600, 300), "THIRD", font=font, fill="black")
    # RapidOCR sometimes drops the space inside a fragment ("FIRSTLINE").
    fragments = [f.replace(" ", "") for f in ocr.read_text(image)]
    assert fragments == ["FIRSTLINE", "SECOND", "THIRD"]


@pytest.mark.slow
def test_long_thin_banner(ocr: ModuleType) -> None:
    banner = poster("SALE TODAY", 40, size=(1024, 60))
    assert ocr.read_text(banner) == ["SALE TODAY"]
