"""Live tests call real services and may cost money: they run only with IMAGENT_LIVE=1
(`IMAGENT_LIVE=1 pytest -m live tests/live`), and each skips without its key or URL."""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if os.environ.get("IMAGENT_LIVE") == "1":
        return
    skip = pytest.mark.skip(reason="live test: set IMAGENT_LIVE=1 to call the real service")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)
