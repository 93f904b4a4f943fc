import pytest

from imagent.agent import extract, rules
from imagent.agent.evaluate import evaluate
from imagent.agent.rules import ages


@pytest.mark.parametrize(
    "prompt,span,value",
    [
        ("A chalkboard showing the result of 17 x 23, written large", "the result of 17 x 23", 391),
        (
            "a receipt for 3 coffees at $4.50 and 2 muffins at $3.25 showing the total",
            "the total",
            20.0,
        ),
        (
            "a birthday card saying how old someone born in 1990 turns in 2026",
            "how old someone born in 1990 turns in 2026",
            36,
        ),
        ("a sign showing 15% of 240", "15% of 240", 36),
        ("whiteboard with 12 + 7 * 3 = ?", "12 + 7 * 3", 33),
        ("the square root of 144 on a board", "the square root of 144", 12),
        ("what is 100 divided by 8, on a sticky note", "what is 100 divided by 8", 12.5),
    ],
)
def test_computable_phrases_become_programs(prompt: str, span: str, value: float) -> None:
    found = rules.computable_gaps(prompt, current_year=2026)
    assert [g.span for g in found] == [span]
    assert evaluate(found[0].expression) == pytest.approx(value)


@pytest.mark.parametrize(
    "prompt",
    [
        "a red bicycle",
        "a 1024x1024 poster",
        "a 3-panel comic about cats",
        "a 2020-2024 timeline",
        "page 4 of 10",
    ],
)
def test_plain_requests_have_no_computable_gaps(prompt: str) -> None:
    assert rules.computable_gaps(prompt, current_year=2026) == []


def test_quoted_text_is_literal_text() -> None:
    assert rules.quoted_text('a poster that reads "Come Play Ball!" and “Sale”') == [
        "Come Play Ball!",
        "Sale",
    ]


def test_replace_span_is_case_and_space_insensitive() -> None:
    assert (
        rules.replace_span("Show The  Result of 2 x 3 now", "the result of 2 x 3", "6")
        == "Show 6 now"
    )


def test_cues() -> None:
    assert rules.has_search_cue("tomorrow's weather in Hangzhou")
    assert not rules.has_search_cue("a red bicycle")
    assert rules.has_memory_cue("same style as my last poster")
    assert not rules.has_memory_cue("a watercolor lighthouse")


@pytest.mark.parametrize(
    "prompt,spans",
    [
        ("same style as my last poster, but for the new product", ["same style as my last poster"]),
        ("a poster in my usual style for the bake sale", ["my usual style"]),
        ("draw it like last time", ["like last time"]),
        ("our brand colours on a mug", ["our brand colours"]),
        ("a red bicycle", []),
        ("my dog on a beach", ["my dog"]),
        ("draw my bike leaning against a brick wall", ["my bike leaning"]),
        ("a portrait of me reading on a park bench", ["portrait of me"]),
        ("a phone wallpaper in the colours I like", ["the colours I like"]),
        ("another card like the one last week, for Priya", ["like the one last week"]),
        ("帮我给奶奶画张像", ["奶奶"]),
        ("给我家鹦鹉做个表情包", ["我家鹦鹉"]),
        ("还是那个风格，来一张冬至的", ["那个风格"]),
        ("the one that got away, a lonely lighthouse", []),
        ("a billboard following the guidelines we agreed", ["the guidelines we agreed"]),
        ("a tote bag with the slogan the team voted for", ["the slogan the team voted for"]),
        ("a cake the kids decided to bake", []),
    ],
)
def test_memory_phrases_are_found_by_rules(prompt: str, spans: list[str]) -> None:
    assert rules.memory_spans(prompt) == spans


@pytest.mark.parametrize(
    "prompt,spans",
    [
        ("a poster for tomorrow's weather in Hangzhou", ["tomorrow's weather in Hangzhou"]),
        (
            "the poster of the movie that won best picture at the 2025 Oscars",
            ["the movie that won best picture at the 2025 Oscars"],
        ),
        ("a banner with the latest iPhone price", ["the latest iPhone price"]),
        ("the current stock price of Apple on a ticker", ["the current stock price of Apple"]),
        ("the winner of the 2026 World Cup on a stamp", ["the winner of the 2026 World Cup"]),
        ("a red bicycle", []),
        ("a cat that won a prize", []),
    ],
)
def test_lookup_phrases_are_found_by_rules(prompt: str, spans: list[str]) -> None:
    assert rules.search_spans(prompt) == spans


@pytest.mark.parametrize(
    "prompt,spans",
    [
        (
            "a magazine cover celebrating whoever was just named captain of the Harlow City team",
            ["whoever was just named captain of the Harlow City team"],
        ),
        (
            "a mug for whichever team wins the Thornhold Cup",
            ["whichever team wins the Thornhold Cup"],
        ),
        ("a poster in whichever colour you like", []),  # a preference, not a question
    ],
)
def test_someone_described_but_not_named_is_a_question(prompt: str, spans: list[str]) -> None:
    found = rules.knowledge_spans(prompt)
    assert [s for s in found if s.startswith(("whoever", "whichever"))] == spans


@pytest.mark.parametrize(
    "prompt,spans",
    [
        (
            "birthday card for tennis legend Ilse Marr, with the age she turns on Sunday",
            ["the age she turns on Sunday"],
        ),
        (
            "a banner for author Wren Halloway showing how old she turns this week",
            ["how old she turns this week"],
        ),
        ("给歌手林夏画一张生日海报，写上她这周日满多少岁", ["她这周日满多少岁"]),
        ("a card for swimmer Petra Solvang, showing how old she'll be", ["how old she'll be"]),
        ("画一张生日贺卡给导演韩松，写上他今年多少岁", ["他今年多少岁"]),  # shown, once found
        ("a birthday card for my mom with her age", []),  # the user's own people: memory
        ("画一张图表显示人口年龄分布", []),
        ("how old my dad, born in 1961, is this year", []),  # given: arithmetic
        ("a birthday card for Ilse Marr, born 1971, with her age", []),
    ],
)
def test_the_age_of_someone_named_but_not_dated_is_a_lookup(prompt: str, spans: list[str]) -> None:
    assert ages.age_spans(prompt) == spans
    assert all(span in rules.search_spans(prompt) for span in spans)


def test_plurals_meet_their_singulars_when_matching_sources() -> None:
    assert extract.terms("Emmys stories stars") == extract.terms("Emmy story star")
    assert extract.terms("bus glass this") == {"bus", "glass"}  # only ending in s: kept


def test_a_numbered_list_in_a_source_stays_one_sentence() -> None:
    text = (
        "Season 9 standings: 1. Quillon (2,914 rating), 2. Marrowgate (2,870). Play resumes in May."
    )
    assert extract.sentences(text) == [
        "Season 9 standings: 1. Quillon (2,914 rating), 2. Marrowgate (2,870).",
        "Play resumes in May.",
    ]
    assert extract.sentences("The Otters won 3. Then it rained.") == [
        "The Otters won 3.",
        "Then it rained.",
    ]
