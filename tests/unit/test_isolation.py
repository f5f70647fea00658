"""The suite's own guarantees: no test reaches the real user data folder, and property tests reproduce."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from coptui.core.workspace import default_data_dir


def test_the_default_data_folder_is_the_tests_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_data_dir().is_relative_to(tmp_path)
    # Without COPTUI_DATA the app asks platformdirs, which must answer inside the test's folder too.
    monkeypatch.delenv("COPTUI_DATA")
    assert default_data_dir().is_relative_to(tmp_path)


def test_property_tests_draw_the_same_examples_on_every_run() -> None:
    profile = settings()  # what a test without settings of its own runs with
    assert profile.derandomize and profile.database is None
    assert profile.deadline is None and HealthCheck.too_slow in profile.suppress_health_check
