"""Scores of a bench run: Checklist Accuracy and Pass Rate per subtask, capability and
language, the IA-score, latency percentiles, calls, tokens and cost.

CA = items definitely passed / items scored; PR = cases whose every scored item definitely
passed / cases. An unverified item (no judge could tell) counts as not passed, and is
counted separately so a reader sees how much could not be checked.
IA-score = 100 · (0.3·PR_plan + 0.3·PR_reason + 0.3·PR_search + 0.1·PR_memory).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from typing import Any

from imagent.bench.run import CaseRecord
from imagent.bench.suite import CAPABILITIES, SUBTASKS

IA_WEIGHTS = {"plan": 0.3, "reason": 0.3, "search": 0.3, "memory": 0.1}


def group_scores(records: list[CaseRecord]) -> dict[str, Any]:
    """CA, PR and counts for one group of cases."""
    items = [item for r in records for item in r.items]
    passed_items = sum(item["passed"] is True for item in items)
    return {
        "cases": len(records),
        "passed_cases": sum(r.passed for r in records),
        "items": len(items),
        "passed_items": passed_items,
        "unverified_items": sum(item["passed"] is None for item in items),
        "errors": sum(r.error is not None for r in records),
        "ca": round(passed_items / len(items), 4) if items else 0.0,
        "pr": round(sum(r.passed for r in records) / len(records), 4) if records else 0.0,
    }


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), by linear interpolation between closest ranks."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    fraction = position - low
    return round(ordered[low] + (ordered[high] - ordered[low]) * fraction, 4)


def _by(records: list[CaseRecord], key: str, names: Iterable[str]) -> dict[str, Any]:
    return {
        name: group_scores([r for r in records if getattr(r, key) == name])
        for name in names
        if any(getattr(r, key) == name for r in records)
    }


def gap_counts(records: list[CaseRecord]) -> dict[str, dict[str, int]]:
    """Gaps per route: how many each part of the planner decided, and how many resolved."""
    counts: dict[str, dict[str, int]] = {}
    for record in records:
        for gap in record.gaps:
            row = counts.setdefault(str(gap.get("route", "?")), {"gaps": 0, "resolved": 0})
            row["gaps"] += 1
            row["resolved"] += gap.get("status") == "resolved"
            decider = f"by {gap.get('decided_by', '?')}"
            row[decider] = row.get(decider, 0) + 1
    return dict(sorted(counts.items()))


def summarise(records: list[CaseRecord], header: dict[str, Any]) -> dict[str, Any]:
    """summary.json: the header, `ia_score`, and `ca`/`pr` per capability and subtask."""
    capabilities = _by(records, "capability", CAPABILITIES)
    subtasks = _by(records, "subtask", (s for names in SUBTASKS.values() for s in names))
    languages = _by(records, "language", ("en", "zh"))
    ia = sum(weight * capabilities.get(c, {}).get("pr", 0.0) for c, weight in IA_WEIGHTS.items())
    latencies = [r.latency_s for r in records]
    groups = {**capabilities, **subtasks}
    return {
        **header,
        "ia_score": round(100 * ia, 2),
        "ia_complete": all(c in capabilities for c in IA_WEIGHTS),
        "overall": group_scores(records),
        "ca": {name: g["ca"] for name, g in groups.items()},
        "pr": {name: g["pr"] for name, g in groups.items()},
        "capabilities": capabilities,
        "subtasks": subtasks,
        "languages": languages,
        "latency_s": {
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "mean": round(statistics.fmean(latencies), 4) if latencies else 0.0,
        },
        "llm_calls": {
            "total": sum(r.llm_calls for r in records),
            "per_case": round(statistics.fmean(r.llm_calls for r in records), 3)
            if records
            else 0.0,
        },
        "tokens": sum(r.tokens for r in records),
        "gaps": gap_counts(records),
        "renders": sum(r.renders for r in records),
        "cost_usd": round(sum(r.cost_usd for r in records), 6),
    }
