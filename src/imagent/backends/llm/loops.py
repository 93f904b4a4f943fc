"""Stop an answer that has started repeating itself.

A small model decoding greedily can fall into a loop: the same list item or clause again and
again until `max_tokens` (`"麻将牌", "麻将牌", …` fifteen times, 113 tokens and 10 s for one
answer that needed 20). Once the last stretch of the answer is the same few tokens said
`REPEATS` times in a row, nothing new is coming: generation stops there, and the caller gets
what was written (a JSON answer cut mid-list is repaired by the structured-output reader, and
the repeats are dropped with the rest of the loop).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp.llama_chat_format import ChatFormatterResponse, Jinja2ChatFormatter

REPEATS = 4  # "red", "white", "red", "white" is a pattern; four times the same is a loop
MIN_PERIOD = 3  # tokens; a repeat of 1 or 2 tokens counts as one of 3 or 4 (12, 16 tokens)
MAX_PERIOD = 32


def loops(answer: list[int], says_words: Callable[[list[int]], bool] = lambda _: True) -> bool:
    """Whether `answer` ends with one stretch of tokens said `REPEATS` times in a row, a
    stretch with words in it (`says_words`): digits and operators repeat in real answers
    (`2 * 2 * 2 * 2 * 2`, 10000000000000 — Qwen writes one token per digit)."""
    for period in range(MIN_PERIOD, min(MAX_PERIOD, len(answer) // REPEATS) + 1):
        tail = answer[-period:]
        if all(
            answer[-period * (k + 1) : len(answer) - period * k] == tail for k in range(REPEATS)
        ) and says_words(tail):
            return True
    return False


class LoopStop:
    """A llama-cpp-python stopping criterion for one call; the first time it is asked, the
    tokens it sees are the prompt, so what follows is the answer."""

    def __init__(self, detokenize: Callable[[list[int]], bytes] | None = None) -> None:
        self.start: int | None = None
        self.stopped = False
        self.detokenize = detokenize

    def says_words(self, tokens: list[int]) -> bool:
        if self.detokenize is None:
            return True
        return any(c.isalpha() for c in self.detokenize(tokens).decode("utf-8", "ignore"))

    def __call__(self, tokens: np.ndarray[Any, Any], _logits: np.ndarray[Any, Any]) -> bool:
        if self.start is None:
            self.start = len(tokens)
            return False
        recent = tokens[max(self.start, len(tokens) - MAX_PERIOD * REPEATS) :]
        self.stopped = loops([int(t) for t in recent], self.says_words)
        return self.stopped


class LoopStoppingFormatter(Jinja2ChatFormatter):
    """The model's chat template, whose completions also stop at a loop (`LoopStop`);
    `detokenize` is the model's, to tell words from digits."""

    def __init__(self, *args: Any, detokenize: Callable[[list[int]], bytes], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.detokenize = detokenize

    def __call__(self, **kwargs: Any) -> ChatFormatterResponse:
        response = super().__call__(**kwargs)
        criteria = list(response.stopping_criteria or [])
        stop = LoopStop(self.detokenize)
        response.stopping_criteria = llama_cpp.StoppingCriteriaList([*criteria, stop])
        return response
