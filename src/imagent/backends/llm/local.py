"""The embedded LLM `local/<model>`: llama.cpp running a GGUF from pinned PyPI packages.

`local` alone means `local/qwen2.5-coder-1.5b`; `local/<path>.gguf` runs a user's own file.
Models load lazily on the first call and are shared per process by path, so several
`LocalLLM` instances of one model cost one load and one context. A llama.cpp context is not
thread-safe: every call on one model runs under that model's lock, in a worker thread.
Calls made in the same turn of the event loop (`asyncio.gather`) go to the worker together
and are decoded as one batch (`together`): each gets the answer it gets alone.
The fixed head of each prompt is evaluated once per machine (`kv_reuse`): later calls, in
this process or a new one, evaluate only what follows it.

A call that is cancelled (Ctrl-C, a deadline, a server request that went away) is abandoned,
not awaited: the caller gets `CancelledError` at once, and llama.cpp's abort callback stops
the worker within one step of its compute graph, in the prompt or in generation, so the
model's lock is free again in a fraction of a second. The model stays sound for the next
call: llama-cpp-python counts a batch as evaluated only once llama.cpp finished it, and
removes whatever the aborted batch left in the KV cache before it evaluates anything else.
A call cancelled while it waits for the lock never runs.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, cast

import llama_cpp

from imagent.backends.llm import sampling, together
from imagent.backends.llm.base import LLM, Completion, Message
from imagent.backends.llm.cpus import default_threads
from imagent.backends.llm.kv_reuse import PrefixReport, PrefixReuse, forget
from imagent.backends.llm.model_files import (
    DEFAULT_MODEL,
    get_spec,
    is_user_file,
    model_identity,
    model_path,
    prefix_cache_dir,
)
from imagent.core.errors import BackendError
from imagent.settings import Settings

_log = logging.getLogger("imagent.llama_cpp")
_calls = logging.getLogger("imagent.llm.local")


def _log_to_python(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    """llama.cpp's own log lines go to Python logging at DEBUG, never to the terminal.

    llama-cpp-python's default callback maps ggml's log levels wrongly and prints warnings
    to stderr even with `verbose=False` (e.g. "using full-size SWA cache").
    """
    _log.debug("%s", text.decode("utf-8", "replace").rstrip())


_LOG_CALLBACK = llama_cpp.llama_log_callback(_log_to_python)  # kept alive: C holds a pointer


class _Unsuppressed:
    """Stands in for llama-cpp-python's `suppress_stdout_stderr`, which points the whole
    process's stdout and stderr at /dev/null while a model loads: whatever another thread
    printed meanwhile was lost (the command line's one-line error for a bad prompt, given
    while the model loaded in the background; a server's log lines). The log callback
    above already keeps llama.cpp quiet (tested: nothing reaches the terminal). The swap is
    for the whole process, as the log callback is: other llama-cpp-python users in it load
    without the redirection too."""

    def __init__(self, disable: bool = True) -> None:
        del disable

    def __enter__(self) -> _Unsuppressed:
        return self

    def __exit__(self, *_: object) -> None:
        return None


def _quiet_llama_cpp() -> None:
    llama_cpp.llama_log_set(_LOG_CALLBACK, ctypes.c_void_p(0))
    for module in (llama_cpp.llama, llama_cpp._internals):
        if hasattr(module, "suppress_stdout_stderr"):
            setattr(module, "suppress_stdout_stderr", _Unsuppressed)  # noqa: B010


@dataclass(frozen=True)
class LlamaOptions:
    """How a model file is loaded; the first `LocalLLM` to load a file decides."""

    n_ctx: int
    n_threads: int
    prefix_folder: Path | None  # None: saved prompt heads stay in this process
    prefix_disk_bytes: int
    sequences: int  # calls decoded together (`together`)

    @classmethod
    def of(cls, settings: Settings) -> LlamaOptions:
        disk_bytes = settings.llm_prefix_cache_mb * 1024 * 1024
        return cls(
            n_ctx=settings.llm_context,
            n_threads=settings.llm_threads or default_threads(),
            prefix_folder=prefix_cache_dir(settings) if disk_bytes else None,
            prefix_disk_bytes=disk_bytes,
            sequences=settings.llm_sequences,
        )


class Abandoned(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class _AllAbandoned:
    """Set once every call of a batch is abandoned: only then may llama.cpp stop computing
    (one abandoned call is dropped from the batch between passes)."""

    events: tuple[threading.Event, ...]

    def is_set(self) -> bool:
        return all(event.is_set() for event in self.events)


@dataclass
class _Waiting:
    """A call waiting for the model, with the future its caller awaits."""

    messages: list[Message]
    options: dict[str, Any]
    abandoned: threading.Event  # set when nobody waits for it any more
    future: asyncio.Future[dict[str, Any]]


@dataclass
class _Loaded:
    llama: llama_cpp.Llama
    lock: threading.Lock
    prefixes: PrefixReuse
    abandoned: Abandoned  # the running calls': set when nobody waits for them any more
    abort: Any = None  # llama.cpp's abort callback, kept alive here: C holds a pointer
    # Calls of one event loop that arrived in the same turn, decoded together.
    waiting: dict[asyncio.AbstractEventLoop, list[_Waiting]] = field(default_factory=dict)
    workers: set[asyncio.Future[Any]] = field(default_factory=set)

    def watch(self) -> None:
        """Have llama.cpp stop computing once the running call is abandoned."""
        context = getattr(getattr(self.llama, "_ctx", None), "ctx", None)
        if context is None:
            return  # not a real llama.cpp context (tests)
        self.abort = llama_cpp.ggml_abort_callback(lambda _data: self.abandoned.is_set())
        llama_cpp.llama_set_abort_callback(context, self.abort, None)


_MODELS: dict[Path, _Loaded] = {}
_MODELS_LOCK = threading.Lock()


def _load(path: Path, identity: str, options: LlamaOptions, backend_id: str) -> _Loaded:
    """The process-wide `Llama` for `path`, loading it on first use."""
    with _MODELS_LOCK:
        if path not in _MODELS:
            _quiet_llama_cpp()
            try:
                llama = sampling.Llama(
                    model_path=str(path),
                    n_ctx=options.n_ctx,
                    n_threads=options.n_threads,
                    n_threads_batch=options.n_threads,
                    # llama.cpp repacks the weights into CPU-friendly blocks as it loads them;
                    # with mmap the file's pages stayed resident beside the repacked copy
                    # (1.9 GB peak for the 1.5B model, 1.3 GB without, as fast to load).
                    use_mmap=False,
                    seed=0,
                    verbose=False,
                    sequences=options.sequences,
                )
            except Exception as exc:  # llama.cpp reports load failures as bare ValueErrors
                raise BackendError(backend_id, f"llama.cpp could not load {path}: {exc}") from exc
            prefixes = PrefixReuse(
                llama, identity, options.prefix_folder, options.prefix_disk_bytes
            )
            loaded = _Loaded(llama, threading.Lock(), prefixes, threading.Event())
            loaded.watch()
            _MODELS[path] = loaded
        return _MODELS[path]


def unload_models() -> None:
    """Forget every loaded model (their memory is freed once no `LocalLLM` holds them)."""
    with _MODELS_LOCK:
        _MODELS.clear()


class LocalLLM(LLM):
    """An embedded model run by llama.cpp on this machine; free and offline."""

    provider: ClassVar[str] = "local"
    supports_json_schema: ClassVar[bool] = True

    def __init__(self, model: str = "", settings: Settings | None = None) -> None:
        model = model or DEFAULT_MODEL
        if not is_user_file(model):
            get_spec(model)  # unknown names fail now, with close matches
        super().__init__(model, settings)
        self._loaded: _Loaded | None = None
        self.last_prefix: PrefixReport | None = None  # how the latest call got its prompt head

    async def load(self) -> None:
        """Assemble/verify the model file and load it; `complete` does this on first use."""
        await self._model()

    async def _model(self) -> _Loaded:
        if self._loaded is None:
            path = await asyncio.to_thread(model_path, self.model, self.settings)
            identity = model_identity(self.model, path)
            options = LlamaOptions.of(self.settings)
            self._loaded = await asyncio.to_thread(_load, path, identity, options, self.id)
        return self._loaded

    async def complete(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
    ) -> Completion:
        """Answer `messages`; with a schema, decoding is grammar-constrained to JSON for it.
        Calls started together (`asyncio.gather`) are decoded together (`together`)."""
        loaded = await self._model()
        options: dict[str, Any] = {"max_tokens": max_tokens, "temperature": temperature}
        if schema is not None:
            options["response_format"] = {"type": "json_object", "schema": schema}
        loop = asyncio.get_running_loop()
        call = _Waiting(messages, options, threading.Event(), loop.create_future())
        start = time.perf_counter()
        try:
            waiting = loaded.waiting.setdefault(loop, [])
            waiting.append(call)
            if len(waiting) == 1:  # the first: the others started with it join it
                try:
                    await asyncio.sleep(0)
                finally:
                    self._dispatch(loaded, loaded.waiting.pop(loop, []))
            response = await call.future
        except asyncio.CancelledError:
            call.abandoned.set()  # llama.cpp stops at its next graph step and frees the model
            call.future.cancel()  # what the worker reports for it is not wanted
            raise
        usage = response.get("usage") or {}
        return Completion(
            text=response["choices"][0]["message"].get("content") or "",
            input_tokens=usage.get("prompt_tokens", 0),
            output_tokens=usage.get("completion_tokens", 0),
            latency_s=time.perf_counter() - start,
        )

    def _dispatch(self, loaded: _Loaded, calls: list[_Waiting]) -> None:
        """Run `calls` in a worker thread; each call's future gets its own outcome."""

        def settle(worker: asyncio.Future[list[dict[str, Any] | BaseException]]) -> None:
            loaded.workers.discard(worker)
            failed = (
                BackendError(self.id, "call abandoned")
                if worker.cancelled()
                else worker.exception()
            )
            outcomes = [failed] * len(calls) if failed else worker.result()
            for call, outcome in zip(calls, outcomes, strict=True):
                if call.future.done():
                    continue  # its caller gave up waiting
                if isinstance(outcome, BaseException):
                    call.future.set_exception(outcome)
                else:
                    call.future.set_result(outcome)

        if not calls:
            return
        worker = asyncio.ensure_future(asyncio.to_thread(self._run, loaded, calls))
        loaded.workers.add(worker)  # the loop keeps only a weak reference to a task
        worker.add_done_callback(settle)

    def _run(self, loaded: _Loaded, calls: list[_Waiting]) -> list[dict[str, Any] | BaseException]:
        """Each call's response or error: calls that can share a batch are decoded together,
        the others one after the other."""
        outcomes: dict[int, dict[str, Any] | BaseException] = {}
        size = min(together.batch_size(loaded.llama), self.settings.llm_sequences)
        with loaded.lock:
            groups: list[list[tuple[int, together.Call]]] = [[]]
            for i, call in enumerate(calls):
                if call.abandoned.is_set():
                    outcomes[i] = BackendError(self.id, "call abandoned before it started")
                    continue
                prepared = self._prepare_together(loaded, call) if len(calls) > 1 < size else None
                if isinstance(prepared, BaseException):
                    outcomes[i] = prepared
                elif prepared is None:
                    outcomes[i] = self._alone(loaded, call)
                else:
                    if len(groups[-1]) == size:
                        groups.append([])
                    groups[-1].append((i, prepared))
            for group in groups:
                if len(group) == 1:
                    i, _ = group[0]
                    outcomes[i] = self._alone(loaded, calls[i])
                elif group:
                    loaded.abandoned = _AllAbandoned(tuple(calls[i].abandoned for i, _ in group))
                    answers = together.decode_together(
                        loaded.llama, loaded.prefixes, [p for _, p in group]
                    )
                    for (i, _), answer in zip(group, answers, strict=True):
                        outcomes[i] = self._backend_error(answer, calls[i].abandoned)
        return [outcomes[i] for i in range(len(calls))]

    def _prepare_together(
        self, loaded: _Loaded, call: _Waiting
    ) -> together.Call | BaseException | None:
        try:
            return together.prepare(
                loaded.llama, loaded.prefixes, call.messages, call.options, call.abandoned
            )
        except Exception as exc:  # e.g. a prompt longer than the context window
            return BackendError(self.id, f"llama.cpp failed: {exc}")

    def _backend_error(
        self, answer: dict[str, Any] | Exception, abandoned: threading.Event
    ) -> dict[str, Any] | BaseException:
        if not isinstance(answer, Exception):
            return answer
        if abandoned.is_set():
            return BackendError(self.id, "call abandoned")
        return BackendError(self.id, f"llama.cpp failed: {answer}")

    def _alone(self, loaded: _Loaded, call: _Waiting) -> dict[str, Any] | BaseException:
        """One call through llama-cpp-python (the caller holds the model's lock)."""
        if call.abandoned.is_set():
            return BackendError(self.id, "call abandoned before it started")
        loaded.abandoned = call.abandoned  # what the abort callback watches
        self.last_prefix = _prepare(loaded, call.messages)
        if call.abandoned.is_set():
            return BackendError(self.id, "call abandoned")
        try:
            response = loaded.llama.create_chat_completion(
                messages=cast("list[Any]", call.messages), **call.options
            )
        except Exception as exc:  # e.g. a prompt longer than the context window
            return self._backend_error(exc, call.abandoned)
        return cast("dict[str, Any]", response)  # not streamed: one response dict


def _prepare(loaded: _Loaded, messages: list[Message]) -> PrefixReport | None:
    """Put the prompt's head into the context; a failure here only costs speed."""
    try:
        report = loaded.prefixes.prepare(messages)
    except Exception:
        _calls.warning("prompt head reuse failed; evaluating the whole prompt", exc_info=True)
        forget(loaded.llama)
        return None
    _calls.debug(
        "prompt head: %d tokens, %d reused (%s) in %.3f s",
        report.head_tokens,
        report.reused_tokens,
        report.source,
        report.seconds,
    )
    return report
