"""PNG files that carry how they were made: an A1111-style `parameters` chunk, a JSON record,
and an XMP packet that marks them as AI-generated (IPTC digital source type).

With private outputs (`private_outputs` / `IMAGENT_PRIVATE_OUTPUTS=1` / `--private`) the
prompt, the negative prompt and whatever else could carry the user's words or memory are
left out of every chunk; the marker, seed, size, ids and versions stay.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image, PngImagePlugin

from imagent.runs.atomic import replacing
from imagent.runs.redact import redact_text

XMP_KEY = "XML:com.adobe.xmp"  # the iTXt keyword XMP readers look for in a PNG
IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
# IPTC NewsCodes digital source type for media made by a trained generative model.
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
# Record fields that may hold the user's words or facts from memory.
PRIVATE_FIELDS = ("prompt", "negative_prompt", "revised_prompt", "brief", "facts")
WITHHELD = "[prompt withheld: private outputs]"


def private_record(record: dict[str, Any]) -> dict[str, Any]:
    """`record` without anything that may carry the user's words or memory."""
    kept = {k: v for k, v in record.items() if k not in PRIVATE_FIELDS}
    kept["private"] = True
    kept["withheld"] = [k for k in PRIVATE_FIELDS if k in record]
    return kept


def parameters_text(record: dict[str, Any]) -> str:
    """The `parameters` text AUTOMATIC1111 and many viewers read."""
    lines = [str(record.get("prompt", WITHHELD if record.get("private") else ""))]
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


def xmp_packet(record: dict[str, Any]) -> str:
    """An XMP packet: IPTC digital source type (AI-generated), the AI system, and the prompt
    unless the record is private."""
    tool = f"imagent {record.get('version', '')}".strip()
    fields = [
        f"<Iptc4xmpExt:DigitalSourceType>{TRAINED_ALGORITHMIC_MEDIA}</Iptc4xmpExt:DigitalSourceType>",
        f"<xmp:CreatorTool>{escape(tool)}</xmp:CreatorTool>",
    ]
    if record.get("renderer"):
        fields.append(
            f"<Iptc4xmpExt:AISystemUsed>{escape(str(record['renderer']))}</Iptc4xmpExt:AISystemUsed>"
        )
    if record.get("prompt") and not record.get("private"):
        fields.append(
            f"<Iptc4xmpExt:AIPromptInformation>{escape(str(record['prompt']))}</Iptc4xmpExt:AIPromptInformation>"
        )
    body = "\n    ".join(fields)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        f'    xmlns:Iptc4xmpExt="{IPTC_EXT}"\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/">\n'
        f"    {body}\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )


def save_png(
    image: Image.Image, path: Path, record: dict[str, Any], *, private: bool = False
) -> Path:
    """Write `image` with its record, atomically (a crash or a full disk leaves no
    half-written PNG, and an earlier file at `path` stays whole)."""
    if private:
        record = private_record(record)
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", redact_text(parameters_text(record)))
    info.add_text("imagent", redact_text(json.dumps(record, ensure_ascii=False, default=str)))
    info.add_itxt(XMP_KEY, redact_text(xmp_packet(record)), zip=False)
    with replacing(path) as handle:
        image.save(handle, format="PNG", pnginfo=info)
    return path


def read_png_record(path: Path) -> dict[str, Any]:
    """The JSON record saved by `save_png` (empty if the PNG has none)."""
    with Image.open(path) as image:
        text = image.text.get("imagent") if hasattr(image, "text") else None
    return json.loads(text) if text else {}


def read_xmp(path: Path) -> str:
    """The XMP packet of a PNG ('' if it has none)."""
    with Image.open(path) as image:
        text = image.text.get(XMP_KEY, "") if hasattr(image, "text") else ""
    return str(text)
