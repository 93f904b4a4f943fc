"""One live check per provider: a schema-valid answer and a VLM verdict on a real image."""

from __future__ import annotations

from PIL import Image
from pydantic import BaseModel

from imagent.backends.judge.vlm import VLMJudge
from imagent.backends.llm.base import LLM
from imagent.core.types import ChecklistItem, GenerationSpec


class Count(BaseModel):
    word: str
    letters: int


async def check_llm_and_judge(llm: LLM, judge_llm: LLM) -> None:
    completion = await llm.complete(
        [{"role": "user", "content": "How many letters has the word 'poster'? Answer in JSON."}],
        Count.model_json_schema(),
        max_tokens=60,
    )
    answer = Count.model_validate_json(completion.text)
    assert answer.letters == 6 and completion.input_tokens > 0 and llm.cost_usd(completion) > 0
    judge = VLMJudge(settings=llm.settings, llm=judge_llm)
    items = [
        ChecklistItem(id="red", question="Is the image almost entirely red?"),
        ChecklistItem(id="cat", question="Does the image show a cat?"),
    ]
    image = Image.new("RGB", (512, 512), (220, 20, 20))
    verdicts = await judge.judge(image, items, GenerationSpec(brief="a red square"))
    assert [v.passed for v in verdicts] == [True, False], verdicts
    await llm.aclose()
    await judge_llm.aclose()
