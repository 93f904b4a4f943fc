"""Live tests call real services and may cost money: they run only when asked for, with
`pytest -m live tests/live` or IMAGENT_LIVE=1, and each skips without its key or URL."""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("IMAGENT_LIVE") == "1" or "live" in str(config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="calls a hosted API: run with `pytest -m live tests/live`")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)
