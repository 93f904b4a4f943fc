"""The embedded `layout/...` renderer: exact text, themes, layouts, panels, determinism."""

from __future__ import annotations

from importlib.resources import files

import pytest
from PIL import Image, ImageChops, ImageStat

from imagent.backends.renderer.layout import Layout, LayoutRenderer
from imagent.backends.renderer.layout.colors import contrast, luminance
from imagent.backends.renderer.layout.paint import ink_for, surface_colours
from imagent.backends.renderer.layout.regions import grid_shape
from imagent.backends.renderer.layout.themes import resolve_theme
from imagent.core.errors import ConfigError
from imagent.core.types import GenerationSpec, Size, TextBlock

PRESETS = ["poster", "card", "infographic", "slide", "banner"]
SCIENCE_FAIR = [
    TextBlock(text="Science Fair 2025"),
    TextBlock(text="Projects, demos and prizes for every grade.", role="body"),
    TextBlock(text="Friday 14 March, 5 pm", role="caption"),
]


async def images_of(renderer: LayoutRenderer, spec: GenerationSpec) -> list[Image.Image]:
    return [one.image for one in await renderer.render(spec)]


def make_spec(
    text: list[TextBlock] | None = None,
    *,
    style: str = "",
    brief: str = "a poster",
    size: tuple[int, int] = (512, 512),
    seeds: list[int] | None = None,
    panels: int = 1,
    subject: str = "",
) -> GenerationSpec:
    return GenerationSpec(
        brief=brief,
        style=style,
        subject=subject,
        text=SCIENCE_FAIR if text is None else text,
        size=Size(width=size[0], height=size[1]),
        seeds=seeds or [0],
        panels=panels,
    )


def median_colour(image: Image.Image) -> tuple[int, ...]:
    """The background dominates every canvas, so the median pixel is the background."""
    return tuple(int(v) for v in ImageStat.Stat(image).median)


def words_of(layout: Layout, source: int) -> list[str]:
    return " ".join(
        " ".join(t.typeset.lines) for t in layout.texts if t.piece.source == source
    ).split()


# --- the backend contract ------------------------------------------------------------------


def test_capabilities_and_id() -> None:
    renderer = LayoutRenderer()
    assert renderer.id == "layout"
    assert renderer.preset == "poster"
    assert LayoutRenderer.exact_text and LayoutRenderer.supports_seed
    assert LayoutRenderer.sizes is None
    assert (LayoutRenderer.min_side, LayoutRenderer.max_side) == (64, 4096)
    assert LayoutRenderer.max_prompt_chars == 4000
    assert LayoutRenderer("card").id == "layout/card"


def test_unknown_preset_raises_config_error_naming_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        LayoutRenderer("postr")
    message = str(caught.value)
    assert "'postr'" in message and "layout/poster" in message
    for preset in PRESETS:
        assert f"layout/{preset}" in message


def test_fonts_ship_inside_the_package() -> None:
    fonts = files("imagent") / "assets" / "fonts"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE-DejaVu.txt"):
        assert (fonts / name).is_file()


@pytest.mark.parametrize("size", [(64, 64), (2048, 512), (512, 2048), (333, 777), (1024, 1024)])
async def test_one_rgb_image_per_seed_at_the_requested_size(size: tuple[int, int]) -> None:
    images = await images_of(LayoutRenderer(), make_spec(size=size, seeds=[3, 1, 2]))
    assert len(images) == 3
    for image in images:
        assert image.mode == "RGB" and image.size == size


@pytest.mark.parametrize("preset", PRESETS)
async def test_same_seed_gives_identical_pixels(preset: str) -> None:
    spec = make_spec(style="chalkboard", seeds=[7, 7])
    first, second = await images_of(LayoutRenderer(preset), spec)
    (again,) = await images_of(LayoutRenderer(preset), make_spec(style="chalkboard", seeds=[7]))
    assert first.tobytes() == second.tobytes() == again.tobytes()


@pytest.mark.parametrize("preset", PRESETS)
async def test_different_seeds_decorate_differently_but_keep_the_text(preset: str) -> None:
    spec = make_spec(seeds=[0, 1], size=(768, 512))
    first, second = await images_of(LayoutRenderer(preset), spec)
    changed = (
        ImageChops.difference(first, second).convert("L").point(lambda v: 255 if v > 24 else 0)
    )
    assert changed.histogram()[255] > 0.01 * first.width * first.height
    renderer = LayoutRenderer(preset)
    for index, block in enumerate(SCIENCE_FAIR):
        for seed in (0, 1):
            assert words_of(renderer.plan(spec, seed), index) == block.text.split()


