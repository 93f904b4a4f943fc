import json
from pathlib import Path
from typing import Any

import pytest

from imagent.agent.agent import Agent
from imagent.backends.judge.fake import FakeJudge
from imagent.backends.llm.fake import FakeLLM, minimal_instance
from imagent.backends.renderer.fake import FakeRenderer
from imagent.core.errors import InputError, RunFailedError, UnknownBackendError
from imagent.core.types import AskMode, GapRoute, GapStatus, Request, RunOptions, RunStatus
from imagent.runs.png import read_png_record
from imagent.settings import Settings

from .conftest import TODAY
from .helpers import planner_answer

CHALKBOARD = "A chalkboard showing the result of 17 x 23, written large"


def agent(settings: Settings, **kw) -> Agent:  # type: ignore[no-untyped-def]
    base = {
        "llm": "none",
        "renderer": FakeRenderer(),
        "judges": ["instruction"],
        "memory": "none",
        "today": TODAY,
    }
    return Agent(settings, **{**base, **kw})


async def test_reason_request_end_to_end_writes_a_complete_run(settings: Settings) -> None:
    events = []
    result = await agent(settings, on_event=events.append).run(CHALKBOARD, seed=7)
    assert result.status is RunStatus.DONE
    assert [(g.status, g.resolution) for g in result.gaps] == [(GapStatus.RESOLVED, "391")]
    assert "391" in result.final_prompt
    # The text is checked (on the prompt); nothing here can look at the subject or style.
    verdicts = {v.item_id: v.passed for v in result.verdicts}
    assert verdicts["text1"] is True and verdicts["subject"] is None
    assert result.verdict_count.outcome == "unverified" and not result.passed
    run_dir = Path(result.run_dir or "")
    assert run_dir.parent.parent == settings.runs_dir
    saved = json.loads((run_dir / "run.json").read_text())
    assert saved["final_prompt"] == result.final_prompt and saved["gaps"][0]["resolution"] == "391"
    trace = [json.loads(line) for line in (run_dir / "trace.jsonl").read_text().splitlines()]
    assert [e["seq"] for e in trace] == list(range(len(trace)))
    assert [e["step"] for e in trace if e["payload"]["kind"] == "start"] == [
        "load",
        "plan",
        "ground",
        "compose",
        "render",
        "remember",
    ]
    assert len(trace) == len(events)
    assert (run_dir / "round_00" / "candidate_0.png").is_file()
    record = read_png_record(run_dir / "final.png")
    assert (record["seed"], record["run_id"], record["prompt"]) == (
        7,
        result.run_id,
        result.final_prompt,
    )


async def test_png_carries_an_a1111_parameters_chunk(settings: Settings) -> None:
    from PIL import Image

    result = await agent(settings).run(CHALKBOARD, seed=11)
    with Image.open(result.final_image or "") as image:
        parameters = image.text["parameters"]  # type: ignore[attr-defined]
    assert parameters.startswith(result.final_prompt)
    assert "Seed: 11" in parameters and "Model: fake" in parameters


async def test_seed_is_always_concrete_and_recorded(settings: Settings) -> None:
    result = await agent(settings).run("a red bicycle", n=3)
    assert result.spec is not None and len(result.spec.seeds) == 3
    assert [c.seed for c in result.rounds[0].candidates] == result.spec.seeds


