"""Prompts are package data: Markdown files with `## <section>` headings and `$slots`.

Chat prompts have `system` and `user` sections; templates may have any sections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from string import Template

from imagent.backends.llm.base import Message

_SECTION = re.compile(r"^## (\w+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    sections: dict[str, Template]

    def fill(self, section: str, **slots: str) -> str:
        """One section with every `$slot` filled; a missing slot is an error."""
        return self.sections[section].substitute(slots)

    def messages(self, **slots: str) -> list[Message]:
        """The chat messages of a chat prompt (`system` and `user` sections)."""
        return [
            {"role": "system", "content": self.fill("system", **slots)},
            {"role": "user", "content": self.fill("user", **slots)},
        ]


@cache
def load_prompt(name: str) -> Prompt:
    """Load `prompts/<name>.md`; its first line is `<!-- version: N -->`."""
    text = (files("imagent.prompts") / f"{name}.md").read_text(encoding="utf-8")
    version = re.search(r"<!--\s*version:\s*(\S+)\s*-->", text)
    parts = _SECTION.split(text)
    bodies = (Template(p.strip()) for p in parts[2::2])
    return Prompt(
        name=name,
        version=version[1] if version else "0",
        sections=dict(zip(parts[1::2], bodies, strict=True)),
    )