# --- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("size", [(64, 64), (2048, 512), (600, 1400), (1024, 1024)])
def test_text_is_exact_and_inside_the_canvas(preset: str, size: tuple[int, int]) -> None:
    layout = LayoutRenderer(preset).plan(make_spec(size=size))
    assert layout.texts
    for placed in layout.texts:
        assert layout.canvas.contains(placed.box), placed
        assert placed.typeset.size >= 3
    for index, block in enumerate(SCIENCE_FAIR):
        placed = [t for t in layout.texts if t.piece.source == index]
        if not placed or any(t.typeset.truncated for t in placed):
            # Cut or dropped only when even 8 px text cannot fit, and never a headline.
            assert size == (64, 64) and block.role != "headline"
            shown = " ".join(words_of(layout, index)).removesuffix("…")
            assert block.text.startswith(shown)
        else:
            assert words_of(layout, index) == block.text.split()


def test_roles_keep_their_hierarchy() -> None:
    layout = LayoutRenderer().plan(make_spec(size=(1024, 1024)))
    sizes = {t.piece.role: t.typeset.size for t in layout.texts}
    assert sizes["headline"] > sizes["body"] > sizes["caption"] >= 8


def test_large_and_small_words_set_the_headline_size() -> None:
    def headline_size(brief: str) -> int:
        spec = make_spec([TextBlock(text="Welcome to the fair")], brief=brief, size=(1024, 1024))
        return LayoutRenderer().plan(spec).texts[0].typeset.size

    small, normal = headline_size("in small letters"), headline_size("a poster")
    large = headline_size("the words written large")
    assert small < normal < large
    assert large > 150


def test_headline_fills_most_of_the_canvas_when_asked() -> None:
    spec = make_spec([TextBlock(text="391")], brief="391 written large", size=(1024, 1024))
    box = LayoutRenderer().plan(spec).texts[0].box
    assert box.w > 0.7 * 1024


def test_very_long_text_shrinks_wraps_and_never_raises() -> None:
    headline = "A headline that is long but still under two hundred characters " * 2
    text = [TextBlock(text=headline), TextBlock(text="lorem ipsum dolor " * 250, role="body")]
    for size in [(64, 64), (512, 512)]:
        spec = make_spec(text, size=size)
        layout = LayoutRenderer().plan(spec)
        head = next(t for t in layout.texts if t.piece.role == "headline")
        assert not head.typeset.truncated
        assert " ".join(head.typeset.lines).split() == headline.split()
        assert all(layout.canvas.contains(t.box) for t in layout.texts)


async def test_very_long_text_renders() -> None:
    text = [TextBlock(text="word " * 800, role="body"), TextBlock(text="x" * 3000, role="caption")]
    (image,) = await images_of(LayoutRenderer("card"), make_spec(text, size=(128, 128)))
    assert image.size == (128, 128)


def test_a_word_is_split_only_when_nothing_else_fits() -> None:
    spec = make_spec([TextBlock(text="Thank you!")], style="kraft paper", size=(1024, 768))
    layout = LayoutRenderer("card").plan(spec)
    assert layout.texts[0].typeset.lines in (("Thank", "you!"), ("Thank you!",))


async def test_unicode_and_glyphs_missing_from_the_font_render() -> None:
    text = [
        TextBlock(text="Grüße — café ½ Ω 東京 🎉 שלום \u200b\x00"),
        TextBlock(text="عربى", role="body"),
    ]
    (image,) = await images_of(LayoutRenderer(), make_spec(text))
    assert image.size == (512, 512)


async def test_no_text_draws_the_subject_as_a_modest_caption() -> None:
    spec = make_spec([], subject="a quiet beach at dusk")
    layout = LayoutRenderer().plan(spec)
    assert [t.piece.text for t in layout.texts] == ["a quiet beach at dusk"]
    assert layout.texts[0].typeset.size < 0.08 * 512
    assert LayoutRenderer().plan(make_spec([])).texts == ()
    (image,) = await images_of(LayoutRenderer(), make_spec([]))
    assert image.size == (512, 512)


# --- themes and colours ---------------------------------------------------------------------


async def test_chalkboard_is_dark_green_with_light_text() -> None:
    spec = make_spec([TextBlock(text="391")], style="chalkboard", size=(512, 512))
    (image,) = await images_of(LayoutRenderer(), spec)
    r, g, b = median_colour(image)
    assert g > r and g > b and luminance((r, g, b)) < 0.12
    box = LayoutRenderer().plan(spec).texts[0].box
    _, brightest = image.crop(box.box).convert("L").getextrema()
    assert brightest > 220
    assert luminance(resolve_theme(spec).ink) > 0.8


