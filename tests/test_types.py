import pytest
from pydantic import ValidationError

from imagent.core.types import (
    MAX_PROMPT_CHARS,
    ChecklistItem,
    ModelCall,
    Request,
    Result,
    Size,
    Usage,
)


def test_empty_prompt_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValidationError, match="prompt is empty"):
        Request(prompt="   ")


def test_huge_prompt_is_refused_with_the_limit() -> None:
    with pytest.raises(ValidationError, match=str(MAX_PROMPT_CHARS)):
        Request(prompt="x" * (MAX_PROMPT_CHARS + 1))


@pytest.mark.parametrize(
    "text,expected",
    [("1024x768", (1024, 768)), ("512*512", (512, 512)), (" 640 × 480 ", (640, 480))],
)
def test_sizes_parse_in_common_notations(text: str, expected: tuple[int, int]) -> None:
    size = Size.parse(text)
    assert (size.width, size.height) == expected


@pytest.mark.parametrize("text", ["big", "1024", "10x10", "99999x1024", "-5x10"])
def test_bad_sizes_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Request(prompt="a cat", size=text)


def test_unknown_request_fields_are_errors_not_silently_dropped() -> None:
    with pytest.raises(ValidationError, match="rendrer"):
        Request.model_validate({"prompt": "a cat", "rendrer": "fake"})


def test_checklist_expect_patterns_must_compile() -> None:
    with pytest.raises(ValidationError, match="not a valid regex"):
        ChecklistItem(id="c1", question="?", expect=["(unclosed"])


def test_usage_adds_calls_by_step() -> None:
    usage = Usage()
    usage.add(ModelCall(model="m", step="plan", input_tokens=10, output_tokens=5))
    usage.add(ModelCall(model="m", step="ground", input_tokens=3, output_tokens=2, cost_usd=0.01))
    assert (usage.llm_calls, usage.tokens, usage.calls_by_step) == (2, 20, {"plan": 1, "ground": 1})
    assert usage.cost_usd == pytest.approx(0.01)


def test_result_round_trips_through_json() -> None:
    result = Result(run_id="r1", request=Request(prompt="a cat", size="512x512"))
    assert Result.model_validate_json(result.model_dump_json()) == result
