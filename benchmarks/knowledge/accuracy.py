"""How often the planner's general-knowledge answers are wrong, from a plan-only bench run.

A case counts when a gap of the `knowledge` route was resolved in it (the model answered
from what it knows). The answer is *right* when every `fact` item of the case passed on
the final prompt (the facts are what the knowledge supplies), *wrong* when one failed.
Cases without fact items are left out. Knowledge gaps the model left unresolved are
counted apart: an honest "not sure" is not a wrong answer.

    imagent bench run dev --plan-only --out out/dev-plan
    python benchmarks/knowledge/accuracy.py out/dev-plan benchmarks/suites/dev.jsonl

Prints a table and writes `knowledge.json` beside the run's results.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def knowledge_accuracy(results: list[dict[str, Any]], cases: dict[str, Any]) -> dict[str, Any]:
    right: list[str] = []
    wrong: list[dict[str, Any]] = []
    unresolved: list[str] = []
    for record in results:
        knowledge = [g for g in record.get("gaps", []) if g.get("route") == "knowledge"]
        if not knowledge:
            continue
        answered = [g for g in knowledge if g.get("status") == "resolved"]
        if not answered:
            unresolved.append(record["id"])
            continue
        facts = {c["id"] for c in cases[record["id"]]["checklist"] if c.get("kind") == "fact"}
        if not facts:
            continue
        failed = [i["id"] for i in record["items"] if i["id"] in facts and i["passed"] is not True]
        if failed:
            answers = [f"{g['span']} -> {g.get('resolution')}" for g in answered]
            wrong.append({"id": record["id"], "items": failed, "answers": answers})
        else:
            right.append(record["id"])
    counted = len(right) + len(wrong)
    return {
        "answered": counted,
        "right": len(right),
        "wrong": len(wrong),
        "wrong_rate": round(len(wrong) / counted, 3) if counted else None,
        "left_unresolved": len(unresolved),
        "wrong_cases": wrong,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a bench --out folder (plan-only)")
    parser.add_argument("suite", type=Path, help="the suite it ran")
    args = parser.parse_args()
    results = [json.loads(line) for line in (args.run / "results.jsonl").open(encoding="utf-8")]
    cases = {}
    for line in args.suite.open(encoding="utf-8"):
        if line.strip():
            case = json.loads(line)
            cases[case["id"]] = case
    report = knowledge_accuracy(results, cases)
    (args.run / "knowledge.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    rate = report["wrong_rate"]
    print(f"knowledge answers checked: {report['answered']}")
    print(f"right {report['right']}, wrong {report['wrong']}", end="")
    print(f" ({100 * rate:.0f} % wrong)" if rate is not None else "")
    print(f"left unresolved (model not sure): {report['left_unresolved']}")
    for case in report["wrong_cases"]:
        print(f"  {case['id']}: {'; '.join(case['answers'])[:110]}")


if __name__ == "__main__":
    main()
