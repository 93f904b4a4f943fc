"""Saved prompt-head states: the file format, finding the best match, and keeping the folder
safe to share (atomic writes, damaged files ignored, a size bound). Pure Python; the real
llama.cpp round trip is in test_local_llm.py (`slow`)."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import pytest

from imagent.backends.llm.model_files import stamp_path
from imagent.backends.llm.prefix_cache import (
    MAX_AGE_S,
    SUFFIX,
    DiskStates,
    RamStates,
    Snapshot,
    StateKey,
    common_prefix,
    evict,
    folder_usage,
)
from imagent.settings import Settings

from .helpers import in_threads

KEY = StateKey(
    model="a" * 64, runtime="llama-cpp-python 0.3.36, state v3", n_ctx=4096, kv_types="k1 v1 fa0"
)
HEAD = tuple(range(100, 140))


def snapshot(tokens: tuple[int, ...] = HEAD, fill: bytes = b"k") -> Snapshot:
    return Snapshot(tokens, fill * 1000)


@pytest.fixture
def disk(tmp_path: Path) -> DiskStates:
    return DiskStates(tmp_path / "prefix-cache", KEY, max_bytes=1_000_000)


def test_common_prefix() -> None:
    assert common_prefix([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix([], [1]) == 0
    assert common_prefix([1, 2], [1, 2]) == 2


def test_saved_state_round_trips(disk: DiskStates) -> None:
    path = disk.save(snapshot())
    assert path is not None and path.parent == disk.folder and path.name.endswith(SUFFIX)
    assert path.name.startswith(KEY.digest()[:16])
    assert disk.load(path) == snapshot()
    assert [p.name for p in disk.folder.iterdir()] == [path.name]  # no temp file left behind


def test_only_a_state_of_exactly_the_head_is_found(disk: DiskStates) -> None:
    short = disk.save(snapshot(HEAD[:20]))
    long = disk.save(snapshot(HEAD))
    other = disk.save(snapshot((7, 8, 9, *HEAD)))
    assert None not in (short, long, other)
    assert disk.find(list(HEAD)) == long
    assert disk.find(list(HEAD[:20])) == short
    # A state sharing only part of the head, or holding more, would give other values.
    assert disk.find([*HEAD[:30]]) is None
    assert disk.find([*HEAD, 999]) is None


def test_states_of_another_model_or_runtime_are_never_matched(
    disk: DiskStates, tmp_path: Path
) -> None:
    for other in (
        StateKey("b" * 64, KEY.runtime, KEY.n_ctx, KEY.kv_types),
        StateKey(KEY.model, "llama-cpp-python 0.3.37, state v3", KEY.n_ctx, KEY.kv_types),
        StateKey(KEY.model, KEY.runtime, 2048, KEY.kv_types),
        StateKey(KEY.model, KEY.runtime, KEY.n_ctx, "k8 v8 fa0"),
    ):
        assert DiskStates(disk.folder, other, 1_000_000).save(snapshot()) is not None
    assert disk.find(list(HEAD)) is None
    assert len(list(disk.folder.iterdir())) == 4  # still valid for their own runtime: kept


def test_a_state_that_fails_its_checksum_is_deleted_not_used(
    disk: DiskStates, caplog: pytest.LogCaptureFixture
) -> None:
    path = disk.save(snapshot())
    assert path is not None
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # one flipped bit in the KV data would silently change every answer
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        assert disk.load(path) is None
    assert not path.exists()
    assert "does not match its checksum" in caplog.text


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not a state at all",
        b"imagent-kv-state\x01\x10\x00",
        b"imagent-kv-state\x01\x02\x00\x00\x00[]",
    ],
)
def test_truncated_or_foreign_files_are_deleted(disk: DiskStates, damage: bytes) -> None:
    path = disk.save(snapshot())
    assert path is not None
    path.write_bytes(damage)
    assert disk.find(list(HEAD)) is None  # an unreadable header is never chosen
    assert disk.load(path) is None
    assert not path.exists()


def test_a_header_claiming_another_key_is_deleted(disk: DiskStates) -> None:
    other = DiskStates(disk.folder, StateKey("c" * 64, "r", 1, "k"), 1_000_000)
    path = other.save(snapshot())
    assert path is not None
    renamed = path.with_name(KEY.digest()[:16] + "-" + path.name.split("-", 1)[1])
    path.rename(renamed)  # a file name that lies about its key
    assert disk.find(list(HEAD)) is None
    assert disk.load(renamed) is None and not renamed.exists()


def test_an_evicted_file_is_a_miss(disk: DiskStates) -> None:
    path = disk.save(snapshot())
    assert path is not None
    path.unlink()
    assert disk.load(path) is None


def test_folder_stays_under_its_size_bound_least_recently_used_first(tmp_path: Path) -> None:
    folder = tmp_path / "prefix-cache"
    disk = DiskStates(folder, KEY, max_bytes=5000)
    paths = []
    for i in range(3):
        path = disk.save(snapshot((i, *HEAD), fill=b"x"))
        assert path is not None
        os.utime(path, (time.time() - 100 + i, time.time() - 100 + i))
        paths.append(path)
    assert disk.load(paths[0]) is not None  # using the oldest makes it the newest
    disk.save(snapshot((9, *HEAD), fill=b"y"))
    left = {p.name for p in folder.iterdir()}
    assert paths[1].name not in left  # least recently used: evicted first
    assert paths[0].name in left
    count, total = folder_usage(folder)
    assert count == len(left) and total <= 5000


def test_old_entries_and_abandoned_temp_files_are_removed(tmp_path: Path) -> None:
    folder = tmp_path / "prefix-cache"
    disk = DiskStates(folder, KEY, max_bytes=1_000_000)
    old = disk.save(snapshot((1, *HEAD)))
    assert old is not None
    ancient = time.time() - MAX_AGE_S - 60
    os.utime(old, (ancient, ancient))
    abandoned = folder / ".x.kvstate.123.tmp"
    abandoned.write_bytes(b"partial")
    os.utime(abandoned, (ancient, ancient))
    fresh_tmp = folder / ".y.kvstate.456.tmp"  # another process is writing it right now
    fresh_tmp.write_bytes(b"partial")
    kept = disk.save(snapshot((2, *HEAD)))
    assert sorted(p.name for p in folder.iterdir()) == sorted([kept.name, fresh_tmp.name])  # type: ignore[union-attr]


def test_a_state_larger_than_the_bound_is_not_saved(tmp_path: Path) -> None:
    disk = DiskStates(tmp_path, KEY, max_bytes=100)
    assert disk.save(snapshot()) is None
    assert folder_usage(tmp_path) == (0, 0)


def test_unwritable_folder_costs_speed_not_the_call(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    disk = DiskStates(blocker / "prefix-cache", KEY, max_bytes=1_000_000)
    with caplog.at_level(logging.WARNING):
        assert disk.save(snapshot()) is None
    assert "could not save a prompt state" in caplog.text
    assert disk.find(list(HEAD)) is None


def test_concurrent_writers_of_one_entry_leave_one_whole_file(disk: DiskStates) -> None:
    big = Snapshot(HEAD, os.urandom(200_000))

    def write() -> None:
        for _ in range(5):
            disk.save(big)

    assert in_threads(write) == []
    [path] = disk.folder.iterdir()
    assert disk.load(path) == big


def test_evict_ignores_files_that_vanish_meanwhile(tmp_path: Path) -> None:
    (tmp_path / f"a{SUFFIX}").write_bytes(b"x" * 10)
    evict(tmp_path, max_bytes=0)
    assert list(tmp_path.iterdir()) == []


def test_ram_states_keep_the_most_recently_used_within_their_bound() -> None:
    ram = RamStates(max_bytes=2500)
    first, second, third = (snapshot((i, *HEAD)) for i in range(3))
    ram.put(first)
    ram.put(second)
    assert ram.get([1, *HEAD]) == second
    assert ram.get([1, *HEAD[:5]]) is None  # a part of a head is not that head
    ram.put(third)  # over the bound: the least recently used (first) goes
    assert len(ram) == 2
    assert ram.get([0, *HEAD]) is None
    assert ram.get([2, *HEAD]) == third


def test_ram_states_keep_one_entry_even_past_the_bound() -> None:
    ram = RamStates(max_bytes=10)
    ram.put(snapshot())
    assert len(ram) == 1


# --- with the real default model (`slow`) ---------------------------------------------------

SYSTEM = (
    "You name the main colour of the thing a request describes. Answer with JSON only, "
    'as {"colour": "<one English colour word>"}.\n'
    'Examples:\n"a ripe banana" -> {"colour": "yellow"}\n"fresh snow" -> {"colour": "white"}\n'
    '"a fire engine" -> {"colour": "red"}\n"the sky at noon in summer" -> {"colour": "blue"}'
)
OTHER_SYSTEM = (
    "You count the objects a request asks for and answer with JSON only, as "
    '{"count": <a whole number>}. Examples: "three apples on a plate" -> {"count": 3}; '
    '"a pair of shoes" -> {"count": 2}; "a dozen eggs in a box" -> {"count": 12}.'
)
COLOUR = {
    "type": "object",
    "properties": {"colour": {"type": "string", "maxLength": 20}},
    "required": ["colour"],
}

THINGS_SYSTEM = (
    "List the things a request describes and their colours. Answer with JSON only, as "
    '{"things": [{"name": "...", "colour": "..."}]}.'
)
THINGS = {
    "type": "object",
    "properties": {
        "things": {
            "type": "array",
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "maxLength": 20},
                    "colour": {"enum": ["Red", "Green", "Blue", "Other"]},
                },
                "required": ["name", "colour"],
            },
        }
    },
    "required": ["things"],
}


def ask(request: str, system: str = SYSTEM) -> list[Any]:
    return [{"role": "system", "content": system}, {"role": "user", "content": request}]


@pytest.fixture
def empty_prefix_cache(tmp_path: Path, default_model: Path) -> Path:
    """A models dir holding the shared GGUF (linked) and no saved prompt heads."""
    folder = tmp_path / "models"
    folder.mkdir()
    for file in (default_model, stamp_path(default_model)):
        (folder / file.name).symlink_to(file)
    return folder


@pytest.fixture
async def shared(default_model: Path) -> Any:
    """The default model's `LocalLLM`, loaded once for every test that needs it."""
    from imagent.backends.llm.local import LocalLLM

    llm = LocalLLM("", Settings(model_dir=default_model.parent))
    await llm.load()
    assert llm._loaded is not None
    return llm._loaded


