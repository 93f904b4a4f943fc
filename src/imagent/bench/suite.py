"""The benchmark suite format: one JSON object per line (DESIGN.md, "Benchmark suite format").

```json
{"id": "reason-math-001", "capability": "reason", "subtask": "math",
 "prompt": "A chalkboard showing the result of 17 x 23, written large",
 "session": "s2", "user": "u1",
 "history": [{"session": "s1", "content": "I always want a dark green chalkboard"}],
 "documents": [{"title": "...", "url": "...", "text": "...", "date": "2026-11-01"}],
 "checklist": [{"id": "c1", "question": "Does the board show 391?", "kind": "text",
                "expect": ["\\\\b391\\\\b"]}]}
```
Other tools write cases in this format and read the results; keep it as written.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from imagent.core.errors import ConfigError
from imagent.core.types import ChecklistItem

Capability = Literal["plan", "reason", "search", "memory"]
SUBTASKS: dict[str, tuple[str, ...]] = {
    "plan": ("composition", "enumeration", "multi_panel", "maze"),
    "reason": ("math", "science", "commonsense", "map", "geometry"),
    "search": ("game", "movie", "anime", "celebrity", "stock", "weather"),
    "memory": ("user_profile", "conversation_history"),
}
CAPABILITIES: tuple[Capability, ...] = ("plan", "reason", "search", "memory")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class HistoryEntry(BaseModel):
    """Something the user (or the agent) said in an earlier turn."""

    model_config = ConfigDict(extra="forbid")

    session: str
    content: str
    role: Literal["user", "agent"] = "user"
    kind: Literal["message", "profile"] = "message"


class Document(BaseModel):
    """One document of a case's own search corpus."""

    model_config = ConfigDict(extra="forbid")

    title: str = ""
    url: str | None = None
    text: str
    date: str | None = None


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    capability: Capability
    subtask: str
    prompt: str = Field(min_length=1)
    session: str | None = None
    user: str = "bench"
    history: list[HistoryEntry] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    checklist: list[ChecklistItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_subtask(self) -> Case:
        if self.subtask not in SUBTASKS[self.capability]:
            known = ", ".join(SUBTASKS[self.capability])
            raise ValueError(f"subtask {self.subtask!r} is not one of {self.capability}'s: {known}")
        return self

    @property
    def language(self) -> Literal["zh", "en"]:
        return "zh" if _CJK.search(self.prompt) else "en"


def resolve_suite(name_or_path: str) -> Path:
    """A suite file: a path, or a name in `benchmarks/suites/` (`dev`, `holdout`)."""
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    for candidate in (
        Path("benchmarks") / "suites" / f"{name_or_path}.jsonl",
        Path("benchmarks") / "suites" / name_or_path,
    ):
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"suite {name_or_path!r} not found: give a .jsonl path, or a name in benchmarks/suites/"
    )


def load_suite(path: Path) -> list[Case]:
    """Every case of a suite file; a bad line is an error naming the file and line."""
    cases: list[Case] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            case = Case.model_validate(json.loads(line))
        except (ValueError, ValidationError) as exc:
            detail = str(exc).splitlines()
            message = " ".join(detail[:3]) if detail else type(exc).__name__
            raise ConfigError(f"{path}:{number}: not a valid case: {message}") from exc
        if case.id in seen:
            raise ConfigError(f"{path}:{number}: case id {case.id!r} appears twice")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise ConfigError(f"{path} has no cases")
    return cases


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
