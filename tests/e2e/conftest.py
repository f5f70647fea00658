"""Every test in this folder starts real processes or servers: it is marked e2e, so that
``pytest -m "not e2e"`` leaves the whole folder out (CONTRIBUTING.md, the fast loop)."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.e2e)
