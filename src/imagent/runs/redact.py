"""Keep secrets out of every output: run.json, trace.jsonl and PNG metadata."""

from __future__ import annotations

import os
import re

SECRET_ENV_VARS = (
    "OPENAI_API_KEY",
    "DASHSCOPE_API_KEY",
    "TAVILY_API_KEY",
    "BRAVE_SEARCH_API_KEY",
    "IMAGENT_API_TOKEN",
    "A1111_API_AUTH",  # user:password for a web UI started with --api-auth
)
_PATTERNS = [
    re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"),
    re.compile(r"\btvly-[A-Za-z0-9_\-]{16,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]{16,}"),
]
MASK = "[REDACTED]"


def _secret_values() -> list[str]:
    names = set(SECRET_ENV_VARS) | {k for k in os.environ if k.endswith(("_API_KEY", "_TOKEN"))}
    return [v for k in names if len(v := os.environ.get(k, "")) >= 8]


def redact_text(text: str) -> str:
    """`text` with known secret values and key-shaped strings masked."""
    for value in _secret_values():
        text = text.replace(value, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text
