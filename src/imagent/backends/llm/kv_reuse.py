"""A chat prompt's fixed head is evaluated once per machine, then restored in milliseconds.

Before each call, `PrefixReuse.prepare` makes the llama.cpp context hold the longest head of
the prompt it can find: already there (the previous call shared it), a snapshot in RAM (a
different prompt ran in between), a snapshot on disk (a fresh process), or else it
evaluates the head and saves a snapshot. `create_chat_completion` then evaluates only the
rest, because llama-cpp-python reuses every leading token its context already holds.

The head is everything before the content of the last message: the system prompt and any
fixed examples, whatever prompts the caller uses. It is found by rendering the messages with
that content replaced by a marker, through the same chat template the call itself uses.
Reuse never changes an answer: a restored state holds exactly the KV cache that evaluating
the same tokens gives, and any failure falls back to evaluating the whole prompt.
"""

from __future__ import annotations

import ctypes
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import llama_cpp

from imagent.backends.llm.base import Message
from imagent.backends.llm.loops import LoopStoppingFormatter
from imagent.backends.llm.prefix_cache import (
    DiskStates,
    RamStates,
    Snapshot,
    StateKey,
    common_prefix,
)

MIN_PREFIX_TOKENS = 32  # a shorter head evaluates in well under a second: not worth saving
_MARKER = "\ue000imagent-prompt-head\ue000"  # private-use characters: in no real prompt
_BUILT_HEAD = "_imagent_built_head"  # on a Llama: the head its sequence 0 was built as
_SEQ = 0  # llama-cpp-python's own sequence; calls decoded together use more (`together`)
_log = logging.getLogger("imagent.llm.kv_reuse")

Source = Literal["off", "live", "ram", "disk", "evaluated"]


class Evaluate(Protocol):
    def __call__(self, tokens: list[int], start: int) -> None:
        """Evaluate `tokens` at positions from `start` on, in one sequence."""


@dataclass(frozen=True)
class PrefixReport:
    """What `prepare` did: where the head came from, its size, and how long it took."""

    source: Source
    head_tokens: int
    reused_tokens: int  # of the head, tokens not evaluated by this call
    seconds: float


def state_key(llama: llama_cpp.Llama, model_identity: str) -> StateKey:
    """The key saved states of `llama`'s context are valid for."""
    params = llama.context_params
    return StateKey(
        model=model_identity,
        runtime=f"llama-cpp-python {llama_cpp.__version__}, "
        f"state v{llama_cpp.LLAMA_STATE_SEQ_VERSION}",
        n_ctx=llama.n_ctx(),
        kv_types=f"k{params.type_k} v{params.type_v} fa{params.flash_attn_type}"
        f" seqs{params.n_seq_max}{'u' if params.kv_unified else ''}",
    )


class ChatTemplate:
    """The model's own chat template, installed as `llama`'s chat handler so that the tokens
    computed here are exactly those `create_chat_completion` evaluates (and an answer that
    starts looping stops: `loops`)."""

    def __init__(self, llama: llama_cpp.Llama, template: str) -> None:
        eos, bos = llama.token_eos(), llama.token_bos()
        self.llama = llama
        self.formatter = LoopStoppingFormatter(
            template=template,
            eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
            bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
            stop_token_ids=[eos],
            detokenize=llama.detokenize,
        )
        llama.chat_handler = self.formatter.to_chat_handler()

    @classmethod
    def of(cls, llama: llama_cpp.Llama) -> ChatTemplate | None:
        template = llama.metadata.get("tokenizer.chat_template")
        return cls(llama, template) if template else None

    def split(self, messages: list[Message]) -> tuple[list[int], int]:
        """The prompt's tokens, and how many of them lead up to the last message's content."""
        tokens = self._tokenize(*self._render(messages))
        marked = [*messages[:-1], {"role": messages[-1]["role"], "content": _MARKER}]
        text, add_bos = self._render(marked)
        if _MARKER not in text:
            return tokens, 0
        head = self._tokenize(text.split(_MARKER, 1)[0], add_bos)
        return tokens, common_prefix(head, tokens)  # a merge across the cut is not head

    def _render(self, messages: Sequence[Any]) -> tuple[str, bool]:
        rendered = self.formatter(messages=list(messages))
        return rendered.prompt, not rendered.added_special

    def _tokenize(self, text: str, add_bos: bool) -> list[int]:
        return self.llama.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)


