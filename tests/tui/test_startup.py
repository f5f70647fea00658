"""What the start-up work must not break: the collector comes back on, home is the bottom
screen, definitions load once on first use, and a start with a warm community cache imports
no pydantic before its first frame. (Timings are in benchmarks/bench_startup.py.)"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable

from coptui.cli.main import main
from coptui.core.community_cache import cache_path
from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.home import HomeScreen
from tests.support.waits import home_loaded, settle


@pytest.fixture
def collector_restored() -> Iterator[None]:
    yield
    gc.unfreeze()
    gc.enable()


async def test_the_app_turns_the_paused_collector_back_on_after_its_first_frame(
    demo_workspace: Workspace, collector_restored: None
) -> None:
    gc.disable()
    app = CoptuiApp(demo_workspace, demo_workspace.member("ada"), collector_paused=True)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot, until=lambda: home_loaded(app) and gc.isenabled())
        assert gc.get_freeze_count() > 0  # what the start built is frozen, not scanned again
        assert app.query_one("#open-runs", DataTable).row_count > 0


async def test_an_app_not_told_of_a_pause_leaves_the_collector_alone(
    demo_workspace: Workspace, collector_restored: None
) -> None:
    # `coptui serve` runs many apps in one process: they must not turn the collector on.
    gc.disable()
    app = CoptuiApp(demo_workspace, demo_workspace.member("ada"))
    async with app.run_test(size=(100, 32)) as pilot:
        # Past the first frame, when a paused collector would have been turned back on.
        await settle(pilot, lambda: home_loaded(app))
        assert not gc.isenabled()


def test_the_collector_is_back_on_when_the_app_cannot_start(
    tmp_path: Path, surveys_dir: Path, collector_restored: None
) -> None:
    assert main(["--data", str(tmp_path / "data"), "--surveys", str(surveys_dir), "--as", "nobody"]) == 1
    assert gc.isenabled()


async def test_home_is_the_bottom_screen_and_h_comes_back_to_it(demo_workspace: Workspace) -> None:
    app = CoptuiApp(demo_workspace, demo_workspace.member("ada"))
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        assert len(app.screen_stack) == 1
        await pilot.press("t")
        await settle(pilot, until=lambda: len(app.screen_stack) == 2)
        await pilot.press("h")
        await settle(pilot, until=lambda: len(app.screen_stack) == 1 and isinstance(app.screen, HomeScreen))


def test_definitions_load_once_on_first_use_from_many_threads(data_dir: Path, surveys_dir: Path) -> None:
    workspace = Workspace.open(data_dir, surveys_dir)
    assert workspace._definitions is None  # opening needs none: the first screen shows the community
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(workspace.definitions)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(seen) == 8 and all(item is seen[0] for item in seen)
    assert workspace.definitions.get("cop-pulse") is not None


# Runs `coptui --data D --surveys S --as ada` headless and notes every import of pydantic:
# in which thread, and whether the app had drawn its first frame yet (the app resumes the
# paused collector right after it). The app quits at its first frame.
START_PROBE = """
import json, sys, threading

events = []
state = {"drawn": False}

class NoteImports:
    def find_spec(self, name, path=None, target=None):
        if name == "pydantic":
            events.append({"main_thread": threading.current_thread() is threading.main_thread(), "drawn": state["drawn"]})
        return None

sys.meta_path.insert(0, NoteImports())

from coptui.tui.app import CoptuiApp

resume, run = CoptuiApp._resume_collector, CoptuiApp.run

def first_frame(self):
    if not state["drawn"]:
        state["drawn"] = True
        self.exit()
    resume(self)

CoptuiApp._resume_collector = first_frame
CoptuiApp.run = lambda self, **kwargs: run(self, headless=True, **kwargs)

from coptui.cli.main import main

code = main(sys.argv[1:])
print(json.dumps({"code": code, "drawn": state["drawn"], "events": events}))
"""


def start_and_note_pydantic(data_dir: Path, surveys_dir: Path) -> dict:
    command = [sys.executable, "-c", START_PROBE, "--data", str(data_dir), "--surveys", str(surveys_dir), "--as", "ada"]
    result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_start_with_a_warm_cache_imports_no_pydantic_before_its_first_frame(
    data_dir: Path, surveys_dir: Path
) -> None:
    Workspace.open(data_dir, surveys_dir)  # validates community.toml and caches it
    seen = start_and_note_pydantic(data_dir, surveys_dir)
    assert seen["code"] == 0 and seen["drawn"]
    assert [e for e in seen["events"] if not e["drawn"]] == []


def test_the_start_probe_notices_pydantic_when_the_cache_is_cold(data_dir: Path, surveys_dir: Path) -> None:
    # The check above can fail: without a cache, community.toml is validated before the app starts.
    Workspace.open(data_dir, surveys_dir)
    cache_path(data_dir).unlink()
    seen = start_and_note_pydantic(data_dir, surveys_dir)
    assert seen["code"] == 0 and seen["drawn"]
    assert {"main_thread": True, "drawn": False} in seen["events"]
