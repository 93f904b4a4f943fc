from importlib.metadata import EntryPoint

import pytest

from imagent import registry
from imagent.backends.llm.fake import FakeLLM
from imagent.backends.renderer.fake import FakeRenderer
from imagent.core.errors import MissingExtraError, UnknownBackendError
from imagent.settings import Settings


@pytest.mark.parametrize(
    "backend_id,expected",
    [
        ("local/qwen2.5-coder-1.5b", ("local", "qwen2.5-coder-1.5b")),
        ("fake:a/b", ("fake", "a/b")),
        ("ocr", ("ocr", "")),
        ("fake/x:y", ("fake", "x:y")),
    ],
)
def test_ids_split_on_the_first_slash_or_colon(backend_id: str, expected: tuple[str, str]) -> None:
    assert registry.split_id(backend_id) == expected


def test_builtins_resolve_by_id(settings: Settings) -> None:
    llm = registry.resolve("llm", "fake/scripted", settings)
    assert isinstance(llm, FakeLLM) and llm.id == "fake/scripted"
    assert isinstance(registry.resolve("renderer", "fake", settings), FakeRenderer)


def test_unknown_id_suggests_close_matches(settings: Settings) -> None:
    with pytest.raises(UnknownBackendError) as error:
        registry.resolve("renderer", "layuot/poster", settings)
    assert "Did you mean 'layout'" in str(error.value)
    assert "fake" in str(error.value)  # lists what is known


def test_missing_extra_names_the_pip_install(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    broken = EntryPoint(
        name="needs", value="imagent_no_such_module:Thing [gpu]", group="imagent.renderer"
    )
    monkeypatch.setitem(registry.providers("renderer"), "needs", broken)
    with pytest.raises(MissingExtraError, match=r"pip install 'imagent\[gpu\]'"):
        registry.resolve("renderer", "needs/x", settings)


def test_third_party_provider_registers_like_a_builtin(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    plugin = EntryPoint(
        name="mine", value="imagent.backends.renderer.fake:FakeRenderer", group="imagent.renderer"
    )
    monkeypatch.setitem(registry.providers("renderer"), "mine", plugin)
    assert isinstance(registry.resolve("renderer", "mine/v1", settings), FakeRenderer)


def test_none_is_suggested_for_optional_kinds(settings: Settings) -> None:
    with pytest.raises(UnknownBackendError, match="Did you mean 'none'"):
        registry.resolve("llm", "nnoe", settings)
