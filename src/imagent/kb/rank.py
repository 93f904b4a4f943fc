"""Rank fusion and the optional embedding re-rank of knowledge-base candidates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

RRF_K = 60  # the usual reciprocal-rank-fusion constant: ranks matter, raw scores do not


class Reranker(Protocol):
    """Anything that scores how close each text is to a query (higher is closer)."""

    def similarities(self, query: str, texts: Sequence[str]) -> list[float]: ...


def fuse(rankings: Sequence[Sequence[int]]) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion of id lists (each best first) → (id, score), best first."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def rerank(
    candidates: list[tuple[int, float]], texts: Sequence[str], query: str, reranker: Reranker
) -> list[tuple[int, float]]:
    """`candidates` (lexical order) fused with their order by embedding similarity.

    Fusing, rather than sorting by similarity alone, keeps exact-term matches (names,
    numbers) that a small embedding model underrates, while paraphrases move up.
    """
    similarity = reranker.similarities(query, texts)
    ids = [item for item, _ in candidates]
    by_meaning = [
        item for _, item in sorted(zip(similarity, ids, strict=True), key=lambda p: -p[0])
    ]
    return fuse([ids, by_meaning])
