"""Greedy decoding under a grammar that consults the grammar for one token, not the vocabulary.

llama-cpp-python's sampler chain applies a JSON-schema grammar to every token of the
vocabulary before picking the most likely one: 152k token checks per generated token for
Qwen2.5, tens of milliseconds each time on a small CPU, as long as the model's forward pass.
At temperature 0 the answer only needs the most likely token that the grammar allows, so
this sampler takes the most likely token and asks the grammar about it alone; only when the
grammar refuses it are all tokens checked. The chosen token is the same either way (the
first maximum among allowed tokens), the way llama.cpp's own `common_sampler` does it.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp import _internals
from llama_cpp.llama_grammar import LlamaGrammar


class GrammarCheckedGreedy:
    """Stands in for llama-cpp-python's sampler chain when decoding is greedy under a grammar
    with no penalties (it has the chain's `sample` and `close`)."""

    def __init__(self, llama: llama_cpp.Llama, grammar: LlamaGrammar) -> None:
        self._n_vocab = llama.n_vocab()
        self._grammar = llama_cpp.llama_sampler_init_grammar(
            llama._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        if not self._grammar:
            raise ValueError("llama.cpp could not parse the grammar")
        self._one = (llama_cpp.llama_token_data * 1)()
        self._all = (llama_cpp.llama_token_data * self._n_vocab)()
        self._all_view = np.ctypeslib.as_array(self._all)  # fields id, logit, p
        self._all_view["id"] = np.arange(self._n_vocab, dtype=np.intc)

    def sample(self, ctx: _internals.LlamaContext, idx: int) -> int:
        """The most likely token the grammar allows at output `idx`; the grammar advances."""
        logits = np.ctypeslib.as_array(
            llama_cpp.llama_get_logits_ith(ctx.ctx, idx), shape=(self._n_vocab,)
        )
        token = int(np.argmax(logits))
        if not self._allows(token, float(logits[token])):
            token = self._best_allowed(logits)
        llama_cpp.llama_sampler_accept(self._grammar, token)
        return token

    def _allows(self, token: int, logit: float) -> bool:
        self._one[0] = llama_cpp.llama_token_data(token, logit, 0.0)
        self._apply(self._one, 1)
        return not math.isinf(self._one[0].logit)

    def _best_allowed(self, logits: np.ndarray[Any, np.dtype[np.float32]]) -> int:
        self._all_view["logit"] = logits
        self._all_view["p"] = 0.0
        self._apply(self._all, self._n_vocab)
        return int(self._all_view["id"][np.argmax(self._all_view["logit"])])

    def _apply(self, data: ctypes.Array[llama_cpp.llama_token_data], size: int) -> None:
        candidates = llama_cpp.llama_token_data_array(
            data=ctypes.cast(data, llama_cpp.llama_token_data_p),
            size=size,
            selected=-1,
            sorted=False,
        )
        llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(candidates))

    def close(self) -> None:
        if self._grammar:
            llama_cpp.llama_sampler_free(self._grammar)
            self._grammar = None

    def __del__(self) -> None:
        self.close()


def checked_greedy(llama: llama_cpp.Llama, options: dict[str, Any]) -> GrammarCheckedGreedy | None:
    """The fast sampler for `_init_sampler`'s `options`, or None where it would differ from
    llama-cpp-python's chain (sampling, penalties, logits processors, no grammar)."""
    grammar = options.get("grammar")
    plain = (
        options.get("temp") == 0.0
        and options.get("repeat_penalty", 1.0) == 1.0
        and options.get("frequency_penalty", 0.0) == 0.0
        and options.get("presence_penalty", 0.0) == 0.0
        and options.get("logits_processor") is None
    )
    return GrammarCheckedGreedy(llama, grammar) if grammar is not None and plain else None


class Llama(llama_cpp.Llama):
    """llama-cpp-python's `Llama`, decoding greedily under a grammar with `checked_greedy`,
    whose context holds `sequences` sequences of `n_ctx` tokens each, one KV stream each, so
    that up to that many calls can be decoded in one batch (`together`). llama-cpp-python
    itself uses sequence 0, as if it were alone."""

    def __init__(self, *args: Any, sequences: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if sequences > 1:
            self._rebuild_context(sequences)

    def _rebuild_context(self, sequences: int) -> None:
        params = self.context_params
        params.n_seq_max = sequences
        params.kv_unified = False  # a stream per sequence: attention as if each were alone
        params.n_ctx = self._n_ctx * sequences  # split evenly between the streams
        self._ctx.close()  # type: ignore[no-untyped-call]
        self._ctx = self._stack.enter_context(
            contextlib.closing(
                _internals.LlamaContext(model=self._model, params=params, verbose=self.verbose)
            )
        )

    def n_ctx(self) -> int:
        """The tokens one sequence can hold."""
        return int(llama_cpp.llama_n_ctx_seq(self._ctx.ctx))

    def _init_sampler(self, **options: Any) -> Any:  # type: ignore[override]  # keywords only
        return checked_greedy(self, options) or super()._init_sampler(**options)
