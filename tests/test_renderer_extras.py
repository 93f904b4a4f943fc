"""Renderers behind an extra say which extra to install when it is missing."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from imagent import registry
from imagent.core.errors import MissingExtraError


def test_diffusers_without_its_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    monkeypatch.delitem(sys.modules, "imagent.backends.renderer.diffusers", raising=False)
    with pytest.raises(MissingExtraError, match=r"pip install 'imagent\[diffusers\]'"):
        registry.resolve("renderer", "diffusers/some/folder")
