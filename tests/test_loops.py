"""An answer that loops stops: the same stretch of tokens four times in a row ends it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import json_repair
import numpy as np
import pytest

from imagent.backends.llm.loops import REPEATS, LoopStop, loops
from imagent.backends.llm.model_files import DEFAULT_MODEL, get_spec, missing_parts
from imagent.settings import Settings

ITEM = [11, 12, 13]  # e.g. ` "`, `麻将牌`, `",`


def test_the_same_item_four_times_is_a_loop() -> None:
    assert loops([1, 2, *ITEM * REPEATS])
    assert not loops([1, 2, *ITEM * (REPEATS - 1)])


def test_a_pattern_said_three_times_or_short_repeats_are_not_loops() -> None:
    red_white = [21, 22, 23, 24]
    assert not loops(red_white * 3)  # "red", "white" three times: a striped flag
    assert not loops([7, 8] * 5)  # a period of two tokens: "1, 2, 1, 2" …
    assert not loops([5] * 11)  # one token again and again: a rule of "=" …
    assert loops([5] * 12)  # … but not for ever
    assert not loops(list(range(40)))


def test_repeated_digits_and_operators_are_not_loops() -> None:
    """`2 * 2 * 2 * 2 * 2 * 2` and 10000000000000 repeat tokens in real answers (Qwen writes
    one token per digit); only a stretch with words in it is a loop."""
    text = {1: "2", 2: " *", 3: " ", 4: "0", 5: " apple", 6: '",', 7: ' "'}

    def says_words(tokens: list[int]) -> bool:
        return any(c.isalpha() for c in "".join(text[t] for t in tokens))

    assert not loops([1, *[2, 3, 1] * 6], says_words)
    assert not loops([1, *[4] * 13], says_words)
    assert loops([7, *[5, 6, 7] * 4], says_words)


def test_the_criterion_reads_only_the_answer() -> None:
    """The first call sees the prompt; a prompt ending in repeats does not stop the answer."""
    stop = LoopStop()
    prompt = np.array([9, *ITEM * REPEATS], dtype=np.intc)
    logits = np.zeros(1, dtype=np.single)
    assert not stop(prompt, logits)
    assert not stop(np.append(prompt, [30, 31]), logits)
    assert stop(np.append(prompt, ITEM * REPEATS), logits) and stop.stopped


@pytest.mark.slow
async def test_the_real_model_stops_a_loop_early(shared_model_dir: Path) -> None:
    """Asked for one word thirty times, the embedded model stops after four and the cut JSON
    is still read (the structured-output reader repairs it)."""
    pytest.importorskip("llama_cpp")
    if missing_parts(get_spec(DEFAULT_MODEL)):
        pytest.skip("the default model's parts are not installed")
    from imagent.backends.llm.local import LocalLLM

    llm = LocalLLM("", Settings(model_dir=shared_model_dir))
    schema = {
        "type": "object",
        "properties": {"words": {"type": "array", "items": {"type": "string"}, "maxItems": 40}},
        "required": ["words"],
    }
    messages: list[Any] = [
        {"role": "system", "content": "Answer with JSON only."},
        {"role": "user", "content": 'Write the word "apple" thirty times in "words".'},
    ]
    completion = await llm.complete(messages, schema, max_tokens=300)
    words = json_repair.loads(completion.text)["words"]
    assert 4 <= len(words) <= 8 and {w for w in words if w} == {"apple"}
    assert completion.output_tokens < 40
    with pytest.raises(json.JSONDecodeError):
        json.loads(completion.text)  # cut: it really stopped mid-answer
