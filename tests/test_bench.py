"""`imagent bench`: suites load strictly, both modes run, results follow the output contract,
an interrupted run resumes without redoing cases, and reports are written."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imagent.bench.run import BenchConfig, run_cases
from imagent.bench.scores import percentile, summarise
from imagent.bench.suite import load_suite, sha256_of
from imagent.cli.app import app
from imagent.core.errors import ConfigError
from imagent.settings import Settings

MINI = Path(__file__).parent / "data" / "bench" / "mini.jsonl"
runner = CliRunner()


def config(**kw) -> BenchConfig:  # type: ignore[no-untyped-def]
    base = dict(
        suite="mini",
        suite_sha256=sha256_of(MINI),
        mode="agent",
        plan_only=True,
        llm="none",
        renderer="fake",
        judges=["instruction"],
        search="case",
        today="2026-11-25",
    )
    return BenchConfig(**{**base, **kw})


def test_a_bad_case_names_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    good = MINI.read_text().splitlines()[0]
    bad.write_text(good + "\n" + good.replace('"math"', '"algebra"') + "\n")
    with pytest.raises(ConfigError, match=r"bad\.jsonl:2: .*algebra"):
        load_suite(bad)
    bad.write_text(good + "\n" + good + "\n")
    with pytest.raises(ConfigError, match="appears twice"):
        load_suite(bad)


async def test_agent_and_direct_modes_follow_the_output_contract(
    settings: Settings, tmp_path: Path
) -> None:
    cases = load_suite(MINI)
    agent = await run_cases(cases, config(), settings, tmp_path / "agent")
    direct = await run_cases(cases, config(mode="direct"), settings, tmp_path / "direct")
    for records in (agent, direct):
        assert sorted(r.id for r in records) == sorted(c.id for c in cases)
    line = json.loads((tmp_path / "agent" / "results.jsonl").read_text().splitlines()[0])
    contract = {
        "id",
        "capability",
        "subtask",
        "final_prompt",
        "items",
        "passed",
        "latency_s",
        "llm_calls",
        "tokens",
        "cost_usd",
    }
    assert contract <= set(line) and {"id", "passed"} <= set(line["items"][0])
    by_id = {r.id: r for r in agent}
    math = by_id["reason-math-t1"]
    assert math.passed and "391" in math.final_prompt
    assert [i["id"] for i in math.items] == ["c1", "c2"]  # plan-only: expect items only
    memory = by_id["memory-user_profile-t1"]
    assert memory.passed, memory.final_prompt  # the history went through the memory path
    direct_math = {r.id: r for r in direct}["reason-math-t1"]
    assert not direct_math.passed and direct_math.final_prompt == cases[0].prompt


async def test_the_agent_never_sees_the_cases_checklist(settings: Settings, tmp_path: Path) -> None:
    records = await run_cases(load_suite(MINI), config(), settings, tmp_path)
    enumeration = {r.id: r for r in records}["plan-enumeration-t1"]
    # No planner here: nothing knows the primary colours, so the answer key did not leak.
    assert not enumeration.passed and "yellow" not in enumeration.final_prompt


async def test_an_interrupted_run_resumes_without_redoing_cases(
    settings: Settings, tmp_path: Path
) -> None:
    cases = load_suite(MINI)
    await run_cases(cases[:2], config(), settings, tmp_path)
    seen: list[str] = []
    records = await run_cases(
        cases, config(), settings, tmp_path, on_done=lambda r: seen.append(r.id)
    )
    assert seen == [c.id for c in cases[2:]] or sorted(seen) == sorted(c.id for c in cases[2:])
    assert len(records) == len(cases)
    with pytest.raises(ConfigError, match="other settings"):
        await run_cases(cases, config(mode="direct"), settings, tmp_path)


async def test_full_runs_judge_image_items_and_report_unverified(
    settings: Settings, tmp_path: Path
) -> None:
    cases = load_suite(MINI)[:1]
    [record] = await run_cases(cases, config(plan_only=False), settings, tmp_path)
    items = {i["id"]: i["passed"] for i in record.items}
    assert items["c1"] is True and items["c3"] is None  # no image judge: unverified
    assert not record.passed and record.renders == 1 and record.image
    summary = summarise([record], {})
    assert summary["overall"]["unverified_items"] == 1


def test_scores_follow_the_ia_formula() -> None:
    from imagent.bench.run import CaseRecord

    def record(capability: str, subtask: str, passed: bool) -> CaseRecord:
        item = {"id": "c1", "passed": passed, "reason": "", "judge": "instruction"}
        return CaseRecord(
            id=f"{subtask}-{passed}",
            capability=capability,
            subtask=subtask,
            language="en",
            final_prompt="",
            items=[item],
            passed=passed,
            latency_s=1.0,
            llm_calls=1,
            tokens=10,
            cost_usd=0.0,
        )

    records = [
        record("plan", "maze", True),
        record("reason", "math", True),
        record("reason", "math", False),
        record("search", "stock", False),
        record("memory", "user_profile", True),
    ]
    summary = summarise(records, {})
    assert summary["pr"]["reason"] == 0.5 and summary["pr"]["math"] == 0.5
    assert summary["ia_score"] == pytest.approx(100 * (0.3 * 1 + 0.3 * 0.5 + 0.3 * 0 + 0.1 * 1))
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([1, 2, 3, 4], 95) == 3.85


def test_the_cli_writes_a_report_and_compares_two_runs(tmp_path: Path) -> None:
    args = [
        "bench",
        "run",
        str(MINI),
        "--plan-only",
        "--llm",
        "none",
        "--renderer",
        "fake",
        "--judges",
        "instruction",
        "--today",
        "2026-11-25",
    ]
    first = runner.invoke(app, [*args, "--mode", "direct", "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, [*args, "--out", str(tmp_path / "b")])
    assert second.exit_code == 0, second.output
    for name in ("results.jsonl", "summary.json", "report.md", "chart.png"):
        assert (tmp_path / "b" / name).is_file()
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert {"ia_score", "ca", "pr"} <= set(summary) and "reason" in summary["pr"]
    assert "math" in summary["ca"]
    report = (tmp_path / "b" / "report.md").read_text()
    assert "IA-score" in report and "| math |" in report
    # the math case's gap was decided by the rules alone (no LLM) and resolved
    assert summary["gaps"]["reason"]["by rules"] >= 1 and summary["gaps"]["reason"]["resolved"]
    assert "Gaps: who decided them" in report
    compared = runner.invoke(
        app, ["bench", "compare", str(tmp_path / "a"), str(tmp_path / "b")], env={"COLUMNS": "200"}
    )
    assert compared.exit_code == 0 and "math" in compared.stdout and "IA-score" in compared.stdout
    assert "+100.0" in compared.stdout  # math: direct fails, the agent passes


def test_cli_bad_options_are_one_clear_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["bench", "run", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "suite 'nope' not found" in result.output
    result = runner.invoke(app, ["bench", "run", str(MINI), "--out", str(tmp_path), "--mode", "x"])
    assert result.exit_code == 2 and "--mode" in result.output


def test_config_round_trips() -> None:
    c = config()
    assert c.same_run(json.loads(json.dumps(c.__dict__)))
    assert not replace(c, plan_only=False).same_run(json.loads(json.dumps(c.__dict__)))