async def test_colour_words_set_background_and_ink() -> None:
    spec = make_spec(brief="white text on a navy background")
    (image,) = await images_of(LayoutRenderer(), spec)
    r, g, b = median_colour(image)
    assert b > r and b > g and luminance((r, g, b)) < 0.06
    assert resolve_theme(spec).ink == (255, 255, 255)


async def test_hex_code_in_the_style_sets_the_background() -> None:
    (image,) = await images_of(LayoutRenderer(), make_spec(style="#1a2b3c"))
    assert all(abs(a - b) <= 10 for a, b in zip(median_colour(image), (26, 43, 60), strict=True))


async def test_a_background_colour_named_in_the_text_beats_the_preset() -> None:
    spec = make_spec(brief="maths notes on a red chalkboard")
    assert resolve_theme(spec).name == "chalkboard"
    (image,) = await images_of(LayoutRenderer(), spec)
    r, g, b = median_colour(image)
    assert r > 2 * g and r > 2 * b
    dark_green = resolve_theme(make_spec(brief="a dark green chalkboard")).background
    assert dark_green[1] > dark_green[0] and dark_green[1] > dark_green[2]
    assert dark_green != resolve_theme(make_spec(style="chalkboard")).background


@pytest.mark.parametrize(
    "style",
    ["black text on a black background", "white text on white", "yellow", "neon", "sunset"],
)
def test_ink_always_has_high_contrast(style: str) -> None:
    spec = make_spec(style=style)
    theme = resolve_theme(spec)
    for background in theme.backgrounds:
        assert contrast(theme.ink, background) >= 4.5
    for preset in PRESETS:  # text on cards, panels and bands gets an ink of its own
        for placed in LayoutRenderer(preset).plan(spec).texts:
            for under in surface_colours(placed, theme):
                assert contrast(ink_for(placed, theme), under) >= 4.5


@pytest.mark.parametrize(
    ("words", "theme"),
    [
        ("chalkboard", "chalkboard"),
        ("whiteboard", "whiteboard"),
        ("neon night", "neon"),
        ("warm sunset", "sunset"),
        ("ocean", "ocean"),
        ("forest nature", "forest"),
        ("pastel", "pastel"),
        ("minimal clean", "minimal"),
        ("retro vintage", "retro"),
        ("kraft paper", "paper"),
        ("corporate", "corporate"),
        ("bold", "poster"),
    ],
)
def test_theme_words(words: str, theme: str) -> None:
    assert resolve_theme(make_spec(style=words)).name == theme


@pytest.mark.parametrize(
    "style", ["chalkboard", "neon", "retro", "kraft paper", "ocean", "minimal"]
)
@pytest.mark.parametrize("preset", PRESETS)
async def test_every_theme_renders_with_every_preset(style: str, preset: str) -> None:
    (image,) = await images_of(LayoutRenderer(preset), make_spec(style=style, size=(320, 240)))
    assert image.size == (320, 240)


# --- panels ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "size", "shape"),
    [
        (2, (1024, 1024), (1, 2)),
        (2, (512, 1024), (2, 1)),
        (3, (1024, 1024), (1, 3)),
        (4, (1024, 1024), (2, 2)),
        (6, (1024, 1024), (2, 3)),
        (6, (768, 1024), (3, 2)),
        (4, (2048, 512), (1, 4)),
    ],
)
def test_grid_shape(count: int, size: tuple[int, int], shape: tuple[int, int]) -> None:
    assert grid_shape(count, *size) == shape


def test_four_panels_make_a_two_by_two_grid_with_one_block_each() -> None:
    text = [TextBlock(text="Step one"), TextBlock(text="Mix flour", role="body")]
    layout = LayoutRenderer().plan(make_spec(text, panels=4, size=(800, 800)))
    assert len(layout.panels) == 4 and len(layout.surfaces) == 4
    assert len({p.x0 for p in layout.panels}) == 2 and len({p.y0 for p in layout.panels}) == 2
    for a in layout.panels:
        assert layout.canvas.contains(a)
        assert sum(a.intersects(b) for b in layout.panels) == 1  # gutters: only itself
    owners = {
        t.piece.text: i
        for t in layout.texts
        for i, p in enumerate(layout.panels)
        if p.contains(t.box)
    }
    assert owners == {"Step one": 0, "Mix flour": 1, "3": 2, "4": 3}


