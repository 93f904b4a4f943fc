"""The typed records every step of the agent reads and writes.

Everything the agent decides lives in these records, so a `Result` alone explains a run:
its plan, how each gap was grounded (with evidence), the instruction the renderer got,
every candidate with its verdicts, and the cost.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
    model_validator,
)

MAX_PROMPT_CHARS = 8000
MAX_CANDIDATES = 8
MIN_SIDE, MAX_SIDE = 64, 4096
# Control characters other than tab, newline and carriage return, and lone surrogates (bytes that were not
# UTF-8, as Python decodes a command line with surrogateescape).
_UNUSABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SIZE_RE = re.compile(r"^\s*(\d{1,6})\s*[x×*X]\s*(\d{1,6})\s*$")


def unusable_character(text: str, what: str) -> str | None:
    """What is wrong with the first character of `text` no one can have meant (a control
    character, or a byte that was not UTF-8), said of `what`; None when there is none."""
    bad = _UNUSABLE.search(text)
    if bad is None:
        return None
    at = bad.start() + 1
    if "\ud800" <= bad[0] <= "\udfff":
        return (
            f"the {what} is not valid UTF-8 at character {at} (a byte that is no character):"
            " check the terminal's encoding"
        )
    return f"the {what} has a control character (U+{ord(bad[0]):04X}) at character {at}: remove it"


def utcnow() -> datetime:
    return datetime.now(UTC)


def _data_url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode("ascii")


class Record(BaseModel):
    """Base for all records: unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class GapRoute(StrEnum):
    NONE = "none"
    REASON = "reason"  # a number to compute: the model writes a program, code computes it
    KNOWLEDGE = "knowledge"  # a fact general knowledge answers, with a one-line justification
    SEARCH = "search"
    IMAGE_SEARCH = "image_search"
    MEMORY = "memory"
    ASK = "ask"


class GapStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"
    ASKED = "asked"


class EvidenceSource(StrEnum):
    WEB = "web"
    IMAGE = "image"
    MEMORY = "memory"
    REASONING = "reasoning"
    USER = "user"


class ItemKind(StrEnum):
    CONTENT = "content"
    TEXT = "text"
    COUNT = "count"
    STYLE = "style"
    LAYOUT = "layout"
    FACT = "fact"
    MEMORY = "memory"


class AskMode(StrEnum):
    ASK = "ask"  # return a question to the user for `ask` gaps
    FILL = "fill"  # fill every gap as best the agent can and go on


class RunStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    ASKED = "asked"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class Evidence(Record):
    """Where a resolution came from. Search text is data, never instructions."""

    source: EvidenceSource
    title: str = ""
    url: str | None = None
    snippet: str = ""
    date: str | None = None  # when the source says it was published or updated (YYYY-MM-DD)
    retrieved_at: datetime = Field(default_factory=utcnow)


class Gap(Record):
    """Something the request leaves out, and how the agent filled it."""

    id: str
    question: str
    route: GapRoute = GapRoute.NONE
    span: str = ""  # the phrase of the request this gap stands for ("the result of 17 x 23")
    expression: str | None = None  # program for the `reason` route, computed by a safe evaluator
    unit: str = ""  # "$" when the computed value is money; else its unit ("cm", "平方厘米")
    queries: list[str] = Field(default_factory=list)  # what the `search` route looks up
    proposed: str | None = None  # a planner's answer, to be checked before it is used
    visual: str = ""  # what the picture must show because of the answer ("a red maple leaf")
    reference: str | None = None  # a reference image found for the gap (a path or data URL)
    status: GapStatus = GapStatus.OPEN
    resolution: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    decided_by: str = "llm"  # which part decided the gap: "llm", "rules", "user"


class ChecklistItem(Record):
    id: str
    question: str
    kind: ItemKind = ItemKind.CONTENT
    depends_on: list[str] = Field(default_factory=list)
    expect: list[str] = Field(default_factory=list)  # regexes over the final prompt

    @field_validator("expect")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"expect pattern {pattern!r} is not a valid regex: {exc}") from exc
        return patterns