class PrefixReuse:
    """Puts the longest known head of each prompt into one model's context (not thread-safe:
    call it under the lock that guards the context)."""

    def __init__(
        self,
        llama: llama_cpp.Llama,
        model_identity: str,
        folder: Path | None,
        disk_bytes: int,
        ram_bytes: int = 128 * 1024 * 1024,
    ) -> None:
        self.llama = llama
        self.template = ChatTemplate.of(llama)
        # Recurrent models cannot drop a suffix of their state, so a head cannot be reused.
        self.enabled = self.template is not None and not (
            getattr(llama, "_is_recurrent", False) or getattr(llama, "_is_hybrid", False)
        )
        self.ram = RamStates(ram_bytes)
        self.disk = None
        if self.enabled and folder is not None and disk_bytes > 0:
            self.disk = DiskStates(folder, state_key(llama, model_identity), disk_bytes)

    def prepare(self, messages: list[Message]) -> PrefixReport:
        """Make the context hold exactly the head of `messages`, as `head_into` does, and
        nothing after it: the rest of the prompt is evaluated from the head on."""
        start = time.perf_counter()
        if not self.enabled or not messages:
            return PrefixReport("off", 0, 0, 0.0)
        assert self.template is not None
        tokens, boundary = self.template.split(messages)
        if boundary < MIN_PREFIX_TOKENS or boundary >= self.llama.n_ctx():
            forget(self.llama)  # the whole prompt is evaluated, from its first token
            return PrefixReport("off", boundary, 0, time.perf_counter() - start)
        head = tokens[:boundary]
        built = getattr(self.llama, _BUILT_HEAD, None) == tuple(head)
        if built and common_prefix(self.llama._input_ids.tolist(), head) == boundary:
            source: Source = "live"
        else:
            # Only a context built as exactly this head is reused: one that holds these
            # tokens as part of a longer head was evaluated in other batches.
            forget(self.llama)
            source = self.head_into(head, _SEQ)
            self.llama.input_ids[:boundary] = head
            setattr(self.llama, _BUILT_HEAD, tuple(head))
        self.llama.n_tokens = boundary  # `eval` drops whatever the context holds past it
        self.llama._requires_eval = True
        reused = 0 if source == "evaluated" else boundary
        return PrefixReport(source, boundary, reused, time.perf_counter() - start)

    def head_into(self, head: list[int], seq: int, evaluate: Evaluate | None = None) -> Source:
        """Put `head` into the empty sequence `seq`: its saved state, else evaluated from its
        first token (with `evaluate`; by default `Llama.eval`, for sequence 0) and saved.

        Only a state of exactly this head is used, never a shorter one continued: llama.cpp
        rounds a token's values differently depending on where its batch starts, so a head
        built in other pieces would hold other values, and the same request could get
        another answer depending on what ran before it."""
        found: Source = "ram"
        snapshot = self.ram.get(head)
        if snapshot is None and self.disk is not None:
            path = self.disk.find(head)
            snapshot = self.disk.load(path) if path is not None else None
            if snapshot is not None:
                self.ram.put(snapshot)
                found = "disk"
        if snapshot is not None:
            if restore_sequence(self.llama, snapshot, seq):
                return found
            _log.warning("llama.cpp refused a saved prompt state; evaluating the prompt instead")
        if evaluate is None:
            self.llama.n_tokens = 0
            self.llama.eval(head)
        else:
            evaluate(head, 0)
        self._remember(head, seq)
        return "evaluated"

    def _remember(self, head: list[int], seq: int) -> None:
        snapshot = capture(self.llama, head, seq)
        self.ram.put(snapshot)
        if self.disk is not None:
            self.disk.save(snapshot)


def capture(llama: llama_cpp.Llama, tokens: list[int], seq: int = _SEQ) -> Snapshot:
    """The KV state of sequence `seq`, which must hold exactly `tokens`."""
    size = llama_cpp.llama_state_seq_get_size(llama.ctx, seq)
    buffer = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(llama.ctx, buffer, size, seq)
    return Snapshot(tuple(tokens), ctypes.string_at(buffer, written))


def restore_sequence(llama: llama_cpp.Llama, snapshot: Snapshot, seq: int) -> bool:
    """Load `snapshot` into sequence `seq`, which must be empty; whether llama.cpp took it
    (on failure the sequence is emptied again)."""
    state = snapshot.state
    buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
    if llama_cpp.llama_state_seq_set_data(llama.ctx, buffer, len(state), seq) == len(state):
        return True
    empty_sequence(llama, seq)
    return False


def empty_sequence(llama: llama_cpp.Llama, seq: int) -> None:
    """Drop whatever sequence `seq` holds (not llama-cpp-python's bookkeeping: `forget`)."""
    llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(llama.ctx), seq, -1, -1)


def forget(llama: llama_cpp.Llama) -> None:
    """Empty the context, so nothing stale can be mistaken for a prefix."""
    setattr(llama, _BUILT_HEAD, None)
    llama.n_tokens = 0
    llama._requires_eval = True
    llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(llama.ctx), -1, -1, -1)
