"""Faults: a run stopped by a signal, an exception in any step or callback, a full disk or a
folder it may not write is saved as interrupted or failed with the reason, never `running`;
the previous run.json survives a failed save; resume redoes no finished step.

Signals are sent to a real `imagent` process whose model call blocks a worker thread for
seconds (`fake/slow-<s>`), so the test shows the call is abandoned, not awaited. A full disk
is simulated with writes that raise OSError(ENOSPC); a folder that may not be written with
a path under a regular file and with OSError(EACCES) (chmod does not stop root).
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from imagent.agent import steps as steps_mod
from imagent.agent.agent import STEPS, Agent
from imagent.agent.trace import read_trace
from imagent.backends.renderer.fake import FakeRenderer
from imagent.core.errors import InputError, RunFailedError, StorageError
from imagent.core.events import TraceEvent
from imagent.core.types import Request, RunStatus
from imagent.runs import atomic
from imagent.runs.png import read_png_record, save_png
from imagent.runs.store import RunStore
from imagent.settings import Settings

from .conftest import TODAY

CLI = [sys.executable, "-c", "from imagent.cli.app import main; main()"]
FAKES = ["--renderer", "fake", "--judge", "instruction"]


def agent(settings: Settings, **kw: Any) -> Agent:
    base = {"llm": "none", "renderer": FakeRenderer(), "judges": ["instruction"], "memory": "none"}
    return Agent(settings, today=TODAY, **{**base, **kw})


def saved_runs(settings: Settings) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(settings.runs_dir.glob("*/*/run.json"))]


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp")]


# -- signals, in a real process ---------------------------------------------------------------


def _start(args: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "IMAGENT_MEMORY": "none", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [*CLI, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for_step(home: Path, step: str, process: subprocess.Popen[str]) -> Path:
    """The run folder, once its trace shows `step` started."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        for trace in home.glob("runs/*/*/trace.jsonl"):
            if any(e.step == step and e.kind == "start" for e in read_trace(trace)):
                return trace.parent
        time.sleep(0.05)
    raise AssertionError(f"step {step} never started")


def _interrupt(home: Path, signum: int, delay_s: int) -> tuple[Path, int, str, float]:
    process = _start(["generate", "a red bicycle", "--llm", f"fake/slow-{delay_s}", *FAKES])
    folder = _wait_for_step(home, "plan", process)
    sent = time.monotonic()
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=delay_s + 10)
    return folder, process.returncode, stderr, time.monotonic() - sent


def test_ctrl_c_stops_within_a_second_and_resume_finishes_without_redoing_steps(
    _isolated_home: Path,
) -> None:
    folder, code, stderr, took = _interrupt(_isolated_home, signal.SIGINT, 3)
    assert code == 130 and took < 1.5, (code, took, stderr)  # the 3 s model call is abandoned
    run_id = folder.name
    assert f"imagent runs resume {run_id}" in stderr and "Traceback" not in stderr
    saved = json.loads((folder / "run.json").read_text())
    assert (saved["status"], saved["error"], saved["completed_steps"]) == (
        "interrupted",
        "interrupted",
        ["load"],
    )

    resumed = subprocess.run(
        [*CLI, "runs", "resume", run_id[:15], "--json"],
        env={**os.environ, "IMAGENT_MEMORY": "none"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert result["status"] == "done" and result["completed_steps"] == list(STEPS)
    starts = [e.step for e in read_trace(folder / "trace.jsonl") if e.kind == "start"]
    assert starts.count("load") == 1  # finished before the interruption: not redone
    assert starts.count("plan") == 2  # interrupted, then done once
    assert all(starts.count(step) == 1 for step in ("ground", "compose", "render"))


def test_sigterm_saves_the_run_as_interrupted_and_exits_143(_isolated_home: Path) -> None:
    folder, code, stderr, took = _interrupt(_isolated_home, signal.SIGTERM, 30)
    assert code == 143 and took < 1.5, (code, took, stderr)
    assert json.loads((folder / "run.json").read_text())["status"] == "interrupted"
    assert f"imagent runs resume {folder.name}" in stderr
    events = read_trace(folder / "trace.jsonl")
    assert events[-1].kind == "finished"  # the trace was closed, not cut off


# -- any exception, in any step ----------------------------------------------------------------


class Boom(Exception):
    """Not one of imagent's own errors."""


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize(
    "raised,status,error",
    [
        (Boom("disk gremlin"), "failed", "Boom: disk gremlin"),
        (KeyError("k"), "failed", "KeyError: 'k'"),
        (KeyboardInterrupt(), "interrupted", "interrupted"),
        (asyncio.CancelledError(), "interrupted", "interrupted"),
    ],
    ids=["exception", "keyerror", "ctrl-c", "cancelled"],
)
async def test_anything_raised_in_a_step_saves_the_run_failed_or_interrupted(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    raised: BaseException,
    status: str,
    error: str,
) -> None:
    async def broken(ctx: steps_mod.RunContext) -> None:
        raise raised

    monkeypatch.setitem(steps_mod.STEP_HANDLERS, step, broken)
    with pytest.raises((RunFailedError, KeyboardInterrupt, asyncio.CancelledError)) as caught:
        await agent(settings).run("a red bicycle", seed=1)
    if isinstance(caught.value, RunFailedError):
        assert error in str(caught.value) and "imagent runs resume" in str(caught.value)
    (saved,) = saved_runs(settings)
    assert (saved["status"], saved["error"]) == (status, error)
    assert step not in saved["completed_steps"]
    events = read_trace(Path(saved["run_dir"]) / "trace.jsonl")
    assert events[-1].kind == "finished" and events[-1].payload.status == status  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_callback_that_raises_never_breaks_or_fails_a_run(
    settings: Settings, kind: str
) -> None:
    def sync_broken(event: TraceEvent) -> None:
        raise Boom("callback bug")

    async def async_broken(event: TraceEvent) -> None:
        raise Boom("callback bug")

    callback: Callable[[TraceEvent], Any] = sync_broken if kind == "sync" else async_broken
    result = await agent(settings, on_event=callback).run("a red bicycle", seed=1)
    assert result.status is RunStatus.DONE
    assert saved_runs(settings)[0]["status"] == "done"


# -- a full disk, a folder that may not be written ------------------------------------------


def _fail_writes(monkeypatch: pytest.MonkeyPatch, code: int, after: int = 0) -> list[int]:
    """Make `after` more file replacements succeed, then every one raise OSError(code)."""
    real = atomic.os.fsync
    count = [0]

    def fsync(fd: int) -> None:
        count[0] += 1
        if count[0] > after:
            raise OSError(code, os.strerror(code))
        real(fd)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    return count


@pytest.mark.parametrize(
    "code,says",
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EACCES, "no permission"),
        (errno.EROFS, "read-only"),
    ],
)
def test_a_failed_save_keeps_the_previous_run_file_whole(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, code: int, says: str
) -> None:
    result = agent(settings).run_sync("a red bicycle", seed=1)
    path = Path(result.run_dir or "") / "run.json"
    before = path.read_bytes()
    result.warnings.append("changed after the run")
    _fail_writes(monkeypatch, code)
    with pytest.raises(StorageError, match=says) as caught:
        RunStore(settings.runs_dir).save(result)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == before  # the old file, byte for byte
    assert leftovers(settings.home) == []  # no half-written temporary file either