class Verdict(Record):
    item_id: str
    passed: bool | None  # None: the judge could not tell
    reason: str = ""
    judge: str = ""


class RunOptions(Record):
    max_rounds: int = Field(default=2, ge=0, le=10)  # repair rounds after the first render
    mode: AskMode = AskMode.FILL
    search: bool = True
    budget_llm_calls: int = Field(default=12, ge=1, le=200)
    deadline_s: float | None = Field(default=None, gt=0, le=86400)  # whole run, retries included


class Size(Record):
    width: int = Field(ge=MIN_SIDE, le=MAX_SIDE)
    height: int = Field(ge=MIN_SIDE, le=MAX_SIDE)

    @classmethod
    def parse(cls, value: str | Size | tuple[int, int]) -> Size:
        """Accept "1024x768", "1024*768", (1024, 768) or a Size."""
        if isinstance(value, Size):
            return value
        if isinstance(value, tuple):
            return cls(width=value[0], height=value[1])
        match = _SIZE_RE.match(value)
        if not match:
            raise ValueError(f"size {value!r} is not WIDTHxHEIGHT, e.g. 1024x1024")
        return cls(width=int(match[1]), height=int(match[2]))

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


class Request(Record):
    """What the user asked for."""

    prompt: str
    # reference / edit-source images: paths, http(s) URLs or data URLs (bytes become data URLs)
    images: list[str] = Field(default_factory=list)
    mask: str | None = None  # transparent where the first image may change (edit renderers)
    user_id: str = "default"
    session_id: str | None = None
    n: int = Field(default=1, ge=1, le=MAX_CANDIDATES)
    size: Size | None = None
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    renderer: str | None = None
    llm: str | None = None
    judges: list[str] | None = None
    checklist: list[ChecklistItem] = Field(default_factory=list)  # replaces the derived one
    options: RunOptions = Field(default_factory=RunOptions)

    @field_validator("prompt")
    @classmethod
    def _prompt_fits(cls, prompt: str) -> str:
        prompt = prompt.strip()
        if not prompt:
            raise ValueError("the prompt is empty: describe the image you want")
        if problem := unusable_character(prompt, "prompt"):
            raise ValueError(problem)
        if len(prompt) > MAX_PROMPT_CHARS:
            raise ValueError(
                f"the prompt has {len(prompt)} characters; the limit is {MAX_PROMPT_CHARS}. "
                "Put long material in documents or reference files instead"
            )
        return prompt

    @field_validator("size", mode="before")
    @classmethod
    def _parse_size(cls, value: Any) -> Any:
        if isinstance(value, str | tuple):
            return Size.parse(value)
        return value

    @field_validator("images", "mask", mode="before")
    @classmethod
    def _bytes_as_data_urls(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [_data_url(v) if isinstance(v, bytes) else v for v in value]
        return _data_url(value) if isinstance(value, bytes) else value


class TextBlock(Record):
    """Exact text the image must show."""

    text: str
    role: Literal["headline", "body", "caption", "label"] = "headline"


class PlannedTask(Record):
    """One image the plan asks for, when the request is several images (panels, a set)."""

    id: str
    title: str = ""
    role: Literal["image", "panel", "sheet"] = "panel"
    brief: str = ""  # what this image shows: a panel's beat, a banner's variant
    text: list[TextBlock] = Field(default_factory=list)  # text this image alone shows
    depends_on: list[str] = Field(default_factory=list)


class ContextPlan(Record):
    """The planner's reading of the request: what it wants and what it leaves out.

    With no `tasks` the request is one image. With tasks, `consistency` is the block every
    task's prompt carries (a character or product description, a palette) and `seed_policy`
    says whether the tasks share one seed (`shared`, for a consistent look) or not.
    """

    intent: str
    subject: str = ""
    style: str = ""
    text: list[TextBlock] = Field(default_factory=list)
    gaps: list[Gap] = Field(default_factory=list)
    checklist: list[ChecklistItem] = Field(default_factory=list)
    panels: int = Field(default=1, ge=1, le=12)  # cells drawn within one image
    items: list[str] = Field(default_factory=list)  # members of a group the request names
    details: list[str] = Field(default_factory=list)  # what the request implies but never says
    tasks: list[PlannedTask] = Field(default_factory=list, max_length=12)
    consistency: str = ""
    seed_policy: Literal["shared", "distinct"] = "shared"
    tier: str = (
        "small"  # which planner wrote it: "small" (short schema + rules), "capable", "rules"
    )
    decided_by: str = "llm"


class Fact(Record):
    """A resolved gap as it must appear in the final instruction."""

    gap_id: str
    span: str
    value: str
    source: EvidenceSource
    visual: str = ""  # what the picture must show because of the value


class GenerationSpec(Record):
    """A complete instruction: renderer-neutral fields plus the renderer-specific prompt."""

    brief: str  # the request with every gap replaced by its resolution
    prompt: str = ""  # the renderer-specific instruction (the final prompt)
    negative_prompt: str = ""
    subject: str = ""
    style: str = ""
    text: list[TextBlock] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    items: list[str] = Field(default_factory=list)  # members of a group to show, in order
    details: list[str] = Field(default_factory=list)  # implied facts the picture must get right
    panels: int = 1
    size: Size = Field(default_factory=lambda: Size(width=1024, height=1024))
    seeds: list[int] = Field(default_factory=lambda: [0])
    reference_images: list[str] = Field(default_factory=list)
    mask: str | None = None


class Candidate(Record):
    index: int
    round: int = 0
    seed: int | None  # the seed the renderer used; None when it takes none
    path: str | None = None
    revised_prompt: str | None = None  # the provider's own rewrite of the prompt, if any
    request_id: str | None = None
    cost_usd: float = 0.0
    verdicts: list[Verdict] = Field(default_factory=list)
    score: float = 0.0  # share of checklist items passed


class Round(Record):
    """One render of the spec and its verdicts; `repair` is what was decided after it."""

    index: int
    action: Literal["initial", "rewrite", "reseed"] = "initial"  # how this round's spec was made
    reason: str = ""
    prompt: str
    candidates: list[Candidate] = Field(default_factory=list)
    repair: Literal["rewrite", "reseed"] | None = None
    repair_reason: str = ""


class ModelCall(Record):
    """Cost of one model call."""

    model: str
    step: str
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    cost_usd: float = 0.0
    cost_known: bool = True  # False: the model has no known price; cost_usd is 0, not "free"


class Usage(Record):
    """What a run spent: model calls and tokens, renders, and their cost in USD."""

    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    llm_cost_usd: float = 0.0
    unpriced_calls: int = 0  # calls to models without a known price (not in llm_cost_usd)
    calls: list[ModelCall] = Field(default_factory=list)  # every model call, in order
    renders: int = 0  # images rendered (candidates), every round
    render_cost_usd: float = 0.0
    calls_by_step: dict[str, int] = Field(default_factory=dict)

    def add(self, call: ModelCall) -> None:
        self.llm_calls += 1
        self.input_tokens += call.input_tokens
        self.output_tokens += call.output_tokens
        self.llm_cost_usd += call.cost_usd
        if not call.cost_known:
            self.unpriced_calls += 1
        self.calls.append(call)
        self.calls_by_step[call.step] = self.calls_by_step.get(call.step, 0) + 1

    @model_validator(mode="before")
    @classmethod
    def _derived_total(cls, data: Any) -> Any:
        """`cost_usd` is derived; a run file written before renders were costed has only it."""
        if isinstance(data, dict) and "cost_usd" in data:
            data = dict(data)
            total = data.pop("cost_usd")
            data.setdefault("llm_cost_usd", total)
        return data

    def add_render(self, cost_usd: float) -> None:
        self.renders += 1
        self.render_cost_usd += cost_usd

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cost_usd(self) -> float:
        return round(self.llm_cost_usd + self.render_cost_usd, 6)

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class TaskStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Task(Record):
    """One image of a run's task graph, with everything decided and made for it.

    A single image is a graph of one task. A 4-panel comic is four panel tasks (each with its
    own beat, spec, checklist and rounds) sharing one consistency block; a task that depends
    on another gets that task's image as a reference where the renderer takes references.
    """

    id: str
    title: str = ""  # what this task is, for people: "Panel 2: the cat searches the sofa"
    role: Literal["image", "panel", "sheet", "page"] = "image"
    brief: str = ""  # what this task draws, before composing (a panel's beat)
    depends_on: list[str] = Field(default_factory=list)
    status: TaskStatus = TaskStatus.PENDING
    spec: GenerationSpec | None = None
    checklist: list[ChecklistItem] = Field(default_factory=list)
    rounds: list[Round] = Field(default_factory=list)
    best: Candidate | None = None
    final_prompt: str = ""
    final_image: str | None = None
    error: str | None = None

    @property
    def verdicts(self) -> list[Verdict]:
        return list(self.best.verdicts) if self.best else []


class VerdictCount(Record):
    """How a run's checklist came out: definitely passed, definitely failed, or unverified
    (no judge could tell)."""

    passed: int = 0
    failed: int = 0
    unverified: int = 0

    @property
    def outcome(self) -> Literal["passed", "failed", "unverified", "unjudged"]:
        if self.failed:
            return "failed"
        if self.unverified:
            return "unverified"
        return "passed" if self.passed else "unjudged"


RUN_SCHEMA_VERSION = 2


class Result(Record):
    """Everything a run produced and decided. Saved as run.json (`schema_version` 2)."""

    schema_version: int = RUN_SCHEMA_VERSION
    run_id: str
    status: RunStatus = RunStatus.RUNNING
    request: Request
    completed_steps: list[str] = Field(default_factory=list)
    plan: ContextPlan | None = None
    gaps: list[Gap] = Field(default_factory=list)
    questions: list[str] = Field(default_factory=list)  # for the user, when gaps route to `ask`
    tasks: list[Task] = Field(default_factory=list)
    # Several tasks are also assembled into one page, judged on the request's own items.
    page: Task | None = None
    final_prompt: str = ""  # the task prompts, one per line when there are several
    final_image: str | None = None  # the page for a multi-panel run, else the one image
    warnings: list[str] = Field(default_factory=list)  # what the user must know about this run
    renderer: str = ""  # the ids this run used, so a resumed run uses them again
    llm: str = ""
    judges: list[str] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    timings_s: dict[str, float] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
    run_dir: str | None = None
    error: str | None = None

    # -- views over the tasks --------------------------------------------------------

    @property
    def task(self) -> Task | None:
        """The first task (the only one for a single image)."""
        return self.tasks[0] if self.tasks else None

    @property
    def spec(self) -> GenerationSpec | None:
        return self.task.spec if self.task else None

    @property
    def best(self) -> Candidate | None:
        return self.task.best if self.task else None

    @property
    def rounds(self) -> list[Round]:
        return self.task.rounds if self.task else []

    @property
    def all_tasks(self) -> list[Task]:
        """The tasks, then the page when there is one."""
        return [*self.tasks, *([self.page] if self.page else [])]

    @property
    def checklist(self) -> list[ChecklistItem]:
        """Every task's checklist items (the page's last), in task order."""
        return [item for task in self.all_tasks for item in task.checklist]

    @property
    def verdicts(self) -> list[Verdict]:
        """Every task's verdicts on its best candidate (the page's last), in task order."""
        return [v for task in self.all_tasks for v in task.verdicts]

    @property
    def verdict_count(self) -> VerdictCount:
        count = VerdictCount()
        judged = {v.item_id: v.passed for v in self.verdicts}
        for item in self.checklist:
            outcome = judged.get(item.id)
            if outcome is True:
                count.passed += 1
            elif outcome is False:
                count.failed += 1
            else:
                count.unverified += 1
        return count

    @property
    def passed(self) -> bool:
        """True only when every checklist item of every task definitely passed.

        An item no judge could check is unverified, and a run with one is not passed.
        """
        count = self.verdict_count
        return bool(self.tasks) and count.outcome == "passed"
