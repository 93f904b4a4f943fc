"""Structured output over OpenAI-compatible servers, in tiers.

Servers differ: OpenAI enforces a strict JSON schema; some servers reject
`response_format: json_schema` (HTTP 400), some accept it and ignore it, some know only
`json_object`, some none. So a schema is asked for at the best tier the server honours:

1. `json_schema` — the schema in `response_format`, strict when it can be made strict;
2. `json_object` — JSON mode, with the schema written into the system message;
3. `text` — the schema in the system message; the JSON is cut out of whatever comes back.

This module holds the pure parts: the strict form of a schema, the request for each tier,
and reading JSON out of an answer. The caller decides when to step down a tier.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Any

import json_repair

from imagent.backends.llm.base import Message, TextPart


class OutputTier(StrEnum):
    JSON_SCHEMA = "json_schema"
    JSON_OBJECT = "json_object"
    TEXT = "text"


TIERS = tuple(OutputTier)
# Keywords OpenAI's strict mode rejects; pydantic writes some of them (default, maxLength).
# The caller validates the answer with the full schema anyway.
_NOT_STRICT = frozenset(
    {"default", "minLength", "maxLength", "minProperties", "maxProperties", "uniqueItems"}
)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
# An error about the request's format, as servers word it: "Unknown parameter:
# 'response_format'", "'json_schema' is not supported", "Unsupported response_format type",
# "invalid format", "guided decoding", "grammar".
FORMAT_ERROR = re.compile(
    r"response_format|json_schema|json_object|schema|structured|guided|grammar|format", re.I
)


def strict_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The schema in OpenAI's strict form: every object closed and every property required
    (a field with a default gets a value from the model). None when it cannot be strict (a
    free-form map, a root that is not an object)."""
    if schema.get("type") != "object":
        return None
    try:
        return _strict_node(schema)  # type: ignore[no-any-return]
    except ValueError:
        return None


def _strict_node(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict_node(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:  # strict mode takes no keywords beside a $ref (pydantic adds some)
        return {"$ref": node["$ref"]}
    out = {k: _strict_node(v) for k, v in node.items() if k not in _NOT_STRICT}
    if node.get("type") == "object" or "properties" in node:
        if node.get("additionalProperties") not in (None, False):
            raise ValueError("a free-form map cannot be strict")
        out["properties"] = {k: _strict_node(v) for k, v in node.get("properties", {}).items()}
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out


def response_format(tier: OutputTier, schema: dict[str, Any]) -> dict[str, Any] | None:
    """The `response_format` for `tier`; None at the text tier."""
    if tier is OutputTier.JSON_OBJECT:
        return {"type": "json_object"}
    if tier is OutputTier.TEXT:
        return None
    strict = strict_schema(schema)
    name = re.sub(r"[^A-Za-z0-9_-]", "_", str(schema.get("title") or "answer"))[:64]
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": strict or schema, "strict": strict is not None},
    }


def schema_hint(schema: dict[str, Any]) -> str:
    """The instruction that carries the schema when the server does not enforce it."""
    return (
        "Answer with one JSON object only, no prose and no code fences, matching this JSON "
        f"schema:\n{json.dumps(schema, separators=(',', ':'))}"
    )


def with_schema_hint(messages: list[Message], schema: dict[str, Any]) -> list[Message]:
    """`messages` with the schema hint appended to the system message (one is added first
    when there is none)."""
    hint = schema_hint(schema)
    if not messages or messages[0]["role"] != "system":
        return [{"role": "system", "content": hint}, *messages]
    first = messages[0]
    content = first["content"]
    if isinstance(content, str):
        new_content: Any = f"{content}\n\n{hint}"
    else:
        new_content = [*content, TextPart(type="text", text=hint)]
    return [{"role": "system", "content": new_content}, *messages[1:]]


def messages_for(
    tier: OutputTier, messages: list[Message], schema: dict[str, Any]
) -> list[Message]:
    """What to send at `tier`: the schema travels in `response_format` at the top tier, in
    the system message below it."""
    return messages if tier is OutputTier.JSON_SCHEMA else with_schema_hint(messages, schema)


def extract_json(text: str) -> tuple[bool, Any]:
    """(found, value): the JSON in `text` — the whole text, a fenced block, or the span from
    the first `{` to the last `}`, repaired as a last resort."""
    candidates = [text.strip()]
    candidates += [m.strip() for m in _FENCE.findall(text)]
    start, end = text.find("{"), text.rfind("}")
    span = text[start : end + 1] if 0 <= start < end else ""
    candidates.append(span)
    for candidate in filter(None, candidates):
        try:
            return True, json.loads(candidate)
        except ValueError:
            continue
    if span:
        repaired = json_repair.loads(span)
        if isinstance(repaired, dict) and repaired:
            return True, repaired
    return False, None


_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def conforms(value: Any, schema: dict[str, Any], root: dict[str, Any] | None = None) -> bool:
    """Whether `value` has the shape of `schema`: types, required keys, enums, items. (Lengths
    and patterns are left to the caller's validation; this tells an answer from prose.)"""
    root = root or schema
    if "$ref" in schema:
        target = root.get("$defs", {}).get(schema["$ref"].rsplit("/", 1)[-1], {})
        return conforms(value, target, root)
    if "anyOf" in schema:
        return any(conforms(value, option, root) for option in schema["anyOf"])
    if "enum" in schema and value not in schema["enum"]:
        return False
    kinds = schema.get("type")
    if kinds is not None:
        names = kinds if isinstance(kinds, list) else [kinds]
        if isinstance(value, bool) and "boolean" not in names:
            return False
        if not any(isinstance(value, _TYPES.get(name, object)) for name in names):
            return False
    if isinstance(value, dict):
        props = schema.get("properties", {})
        if any(key not in value for key in schema.get("required", [])):
            return False
        return all(conforms(value[k], props[k], root) for k in props if k in value)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return all(conforms(item, schema["items"], root) for item in value)
    return True
