"""Program-of-thought: the model writes an expression for a question, code computes it
(`evaluate`). One call, used by the planner and by the `reason` route."""

from __future__ import annotations

from pydantic import BaseModel, Field

from imagent.agent.structured import complete_structured
from imagent.agent.trace import Tracer
from imagent.backends.llm.base import LLM
from imagent.prompts import load_prompt


class ReasonProgram(BaseModel):
    expression: str = Field(max_length=200)


async def write_program(llm: LLM, request: str, question: str, tracer: Tracer, step: str) -> str:
    """The model's expression for `question`, asked about `request` (`prompts/reason.md`)."""
    messages = load_prompt("reason").messages(request=request, question=question)
    program = await complete_structured(
        llm, messages, ReasonProgram, tracer=tracer, step=step, max_tokens=120
    )
    return program.expression
