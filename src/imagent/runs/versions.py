"""Run files across versions: run.json carries `schema_version`; older files are migrated
on load, newer ones are refused with a clear reason.

Version 1 (before task graphs): one spec, checklist, rounds and best candidate at the top
level of the Result. Version 2: a list of tasks, each with its own, and an optional page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from imagent.core.errors import RunFileError
from imagent.core.types import RUN_SCHEMA_VERSION, Result

Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Move the single image's spec, checklist, rounds and best candidate into one task."""
    data = dict(data)
    spec = data.pop("spec", None)
    task: dict[str, Any] = {
        "id": "t1",
        "spec": spec,
        "checklist": data.pop("checklist", []),
        "rounds": data.pop("rounds", []),
        "best": data.pop("best", None),
        "final_prompt": data.get("final_prompt", ""),
        "final_image": data.get("final_image"),
        "brief": (spec or {}).get("brief", ""),
    }
    if "render" in data.get("completed_steps", []):
        task["status"] = "done"
    data["tasks"] = [task] if spec is not None or task["rounds"] else []
    data["schema_version"] = 2
    return data


MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2}


def parse_result(text: str, where: str) -> Result:
    """A Result from run.json text of any known version; `where` names the file in errors."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise RunFileError(f"{where} is not valid JSON ({exc}); the run cannot be read") from exc
    if not isinstance(data, dict):
        raise RunFileError(f"{where} does not hold a run")
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version < 1:
        raise RunFileError(f"{where} has an unknown schema_version {version!r}")
    if version > RUN_SCHEMA_VERSION:
        raise RunFileError(
            f"{where} was written by a newer imagent (run schema {version}); this version "
            f"reads schemas up to {RUN_SCHEMA_VERSION}. Upgrade imagent to read it"
        )
    while version < RUN_SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version = data["schema_version"]
    try:
        return Result.model_validate(data)
    except ValueError as exc:
        first = str(exc).splitlines()[:3]
        raise RunFileError(
            f"{where} does not match run schema {version}: {' '.join(first)}"
        ) from exc
