"""Calls to the embedded model made at the same time are decoded as one batch.

On a small CPU one forward pass costs about the same for one token as for two or three
tokens of different sequences (measured on 2 cores: 85 ms for one, 120 ms for two): the
weights are read once per pass. So calls made together (the planner's two questions, gaps
grounded at once) are decoded side by side, each in its own sequence of the context, one
token of each per pass, instead of one call after the other.

Each answer is the one the call gets alone, token for token: every sequence has its own KV
stream, its prompt is evaluated exactly as a lone call's is (the saved head restored, the
rest in batches of `n_batch`), the token choice and the stops are llama-cpp-python's
(`create_chat_completion`, mirrored step for step below), and llama.cpp computes a batch of
fewer than four rows with the same one-row kernels a single token uses. From four rows on,
its repacked kernels take rows four at a time and round differently (measured: logits equal
to the last bit for two and three sequences, not for four), hence `MAX_TOGETHER`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, cast

import llama_cpp
import numpy as np
from llama_cpp import llama_chat_format
from llama_cpp.llama_grammar import LlamaGrammar

from imagent.backends.llm.base import Message
from imagent.backends.llm.kv_reuse import MIN_PREFIX_TOKENS, PrefixReuse, empty_sequence, forget
from imagent.backends.llm.sampling import GrammarCheckedGreedy

MAX_TOGETHER = 3  # rows llama.cpp computes as it computes one


@dataclass
class Call:
    """One greedy chat call under a JSON schema, tokenized as `create_chat_completion` does."""

    messages: list[Message]
    prompt: list[int]
    head: int  # tokens before the last message's content: the part saved and restored
    grammar: LlamaGrammar
    stop: list[bytes]
    criteria: llama_cpp.StoppingCriteriaList | None
    max_tokens: int
    abandoned: threading.Event


def prepare(
    llama: llama_cpp.Llama,
    prefixes: PrefixReuse,
    messages: list[Message],
    options: dict[str, Any],
    abandoned: threading.Event,
) -> Call | None:
    """The call, or None when it cannot share a batch: not greedy, no schema, or a model
    without a chat template (those run alone, through llama-cpp-python)."""
    response_format = options.get("response_format") or {}
    template = prefixes.template
    if (
        options.get("temperature", 0.0) != 0.0
        or "schema" not in response_format
        or template is None
        or not prefixes.enabled
    ):
        return None
    rendered = template.formatter(messages=list(messages))
    prompt, head = template.split(messages)
    n_ctx = llama.n_ctx()
    if len(prompt) >= n_ctx:
        raise ValueError(f"Requested tokens ({len(prompt)}) exceed context window of {n_ctx}")
    max_tokens = int(options.get("max_tokens") or 0)
    if max_tokens <= 0 or max_tokens + len(prompt) >= n_ctx:  # as llama-cpp-python caps it
        max_tokens = n_ctx - len(prompt)
    stop = rendered.stop if isinstance(rendered.stop, list) else [rendered.stop]
    return Call(
        messages=messages,
        prompt=prompt,
        head=head,
        grammar=llama_chat_format._grammar_for_response_format(cast("Any", response_format)),
        stop=[s.encode("utf-8") for s in stop if s],
        criteria=rendered.stopping_criteria,
        max_tokens=max_tokens,
        abandoned=abandoned,
    )


@dataclass
class _Stream:
    """One call being decoded in sequence `seq`."""

    call: Call
    seq: int
    sampler: GrammarCheckedGreedy
    tokens: list[int] = field(default_factory=list)  # in the sequence: prompt, then answer
    answer: list[int] = field(default_factory=list)
    pending: int | None = None  # chosen, evaluated at the next pass
    text: bytes | None = None  # set when the answer ends
    multibyte_fix: int = 0

    @property
    def done(self) -> bool:
        return self.text is not None

    def take(self, llama: llama_cpp.Llama, row: int) -> None:
        """Choose the token at output `row` and do what llama-cpp-python's `generate` and
        `_create_completion` do with it."""
        token = self.sampler.sample(llama._ctx, row)
        call = self.call
        if call.criteria is not None:  # `generate` asks before it yields the token
            logits = np.ctypeslib.as_array(
                llama_cpp.llama_get_logits_ith(llama.ctx, row), shape=(llama.n_vocab(),)
            )
            if call.criteria(np.array(self.tokens, dtype=np.intc), logits):
                self.text = self._detokenized(llama)
                return
        if llama_cpp.llama_vocab_is_eog(llama._model.vocab, token):
            self.text = self._detokenized(llama)
            return
        self.answer.append(token)
        every = self._detokenized(llama)
        for k, char in enumerate(every[-3:]):  # an unfinished UTF-8 character
            k = 3 - k
            for num, pattern in [(2, 192), (3, 224), (4, 240)]:
                if num > k and pattern & char == pattern:
                    self.multibyte_fix = num - k
        if self.multibyte_fix > 0:
            self.multibyte_fix -= 1
            self.pending = token
            return
        stops = [s for s in call.stop if s in every]
        if stops:
            self.text = every[: every.index(stops[0])]
        elif len(self.answer) >= call.max_tokens:
            self.text = every
        else:
            self.pending = token

    def _detokenized(self, llama: llama_cpp.Llama) -> bytes:
        return bytes(llama.detokenize(self.answer, prev_tokens=self.call.prompt))

    def response(self) -> dict[str, Any]:
        assert self.text is not None
        return {
            "choices": [
                {"message": {"role": "assistant", "content": self.text.decode("utf-8", "ignore")}}
            ],
            "usage": {
                "prompt_tokens": len(self.call.prompt),
                "completion_tokens": len(self.answer),
            },
        }


def decode_together(
    llama: llama_cpp.Llama, prefixes: PrefixReuse, calls: list[Call]
) -> list[dict[str, Any] | Exception]:
    """Each call's response (as `create_chat_completion` gives it), or the exception that
    ended it; at most `batch_size(llama)` calls. A call that cannot start (a grammar
    llama.cpp refuses) fails alone; a pass that fails fails every call in it."""
    assert 0 < len(calls) <= batch_size(llama)
    failed: dict[int, Exception] = {}
    streams: list[_Stream] = []
    try:
        for seq, call in enumerate(calls):
            try:
                stream = _Stream(call, seq, GrammarCheckedGreedy(llama, call.grammar))
            except Exception as exc:
                failed[seq] = exc
                continue
            streams.append(stream)
            try:
                _start(llama, prefixes, stream)
            except Exception as exc:
                failed[seq] = exc
                _empty(llama, seq)  # sequence 0 starts first: nothing else is there yet
        while live := [
            s
            for s in streams
            if s.seq not in failed and not s.done and not s.call.abandoned.is_set()
        ]:
            rows = [(s.pending, len(s.tokens), s.seq) for s in live]
            _decode(llama, [(token, at, seq) for token, at, seq in rows if token is not None])
            for row, stream in enumerate(live):
                assert stream.pending is not None  # an answer not done has its next token
                stream.tokens.append(stream.pending)
                stream.pending = None
                stream.take(llama, row)
    except Exception as exc:
        forget(llama)
        return [failed.get(seq, exc) for seq in range(len(calls))]
    finally:
        for stream in streams:
            stream.sampler.close()
    _keep_only_the_first(llama, [s for s in streams if s.seq not in failed])
    done = {s.seq: s for s in streams}
    return [
        failed[seq]
        if seq in failed
        else done[seq].response()
        if done[seq].done
        else RuntimeError("call abandoned")
        for seq in range(len(calls))
    ]


def _empty(llama: llama_cpp.Llama, seq: int) -> None:
    if seq == 0:
        forget(llama)
    else:
        empty_sequence(llama, seq)


def batch_size(llama: llama_cpp.Llama) -> int:
    """How many calls `llama` can decode together (1 for a context of one sequence)."""
    sequences = getattr(getattr(llama, "context_params", None), "n_seq_max", 1)
    return min(MAX_TOGETHER, int(sequences))


def _start(llama: llama_cpp.Llama, prefixes: PrefixReuse, stream: _Stream) -> None:
    """Evaluate the call's prompt in its sequence as a lone call's is (the head, then the
    rest from the head on), and choose its first token. Sequence 0 is llama-cpp-python's
    own: it is prepared exactly as for a lone call."""
    call, seq = stream.call, stream.seq
    if seq == 0:
        try:
            prefixes.prepare(call.messages)
        except Exception:  # as for a lone call: a head that cannot be reused costs speed
            forget(llama)
        llama.eval(call.prompt[llama.n_tokens :])
    else:
        empty_sequence(llama, seq)
        have = 0
        if MIN_PREFIX_TOKENS <= call.head < llama.n_ctx():
            prefixes.head_into(
                call.prompt[: call.head],
                seq,
                lambda tokens, start: _evaluate(llama, tokens, start, seq),
            )
            have = call.head
        _evaluate(llama, call.prompt[have:], have, seq)
    stream.tokens = list(call.prompt)
    stream.take(llama, -1)


def _evaluate(llama: llama_cpp.Llama, tokens: list[int], start: int, seq: int) -> None:
    """Evaluate `tokens` at positions `start`… of sequence `seq` as `Llama.eval` does its
    own: batches of `n_batch`, logits for the last token of each."""
    for i in range(0, len(tokens), llama.n_batch):
        chunk = tokens[i : i + llama.n_batch]
        _decode(llama, [(t, start + i + k, seq) for k, t in enumerate(chunk)], last_only=True)


def _decode(
    llama: llama_cpp.Llama, rows: list[tuple[int, int, int]], last_only: bool = False
) -> None:
    """One llama.cpp batch of (token, position, sequence) rows."""
    batch = llama_cpp.llama_batch_init(len(rows), 0, 1)
    try:
        batch.n_tokens = len(rows)
        for i, (token, position, seq) in enumerate(rows):
            batch.token[i] = token
            batch.pos[i] = position
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq
            batch.logits[i] = (i == len(rows) - 1) if last_only else True
        code = llama_cpp.llama_decode(llama.ctx, batch)
        if code != 0:
            raise RuntimeError(f"llama_decode returned {code}")
    finally:
        llama_cpp.llama_batch_free(batch)


def _keep_only_the_first(llama: llama_cpp.Llama, streams: list[_Stream]) -> None:
    """Empty every sequence but llama-cpp-python's own, which holds what the first call
    evaluated: its next call reuses the shared part, as after a lone call."""
    for stream in streams:
        if stream.seq != 0:
            empty_sequence(llama, stream.seq)
    first = next((s for s in streams if s.seq == 0), None)
    if first is None:
        forget(llama)
        return
    llama.input_ids[: len(first.tokens)] = first.tokens
    llama.n_tokens = len(first.tokens)
    llama._requires_eval = True
