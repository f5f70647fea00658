"""The warning that the data folder was open to other users reaches the TUI as a notification."""

from __future__ import annotations

import os
from pathlib import Path

from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from tests.support.surveys import open_every_type
from tests.support.waits import home_loaded, settle


async def test_the_tightening_warning_is_a_notification(surveys_dir: Path, data_dir: Path) -> None:
    open_every_type(surveys_dir, data_dir)
    for path in [data_dir, *data_dir.rglob("*")]:  # as an older coptui left it
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    workspace = Workspace.open(data_dir, surveys_dir)
    (warning,) = [str(p) for p in workspace.store.problems]
    assert "was open to other users" in warning
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot, lambda: home_loaded(app) and any(warning == str(n.message) for n in app._notifications))
