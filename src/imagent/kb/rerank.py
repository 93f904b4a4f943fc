"""The optional semantic re-rank: WordLlama's static token embeddings (MIT, 16 MB, numpy
only), shipped inside the `wordllama` wheel (`pip install 'imagent[rerank]'`).

The weights and tokenizer are read from the installed package only: both files are checked
against pinned sizes and sha256 digests before use, and the library's own loader (which may
fall back to a model-hub download) is never called.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imagent.core.errors import MissingExtraError, ModelFilesError

PACKAGE = "wordllama"
EXTRA = "rerank"


@dataclass(frozen=True)
class PinnedFile:
    relative: str
    size: int
    sha256: str


# wordllama==0.4.0.post1: the 256-dimension "l2_supercat" model and its tokenizer.
WEIGHTS = PinnedFile(
    "weights/l2_supercat_256.safetensors",
    16_384_096,
    "64b47a2dc493cb8e85944076601189739852d7b64e0e1eedcb1937a251cd9fd5",
)
TOKENIZER = PinnedFile(
    "tokenizers/l2_supercat_tokenizer_config.json",
    1_842_796,
    "93248f2a9ec36c7b35f700a033d5f36228aae48db61aee31007fa49062cdeb68",
)


def available() -> bool:
    """Whether the re-rank extra is installed (nothing is imported or loaded)."""
    return importlib.util.find_spec(PACKAGE) is not None


class WordLlamaReranker:
    """Cosine similarity between a query and texts, from WordLlama embeddings."""

    def __init__(self) -> None:
        folder = _package_folder()
        weights, tokenizer = (_verified(folder, pinned) for pinned in (WEIGHTS, TOKENIZER))
        inference_cls, tokenizer_cls, safe_open = _imports()
        with safe_open(str(weights), framework="np") as tensors:
            embedding = tensors.get_tensor("embedding.weight")
        self._model = inference_cls(embedding, tokenizer_cls.from_file(str(tokenizer)))

    def similarities(self, query: str, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        vectors = self._model.embed([query, *texts], norm=True)
        return [float(value) for value in vectors[1:] @ vectors[0]]


def _package_folder() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError("local (re-rank)", [EXTRA], f"no module named {PACKAGE!r}")
    return Path(next(iter(spec.submodule_search_locations)))


def _verified(folder: Path, pinned: PinnedFile) -> Path:
    path = folder / pinned.relative
    if not path.is_file() or path.stat().st_size != pinned.size:
        raise ModelFilesError(
            f"re-rank model file {path} is missing or not {pinned.size} bytes; reinstall it with "
            f"pip install --force-reinstall 'imagent[{EXTRA}]'"
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != pinned.sha256:
        raise ModelFilesError(
            f"re-rank model file {path} has sha256 {digest}, expected {pinned.sha256}"
        )
    return path


def _imports() -> tuple[Any, Any, Any]:
    # wordllama.inference calls logging.basicConfig(INFO) when imported, which would turn on
    # every library's INFO logs in the CLI; a handler present during the import prevents it.
    root = logging.getLogger()
    guard = logging.NullHandler()
    root.addHandler(guard)
    try:
        from safetensors import safe_open
        from tokenizers import Tokenizer
        from wordllama.inference import WordLlamaInference
    finally:
        root.removeHandler(guard)
    return WordLlamaInference, Tokenizer, safe_open
