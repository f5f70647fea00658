"""A damaged run file met by the home screen: the other runs are shown, and a notification names it."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from tests.support.waits import home_loaded, settle

OPEN_SURVEY = "cop-pulse-2026-11-02"


async def test_a_damaged_open_run_leaves_home_showing_the_rest_and_says_so(
    demo_data_dir: Path, surveys_dir: Path
) -> None:
    path = demo_data_dir / "runs" / f"{OPEN_SURVEY}.json"
    path.write_bytes(path.read_bytes()[:100])  # cut short, as by a full disk under another tool
    workspace = Workspace.open(demo_data_dir, surveys_dir)
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=(100, 32)) as pilot:
        # Found by the home screen's worker, after the problems of the start were shown.
        await settle(
            pilot, until=lambda: home_loaded(app) and any(str(path) in str(n.message) for n in app._notifications)
        )
        open_runs = app.screen.query_one("#open-runs", DataTable)
        keys = {str(key.value) for key in open_runs.rows}
        assert OPEN_SURVEY not in keys
        assert any(key.startswith("peer-sbi-") for key in keys)  # the other open run is still there
        notes = [n for n in app._notifications if str(path) in str(n.message)]
        assert len(notes) == 1 and "not valid JSON" in str(notes[0].message)
