"""A judge with fixed verdicts, for tests: `fake/pass`, `fake/fail`, `fake/unsure`."""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image

from imagent.backends.judge.base import Judge
from imagent.core.errors import ConfigError
from imagent.core.types import ChecklistItem, GenerationSpec, Verdict
from imagent.settings import Settings

_OUTCOMES = {"pass": True, "": True, "fail": False, "unsure": None}


class FakeJudge(Judge):
    provider = "fake"

    def __init__(
        self,
        model: str = "",
        settings: Settings | None = None,
        *,
        verdict: Callable[[ChecklistItem, GenerationSpec], bool | None] | None = None,
    ) -> None:
        super().__init__(model, settings)
        if verdict is None and model not in _OUTCOMES:
            raise ConfigError(
                f"unknown fake judge {model!r}; use fake/pass, fake/fail or fake/unsure"
            )
        outcome = _OUTCOMES.get(model)
        self.verdict = verdict or (lambda item, spec: outcome)

    async def judge(
        self, image: Image.Image | None, items: list[ChecklistItem], spec: GenerationSpec
    ) -> list[Verdict]:
        return [
            Verdict(item_id=i.id, passed=self.verdict(i, spec), reason="fake", judge=self.id)
            for i in items
        ]
