"""The `vlm/<llm id>` judge: a vision model looks at the image and answers checklist items.

`vlm/openai/gpt-4o-mini`, `vlm/dashscope/qwen-vl-max`, `vlm/ollama/qwen2.5vl:7b`: any LLM id
whose model can see. Items go in batches (8 per call, batches concurrently) with the image
downscaled to 1024 px; the answer is validated JSON, one verdict per item: yes, no or
cannot tell, with a reason. An item the model skipped is "cannot tell"; an id it invented
is ignored. "Cannot tell" stays unverified: it never counts as a pass.

It judges every kind of item (content, count, style, layout, fact, memory, and text as a
second opinion beside OCR). Its calls are metered into the run's usage like any other.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar, Literal

from PIL import Image
from pydantic import BaseModel, Field, ValidationError, field_validator

from imagent import registry
from imagent.backends.images_payload import MAX_SIDE, data_url
from imagent.backends.judge.base import Judge
from imagent.backends.llm.base import LLM, Completion, ImagePart, Message, TextPart
from imagent.backends.llm.structured_output import extract_json
from imagent.backends.metering import report_model_call
from imagent.core.errors import ConfigError, StructuredOutputError
from imagent.core.types import ChecklistItem, GenerationSpec, Verdict
from imagent.prompts import load_prompt
from imagent.settings import Settings

BATCH = 8  # items per call: fewer calls, while each item still gets the model's attention
REASON_CHARS = 200
STEP = "judge"
_ANSWERS = {"yes": True, "no": False, "cannot_tell": None}
_UNSURE = {"cannot tell", "unsure", "unknown", "uncertain", "unclear", "n/a"}


class ItemAnswer(BaseModel):
    item_id: str
    answer: Literal["yes", "no", "cannot_tell"]
    reason: str = Field(default="", max_length=2000)

    @field_validator("answer", mode="before")
    @classmethod
    def _plain_words(cls, value: object) -> object:
        """Models write "Yes", "cannot tell" or "unsure"; all mean one of the three."""
        if not isinstance(value, str):
            return value
        word = value.strip().lower().rstrip(".")
        return "cannot_tell" if word in _UNSURE else word.replace(" ", "_")


class JudgeAnswer(BaseModel):
    """What the model writes: one verdict per checklist item id."""

    verdicts: list[ItemAnswer]


SCHEMA = JudgeAnswer.model_json_schema()


class VLMJudge(Judge):
    """Checklist verdicts from a vision-language model."""

    provider: ClassVar[str] = "vlm"

    def __init__(
        self,
        model: str = "",
        settings: Settings | None = None,
        *,
        llm: LLM | None = None,
        max_side: int = MAX_SIDE,
    ) -> None:
        super().__init__(model or (llm.id if llm else ""), settings)
        if llm is None:
            if not self.model:
                raise ConfigError(
                    "the vlm judge needs a vision model: vlm/<llm id>, "
                    "e.g. vlm/openai/gpt-4o-mini or vlm/dashscope/qwen-vl-max"
                )
            llm = registry.resolve("llm", self.model, self.settings)
        if not llm.supports_images:
            raise ConfigError(
                f"{llm.id} cannot take images, so it cannot judge them; use a vision model, "
                "e.g. vlm/openai/gpt-4o-mini or vlm/dashscope/qwen-vl-max"
            )
        self.llm = llm
        self.max_side = max_side

    @property
    def id(self) -> str:
        return f"vlm/{self.llm.id}"

    async def aclose(self) -> None:
        await self.llm.aclose()

    async def ping(self) -> str | None:
        return await self.llm.ping()

    async def judge(
        self, image: Image.Image | None, items: list[ChecklistItem], spec: GenerationSpec
    ) -> list[Verdict]:
        if not items:
            return []
        if image is None:
            return [self._verdict(item, None, "no image to look at") for item in items]
        url = await asyncio.to_thread(data_url, image, self.max_side)
        batches = [items[i : i + BATCH] for i in range(0, len(items), BATCH)]
        answers = await asyncio.gather(*(self._ask(url, batch) for batch in batches))
        return [verdict for batch in answers for verdict in batch]

    async def _ask(self, url: str, items: list[ChecklistItem]) -> list[Verdict]:
        listing = "\n".join(f"- {item.id}: {' '.join(item.question.split())}" for item in items)
        system, user = load_prompt("judge").messages(items=listing)
        content: list[TextPart | ImagePart] = [
            TextPart(type="text", text=str(user["content"])),
            ImagePart(type="image_url", image_url={"url": url}),
        ]
        messages: list[Message] = [system, {"role": "user", "content": content}]
        answer = await self._answer(messages, len(items))
        given = {a.item_id.strip(): a for a in answer.verdicts}
        return [self._from_answer(item, given.get(item.id)) for item in items]

    async def _answer(self, messages: list[Message], count: int) -> JudgeAnswer:
        """The model's validated answer; one re-ask quoting the validation error."""
        max_tokens = 120 + 80 * count
        for _ in range(2):
            completion = await self.llm.complete(messages, SCHEMA, max_tokens=max_tokens)
            report_model_call(STEP, self.llm, completion)
            try:
                return _parse(completion)
            except (ValidationError, ValueError) as exc:
                error = str(exc).splitlines()[0]
                messages = [
                    *messages,
                    {"role": "assistant", "content": completion.text},
                    {"role": "user", "content": f"That was not valid: {error}. Answer again "
                     "with JSON only, one verdict per item id."},
                ]  # fmt: skip
        raise StructuredOutputError(self.id, "no valid verdicts after a re-ask")

    def _from_answer(self, item: ChecklistItem, answer: ItemAnswer | None) -> Verdict:
        if answer is None:
            return self._verdict(item, None, "the judge gave no verdict for this item")
        reason = answer.reason.strip() or answer.answer.replace("_", " ")
        return self._verdict(item, _ANSWERS[answer.answer], reason)

    def _verdict(self, item: ChecklistItem, passed: bool | None, reason: str) -> Verdict:
        if len(reason) > REASON_CHARS:
            reason = reason[: REASON_CHARS - 1] + "…"
        return Verdict(item_id=item.id, passed=passed, reason=reason, judge=self.id)


def _parse(completion: Completion) -> JudgeAnswer:
    found, value = extract_json(completion.text)
    if not found:
        raise ValueError("the answer held no JSON object")
    data: Any = value
    if isinstance(data, list):  # a bare list of verdicts
        data = {"verdicts": data}
    return JudgeAnswer.model_validate(data)