def answer(llama: Any, messages: list[Any]) -> str:
    response = llama.create_chat_completion(
        messages=messages,
        max_tokens=16,
        temperature=0.0,
        response_format={"type": "json_object", "schema": COLOUR},
    )
    return str(response["choices"][0]["message"]["content"])


@pytest.mark.slow
async def test_a_new_process_restores_the_prompt_head_and_answers_alike(
    shared: Any, empty_prefix_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One process evaluates the head and saves it; a new one (a second context, loaded the
    way `imagent plan` loads it) restores it and evaluates only the request."""
    import llama_cpp

    from imagent.backends.llm import local
    from imagent.backends.llm.kv_reuse import PrefixReuse, forget
    from imagent.backends.llm.model_files import DEFAULT_MODEL, get_spec, prefix_cache_dir

    settings = Settings(model_dir=empty_prefix_cache)
    folder = prefix_cache_dir(settings)
    reuse = PrefixReuse(shared.llama, get_spec(DEFAULT_MODEL).sha256, folder, 64 << 20)
    with shared.lock:
        forget(shared.llama)  # another test may have left this very head in the context
        first = reuse.prepare(ask("a lemon"))
        assert first.source == "evaluated" and first.head_tokens >= 64
        assert reuse.prepare(ask("a lawn of fresh grass")).source == "live"
        grass = answer(shared.llama, ask("a lawn of fresh grass"))
        assert reuse.prepare(ask("five cats on a sofa", OTHER_SYSTEM)).source == "evaluated"
        back = reuse.prepare(ask("a lemon"))  # back from another prompt: no evaluation
    assert (back.source, back.reused_tokens) == ("ram", first.head_tokens)
    assert folder_usage(folder)[0] == 2
    assert json.loads(grass) == {"colour": "green"}

    monkeypatch.setattr(local, "_MODELS", {})  # a new process: nothing loaded
    fresh = local.LocalLLM("", settings)
    await fresh.load()
    assert fresh._loaded is not None
    llama = fresh._loaded.llama
    llama_cpp.llama_perf_context_reset(llama.ctx)
    again = await fresh.complete(ask("a lawn of fresh grass"), COLOUR, max_tokens=16)
    report = fresh.last_prefix
    assert report is not None and report.source == "disk"
    assert report.reused_tokens == report.head_tokens == first.head_tokens
    evaluated = llama_cpp.llama_perf_context(llama.ctx).n_p_eval
    assert evaluated == again.input_tokens - report.head_tokens  # only the request
    assert again.text == grass

    forget(llama)  # the whole prompt evaluated in one go, nothing restored: the same answer
    assert answer(llama, ask("a lawn of fresh grass")) == grass


@pytest.mark.slow
async def test_a_damaged_saved_state_is_rebuilt_not_used(
    shared: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from imagent.backends.llm.kv_reuse import PrefixReuse, forget, state_key

    folder = tmp_path / "prefix-cache"
    with shared.lock:
        forget(shared.llama)  # another test may have left this very head in the context
        PrefixReuse(shared.llama, KEY.model, folder, 64 << 20).prepare(ask("a pile of coal"))
        expected = answer(shared.llama, ask("a pile of coal"))
        [saved] = folder.glob(f"*{SUFFIX}")
        data = bytearray(saved.read_bytes())
        data[len(data) // 2] ^= 0x40
        saved.write_bytes(bytes(data))
        forget(shared.llama)
        restarted = PrefixReuse(shared.llama, KEY.model, folder, 64 << 20)  # nothing in RAM
        with caplog.at_level(logging.WARNING):
            report = restarted.prepare(ask("a pile of coal"))
        assert "does not match its checksum" in caplog.text
        assert report.source == "evaluated"
        assert answer(shared.llama, ask("a pile of coal")) == expected
    [rebuilt] = folder.glob(f"*{SUFFIX}")
    disk = DiskStates(folder, state_key(shared.llama, KEY.model), 64 << 20)
    assert disk.load(rebuilt) is not None  # whole and valid again


@pytest.mark.slow
async def test_grammar_checked_greedy_decodes_as_llama_cpp_python_does(
    default_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the model the other slow tests share; the schema's capitalised colours make the
    model's first choice ("red") invalid now and then, so both paths of the sampler run."""
    import llama_cpp

    from imagent.backends.llm import sampling
    from imagent.backends.llm.local import LocalLLM

    fallbacks: list[int] = []
    best_allowed = sampling.GrammarCheckedGreedy._best_allowed

    def counted(self: sampling.GrammarCheckedGreedy, logits: Any) -> int:
        fallbacks.append(1)
        return best_allowed(self, logits)

    monkeypatch.setattr(sampling.GrammarCheckedGreedy, "_best_allowed", counted)
    llm = LocalLLM("", Settings(model_dir=default_model.parent))
    await llm.load()
    assert llm._loaded is not None
    llama = llm._loaded.llama
    options: dict[str, Any] = {
        "max_tokens": 40,
        "temperature": 0.0,
        "response_format": {"type": "json_object", "schema": THINGS},
    }
    messages = ask("a red bicycle", THINGS_SYSTEM)
    with llm._loaded.lock:
        llm._loaded.prefixes.prepare(messages)
        fast = llama.create_chat_completion(messages=messages, **options)
        llama.__class__ = llama_cpp.Llama  # the stock sampler chain, for this call only
        try:
            stock = llama.create_chat_completion(messages=messages, **options)
        finally:
            llama.__class__ = sampling.Llama
    text = fast["choices"][0]["message"]["content"]
    assert text == stock["choices"][0]["message"]["content"]
    assert json.loads(text)["things"][0]["colour"] == "Red"
    assert fallbacks  # the grammar overruled the model at least once, and agreed with stock
