"""`imagent memory`: what a user tells the agent is what later requests recall."""

import json

from typer.testing import CliRunner

from imagent.cli.app import app

runner = CliRunner()


def test_what_you_tell_it_is_listed_and_recalled_by_a_later_request() -> None:
    told = runner.invoke(
        app, ["memory", "add", "my dog is a golden retriever named Biscuit, he turns 5"]
    )
    assert told.exit_code == 0, told.output
    listed = json.loads(runner.invoke(app, ["memory", "list", "--json"]).stdout)
    assert [e["content"] for e in listed] == [
        "my dog is a golden retriever named Biscuit, he turns 5"
    ]
    plan = ["plan", "a birthday card for my dog", "--llm", "none", "--renderer", "fake", "--json"]
    planned = runner.invoke(app, plan)
    assert "golden retriever named Biscuit" in json.loads(planned.stdout)["final_prompt"]
    # Another user's requests know nothing of it.
    other = runner.invoke(app, [*plan, "--user", "sam"])
    assert "could not resolve 'my dog'" in other.output  # and the user is told
    assert "Biscuit" not in json.loads(other.stdout[other.stdout.index("{") :])["final_prompt"]


def test_a_profile_is_key_value_lines_and_a_later_value_wins() -> None:
    runner.invoke(app, ["memory", "add", "--profile", "name: Rowan\nhair: long black hair"])
    runner.invoke(app, ["memory", "add", "--profile", "hair: short curly red hair"])
    shown = json.loads(runner.invoke(app, ["memory", "profile", "--json"]).stdout)
    assert shown == {"name": "Rowan", "hair": "short curly red hair"}


def test_bad_input_is_refused_and_nothing_is_saved() -> None:
    for args, message in (
        (["--profile", "just some words"], "is not `key: value`"),
        (["   "], "nothing to remember"),
        (["a\x00b"], "control character"),
        (["x" * 9000], "the limit is"),
    ):
        result = runner.invoke(app, ["memory", "add", *args])
        assert result.exit_code == 2 and message in result.output
    assert json.loads(runner.invoke(app, ["memory", "list", "--json"]).stdout) == []


def test_forget_asks_first_and_removes_one_session_or_everything() -> None:
    runner.invoke(app, ["memory", "add", "my cat is called Mochi", "--session", "s1"])
    runner.invoke(app, ["memory", "add", "my bike is a red Peugeot", "--session", "s2"])
    kept = runner.invoke(app, ["memory", "forget"], input="n\n")
    assert kept.exit_code == 1
    assert len(json.loads(runner.invoke(app, ["memory", "list", "--json"]).stdout)) == 2
    runner.invoke(app, ["memory", "forget", "--session", "s1", "--yes"])
    left = json.loads(runner.invoke(app, ["memory", "list", "--json"]).stdout)
    assert [e["content"] for e in left] == ["my bike is a red Peugeot"]
    runner.invoke(app, ["memory", "forget", "--yes"])
    assert json.loads(runner.invoke(app, ["memory", "list", "--json"]).stdout) == []


def test_memory_switched_off_says_how_to_switch_it_on(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("IMAGENT_MEMORY", "none")
    result = runner.invoke(app, ["memory", "list"])
    assert result.exit_code == 2 and "IMAGENT_MEMORY=sqlite" in result.output
