"""The data folder in the TUI: the warning that it was open to other users is a notification,
and a folder that cannot be written is one line where the member is, not a silent failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coptui.core.workspace import Workspace
from coptui.store.errors import FolderNotWritableError
from coptui.tui.app import CoptuiApp
from tests.support.surveys import full_answers, open_every_type
from tests.support.waits import home_loaded, settle
from tests.tui.test_survey_screen import SIZE, message, open_survey, press


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


async def test_a_submit_to_a_folder_that_cannot_be_written_says_so_on_the_review_page(
    surveys_dir: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "chen", full_answers(), position=8)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert screen.page == "review"

        def locked() -> None:
            raise FolderNotWritableError(data_dir, "Permission denied")

        monkeypatch.setattr(workspace.store, "locked", locked)  # as if the folder turned read-only
        await press(
            pilot,
            "ctrl+s",
            until=lambda: screen.page == "review" and f"cannot write to {data_dir}" in message(screen),
        )
    monkeypatch.undo()
    assert workspace.runs.status_for(run, "chen").status == "draft"  # nothing lost: the draft stays
