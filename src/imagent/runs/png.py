"""PNG files that carry how they were made: an A1111-style `parameters` chunk and a JSON record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image, PngImagePlugin

from imagent.runs.redact import redact_text


def parameters_text(record: dict[str, Any]) -> str:
    """The `parameters` text AUTOMATIC1111 and many viewers read."""
    lines = [str(record.get("prompt", ""))]
    if record.get("negative_prompt"):
        lines.append(f"Negative prompt: {record['negative_prompt']}")
    fields = {
        "Steps": record.get("steps", 0),
        "Seed": record.get("seed"),
        "Size": record.get("size"),
        "Model": record.get("renderer"),
        "Planner": record.get("planner"),
        "Run": record.get("run_id"),
        "Version": f"imagent {record.get('version', '')}".strip(),
    }
    lines.append(", ".join(f"{k}: {v}" for k, v in fields.items() if v not in (None, "")))
    return "\n".join(lines)


def save_png(image: Image.Image, path: Path, record: dict[str, Any]) -> Path:
    """Write `image` with its record, atomically (a crash leaves no half-written PNG)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", redact_text(parameters_text(record)))
    info.add_text("imagent", redact_text(json.dumps(record, ensure_ascii=False, default=str)))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".png.tmp")
    image.save(tmp, format="PNG", pnginfo=info)
    tmp.replace(path)
    return path


def read_png_record(path: Path) -> dict[str, Any]:
    """The JSON record saved by `save_png` (empty if the PNG has none)."""
    with Image.open(path) as image:
        text = image.text.get("imagent") if hasattr(image, "text") else None
    return json.loads(text) if text else {}
