"""Typing never runs a shortcut: on every screen that shows a text field, letters typed while no
field has the focus do nothing harmful (no navigation, no dialog, no quit), and Tab reaches the
fields. Also: keys pressed while the app is closing do not end in a traceback."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, OptionList, TextArea

from coptui.core import feedback as fb
from coptui.core import retro
from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.dialogs import OpenRunDialog
from coptui.tui.screens.facilitator import FacilitatorScreen
from coptui.tui.screens.feedback import FeedbackScreen
from coptui.tui.screens.feedback_round import StartRoundScreen
from coptui.tui.screens.retro import RetroScreen
from coptui.tui.screens.survey import SurveyScreen
from tests.support.keys import post_keys
from tests.support.waits import DEFAULT_TIMEOUT, home_loaded, no_workers, settle

SIZE = (100, 32)
DAY = date(2026, 11, 2)
# Every app binding and every screen binding bound to a letter, and the sentence of the report.
LETTERS = "qhtfioc?ynasdxmuve"
SENTENCE = "At the Terraform meetup on Nov 20"

NOTES_ONLY = """
id = "notes-only"
kind = "survey"
title = "Notes only"
anonymous = false

[[questions]]
id = "notes"
type = "text"
text = "Anything else?"
"""


def text_fields(screen: Screen[Any]) -> list[Input | TextArea]:
    return [w for w in screen.query("Input, TextArea") if isinstance(w, (Input, TextArea))]


async def type_off_field(pilot: Pilot[Any], keys: str) -> None:
    """Type ``keys`` with no text field focused, one at a time, each one handled."""
    app = pilot.app
    for key in keys:
        if isinstance(app.focused, (Input, TextArea)):
            app.screen.set_focus(None)
        await pilot.press(key)
        await settle(pilot, no_workers(app))


async def assert_nothing_moved(pilot: Pilot[Any], screen: Screen[Any], keys: str = LETTERS) -> None:
    stack = list(pilot.app.screen_stack)
    await type_off_field(pilot, keys)
    await settle(pilot, no_workers(pilot.app))
    assert pilot.app.is_running
    assert pilot.app.screen is screen
    assert list(pilot.app.screen_stack) == stack


def rotation_round(workspace: Workspace) -> str:
    return fb.start_round(workspace, "peer-sbi", "ada", "rotation", 3, seed=3, today=DAY).id


def giving(app: CoptuiApp) -> bool:
    screen = app.screen
    return isinstance(screen, FeedbackScreen) and screen.view is not None and not app.workers


async def open_feedback(pilot: Pilot[Any], run_id: str) -> FeedbackScreen:
    app = pilot.app
    assert isinstance(app, CoptuiApp)
    await settle(pilot, lambda: home_loaded(app))
    app.open_run(run_id)
    await settle(pilot, lambda: giving(app) and bool(text_fields(app.screen)))
    screen = app.screen
    assert isinstance(screen, FeedbackScreen)
    return screen


async def test_tab_from_the_recipients_lands_in_the_first_field(workspace: Workspace) -> None:
    run_id = rotation_round(workspace)
    app = CoptuiApp(workspace, workspace.member("ada"))  # a facilitator: every binding is live
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feedback(pilot, run_id)
        screen.query_one("#recipients", OptionList).focus()
        await pilot.press("tab")
        await settle(pilot, lambda: isinstance(app.focused, TextArea))
        assert isinstance(app.focused, TextArea) and app.focused.name == "situation"
        await pilot.press(*SENTENCE)
        await settle(pilot, lambda: isinstance(app.focused, TextArea) and app.focused.text == SENTENCE)
        assert app.screen is screen and len(app.screen_stack) == 2


async def test_after_a_send_the_focus_is_in_the_next_recipients_first_field(workspace: Workspace) -> None:
    run_id = rotation_round(workspace)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feedback(pilot, run_id)
        options = screen.query_one("#recipients", OptionList)
        for area in screen.query("#fields .field-text").results(TextArea):
            area.load_text(f"some {area.name}")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: options.highlighted == 1 and giving(app) and isinstance(app.focused, TextArea))
        assert isinstance(app.focused, TextArea) and app.focused.name == "situation" and app.focused.text == ""
        await pilot.press(*"Next one")
        await settle(pilot, lambda: isinstance(app.focused, TextArea) and app.focused.text == "Next one")
        assert app.screen is screen


async def test_letters_off_the_fields_of_the_feedback_form_do_nothing(workspace: Workspace) -> None:
    run_id = rotation_round(workspace)
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feedback(pilot, run_id)
        screen.query_one("#recipients", OptionList).focus()
        await assert_nothing_moved(pilot, screen)
        screen.query_one("#submit", Button).focus()
        await assert_nothing_moved(pilot, screen)


async def test_letters_off_a_survey_text_answer_do_nothing(workspace: Workspace, surveys_dir: Path) -> None:
    (surveys_dir / "notes-only.toml").write_text(NOTES_ONLY, encoding="utf-8")
    workspace = Workspace.open(workspace.data_dir, surveys_dir)
    run_id = workspace.runs.open_run("notes-only", by="ada").id
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        app.open_run(run_id)
        await settle(pilot, lambda: isinstance(app.screen, SurveyScreen) and app.screen.page == "intro")
        await pilot.press("pagedown")
        await settle(pilot, lambda: bool(text_fields(app.screen)) and not app.workers)
        screen = app.screen
        await assert_nothing_moved(pilot, screen)


async def test_letters_off_the_open_run_dialog_field_do_nothing(workspace: Workspace) -> None:
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        await pilot.press("f")
        await settle(pilot, lambda: isinstance(app.screen, FacilitatorScreen) and not app.workers)
        table = app.screen.query_one("#definitions", DataTable)
        table.focus()
        table.move_cursor(row=table.get_row_index("health-check"))
        await pilot.press("o")
        await settle(pilot, lambda: isinstance(app.screen, OpenRunDialog))
        dialog = app.screen
        dialog.query_one("#cancel", Button).focus()
        await assert_nothing_moved(pilot, dialog)


async def test_letters_off_the_start_round_dialog_fields_do_nothing(workspace: Workspace) -> None:
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        app.push_screen(StartRoundScreen("peer-sbi"))
        await settle(pilot, lambda: isinstance(app.screen, StartRoundScreen) and not app.workers)
        dialog = app.screen
        assert text_fields(dialog)
        await assert_nothing_moved(pilot, dialog)


async def test_letters_off_the_retro_composer_do_nothing(workspace: Workspace) -> None:
    run_id = workspace.runs.open_run("start-stop-continue", by="ada").id
    retro.advance(workspace, run_id, "ada", to="write")
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        app.open_run(run_id)
        await settle(pilot, lambda: isinstance(app.screen, RetroScreen) and app.screen.board is not None)
        screen = app.screen
        assert isinstance(screen, RetroScreen)
        phase = screen.board.phase if screen.board else None
        await pilot.press("a")
        await settle(pilot, lambda: screen.composer_mode is not None and isinstance(app.focused, Input))
        # The composer is open; the focus is taken off it (a click elsewhere does that).
        await assert_nothing_moved(pilot, screen, "nnsdxv")
        assert screen.board is not None and screen.board.phase == phase
        assert screen.composer_mode is not None


@pytest.mark.parametrize("follow", ["t", "f", "i", "?"])
async def test_keys_typed_after_quit_end_cleanly(workspace: Workspace, follow: str) -> None:
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        # One read of the terminal: the quit and the keys after it are queued together.
        post_keys(app, "q", follow, follow)
        # The app is ending: the pilot can no longer wait on it, the loop can.
        deadline = time.monotonic() + DEFAULT_TIMEOUT
        while app.is_running and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert not app.is_running
    # run_test raises the error an app ended with; it also ended with no screen pushed.
    assert app.return_code == 0
    assert len(app.screen_stack) <= 1
