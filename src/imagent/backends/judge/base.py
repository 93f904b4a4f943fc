"""The Judge backend kind: checklist verdicts for one candidate."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from PIL import Image

from imagent.backends.base import Backend
from imagent.core.types import ChecklistItem, GenerationSpec, Verdict


class Judge(Backend, ABC):
    """Gives a verdict on the items it `applies_to`; `passed=None` when it cannot tell."""

    kind: ClassVar[str] = "judge"
    needs_image: ClassVar[bool] = True

    def applies_to(self, item: ChecklistItem) -> bool:
        return True

    @abstractmethod
    async def judge(
        self, image: Image.Image | None, items: list[ChecklistItem], spec: GenerationSpec
    ) -> list[Verdict]:
        """One verdict per item in `items` (all of which this judge applies to)."""
