"""The optional re-rank model: loaded from the installed wheel only, its files checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("wordllama")

from imagent.core.errors import ModelFilesError
from imagent.kb import Document, KnowledgeBase
from imagent.kb import rerank as rerank_module
from imagent.kb.rerank import WordLlamaReranker


def test_similarity_follows_meaning() -> None:
    model = WordLlamaReranker()
    scores = model.similarities(
        "who was the champion of the race",
        ["Ada Okafor won the marathon.", "Cats sleep most of the day."],
    )
    assert scores[0] > scores[1]


def test_paraphrased_questions_find_their_passage(tmp_path: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb.db", reranker=WordLlamaReranker())
    kb.add_document(Document(title="Race report", text="Ada Okafor won the race in record time."))
    kb.add_document(
        Document(title="Race logistics", text="The race starts at the harbour; bring water.")
    )
    assert kb.search("who won the race", 2)[0].title == "Race report"


def test_a_tampered_model_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = rerank_module._package_folder()
    copy = tmp_path / "wordllama"
    shutil.copytree(real / "tokenizers", copy / "tokenizers")
    (copy / "weights").mkdir()
    weights = copy / rerank_module.WEIGHTS.relative
    weights.write_bytes(b"\0" * rerank_module.WEIGHTS.size)  # right size, wrong bytes
    monkeypatch.setattr(rerank_module, "_package_folder", lambda: copy)
    with pytest.raises(ModelFilesError, match="sha256"):
        WordLlamaReranker()
