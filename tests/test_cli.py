import json

import pytest
from typer.testing import CliRunner

from imagent.cli.app import app

runner = CliRunner()
FAKES = ["--llm", "none", "--renderer", "fake", "--judge", "instruction"]


@pytest.fixture(autouse=True)
def _no_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGENT_MEMORY", "none")


def test_generate_writes_a_run_and_prints_the_plan() -> None:
    result = runner.invoke(
        app, ["generate", "A chalkboard showing the result of 17 x 23", *FAKES, "--seed", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "391" in result.stdout and "reason" in result.stdout and "final.png" in result.stdout


def test_generate_json_is_a_result() -> None:
    result = runner.invoke(app, ["generate", "a red bicycle", *FAKES, "--json"])
    data = json.loads(result.stdout)
    assert data["status"] == "done" and data["gaps"] == []


def test_plan_json_shows_gaps_routes_and_the_final_prompt() -> None:
    result = runner.invoke(
        app, ["plan", "a sign showing 15% of 240", "--llm", "none", "--renderer", "fake", "--json"]
    )
    data = json.loads(result.stdout)
    assert data["gaps"][0]["route"] == "reason" and data["gaps"][0]["resolution"] == "36"
    assert "36" in data["final_prompt"]


def test_runs_list_and_show() -> None:
    made = json.loads(runner.invoke(app, ["generate", "a red bicycle", *FAKES, "--json"]).stdout)
    listed = runner.invoke(app, ["runs", "list"])
    assert made["run_id"][:10] in listed.stdout
    shown = runner.invoke(app, ["runs", "show", made["run_id"], "--json"])
    assert json.loads(shown.stdout)["run_id"] == made["run_id"]
    assert runner.invoke(app, ["runs", "show", "nope"]).exit_code == 2  # the id must change


@pytest.mark.parametrize(
    "args,message",
    [
        (["generate", "  ", *FAKES], "prompt is empty"),
        (["generate", "a cat", "--llm", "none", "--renderer", "fkae"], "Did you mean 'fake'"),
        (["generate", "a cat", *FAKES, "--size", "huge"], "not WIDTHxHEIGHT"),
        (["generate", "a cat", *FAKES, "--size", "10x10"], "width must be between 64 and 4096"),
    ],
)
def test_bad_input_gets_one_clear_line_and_a_nonzero_exit(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert message in result.output.replace("\n", " ")
    assert "Traceback" not in result.output


def test_out_copies_the_final_image(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "sub" / "board.png"
    result = runner.invoke(app, ["generate", "a red bicycle", *FAKES, "--out", str(target)])
    assert result.exit_code == 0 and target.is_file()


def test_doctor_reports_ready_when_the_defaults_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGENT_LLM", "none")
    monkeypatch.setenv("IMAGENT_JUDGES", "instruction")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "ready" in result.stdout and "renderer/layout" in result.stdout


def test_doctor_fails_and_says_why_when_a_default_is_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IMAGENT_RENDERER", "layuot/poster")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "not ready" in result.stdout and "layout" in result.stdout


def test_a_failed_run_is_resumed_from_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    from imagent.backends.renderer.fake import FakeRenderer

    real_attempt = FakeRenderer._attempt
    outage = {"left": 3}  # as many failures as retries: the first run fails

    async def flaky(self: FakeRenderer, spec):  # type: ignore[no-untyped-def]
        if outage["left"] > 0:
            outage["left"] -= 1
            from imagent.core.errors import BackendError

            raise BackendError(self.id, "503 from the renderer", retryable=True)
        return await real_attempt(self, spec)

    monkeypatch.setattr(FakeRenderer, "_attempt", flaky)
    failed = runner.invoke(app, ["generate", "a red bicycle", *FAKES])
    assert failed.exit_code == 1 and "imagent runs resume" in failed.output
    run_id = failed.output.split("imagent runs resume ")[1].split()[0]
    resumed = runner.invoke(app, ["runs", "resume", run_id, "--json"])
    assert resumed.exit_code == 0, resumed.output
    data = json.loads(resumed.stdout)
    assert data["status"] == "done" and data["run_id"] == run_id and data["final_image"]
    assert (data["renderer"], data["llm"], data["judges"]) == ("fake", "none", ["instruction"])


def test_generate_answers_from_documents_the_user_added(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`imagent kb add` a folder, then `--search local` answers what only it can tell."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "marathon.md").write_text(
        "# Glimmerfield Marathon 2026\n\nAda Okafor won the 2026 Glimmerfield Marathon on "
        "Sunday in 2:21:07, a course record. Lena Park finished second.\n"
    )
    (notes / "bakery.txt").write_text("The bakery on Elm Street opens at 7 am every day.\n")
    added = runner.invoke(app, ["kb", "add", str(notes)])
    assert added.exit_code == 0, added.output
    prompt = "a poster announcing the winner of the 2026 Glimmerfield Marathon"
    result = runner.invoke(app, ["generate", prompt, "--search", "local", *FAKES, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    [gap] = data["gaps"]
    assert gap["route"] == "search" and gap["status"] == "resolved"
    assert "Ada Okafor" in gap["resolution"] and "Ada Okafor" in data["final_prompt"]
    assert gap["evidence"][0]["title"]
