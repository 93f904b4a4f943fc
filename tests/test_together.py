"""Calls to the embedded model made at the same time are decoded as one batch, and each gets
the answer it gets alone; a request's answer never depends on what ran before it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from imagent.settings import Settings

from .test_prefix_cache import COLOUR
from .test_prefix_cache import SYSTEM as COLOUR_SYSTEM

pytestmark = pytest.mark.slow

COUNT_SYSTEM = (
    "You count the objects a request asks for and answer with JSON only, as "
    '{"count": <a whole number>, "objects": "<what is counted>"}. Examples: "three apples on a '
    'plate" -> {"count": 3, "objects": "apples"}; "a pair of shoes" -> {"count": 2, "objects": '
    '"shoes"}; "a dozen eggs in a box" -> {"count": 12, "objects": "eggs"}.'
)
LIST_SYSTEM = (
    "List every thing a request names, in order, with a few words on each. Answer with JSON "
    'only, as {"things": ["..."]}. Example: "a cup and a saucer" -> {"things": ["a white '
    'cup", "a matching saucer"]}'
)
COUNT = {
    "type": "object",
    "properties": {"count": {"type": "integer"}, "objects": {"type": "string", "maxLength": 30}},
    "required": ["count", "objects"],
}
LIST = {
    "type": "object",
    "properties": {
        "things": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 8}
    },
    "required": ["things"],
}
CALLS = [
    (COLOUR_SYSTEM, "a lawn of fresh grass", COLOUR, 16),
    (COUNT_SYSTEM, "five cats asleep on a sofa", COUNT, 24),
    (LIST_SYSTEM, "a desk with a lamp, a mug of tea, a notebook and a green pen", LIST, 80),
    (COLOUR_SYSTEM, "a ripe tomato on a chopping board", COLOUR, 16),
]


def ask(system: str, request: str) -> list[Any]:
    return [{"role": "system", "content": system}, {"role": "user", "content": request}]


@pytest.fixture
async def llm(default_model: Path) -> Any:
    """The default model, loaded once for every test that needs it."""
    from imagent.backends.llm.local import LocalLLM

    model = LocalLLM("", Settings(model_dir=default_model.parent))
    await model.load()
    return model


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many calls each batch decoded together held."""
    from imagent.backends.llm import together

    sizes: list[int] = []
    decode = together.decode_together

    def counted(llama: Any, prefixes: Any, calls: list[Any]) -> Any:
        sizes.append(len(calls))
        return decode(llama, prefixes, calls)

    monkeypatch.setattr(together, "decode_together", counted)
    return sizes


async def test_calls_made_together_answer_as_each_does_alone(llm: Any, batches: list[int]) -> None:
    alone = [
        await llm.complete(ask(system, request), schema, max_tokens=n)
        for system, request, schema, n in CALLS
    ]
    assert batches == []  # one after the other: each alone
    together = await asyncio.gather(
        *(
            llm.complete(ask(system, request), schema, max_tokens=n)
            for system, request, schema, n in CALLS
        )
    )
    assert batches == [2, 2]  # as many share a batch as the context has sequences
    assert [c.text for c in together] == [c.text for c in alone]
    assert [(c.input_tokens, c.output_tokens) for c in together] == [
        (c.input_tokens, c.output_tokens) for c in alone
    ]
    assert '"green"' in together[0].text and '"count": 5' in together[1].text
    # The model's own sequence holds the first call's tokens: a lone call after it is as alone.
    again = await llm.complete(ask(*CALLS[1][:2]), COUNT, max_tokens=24)
    assert again.text == alone[1].text


async def test_an_answer_does_not_depend_on_what_ran_before(llm: Any) -> None:
    """The context holds the prompt's head and nothing after it before the request is
    evaluated, even when the previous prompt shared more tokens: llama.cpp's values for a
    token depend on the batch it is evaluated in, so the request is always evaluated from
    the head on, in the same batches."""
    loaded = llm._loaded
    first = ask(COLOUR_SYSTEM, "a ripe lemon in a bowl")
    second = ask(COLOUR_SYSTEM, "a ripe lemon on a tree")  # shares "a ripe lemon"
    fresh = await llm.complete(second, COLOUR, max_tokens=16)
    await llm.complete(first, COLOUR, max_tokens=16)
    with loaded.lock:
        report = loaded.prefixes.prepare(second)
        assert report.source == "live"
        assert loaded.llama.n_tokens == report.head_tokens  # not the shared words
    assert (await llm.complete(second, COLOUR, max_tokens=16)).text == fresh.text