async def test_secrets_never_reach_outputs(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-test-SECRET-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    result = await agent(settings).run(f"a poster that says {secret}", seed=1)
    run_dir = Path(result.run_dir or "")
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


async def test_failing_items_trigger_bounded_repair_rounds(settings: Settings) -> None:
    renderer = FakeRenderer()
    result = await agent(settings, renderer=renderer, judges=[FakeJudge("fail")]).run(
        Request(prompt=CHALKBOARD, options=RunOptions(max_rounds=2), seed=1)
    )
    assert [r.action for r in result.rounds] == ["initial", "reseed", "reseed"]
    assert len(renderer.specs) == 3
    seeds = [spec.seeds[0] for spec in renderer.specs]
    assert len(set(seeds)) == 3


async def test_a_missing_fact_is_repaired_by_rewriting_the_prompt(settings: Settings) -> None:
    from imagent.core.types import ChecklistItem, ItemKind

    item = ChecklistItem(
        id="c1",
        question='Does the board say "Class of 2026"?',
        kind=ItemKind.TEXT,
        expect=["Class of 2026"],
    )
    request = Request(prompt=CHALKBOARD, checklist=[item], seed=1)
    result = await agent(settings).run(request)
    assert [r.action for r in result.rounds] == ["initial", "rewrite"]
    assert result.passed and "Class of 2026" in result.final_prompt
    assert result.spec is not None and "Class of 2026" in [b.text for b in result.spec.text]


async def test_repair_stops_as_soon_as_everything_passes(settings: Settings) -> None:
    result = await agent(settings, judges=[FakeJudge("pass")]).run(CHALKBOARD, seed=1)
    assert len(result.rounds) == 1


async def test_renderer_outage_is_retried_then_saved_and_resumable(settings: Settings) -> None:
    flaky = FakeRenderer(fail_first=5)  # more failures than retries
    with pytest.raises(RunFailedError) as failed:
        await agent(settings, renderer=flaky).run(CHALKBOARD, seed=3)
    run_id = failed.value.run_id
    assert "imagent runs resume" in str(failed.value)
    assert len(flaky.specs) == settings.retries
    saved = agent(settings).store.load(run_id)
    assert saved.status is RunStatus.FAILED and saved.completed_steps == [
        "load",
        "plan",
        "ground",
        "compose",
    ]
    resumed = await agent(settings, renderer=FakeRenderer()).resume(run_id)
    assert resumed.status is RunStatus.DONE and resumed.run_id == run_id
    assert resumed.gaps == saved.gaps  # planning was not redone
    assert resumed.final_image and Path(resumed.final_image).is_file()


async def test_transient_failure_is_retried_transparently(settings: Settings) -> None:
    result = await agent(settings, renderer=FakeRenderer(fail_first=1)).run(CHALKBOARD, seed=3)
    assert result.status is RunStatus.DONE


async def test_ask_mode_returns_questions_without_rendering(settings: Settings) -> None:
    llm = FakeLLM(responses=[planner_answer([{"span": "a portrait", "route": "ask"}])])
    renderer = FakeRenderer()
    result = await agent(settings, llm=llm, renderer=renderer).run(
        Request(prompt="a portrait of my dog", options=RunOptions(mode=AskMode.ASK))
    )
    # "my dog" is a memory phrase for the rules; the model's "ask" gap is pruned (not about the
    # user); with no memory of the dog, ask mode turns the memory gap into a question.
    assert result.status is RunStatus.ASKED
    assert result.questions == ["What do you mean by 'my dog'?"]
    assert renderer.specs == []


async def test_plan_only_renders_nothing_and_saves_nothing(settings: Settings) -> None:
    renderer = FakeRenderer()
    result = await agent(settings, renderer=renderer).plan(CHALKBOARD)
    assert "391" in result.final_prompt and renderer.specs == [] and result.run_dir is None
    assert not settings.runs_dir.exists()


async def test_model_call_budget_is_enforced(settings: Settings) -> None:
    llm = FakeLLM(responses=[planner_answer([{"span": "how old 5 cats are", "route": "reason"}])])
    request = Request(
        prompt="a card saying how old 5 cats are", options=RunOptions(budget_llm_calls=1)
    )
    result = await agent(settings, llm=llm).run(request)
    assert result.usage.llm_calls == 1
    assert result.gaps[0].status is GapStatus.UNRESOLVED


async def test_calls_made_at_once_cannot_pass_the_budget_together(settings: Settings) -> None:
    """The planner's two calls start at once: both are counted before either is recorded
    (a model that takes time, as every real one does)."""
    answer = planner_answer([{"span": "how old 5 cats are", "route": "reason"}])
    llm = FakeLLM(responses=[answer], delay_s=0.01)
    request = Request(
        prompt="a card saying how old 5 cats are", options=RunOptions(budget_llm_calls=1)
    )
    result = await agent(settings, llm=llm).run(request)
    assert len(llm.calls) == 1 and result.usage.llm_calls == 1


async def test_unknown_backend_fails_before_a_run_is_created(settings: Settings) -> None:
    with pytest.raises(UnknownBackendError, match="Did you mean 'fake'"):
        await agent(settings, renderer="fkae").run("a cat")
    assert not settings.runs_dir.exists()


async def test_bad_reference_image_is_a_clear_error_before_a_run_exists(
    settings: Settings, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(InputError, match="not a readable image"):
        await agent(settings).run(Request(prompt="a cat", images=[str(broken)]))
    with pytest.raises(InputError, match="does not exist"):
        await agent(settings).run(Request(prompt="a cat", images=[str(tmp_path / "missing.png")]))
    assert not settings.runs_dir.exists()  # nothing to resume: the input must change


def test_run_sync_works_without_an_event_loop(settings: Settings) -> None:
    assert agent(settings).run_sync("a red bicycle").status is RunStatus.DONE


async def test_backends_built_from_ids_live_as_long_as_the_agent(settings: Settings) -> None:
    async with agent(settings, memory="fake") as kept:
        await kept.run("a red bicycle for my son", seed=1)
        memory = kept._pool.memory("fake")
        assert memory is not None and len(await memory.history("default")) == 2
        await kept.run("a blue bicycle", seed=1)
        assert kept._pool.memory("fake") is memory and len(await memory.history("default")) == 4


async def test_an_agent_without_async_with_closes_its_backends_after_each_run(
    settings: Settings,
) -> None:
    closed: list[str] = []
    one_off = agent(settings, memory="fake")
    first = one_off._pool.memory("fake")
    assert first is not None
    original = first.aclose

    async def tracked() -> None:
        closed.append("memory")
        await original()

    first.aclose = tracked  # type: ignore[method-assign]
    await one_off.run("a red bicycle", seed=1)
    assert closed == ["memory"] and one_off._pool.memory("fake") is not first


async def test_the_mascot_an_earlier_request_made_is_recalled_without_a_memory_phrase(
    settings: Settings,
) -> None:
    from imagent.memory.base import MemoryEntry
    from imagent.memory.fake import InMemoryMemory

    memory = InMemoryMemory()
    for content in (
        "Draw a mascot for my ramen shop: a round orange fox named Noodle wearing a headband",
        "Love it - swap the headband for a little chef's hat",
    ):
        await memory.remember(MemoryEntry(user_id="u", session_id="s1", content=content))
    planner = agent(settings, memory=memory)
    result = await planner.plan(Request(prompt="put the mascot on a mug", user_id="u"))
    assert "round orange fox named Noodle wearing a little chef's hat" in result.final_prompt
    assert "Draw a mascot" not in result.final_prompt  # the old request's "Draw …" is not
    # Another user has no such mascot: nothing is recalled and nothing is said about it.
    other = await planner.plan(Request(prompt="put the mascot on a mug", user_id="v"))
    assert other.final_prompt == "put the mascot on a mug" and not other.warnings


async def test_a_made_thing_the_model_read_as_a_lookup_is_recalled_when_memory_has_it(
    settings: Settings,
) -> None:
    """The model reads "the flyer again but for december" as a lookup; the user's earlier
    request made that flyer, so memory answers it and the lookup gives way (traced)."""
    from imagent.memory.fake import InMemoryMemory

    flyer = (
        "flyer for our studio's free community class: 'Sunrise Flow', Tuesdays 6:30am in the"
        " Lotus Room. terracotta and cream, line-art sun in the corner"
    )
    memory = await _memory_of(flyer, "quick one: a cartoon cat doing downward dog")
    answer = _looks_up("the flyer again but for december", recalls=["Sunrise Flow"])
    planner = agent(settings, memory=memory, llm=FakeLLM(function=answer))
    prompt = "the flyer again but for december. add 'bring a friend'"
    result = await planner.plan(Request(prompt=prompt, user_id="u"))
    assert "Sunrise Flow" in result.final_prompt and "Lotus Room" in result.final_prompt
    assert "downward dog" not in result.final_prompt
    assert [g.route for g in result.gaps] == [GapRoute.MEMORY]
    assert not any("lookup" in w for w in result.warnings)  # the search gap gave way
    # Without that earlier flyer, the model's reading stands.
    other = await agent(settings, memory=InMemoryMemory(), llm=FakeLLM(function=answer)).plan(
        Request(prompt=prompt, user_id="u")
    )
    assert [g.route for g in other.gaps] == [GapRoute.SEARCH]


async def test_an_earlier_request_that_starts_with_what_it_makes_counts_as_one(
    settings: Settings,
) -> None:
    """ "3-panel comic: …" and "thumbnail for …" are requests, like "a card for …": the made
    things and the nouns a request may start with are one list."""
    comic = (
        "3-panel comic: Mo, a lanky sloth in a striped scarf, and Pip, a tiny hedgehog with a"
        " backpack, search a laundromat for a lost sock. ink-and-wash style"
    )
    planner = agent(settings, memory=await _memory_of(comic))
    prompt = "one more panel for the comic - they finally find the sock!"
    result = await planner.plan(Request(prompt=prompt, user_id="u"))
    assert "lanky sloth" in result.final_prompt and "ink-and-wash" in result.final_prompt


async def test_words_the_user_defined_are_recalled_not_looked_up(settings: Settings) -> None:
    """ "The upcoming release is our hot sauce": the user said what "the upcoming release"
    is, so the model's lookup of it gives way to what they said; a note that only mentions
    the words defines nothing."""
    answer = _looks_up("the upcoming release", recalls=["our smoked chilli hot sauce, Ember No. 9"])

    async def plan(notes: list[str]) -> Any:
        memory = await _memory_of(*notes)
        planner = agent(settings, memory=memory, llm=FakeLLM(function=answer))
        prompt = "a billboard visual for the upcoming release"
        return await planner.plan(Request(prompt=prompt, user_id="u"))

    defined = await plan(
        ["The upcoming release is our smoked chilli hot sauce, Ember No. 9: squat amber bottle"]
    )
    assert "Ember No. 9" in defined.final_prompt
    assert [g.route for g in defined.gaps] == [GapRoute.MEMORY]
    mentioned = await plan(["can't wait for the upcoming release of that new phone"])
    assert [g.route for g in mentioned.gaps] == [GapRoute.SEARCH]


async def test_a_made_thing_named_as_someone_else_s_is_not_recalled(settings: Settings) -> None:
    """ "the logo of the Chicago Bulls" is not the user's logo, whatever logo they made; a
    lookup the model made of it stands."""
    memory = await _memory_of("a logo for my bakery Crumb & Co: a wheat sheaf in a circle")
    answer = _looks_up("the logo of the Chicago Bulls")
    for llm in (FakeLLM(function=answer), "none"):
        planner = agent(settings, memory=memory, llm=llm)
        prompt = "a t-shirt with the logo of the Chicago Bulls on it"
        result = await planner.plan(Request(prompt=prompt, user_id="u"))
        assert "Crumb" not in result.final_prompt and "wheat" not in result.final_prompt


async def _memory_of(*notes: str) -> Any:
    """An in-memory store holding what user "u" said, in order."""
    from imagent.memory.base import MemoryEntry
    from imagent.memory.fake import InMemoryMemory

    memory = InMemoryMemory()
    for content in notes:
        await memory.remember(MemoryEntry(user_id="u", session_id="s1", content=content))
    return memory


def _looks_up(span: str, recalls: list[str] | None = None) -> Any:
    """A scripted model that reads `span` as a lookup and, asked to recall, copies `recalls`."""

    def answer(messages: list[Any], schema: dict[str, Any] | None) -> Any:
        system = str(messages[0]["content"])
        if system.startswith("You find gaps"):
            return {"gaps": [{"span": span, "route": "search", "expression": ""}]}
        if recalls is not None and "refers to something from earlier" in system:
            return {"phrases": recalls}
        return minimal_instance(schema or {})

    return answer
