"""The app with hostile definition files beside good ones, and a text answer at its limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TextArea

from coptui.core.answers import MAX_TEXT_ANSWER
from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.survey import SurveyScreen
from tests.support.keys import post_keys
from tests.support.surveys import full_answers, open_every_type
from tests.support.waits import home_loaded, settle

SIZE = (100, 32)


async def test_home_lists_the_good_runs_and_names_the_deep_file(surveys_dir: Path, data_dir: Path) -> None:
    workspace = Workspace.open(data_dir, surveys_dir)
    run = workspace.runs.open_run("cop-pulse", by="ada")
    deep = surveys_dir / "deep.toml"
    deep.write_text("x = " + "[" * 3_000 + "]" * 3_000 + "\n", encoding="utf-8")
    # A new workspace, as a start would open: its definitions are read with the deep file there.
    workspace = Workspace.open(data_dir, surveys_dir)
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        assert run.id in {str(key.value) for key in app.screen.query_one("#open-runs", DataTable).rows}
        await settle(pilot, lambda: any(str(deep) in str(n.message) for n in app._notifications))
        [notice] = [str(n.message) for n in app._notifications if str(deep) in str(n.message)]
        assert notice == f"{deep}: is nested more than 32 levels deep; no definition needs more than a few"


def hint(screen: SurveyScreen) -> str:
    return str(screen.query_one("#text-hint", Static).content)


async def open_notes(pilot: Pilot[Any], run_id: str) -> tuple[SurveyScreen, TextArea]:
    app = pilot.app
    assert isinstance(app, CoptuiApp)
    await settle(pilot, lambda: home_loaded(app))
    app.open_run(run_id)
    await settle(
        pilot,
        lambda: (
            isinstance(app.screen, SurveyScreen)
            and app.screen.current is not None
            and app.screen.current.id == "notes"
            and not app.workers
        ),
    )
    screen = app.screen
    assert isinstance(screen, SurveyScreen)
    area = screen.query_one(TextArea)
    area.focus()
    return screen, area


async def test_the_text_field_stops_at_the_length_of_an_answer(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "gus", full_answers(notes=None), position=7)
    app = CoptuiApp(workspace, workspace.member("gus"))
    async with app.run_test(size=SIZE) as pilot:
        screen, area = await open_notes(pilot, run.id)
        assert hint(screen) == "Enter starts a new line; PgDn goes on."
        # Near the limit the hint counts; a paste longer than the room left is cut to fit.
        post_keys(app, events.Paste("a" * 9_500))
        await settle(pilot, lambda: len(area.text) == 9_500)
        assert hint(screen) == "Enter starts a new line; PgDn goes on. 9,500 of 10,000 characters."
        post_keys(app, events.Paste("b" * 2_000))
        await settle(pilot, lambda: len(area.text) == MAX_TEXT_ANSWER)
        assert area.text == "a" * 9_500 + "b" * 500
        at_limit = "10,000 of 10,000 characters: an answer holds no more, so typing stops here."
        await settle(pilot, lambda: hint(screen) == at_limit)
        # At the limit a key types nothing, and the answer kept is what the field shows.
        post_keys(app, "c", "enter", events.Paste("more"))
        await settle(pilot, lambda: screen.answers.get("notes") == area.text)
        assert len(area.text) == MAX_TEXT_ANSWER and "c" not in area.text and "\n" not in area.text
        # Deleting makes room again; typing over a selection counts what it replaces.
        await pilot.press("backspace")
        await settle(pilot, lambda: len(area.text) == MAX_TEXT_ANSWER - 1)
        area.select_all()
        post_keys(app, events.Paste("short"))
        await settle(pilot, lambda: area.text == "short" and hint(screen) == "Enter starts a new line; PgDn goes on.")
