"""Shared fixtures: every test gets its own data folder and a copy of the shipped surveys.

The demo history is seeded once per session at a fixed date (DEMO_TODAY) so that screens
and snapshots show the same thing on every day the suite runs.

Property tests run under one Hypothesis profile, loaded here before any test module is
imported (a test's own ``@settings`` starts from it): the same examples on every run, so a
failure reproduces, and no limit tied to how fast the machine is.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from coptui.core.definitions import default_surveys_dir
from coptui.core.workspace import Workspace
from tests.support.demo import DEMO_TODAY

settings.register_profile(
    "coptui",
    # A busy machine runs an example ten times slower than a quiet one: time is no verdict.
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    # Examples drawn from a seed derived from each test, and nothing kept between runs:
    # every run of the suite tries the same inputs, wherever it runs.
    derandomize=True,
    database=None,
    print_blob=True,
)
settings.load_profile("coptui")


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing a test does may touch the real user data folder or depend on who runs it.

    COPTUI_DATA is the data folder of any code that asks for the default; XDG_DATA_HOME is
    where platformdirs puts the user data folder on Linux, should anything get past COPTUI_DATA.
    """
    monkeypatch.setenv("COPTUI_DATA", str(tmp_path / "default-data"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("COPTUI_AS", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture
def surveys_dir(tmp_path: Path) -> Path:
    target = tmp_path / "surveys"
    shutil.copytree(default_surveys_dir(), target)
    return target


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def workspace(data_dir: Path, surveys_dir: Path) -> Workspace:
    return Workspace.open(data_dir, surveys_dir)


@pytest.fixture(scope="session")
def _seeded_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from coptui.demo.history import seed_demo

    folder = tmp_path_factory.mktemp("demo") / "data"
    seed_demo(folder, default_surveys_dir(), today=DEMO_TODAY)
    return folder


@pytest.fixture
def demo_data_dir(_seeded_demo: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded demo history (tests may write to it)."""
    target = tmp_path / "demo-data"
    shutil.copytree(_seeded_demo, target)
    return target


@pytest.fixture
def demo_workspace(demo_data_dir: Path, surveys_dir: Path) -> Workspace:
    return Workspace.open(demo_data_dir, surveys_dir)
