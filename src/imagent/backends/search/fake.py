"""Search over documents given in memory (or a JSONL file), for tests and offline benchmarks."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from imagent.backends.search.base import Search, SearchHit
from imagent.core.errors import ConfigError
from imagent.settings import Settings

_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")


def _terms(text: str) -> set[str]:
    """Words of two or more characters; unspaced CJK text as its character pairs."""
    words = {w.lower() for w in _WORD.findall(_CJK.sub(" ", text)) if len(w) > 1}
    return words | {run[i : i + 2] for run in _CJK.findall(text) for i in range(len(run) - 1)}


class FakeSearch(Search):
    """`fake/<path.jsonl>` or `FakeSearch(documents=[...])`: term-overlap ranking, no network."""

    provider = "fake"

    def __init__(
        self,
        model: str = "",
        settings: Settings | None = None,
        *,
        documents: list[SearchHit | dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(model, settings)
        docs = documents if documents is not None else self._read(model)
        self.documents = [
            d if isinstance(d, SearchHit) else SearchHit.model_validate(d) for d in docs
        ]
        self.queries: list[str] = []

    @staticmethod
    def _read(path: str) -> list[dict[str, Any]]:
        if not path:
            return []
        file = Path(path).expanduser()
        if not file.is_file():
            raise ConfigError(f"fake search documents file {path!r} does not exist")
        lines = file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    async def search(self, query: str, k: int = 5) -> list[SearchHit]:
        self.queries.append(query)
        wanted = _terms(query)
        scored = []
        for doc in self.documents:
            overlap = len(wanted & _terms(f"{doc.title} {doc.text}"))
            if overlap:
                score = overlap / max(1, len(wanted))
                scored.append(doc.model_copy(update={"score": score, "provider": self.id}))
        return sorted(scored, key=lambda d: -d.score)[:k]