def test_a_failed_png_write_keeps_the_earlier_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "final.png"
    save_png(Image.new("RGB", (64, 64), "red"), path, {"prompt": "first", "seed": 1})
    _fail_writes(monkeypatch, errno.ENOSPC)
    with pytest.raises(StorageError, match="disk is full"):
        save_png(Image.new("RGB", (64, 64), "blue"), path, {"prompt": "second", "seed": 2})
    assert read_png_record(path)["prompt"] == "first"
    assert leftovers(tmp_path) == []


def test_a_disk_that_fills_during_a_run_fails_it_with_the_reason(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_save = save_png

    def full(*args: Any, **kw: Any) -> Path:
        _fail_writes(monkeypatch, errno.ENOSPC)
        try:
            return real_save(*args, **kw)
        finally:
            monkeypatch.undo()

    monkeypatch.setattr("imagent.agent.rounds.save_png", full)
    with pytest.raises(RunFailedError, match="disk is full") as caught:
        agent(settings).run_sync("a red bicycle", seed=1)
    (saved,) = saved_runs(settings)
    assert saved["status"] == "failed" and "disk is full" in saved["error"]
    assert "render" not in saved["completed_steps"]
    assert f"imagent runs resume {caught.value.run_id}" in str(caught.value)


def test_when_even_the_failure_cannot_be_saved_the_last_good_run_file_stays(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_step = steps_mod.STEP_HANDLERS["compose"]

    async def compose_then_fill_the_disk(ctx: steps_mod.RunContext) -> None:
        await real_step(ctx)
        _fail_writes(monkeypatch, errno.ENOSPC)

    monkeypatch.setitem(steps_mod.STEP_HANDLERS, "compose", compose_then_fill_the_disk)
    with pytest.raises(RunFailedError, match=r"cannot write .*run\.json.*disk is full"):
        agent(settings).run_sync("a red bicycle", seed=1)
    monkeypatch.undo()
    (saved,) = saved_runs(settings)  # readable: the save after `ground`, intact
    assert saved["completed_steps"] == ["load", "plan", "ground"]
    assert leftovers(settings.home) == []


def test_a_data_folder_under_a_regular_file_fails_before_anything_is_written(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings = Settings(home=blocker / "imagent")
    with pytest.raises(StorageError, match="set IMAGENT_HOME") as caught:
        agent(settings).run_sync("a red bicycle")
    assert str(blocker) in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_data_folder_without_permission_is_named_with_the_fix(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Path, *args: Any, **kw: Any) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(StorageError, match=r"no permission.*IMAGENT_HOME"):
        agent(settings).run_sync("a red bicycle")
    monkeypatch.undo()
    assert not settings.runs_dir.exists()


# -- resume after a bad input ------------------------------------------------------------------


async def test_resume_does_not_repeat_a_bad_input_forever(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    picture = tmp_path / "ref.png"
    Image.new("RGB", (64, 64), "green").save(picture)
    real_load = steps_mod.STEP_HANDLERS["load"]

    async def broken(ctx: steps_mod.RunContext) -> None:
        raise Boom("crash in load")

    monkeypatch.setitem(steps_mod.STEP_HANDLERS, "load", broken)
    with pytest.raises(RunFailedError) as failed:
        await agent(settings).run(Request(prompt="a red bicycle", images=[str(picture)]))
    monkeypatch.setitem(steps_mod.STEP_HANDLERS, "load", real_load)
    run_id = failed.value.run_id
    picture.rename(tmp_path / "moved.png")  # the input went away in between
    with pytest.raises(InputError, match=rf"run {run_id} cannot go on: .*does not exist"):
        await agent(settings).resume(run_id)
    assert saved_runs(settings)[0]["status"] == "failed"  # not re-saved, not advised again
    (tmp_path / "moved.png").rename(picture)
    resumed = await agent(settings).resume(run_id)
    assert resumed.status is RunStatus.DONE


# -- the embedded model: an abandoned call frees the model ------------------------------------


class _SlowLlama:
    """Computes one step per 50 ms and stops when told to, as llama.cpp's abort callback
    makes it (`watch` hands it the callback's condition)."""

    metadata: dict[str, str] = {}  # noqa: RUF012  (no chat template: no prompt-head reuse)

    def __init__(self, **kwargs: Any) -> None:
        self.finished = 0
        self.should_stop: Callable[[], bool] = lambda: False

    def create_chat_completion(self, **kwargs: Any) -> dict[str, Any]:
        for _ in range(100):
            time.sleep(0.05)
            if self.should_stop():
                raise RuntimeError("llama_decode returned 2")
        self.finished += 1
        return {"choices": [{"message": {"content": "ok"}}], "usage": {}}


@pytest.fixture
def slow_llama(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    local = pytest.importorskip("imagent.backends.llm.local")

    def watch(loaded: Any) -> None:
        loaded.llama.should_stop = lambda: loaded.abandoned.is_set()

    monkeypatch.setattr(local.sampling, "Llama", _SlowLlama)
    monkeypatch.setattr(local._Loaded, "watch", watch)
    local.unload_models()
    model = tmp_path / "user.gguf"
    model.write_bytes(b"GGUF\x03\x00\x00\x00")
    yield local.LocalLLM(str(model), Settings(llm_threads=1))
    local.unload_models()


async def _abandon(llm: Any, after_s: float) -> None:
    """Cancel a long call `after_s` seconds after it took the model."""
    ask = "Count from 1 to 2000, one number per line, with no other text."
    call = asyncio.create_task(llm.complete([{"role": "user", "content": ask}], max_tokens=4096))
    while not (llm._loaded and llm._loaded.lock.locked()):
        assert not call.done(), "the call ended before it took the model"
        await asyncio.sleep(0.01)
    await asyncio.sleep(after_s)
    assert not call.done(), "the call ended before it was abandoned"
    started = time.monotonic()
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert time.monotonic() - started < 0.1  # the caller did not wait for the thread


async def test_an_abandoned_local_call_frees_the_model_for_the_next(slow_llama: Any) -> None:
    await _abandon(slow_llama, 0.2)
    loaded = slow_llama._loaded
    freed = await asyncio.to_thread(loaded.lock.acquire, True, 1.0)
    assert freed  # within a step, not after the 5 s generation
    loaded.lock.release()
    assert loaded.llama.finished == 0  # the abandoned generation stopped
    loaded.llama.create_chat_completion = lambda **kw: {"choices": [{"message": {"content": "ok"}}]}
    assert (await slow_llama.complete([{"role": "user", "content": "next"}])).text == "ok"


@pytest.mark.slow
async def test_the_real_model_stops_an_abandoned_call_and_answers_the_next(
    settings: Settings,
) -> None:
    local = pytest.importorskip("imagent.backends.llm.local")
    from imagent.backends.llm.model_files import DEFAULT_MODEL, get_spec, missing_parts

    if missing_parts(get_spec(DEFAULT_MODEL)):
        pytest.skip("the default model's parts are not installed")
    llm = local.LocalLLM("", settings)
    await llm.load()
    await _abandon(llm, 1.0)  # mid-prompt or mid-generation, whichever it reached
    started = time.monotonic()
    freed = await asyncio.to_thread(llm._loaded.lock.acquire, True, 5.0)
    assert freed and time.monotonic() - started < 1.0
    llm._loaded.lock.release()
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    answer = await llm.complete([{"role": "user", "content": 'Reply {"a": 1}'}], schema)
    assert json.loads(answer.text) == {"a": 1}
