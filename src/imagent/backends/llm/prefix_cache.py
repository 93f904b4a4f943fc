"""Saved llama.cpp states of prompt prefixes, kept in RAM and on disk, shared by processes.

Evaluating the fixed head of a prompt (a planner's system prompt and its examples) takes
seconds on a small CPU; what it produces, the KV cache of those tokens, is ~30 KB per token
for a 1.5B model and restores in milliseconds. This module stores such states and finds the
one of exactly a prompt's head; `kv_reuse` puts it into a context.

A state is only valid for the exact weights, llama.cpp build, context size and KV types that
made it (`StateKey`). A file's name starts with its key's digest, its header repeats the key
and lists the tokens, and the state bytes carry a sha256 checked before use: a stale,
corrupt or foreign file is never restored, only ignored or deleted. Files are written
atomically (temp file + rename) and the folder stays under a size bound, least recently
used first. This module never imports `llama_cpp`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import struct
import tempfile
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

MAGIC = b"imagent-kv-state\x01"
SUFFIX = ".kvstate"
MAX_AGE_S = 30 * 24 * 3600  # an entry unused this long is deleted even under the size bound
_STALE_TMP_S = 3600  # a temp file this old was left by a process that died mid-write
_log = logging.getLogger("imagent.llm.prefix_cache")


@dataclass(frozen=True)
class StateKey:
    """Everything besides its tokens that a saved state depends on."""

    model: str  # the weights: a catalogued model's sha256, or a user file's fingerprint
    runtime: str  # llama-cpp-python version and llama.cpp's state format version
    n_ctx: int
    kv_types: str  # the K and V cache data types

    def digest(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Snapshot:
    """The KV state of one sequence after evaluating exactly `tokens`."""

    tokens: tuple[int, ...]
    state: bytes

    @property
    def nbytes(self) -> int:
        return len(self.state) + 4 * len(self.tokens)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens `a` and `b` share."""
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


class RamStates:
    """The process's recent snapshots, least recently used evicted past `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[int, ...], Snapshot] = OrderedDict()

    def get(self, tokens: Sequence[int]) -> Snapshot | None:
        """The snapshot of exactly `tokens`, if there is one."""
        found = self._entries.get(tuple(tokens))
        if found is not None:
            self._entries.move_to_end(found.tokens)
        return found

    def put(self, snapshot: Snapshot) -> None:
        self._entries[snapshot.tokens] = snapshot
        self._entries.move_to_end(snapshot.tokens)
        while len(self._entries) > 1 and self.nbytes > self.max_bytes:
            self._entries.popitem(last=False)

    @property
    def nbytes(self) -> int:
        return sum(snapshot.nbytes for snapshot in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)


class DiskStates:
    """Snapshots for one `StateKey` in a folder shared by processes (and other keys)."""

    def __init__(self, folder: Path, key: StateKey, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self._digest = key.digest()

    def find(self, tokens: Sequence[int]) -> Path | None:
        """The saved file of exactly `tokens` (headers only are read), if there is one."""
        wanted = list(tokens)
        for path in self.folder.glob(f"{self._digest[:16]}-*{SUFFIX}"):
            try:
                with path.open("rb") as handle:
                    header = _read_header(handle)
            except (OSError, ValueError):
                continue  # being replaced, evicted or damaged: `load` deals with it if chosen
            if header.get("key") == self._digest and header.get("tokens") == wanted:
                return path
        return None

    def load(self, path: Path) -> Snapshot | None:
        """The snapshot in `path`, or None (a damaged or foreign file is deleted)."""
        try:
            with path.open("rb") as handle:
                header = _read_header(handle)
                state = handle.read()
        except FileNotFoundError:
            return None  # evicted by another process meanwhile
        except (OSError, ValueError) as exc:
            return self._discard(path, f"unreadable ({exc})")
        tokens = header.get("tokens")
        if header.get("key") != self._digest or not isinstance(tokens, list):
            return self._discard(path, "its header does not match this model and runtime")
        if hashlib.sha256(state).hexdigest() != header.get("state_sha256"):
            return self._discard(path, "its state does not match its checksum")
        _touch(path)
        if not all(isinstance(token, int) for token in tokens):
            return self._discard(path, "its token list is malformed")
        return Snapshot(tuple(tokens), state)

    def save(self, snapshot: Snapshot) -> Path | None:
        """Write `snapshot` atomically and evict past the size bound; None if it cannot."""
        if snapshot.nbytes > self.max_bytes:
            return None
        token_digest = hashlib.sha256(struct.pack(f"<{len(snapshot.tokens)}i", *snapshot.tokens))
        path = self.folder / f"{self._digest[:16]}-{token_digest.hexdigest()[:16]}{SUFFIX}"
        header = {
            "key": self._digest,
            "tokens": list(snapshot.tokens),
            "state_sha256": hashlib.sha256(snapshot.state).hexdigest(),
            "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, header, snapshot.state)
            evict(self.folder, self.max_bytes, keep=path)
        except OSError as exc:  # a read-only or full disk costs speed, never the call
            _log.warning("could not save a prompt state in %s: %s", self.folder, exc)
            return None
        return path

    def _discard(self, path: Path, why: str) -> Snapshot | None:
        _log.warning("ignoring saved prompt state %s: %s", path.name, why)
        path.unlink(missing_ok=True)
        return None


def evict(folder: Path, max_bytes: int, *, keep: Path | None = None) -> None:
    """Delete entries unused for `MAX_AGE_S`, then the least recently used past `max_bytes`."""
    now = time.time()
    entries = []
    for path in folder.iterdir():
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if path.name.endswith(".tmp") and now - stat.st_mtime > _STALE_TMP_S:
            path.unlink(missing_ok=True)
        elif path.suffix == SUFFIX:
            entries.append((stat.st_mtime, stat.st_size, path))
    entries.sort()
    total = sum(size for _, size, _ in entries)
    for mtime, size, path in entries:
        if path != keep and (total > max_bytes or now - mtime > MAX_AGE_S):
            path.unlink(missing_ok=True)
            total -= size


def folder_usage(folder: Path) -> tuple[int, int]:
    """How many saved states `folder` holds and their total size in bytes."""
    sizes = [path.stat().st_size for path in folder.glob(f"*{SUFFIX}")] if folder.is_dir() else []
    return len(sizes), sum(sizes)


def _read_header(handle: BinaryIO) -> dict[str, Any]:
    if handle.read(len(MAGIC)) != MAGIC:
        raise ValueError("not a saved prompt state")
    raw = handle.read(4)
    if len(raw) != 4:
        raise ValueError("truncated header")
    (length,) = struct.unpack("<I", raw)
    header = json.loads(handle.read(length))
    if not isinstance(header, dict):
        raise ValueError("malformed header")
    return header


def _write_atomically(path: Path, header: dict[str, Any], state: bytes) -> None:
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + struct.pack("<I", len(encoded)) + encoded)
            out.write(state)
        tmp.chmod(0o644)
        tmp.replace(path)  # readers see the old file or the whole new one, never a part
    finally:
        tmp.unlink(missing_ok=True)


def _touch(path: Path) -> None:
    """Mark `path` as just used, for least-recently-used eviction."""
    with contextlib.suppress(OSError):  # evicted meanwhile, or a read-only cache
        os.utime(path)
