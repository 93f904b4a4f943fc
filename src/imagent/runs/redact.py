"""Keep secrets out of every output: run.json, trace.jsonl and PNG metadata."""

from __future__ import annotations

import os
import re

SECRET_ENV_VARS = (
    "OPENAI_API_KEY",
    "DASHSCOPE_API_KEY",
    "OPENROUTER_API_KEY",
    "VLLM_API_KEY",
    "TAVILY_API_KEY",
    "BRAVE_SEARCH_API_KEY",
    "IMAGENT_API_TOKEN",
    "A1111_API_AUTH",  # user:password for a web UI started with --api-auth
)
_PATTERNS = [
    re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"),
    re.compile(r"\btvly-[A-Za-z0-9_\-]{16,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]{16,}"),
    re.compile(r"\bBSA[A-Za-z0-9_\-]{20,}"),  # Brave Search API keys
    re.compile(r"(?i)(\bhttps?://[^/\s:@]+:)[^/\s@]+(?=@)"),  # a password inside a URL
]
MASK = "[REDACTED]"
_registered: set[str] = set()


def register_secret_env_var(name: str) -> None:
    """Mask the value of `name` too: a backend calls this for every variable it reads a key
    from (`api_key_env` may name any variable, e.g. `MY_VLLM_SECRET`)."""
    _registered.add(name)


def _secret_values() -> list[str]:
    names = set(SECRET_ENV_VARS) | _registered
    names |= {k for k in os.environ if k.endswith(("_API_KEY", "_TOKEN", "_SECRET"))}
    return [v for k in names if len(v := os.environ.get(k, "")) >= 8]


def redact_text(text: str) -> str:
    """`text` with known secret values and key-shaped strings masked."""
    for value in _secret_values():
        text = text.replace(value, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text
