"""Live tests call hosted APIs and cost money: they run only when asked for with `-m live`
(`pytest -m live tests/live`), and each is skipped without its provider's key."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "live" in str(config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="calls a hosted API: run with `pytest -m live tests/live`")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)