async def test_a_call_abandoned_in_a_batch_leaves_the_others_their_answers(
    llm: Any, batches: list[int]
) -> None:
    long = (LIST_SYSTEM, "a toy shop window with " + ", ".join(f"toy {i}" for i in range(30)))
    short = CALLS[1]
    alone = await llm.complete(ask(*short[:2]), COUNT, max_tokens=24)
    loop = asyncio.get_running_loop()
    abandoned = loop.create_task(llm.complete(ask(*long), LIST, max_tokens=300))
    kept = loop.create_task(llm.complete(ask(*short[:2]), COUNT, max_tokens=24))
    await asyncio.sleep(1.0)
    abandoned.cancel()
    assert (await kept).text == alone.text
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    assert batches == [2]
    assert (await llm.complete(ask(*short[:2]), COUNT, max_tokens=24)).text == alone.text


async def test_a_batch_whose_calls_are_all_abandoned_stops_computing_at_once(llm: Any) -> None:
    """Both calls are cancelled while their long heads are still being evaluated: llama.cpp
    stops within a step, and the model is free again long before the heads would be done."""
    import time
    import uuid

    loaded = llm._loaded
    words = " ".join(f"rule {i}: keep the answer short and plain." for i in range(80))
    heads = [f"{uuid.uuid4()} {words}" for _ in range(2)]  # never saved: evaluated here
    loop = asyncio.get_running_loop()
    calls = [
        loop.create_task(llm.complete(ask(head, "a red kite"), COLOUR, max_tokens=16))
        for head in heads
    ]
    while not loaded.lock.locked():
        assert not any(call.done() for call in calls), "a call ended before it took the model"
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)
    started = time.monotonic()
    for call in calls:
        call.cancel()
    freed = await asyncio.to_thread(loaded.lock.acquire, True, 5.0)
    assert freed and time.monotonic() - started < 2.0  # the heads take ~20 s to evaluate
    loaded.lock.release()
    for call in calls:
        with pytest.raises(asyncio.CancelledError):
            await call
    assert '"green"' in (await llm.complete(ask(*CALLS[0][:2]), COLOUR, max_tokens=16)).text


async def test_one_sequence_decodes_calls_one_at_a_time(
    default_model: Path, batches: list[int]
) -> None:
    from imagent.backends.llm.local import LocalLLM

    one = LocalLLM("", Settings(model_dir=default_model.parent, llm_sequences=1))
    calls = [llm_call(one, c) for c in CALLS[:2]]
    texts = [c.text for c in await asyncio.gather(*calls)]
    assert batches == []  # IMAGENT_LLM_SEQUENCES=1: never together
    assert '"green"' in texts[0] and '"count": 5' in texts[1]


def llm_call(llm: Any, call: tuple[str, str, dict[str, Any], int]) -> Any:
    system, request, schema, n = call
    return llm.complete(ask(system, request), schema, max_tokens=n)


async def test_a_call_llama_cpp_refuses_fails_alone(llm: Any) -> None:
    from imagent.core.errors import BackendError

    alone = await llm.complete(ask(*CALLS[0][:2]), COLOUR, max_tokens=16)
    refused = {"type": "object", "properties": {"colour": {"enum": []}}, "required": ["colour"]}
    good, bad = await asyncio.gather(
        llm.complete(ask(*CALLS[0][:2]), COLOUR, max_tokens=16),
        llm.complete(ask(*CALLS[1][:2]), refused, max_tokens=16),
        return_exceptions=True,
    )
    assert isinstance(bad, BackendError)
    assert not isinstance(good, BaseException) and good.text == alone.text


async def test_a_head_held_as_part_of_a_longer_one_is_not_reused(llm: Any) -> None:
    """A re-ask's head holds the first prompt's head as its start, evaluated in other
    batches: the next call with that head restores its own saved state instead."""
    loaded = llm._loaded
    first = ask(COLOUR_SYSTEM, "a lemon")
    again = [*first, {"role": "assistant", "content": "{}"}, {"role": "user", "content": "Again."}]
    with loaded.lock:
        loaded.prefixes.prepare(first)
        loaded.prefixes.prepare(again)
        report = loaded.prefixes.prepare(ask(COLOUR_SYSTEM, "fresh snow"))
    assert report.source in ("ram", "disk")
