"""Presets for servers that speak the OpenAI chat API: each is its default base URL, the
variable its key lives in, and whether it needs one. Anything else is `OpenAILLM`.

| id | default base URL | key |
|---|---|---|
| `dashscope/<model>` | DashScope compatible mode (see below) | `DASHSCOPE_API_KEY` |
| `openrouter/<vendor>/<model>` | `https://openrouter.ai/api/v1` | `OPENROUTER_API_KEY` |
| `ollama/<model>` | `http://localhost:11434/v1` | none |
| `vllm/<model>` | `http://localhost:8000/v1` | `VLLM_API_KEY` if the server has `--api-key` |
| `llamacpp/<model>` | `http://localhost:8080/v1` | `LLAMA_API_KEY` if the server has `--api-key` |
"""

from __future__ import annotations

import os
from typing import ClassVar
from urllib.parse import urlsplit

from imagent.backends.llm.openai import OpenAILLM

DASHSCOPE_COMPATIBLE_PATH = "/compatible-mode/v1"


def dashscope_compatible_url(native_base_url: str) -> str:
    """The compatible-mode URL on the host of a native DashScope base URL, so the chat model
    and the image API use one region: `https://dashscope-intl.aliyuncs.com/api/v1` →
    `https://dashscope-intl.aliyuncs.com/compatible-mode/v1`."""
    parts = urlsplit(native_base_url.strip())
    return f"{parts.scheme or 'https'}://{parts.netloc}{DASHSCOPE_COMPATIBLE_PATH}"


class DashScopeLLM(OpenAILLM):
    """`dashscope/<model>` (qwen-plus, qwen-max, qwen-vl-max, …) through DashScope's
    OpenAI-compatible mode.

    The URL comes from `options.compatible_base_url` in `[providers.dashscope]`, else
    `DASHSCOPE_COMPATIBLE_BASE_URL`, else the host of the native base URL (`base_url` in
    the section or `DASHSCOPE_HTTP_BASE_URL`, which the image API uses), else Beijing. A key
    belongs to one region, so keep them on one host.
    """

    provider: ClassVar[str] = "dashscope"
    default_base_url: ClassVar[str] = "https://dashscope.aliyuncs.com" + DASHSCOPE_COMPATIBLE_PATH
    base_url_env: ClassVar[str | None] = "DASHSCOPE_COMPATIBLE_BASE_URL"
    default_key_env: ClassVar[str] = "DASHSCOPE_API_KEY"
    key_required: ClassVar[bool | None] = True
    example_model: ClassVar[str] = "qwen-plus"

    def resolve_base_url(self) -> str:
        explicit = str(self.section.options.get("compatible_base_url") or "").strip()
        explicit = explicit or os.environ.get("DASHSCOPE_COMPATIBLE_BASE_URL", "").strip()
        if explicit:
            return explicit
        native = self.section.base_url or os.environ.get("DASHSCOPE_HTTP_BASE_URL", "").strip()
        return dashscope_compatible_url(native) if native else self.default_base_url


class OpenRouterLLM(OpenAILLM):
    provider: ClassVar[str] = "openrouter"
    default_base_url: ClassVar[str] = "https://openrouter.ai/api/v1"
    base_url_env: ClassVar[str | None] = None
    default_key_env: ClassVar[str] = "OPENROUTER_API_KEY"
    key_required: ClassVar[bool | None] = True
    example_model: ClassVar[str] = "qwen/qwen-2.5-72b-instruct"


class OllamaLLM(OpenAILLM):
    provider: ClassVar[str] = "ollama"
    default_base_url: ClassVar[str] = "http://localhost:11434/v1"
    base_url_env: ClassVar[str | None] = None
    default_key_env: ClassVar[str] = "OLLAMA_API_KEY"
    key_required: ClassVar[bool | None] = False
    self_hosted: ClassVar[bool] = True
    example_model: ClassVar[str] = "qwen2.5:7b"


class VLLMLLM(OpenAILLM):
    provider: ClassVar[str] = "vllm"
    default_base_url: ClassVar[str] = "http://localhost:8000/v1"
    base_url_env: ClassVar[str | None] = None
    default_key_env: ClassVar[str] = "VLLM_API_KEY"
    key_required: ClassVar[bool | None] = False
    self_hosted: ClassVar[bool] = True
    example_model: ClassVar[str] = "Qwen/Qwen2.5-7B-Instruct"


class LlamaCppLLM(OpenAILLM):
    provider: ClassVar[str] = "llamacpp"
    default_base_url: ClassVar[str] = "http://localhost:8080/v1"
    base_url_env: ClassVar[str | None] = None
    default_key_env: ClassVar[str] = "LLAMA_API_KEY"
    key_required: ClassVar[bool | None] = False
    self_hosted: ClassVar[bool] = True
    example_model: ClassVar[str] = "default"
