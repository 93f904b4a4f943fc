"""Rich views of results for the terminal."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from imagent.core.types import Result, Verdict


def gaps_table(result: Result) -> Table:
    table = Table(title="Gaps", show_lines=False, expand=False)
    for column in ("id", "span", "route", "status", "resolution", "decided by"):
        table.add_column(column)
    for gap in result.gaps:
        table.add_row(
            gap.id,
            gap.span,
            str(gap.route),
            str(gap.status),
            gap.resolution or "",
            gap.decided_by,
        )
    if not result.gaps:
        table.add_row("-", "(no gaps: fast path)", "none", "", "", "")
    return table


def _mark(verdict: Verdict | None) -> Text:
    if verdict is None or verdict.passed is None:
        return Text("?", style="yellow")
    return Text("✓", style="green") if verdict.passed else Text("✗", style="red")


def checklist_table(result: Result) -> Table:
    verdicts = {v.item_id: v for v in result.verdicts}
    judged = any(task.best for task in result.all_tasks)
    table = Table(title=f"Checklist: {verdict_line(result)}")
    for column in ("id", "kind", "question", "verdict", "reason"):
        table.add_column(column)
    for item in result.checklist:
        verdict = verdicts.get(item.id)
        reason = verdict.reason if verdict else ""
        if judged and (verdict is None or verdict.passed is None):
            reason = f"unverified: {reason or 'no judge could tell'}"
        table.add_row(
            item.id, str(item.kind), item.question, _mark(verdict) if judged else Text("-"), reason
        )
    return table


def verdict_line(result: Result) -> str:
    """ "passed", or how many items failed and how many no judge could check."""
    count = result.verdict_count
    parts = [f"{count.passed} passed"]
    if count.failed:
        parts.append(f"{count.failed} failed")
    if count.unverified:
        parts.append(f"{count.unverified} unverified")
    return f"{count.outcome} ({', '.join(parts)})"


def tasks_table(result: Result) -> Table:
    table = Table(title="Tasks")
    for column in ("task", "status", "prompt (first line)", "image"):
        table.add_column(column)
    for task in result.all_tasks:
        first = task.final_prompt.splitlines()[0] if task.final_prompt else ""
        table.add_row(task.title or task.id, str(task.status), first, task.final_image or "")
    return table


def usage_line(result: Result) -> str:
    usage = result.usage
    total = sum(result.timings_s.values())
    unpriced = (
        f" (+ {usage.unpriced_calls} calls with no known price)" if usage.unpriced_calls else ""
    )
    return (
        f"{usage.llm_calls} LLM calls, {usage.tokens} tokens, ${usage.cost_usd:.4f}{unpriced}, "
        f"{total:.2f} s ({', '.join(f'{k} {v:.2f}' for k, v in result.timings_s.items())})"
    )


def show_result(console: Console, result: Result) -> None:
    """Everything a person wants to see after a run or a plan."""
    console.print(gaps_table(result))
    if len(result.tasks) > 1:
        console.print(tasks_table(result))
    console.print(Panel(result.final_prompt or "(none)", title="Final prompt", expand=False))
    if result.checklist:
        console.print(checklist_table(result))
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    if result.error:
        console.print(f"[red]{result.status}:[/red] {result.error}")
    if result.questions:
        console.print(Panel(Group(*(Text(q) for q in result.questions)), title="Questions for you"))
    if result.final_image:
        console.print(f"[bold]Image:[/bold] {result.final_image}")
    if result.run_dir:
        console.print(f"[dim]Run {result.run_id}: {result.run_dir}[/dim]")
    console.print(f"[dim]{usage_line(result)}[/dim]")
