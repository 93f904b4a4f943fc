from importlib.util import find_spec
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from imagent.backends.llm.model_files import get_spec
from imagent.cli.app import app
from imagent.core.errors import ConfigError
from imagent.settings import Settings, config_problems


def test_env_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGENT_RENDERER", "fake/x")
    monkeypatch.setenv("IMAGENT_JUDGES", "instruction, fake/pass")
    s = Settings()
    assert s.renderer == "fake/x" and s.judges == ["instruction", "fake/pass"]


def test_toml_file_in_home_is_read(_isolated_home: Path) -> None:
    _isolated_home.mkdir(parents=True)
    (_isolated_home / "config.toml").write_text('renderer = "fake/toml"\nmax_rounds = 1\n')
    s = Settings()
    assert (s.renderer, s.max_rounds) == ("fake/toml", 1)


def test_env_beats_toml(_isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _isolated_home.mkdir(parents=True)
    (_isolated_home / "config.toml").write_text('renderer = "fake/toml"\n')
    monkeypatch.setenv("IMAGENT_RENDERER", "fake/env")
    assert Settings().renderer == "fake/env"


def test_home_comes_from_imagent_home(_isolated_home: Path) -> None:
    assert Settings().runs_dir == _isolated_home / "runs"


def test_provider_sections_come_from_the_toml_file(_isolated_home: Path) -> None:
    _isolated_home.mkdir(parents=True)
    (_isolated_home / "config.toml").write_text(
        '[providers.openai]\nbase_url = "http://127.0.0.1:8000/v1"\nconcurrency = 2\n'
        '[providers.openai.prices."gpt-4o-mini"]\ninput_per_mtok = 0.15\n'
    )
    s = Settings()
    openai = s.provider("openai")
    assert (openai.base_url, openai.concurrency) == ("http://127.0.0.1:8000/v1", 2)
    assert openai.prices["gpt-4o-mini"].input_per_mtok == 0.15
    assert s.provider("dashscope").base_url is None  # defaults when the file has no section


# -- strict configuration -----------------------------------------------------------------------


def _write_config(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text,message",
    [
        (
            'judges = ["ocr"]\nrendrer = "fake"\n',
            r"config.toml line 2: unknown key 'rendrer' \(did you mean 'renderer'\?\)",
        ),
        (
            '[providers.openai]\nbase_url = "x"\n\n[providers.openai.prices."gpt-4o"]\ninput_per_mtok = 1\nouput_per_mtok = 2\n',
            r"line 6: unknown key 'providers.openai.prices.gpt-4o.ouput_per_mtok' \(did you mean 'output_per_mtok'\?\)",
        ),
        (
            "providers.openai.timeout = 3\n",
            r"line 1: unknown key 'providers.openai.timeout' \(did you mean 'timeout_s'\?\)",
        ),
        (
            '[profiles.studio]\nllm = "x"\nrender = "y"\n',
            r"line 3: unknown key 'profiles.studio.render' \(did you mean 'renderer'\?\)",
        ),
        (
            "max_rounds = 1\nsearch_cache_ttl_s = -5\n",
            r"line 2: search_cache_ttl_s = -5: must be greater than or equal to 0",
        ),
        (
            'planner_tier = "huge"\n',
            r"line 1: planner_tier = 'huge': must be one of 'auto', 'small' or 'capable'",
        ),
        (
            'judges = "ocr"\nmax_rounds = [1]\n',
            r"line 2: max_rounds = \[1\]: must be a whole number",
        ),
        ('renderer = "fake"\n[providers\n', r"config.toml line 2: .*\(fix the TOML syntax\)"),
    ],
    ids=["top-level", "nested-quoted", "dotted", "profile", "range", "literal", "type", "syntax"],
)
def test_config_errors_name_the_file_the_line_and_the_fix(
    _isolated_home: Path, text: str, message: str
) -> None:
    path = _write_config(_isolated_home, text)
    with pytest.raises(ConfigError, match=message) as caught:
        Settings()
    assert str(path) in str(caught.value)


def test_env_beats_the_file_and_is_named_when_both_are_bad(
    _isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_config(_isolated_home, 'max_rounds = "many"\n')
    monkeypatch.setenv("IMAGENT_MAX_ROUNDS", "-3")
    with pytest.raises(ConfigError, match=r"^IMAGENT_MAX_ROUNDS='-3': must be between 0 and 10$"):
        Settings()


def test_variables_that_are_not_settings_but_known_are_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("IMAGENT_DEBUG", "IMAGENT_LIVE", "IMAGENT_LIVE_COMFYUI_URL", "imagent_llm"):
        monkeypatch.setenv(name, "1" if name != "imagent_llm" else "none")
    assert Settings().llm == "none"  # names are case-insensitive, as pydantic-settings reads them


def test_a_misspelt_argument_from_code_is_an_error_too() -> None:
    with pytest.raises(ValidationError, match="rendrer"):
        Settings(rendrer="fake")


def test_a_missing_config_named_by_imagent_config_is_an_error_but_a_missing_default_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings().renderer == "layout/poster"  # <home>/config.toml need not exist
    monkeypatch.setenv("IMAGENT_CONFIG", str(tmp_path / "mine.toml"))
    with pytest.raises(
        ConfigError, match=r"IMAGENT_CONFIG names .*mine\.toml, which does not exist"
    ):
        Settings()
    (tmp_path / "mine.toml").write_text('renderer = "fake/mine"\n')
    assert Settings().renderer == "fake/mine"


def test_every_problem_is_listed_for_doctor_and_the_first_raised_with_a_count(
    _isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_config(
        _isolated_home, 'rendrer = "x"\nmax_rounds = "abc"\n[providers.openai]\nconcurency = 2\n'
    )
    monkeypatch.setenv("IMAGENT_JUGDES", "ocr")
    problems = config_problems()
    assert len(problems) == 4
    assert "IMAGENT_JUGDES (did you mean 'IMAGENT_JUDGES'?)" in problems[0]
    assert any("line 4: unknown key 'providers.openai.concurency'" in p for p in problems)
    assert any("line 2: max_rounds = 'abc'" in p for p in problems)
    with pytest.raises(ConfigError, match=r"\(and 2 more problems: run imagent doctor\)$"):
        Settings()  # the variables and keys first: values are checked once those are right


# -- doctor --------------------------------------------------------------------------------------


def _doctor(monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv("IMAGENT_LLM", "none")
    monkeypatch.setenv("IMAGENT_JUDGES", "instruction")
    monkeypatch.setenv("COLUMNS", "300")
    result = CliRunner().invoke(app, ["doctor"])
    return result.exit_code, result.stdout


def test_doctor_lists_every_problem_with_its_fix_and_fails(
    _isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_config(_isolated_home, 'rendrer = "x"\n')
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("IMAGENT_MODEL_DIR", str(blocker / "models"))
    code, out = _doctor(monkeypatch)
    assert code == 1
    summary = out[out.index("not ready") :]
    assert "unknown key 'rendrer' (did you mean 'renderer'?)" in summary
    assert f"model folder: {blocker / 'models'}: cannot write" in summary
    assert "set IMAGENT_MODEL_DIR" in summary


def test_doctor_finds_an_unwritable_data_folder_and_a_damaged_model_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imagent.backends.llm.model_files import DEFAULT_MODEL, missing_parts

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("IMAGENT_HOME", str(blocker / "home"))
    models = tmp_path / "models"
    models.mkdir()
    (models / f"{DEFAULT_MODEL}.gguf").write_bytes(b"GGUF" + b"\0" * 100)  # cut short
    monkeypatch.setenv("IMAGENT_MODEL_DIR", str(models))
    code, out = _doctor(monkeypatch)
    assert code == 1
    summary = out[out.index("not ready") :]
    assert "data folder:" in summary and "set IMAGENT_HOME" in summary
    if not missing_parts(get_spec(DEFAULT_MODEL)):
        assert f"model {DEFAULT_MODEL}: " in summary and "is damaged (104 bytes" in summary
        assert "rebuilt from the installed parts" in summary


def test_doctor_names_the_extra_a_default_backend_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    if find_spec("diffusers") is not None:
        pytest.skip("the diffusers extra is installed")
    monkeypatch.setenv("IMAGENT_RENDERER", "diffusers/some-folder")
    code, out = _doctor(monkeypatch)
    assert code == 1 and "pip install 'imagent[diffusers]'" in out[out.index("not ready") :]
