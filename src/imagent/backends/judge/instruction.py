"""The instruction-level judge: checks the final prompt, not the pixels.

An item's `expect` regexes must all match the final prompt (case-insensitively). This is how
the benchmark scores instruction quality, and it catches a composer that dropped a fact
before any image judge runs.
"""

from __future__ import annotations

import re

from PIL import Image

from imagent.backends.judge.base import Judge
from imagent.core.types import ChecklistItem, GenerationSpec, Verdict


class InstructionJudge(Judge):
    provider = "instruction"
    needs_image = False

    def applies_to(self, item: ChecklistItem) -> bool:
        return bool(item.expect)

    async def judge(
        self, image: Image.Image | None, items: list[ChecklistItem], spec: GenerationSpec
    ) -> list[Verdict]:
        return [self._one(item, spec.prompt) for item in items]

    def _one(self, item: ChecklistItem, prompt: str) -> Verdict:
        missing = [p for p in item.expect if not re.search(p, prompt, re.IGNORECASE)]
        reason = f"prompt lacks {', '.join(missing)}" if missing else "prompt states it"
        return Verdict(item_id=item.id, passed=not missing, reason=reason, judge=self.id)
