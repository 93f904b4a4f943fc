"""report.md and chart.png for people, and `bench compare` for two runs."""

from __future__ import annotations

import io
from importlib.resources import files
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from imagent.bench.run import CaseRecord
from imagent.bench.suite import SUBTASKS

MAX_FAILED_LISTED = 40
_INK, _PR, _CA, _GRID = (33, 37, 41), (37, 99, 235), (147, 197, 253), (226, 232, 240)


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def _table(rows: dict[str, dict[str, Any]], first: str) -> list[str]:
    lines = [
        f"| {first} | cases | CA % | PR % | unverified items | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, g in rows.items():
        lines.append(
            f"| {name} | {g['cases']} | {_pct(g['ca'])} | {_pct(g['pr'])} | "
            f"{g['unverified_items']} | {g['errors']} |"
        )
    return lines


def report_markdown(summary: dict[str, Any], records: list[CaseRecord]) -> str:
    what = "plan-only (expect items on the final prompt)" if summary["plan_only"] else "full"
    lines = [
        f"# Bench: {summary['suite']} — {summary['mode']} mode, {what}",
        "",
        f"- suite sha256 `{summary['suite_sha256']}`, {summary['overall']['cases']} cases, "
        f"today = {summary['today']}",
        f"- LLM `{summary['llm']}`, renderer `{summary['renderer']}`, judges "
        f"`{', '.join(summary['judges'])}`, search `{summary['search']}`",
        f"- machine: {summary.get('machine', '')}",
        "",
        f"**IA-score {summary['ia_score']:.1f}** "
        f"(0.3·PR plan + 0.3·PR reason + 0.3·PR search + 0.1·PR memory, ×100)"
        + ("" if summary["ia_complete"] else " — not every capability is in this suite"),
        "",
        f"Overall: CA {_pct(summary['overall']['ca'])} %, PR {_pct(summary['overall']['pr'])} %,"
        f" {summary['overall']['unverified_items']} unverified items (no judge could tell:"
        " counted as not passed).",
        "",
        "## By capability",
        *_table(summary["capabilities"], "capability"),
        "",
        "## By subtask",
        *_table(summary["subtasks"], "subtask"),
        "",
        "## By language",
        *_table(summary["languages"], "language"),
        "",
        "## Cost and latency (per case)",
        f"- latency p50 {summary['latency_s']['p50']:.2f} s, p95 "
        f"{summary['latency_s']['p95']:.2f} s, mean {summary['latency_s']['mean']:.2f} s",
        f"- LLM calls {summary['llm_calls']['total']} ({summary['llm_calls']['per_case']:.2f} "
        f"per case), tokens {summary['tokens']}, renders {summary['renders']}, "
        f"cost ${summary['cost_usd']:.4f}",
        "",
        *_gaps(summary.get("gaps", {})),
        "![PR and CA per subtask](chart.png)",
        "",
        *_failures(records),
    ]
    return "\n".join(lines) + "\n"


def _gaps(gaps: dict[str, dict[str, int]]) -> list[str]:
    """Gaps per route and who decided them: the rules alone, the model, or both agreeing."""
    if not gaps:
        return []
    deciders = sorted({k for row in gaps.values() for k in row if k.startswith("by ")})
    lines = ["## Gaps: who decided them", ""]
    lines.append("| route | gaps | resolved | " + " | ".join(deciders) + " |")
    lines.append("|---|---:|---:|" + "---:|" * len(deciders))
    for route, row in gaps.items():
        cells = " | ".join(str(row.get(d, 0)) for d in deciders)
        lines.append(f"| {route} | {row['gaps']} | {row['resolved']} | {cells} |")
    return [*lines, ""]


def _failures(records: list[CaseRecord]) -> list[str]:
    failed = [r for r in records if not r.passed]
    if not failed:
        return ["## Cases not passed", "", "None."]
    lines = ["## Cases not passed", "", "| case | items not passed | final prompt (start) |"]
    lines.append("|---|---|---|")
    for record in sorted(failed, key=lambda r: r.id)[:MAX_FAILED_LISTED]:
        items = ", ".join(
            f"{i['id']} ({'unverified' if i['passed'] is None else 'failed'})"
            for i in record.items
            if i["passed"] is not True
        )
        prompt = (record.error or record.final_prompt).replace("\n", " ").replace("|", "/")
        lines.append(f"| {record.id} | {items} | {prompt[:90]} |")
    if len(failed) > MAX_FAILED_LISTED:
        lines.append(f"| … | {len(failed) - MAX_FAILED_LISTED} more in results.jsonl | |")
    return lines


def _font(size: int) -> ImageFont.FreeTypeFont:
    data = (files("imagent") / "assets" / "fonts" / "DejaVuSans.ttf").read_bytes()
    return ImageFont.truetype(io.BytesIO(data), size)


def chart_png(summary: dict[str, Any], path: Path) -> Path:
    """Horizontal bars per subtask: PR (dark) over CA (light), grouped by capability."""
    rows = [(c, s) for c, names in SUBTASKS.items() for s in names if s in summary["subtasks"]]
    row_h, left, width = 30, 220, 900
    height = 70 + row_h * len(rows) + 40
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    small, title = _font(14), _font(18)
    draw.text(
        (16, 14),
        f"{summary['suite']} · {summary['mode']} · IA {summary['ia_score']:.1f}",
        fill=_INK,
        font=title,
    )
    span = width - left - 30
    for tick in range(0, 101, 25):
        x = left + span * tick // 100
        draw.line([(x, 54), (x, height - 34)], fill=_GRID)
        draw.text((x - 8, height - 28), f"{tick}", fill=_INK, font=small)
    for n, (capability, subtask) in enumerate(rows):
        y = 60 + n * row_h
        group = summary["subtasks"][subtask]
        draw.text((16, y + 6), f"{capability} / {subtask}", fill=_INK, font=small)
        draw.rectangle([left, y + 4, left + span * group["ca"], y + row_h - 6], fill=_CA)
        draw.rectangle([left, y + 10, left + span * group["pr"], y + row_h - 12], fill=_PR)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return path


def compare_rows(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(name, PR A, PR B, ΔPR, ΔCA) per capability and subtask, in suite order, then IA."""
    names = [*SUBTASKS, *(s for subs in SUBTASKS.values() for s in subs)]
    rows = []
    for name in names:
        if name not in a["pr"] and name not in b["pr"]:
            continue
        pr_a, pr_b = a["pr"].get(name, 0.0), b["pr"].get(name, 0.0)
        ca_a, ca_b = a["ca"].get(name, 0.0), b["ca"].get(name, 0.0)
        rows.append(
            (
                name,
                _pct(pr_a),
                _pct(pr_b),
                f"{100 * (pr_b - pr_a):+.1f}",
                f"{100 * (ca_b - ca_a):+.1f}",
            )
        )
    ia = b["ia_score"] - a["ia_score"]
    rows.append(("IA-score", f"{a['ia_score']:.1f}", f"{b['ia_score']:.1f}", f"{ia:+.1f}", ""))
    return rows
