"""`local`: the user's own documents, searched offline (SQLite FTS5, BM25).

`local` reads `<home>/kb.db`; `local/<path.db>` (or `local:~/notes/kb.db`) another file.
Documents get there with `imagent kb add <files|folder>`. `LocalSearch(documents=[...])`
indexes documents given in memory instead (a benchmark case's corpus, a test's pages).

Re-rank (`[providers.local] options.rerank`): `auto` (the default) re-ranks with the small
embedding model when the `rerank` extra is installed, `true` requires it, `false` is BM25
alone.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from imagent.backends.search.base import Search, SearchHit, SearchOutcome, check_query
from imagent.backends.search.dates import normalise_date
from imagent.core.errors import ConfigError, MissingExtraError
from imagent.kb import rerank as rerank_model
from imagent.kb.documents import Document
from imagent.kb.rank import Reranker
from imagent.kb.store import KnowledgeBase
from imagent.settings import Settings

KB_FILE = "kb.db"


class LocalSearch(Search):
    provider: ClassVar[str] = "local"
    local: ClassVar[bool] = True

    def __init__(
        self,
        model: str = "",
        settings: Settings | None = None,
        *,
        documents: Sequence[Document | SearchHit | dict[str, Any]] | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        super().__init__(model, settings)
        self.documents = (
            [_document(d, i) for i, d in enumerate(documents)] if documents is not None else None
        )
        self.path = None if documents is not None else self._path(model)
        self.reranker = reranker
        self._want_rerank = reranker is None and self._rerank_wanted()
        self._kb: KnowledgeBase | None = None
        self._opening = threading.Lock()

    async def search(self, query: str, k: int = 5) -> list[SearchHit]:
        query = check_query(self, query, k)
        found = await asyncio.to_thread(lambda: self._base().search(query, k))
        return [
            SearchHit(
                title=h.title, url=h.url, text=h.text, date=h.date, score=h.score, provider=self.id
            )
            for h in found
        ]

    async def lookup(self, query: str, k: int = 5) -> SearchOutcome:
        outcome = await super().lookup(query, k)
        if not outcome.hits and not await asyncio.to_thread(lambda: self._base().documents()):
            note = (
                f"the knowledge base {self.path} has no documents; add some with "
                "`imagent kb add <files>`"
                if self.path
                else "no documents were given to search"
            )
            return outcome.model_copy(update={"warnings": [*outcome.warnings, note]})
        return outcome

    async def aclose(self) -> None:
        if self._kb is not None:
            await asyncio.to_thread(self._kb.close)
            self._kb = None

    def _base(self) -> KnowledgeBase:
        """The knowledge base, opened (and for in-memory documents, indexed) on first use."""
        with self._opening:
            if self._kb is None:
                if self._want_rerank:
                    self.reranker = _shared_reranker()
                kb = KnowledgeBase(self.path or ":memory:", reranker=self.reranker)
                for document in self.documents or []:
                    kb.add_document(document)
                self._kb = kb
        return self._kb

    def _path(self, model: str) -> Path:
        return Path(model).expanduser() if model else self.settings.home / KB_FILE

    def _rerank_wanted(self) -> bool:
        """Whether to re-rank, from `options.rerank`; `true` without the extra is an error."""
        choice = str(self.settings.provider("local").options.get("rerank", "auto")).lower()
        if choice in ("false", "off", "no", "0", "none"):
            return False
        if choice in ("true", "on", "yes", "1"):
            if not rerank_model.available():
                raise MissingExtraError(
                    "local", [rerank_model.EXTRA], "no module named 'wordllama'"
                )
            return True
        if choice != "auto":
            raise ConfigError(
                f"[providers.local] options.rerank = {choice!r}: expected auto, true or false"
            )
        return rerank_model.available()


@cache
def _shared_reranker() -> Reranker:
    """One model per process: loading it takes about a second."""
    return rerank_model.WordLlamaReranker()


def _document(item: Document | SearchHit | dict[str, Any], index: int) -> Document:
    if isinstance(item, Document):
        return item
    fields = item.model_dump() if isinstance(item, SearchHit) else dict(item)
    return Document(
        title=str(fields.get("title") or ""),
        text=str(fields.get("text") or ""),
        url=fields.get("url"),
        date=normalise_date(fields.get("date")),
        source=str(fields.get("source") or f"document-{index}"),
    )
