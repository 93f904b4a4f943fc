"""Renderers behind an extra say which extra to install when it is missing."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from typer.testing import CliRunner

from imagent import registry
from imagent.cli.app import app
from imagent.core.errors import MissingExtraError


def test_diffusers_without_its_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    monkeypatch.delitem(sys.modules, "imagent.backends.renderer.diffusers", raising=False)
    with pytest.raises(MissingExtraError, match=r"pip install 'imagent\[diffusers\]'"):
        registry.resolve("renderer", "diffusers/some/folder")


def test_the_cli_prints_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    monkeypatch.delitem(sys.modules, "imagent.backends.renderer.diffusers", raising=False)
    monkeypatch.setenv("IMAGENT_MEMORY", "none")
    args = ["generate", "a fox", "--renderer", "diffusers/x", "--llm", "none"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "pip install 'imagent[diffusers]'" in result.output