async def test_four_panels_show_gutters_between_them() -> None:
    spec = make_spec([TextBlock(text="A")], panels=4, size=(800, 800))
    layout = LayoutRenderer().plan(spec)
    (image,) = await images_of(LayoutRenderer(), spec)
    gutter_x = (layout.panels[0].x1 + layout.panels[1].x0) // 2
    inside_x = layout.panels[0].cx
    y = layout.panels[0].cy
    assert image.getpixel((gutter_x, y)) != image.getpixel((inside_x, y))


def test_extra_blocks_go_into_the_last_panel() -> None:
    text = [TextBlock(text=f"block {i}", role="body") for i in range(4)]
    layout = LayoutRenderer().plan(make_spec(text, panels=2, size=(1024, 512)))
    last = layout.panels[1]
    inside = [t.piece.text for t in layout.texts if last.contains(t.box)]
    assert inside == ["block 1", "block 2", "block 3"]


# --- presets ---------------------------------------------------------------------------------


def test_presets_lay_out_differently() -> None:
    spec = make_spec(size=(1024, 768))
    card = LayoutRenderer("card").plan(spec)
    assert [s.kind for s in card.surfaces] == ["card"]
    assert all(card.surfaces[0].rect.contains(t.box) for t in card.texts)
    info = LayoutRenderer("infographic").plan(spec)
    band = next(s for s in info.surfaces if s.kind == "band")
    assert band.rect.y0 == 0 and band.rect.contains(info.texts[0].box)
    slide = LayoutRenderer("slide").plan(spec)
    title = slide.texts[0]
    assert title.align == "left" and title.box.y0 < 0.2 * 768 and title.box.x0 < 0.1 * 1024
    banner = LayoutRenderer("banner").plan(make_spec(size=(2048, 512)))
    assert len(banner.texts[0].typeset.lines) == 1


def test_decoration_keeps_out_of_text() -> None:
    layout = LayoutRenderer().plan(make_spec())
    keep_out = layout.keep_out()
    for placed in layout.texts:
        assert any(k.contains(placed.box) for k in keep_out)


# --- OCR ----------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_ocr_reads_the_headline_on_a_chalkboard() -> None:
    np = pytest.importorskip("numpy")
    rapidocr = pytest.importorskip("rapidocr_onnxruntime")
    spec = make_spec(
        [TextBlock(text="391")], style="chalkboard", brief="391 on a chalkboard", size=(1024, 1024)
    )
    (image,) = await images_of(LayoutRenderer(), spec)
    # RapidOCR splits glyphs taller than ~90 px into fragments; read it at 256 px wide.
    result, _ = rapidocr.RapidOCR()(np.asarray(image.resize((256, 256), Image.Resampling.LANCZOS)))
    assert "391" in "".join(text for _, text, _ in result or [])


def test_cjk_text_is_set_in_noto_cjk_and_wraps_per_character() -> None:
    from imagent.backends.renderer.layout.scripts import font_for
    from imagent.backends.renderer.layout.text import set_text

    assert font_for("新年快乐", "sans-bold") == "cjk-sc"
    assert font_for("안녕하세요", "sans") == "cjk-kr"
    assert font_for("こんにちは", "sans") == "cjk-jp"
    assert font_for("Happy New Year", "sans") == "sans"
    typeset = set_text("新年快乐万事如意身体健康", "sans-bold", 60, 200)
    assert typeset.font_name == "cjk-sc" and len(typeset.lines) > 1
    assert "".join(typeset.lines) == "新年快乐万事如意身体健康"  # broken between characters
    assert not typeset.broken and not typeset.overflow


def test_cjk_punctuation_never_starts_a_line() -> None:
    from imagent.backends.renderer.layout.text import set_text

    typeset = set_text("新年快乐，万事如意，身体健康，恭喜发财", "sans", 40, 170)
    assert all(not line.startswith("，") for line in typeset.lines)


async def test_cjk_glyphs_are_drawn_not_boxes() -> None:
    spec = make_spec([TextBlock(text="新年快乐")], size=(256, 256))
    (image,) = await images_of(LayoutRenderer(), spec)
    from imagent.backends.renderer.layout.text import load_font

    # A missing glyph draws the same box for every character; real glyphs differ.
    font = load_font("cjk-sc", 40)
    masks = [bytes(font.getmask(ch)) for ch in "新年快乐"]
    assert len(set(masks)) == 4
    assert ImageStat.Stat(image.convert("L")).stddev[0] > 5
