"""Unsent text on the retro board is kept: the composer's text is stored as the member's
draft while they pause and when their session ends (a dropped connection ends the app as
``App.exit`` does), and it is back in the composer when they open the board again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from textual.pilot import Pilot
from textual.widgets import Input

from coptui.core import retro
from coptui.core.retro import ComposerDraft
from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.retro import RetroScreen
from coptui.tui.typed_ahead import ComposerInput
from coptui.tui.widgets.action_dialog import ActionDialog
from tests.support.keys import post_keys
from tests.support.waits import home_loaded, settle

SIZE = (100, 32)


def _stored(workspace: Workspace, run_id: str, handle: str) -> ComposerDraft | None:
    return retro.draft_in(workspace.store, run_id, handle)


def _on_board(app: CoptuiApp, phase: str) -> bool:
    """The board is drawn in ``phase`` (under a dialog it opened, maybe)."""
    return any(
        isinstance(screen, RetroScreen) and screen.board is not None and screen.board.phase == phase
        for screen in app.screen_stack
    )


def _composer(app: CoptuiApp) -> ComposerInput:
    return app.screen.query_one("#composer-input", ComposerInput)


@asynccontextmanager
async def _board(workspace: Workspace, handle: str, run_id: str, phase: str) -> AsyncIterator[tuple[CoptuiApp, Pilot]]:
    app = CoptuiApp(workspace, workspace.member(handle))
    async with app.run_test(size=SIZE) as pilot:
        await settle([pilot], lambda: home_loaded(app))
        app.call_later(app.open_run, run_id)
        await settle([pilot], lambda: _on_board(app, phase) and not app.workers)
        yield app, pilot


def _write_phase(workspace: Workspace) -> str:
    run_id = workspace.runs.open_run("start-stop-continue", by="ada").id
    retro.advance(workspace, run_id, "ada", to="write")
    return run_id


async def test_a_card_typed_and_not_sent_is_kept_when_the_session_ends_and_comes_back(workspace: Workspace) -> None:
    run_id = _write_phase(workspace)
    async with _board(workspace, "chen", run_id, "write") as (app, pilot):
        post_keys(app, "right", "a", *"half a thought")
        await settle([pilot], lambda: _composer(app).value == "half a thought")
        app.exit()  # what a dropped connection or a server stop does to the member's app
    assert _stored(workspace, run_id, "chen") == ComposerDraft("card", "stop", "half a thought")
    assert retro.board_for(workspace, run_id, "chen").my_cards == ()
    assert retro.draft_in(workspace.store, run_id, "ada") is None

    async with _board(workspace, "chen", run_id, "write") as (app, pilot):
        await settle([pilot], lambda: _composer(app).purpose == ("card", "stop"))
        assert _composer(app).value == "half a thought" and app.focused is _composer(app)
        post_keys(app, *", finished", "enter")
        await settle([pilot], lambda: [c.text for c in retro.board_for(workspace, run_id, "chen").my_cards] != [])
        await settle([pilot], lambda: _stored(workspace, run_id, "chen") is None)
        board = retro.board_for(workspace, run_id, "chen")
        assert [(c.column, c.text) for c in board.my_cards] == [("stop", "half a thought, finished")]


async def test_a_pause_in_typing_stores_the_draft_while_the_session_goes_on(workspace: Workspace) -> None:
    run_id = _write_phase(workspace)
    async with _board(workspace, "chen", run_id, "write") as (app, pilot):
        post_keys(app, "a", *"typed, then a pause")
        await settle([pilot], lambda: _stored(workspace, run_id, "chen") is not None)
        assert _stored(workspace, run_id, "chen") == ComposerDraft("card", "start", "typed, then a pause")
        post_keys(app, "escape")  # Esc gives the text up: nothing is kept
        await settle([pilot], lambda: _stored(workspace, run_id, "chen") is None)
        assert _composer(app).purpose is None


async def test_an_edit_and_a_theme_name_are_kept_too(workspace: Workspace) -> None:
    run_id = _write_phase(workspace)
    card_id = retro.add_card(workspace, run_id, "chen", "start", "first words")
    async with _board(workspace, "chen", run_id, "write") as (app, pilot):
        screen = app.screen
        assert isinstance(screen, RetroScreen) and screen.board is not None
        assert [c.text for c in screen.board.my_cards] == ["first words"]
        post_keys(app, "down", "e")
        await settle([pilot], lambda: _composer(app).purpose == ("edit", card_id))
        post_keys(app, "end", *" and more")  # the card's text opens selected: typing would replace it
        await settle([pilot], lambda: _composer(app).value == "first words and more")
        app.exit()
    assert _stored(workspace, run_id, "chen") == ComposerDraft("edit", card_id, "first words and more")
    async with _board(workspace, "chen", run_id, "write") as (app, pilot):
        await settle([pilot], lambda: _composer(app).purpose == ("edit", card_id))
        assert _composer(app).value == "first words and more"

    retro.next_phase(workspace, run_id, "ada")  # reveal
    retro.next_phase(workspace, run_id, "ada")  # group
    theme = retro.board_for(workspace, run_id, "chen").themes[0]
    assert _stored(workspace, run_id, "chen") is None  # the phase moved on: the edit's draft went with it
    async with _board(workspace, "chen", run_id, "group") as (app, pilot):
        assert _composer(app).purpose is None
        screen = app.screen
        assert isinstance(screen, RetroScreen)
        screen.action_name_theme()
        await settle([pilot], lambda: _composer(app).purpose == ("name", theme.id))
        post_keys(app, *"Naming")
        await settle([pilot], lambda: _composer(app).value == "Naming")
        app.exit()
    assert _stored(workspace, run_id, "chen") == ComposerDraft("name", theme.id, "Naming")


async def test_a_draft_is_dropped_when_the_retro_moves_on(workspace: Workspace) -> None:
    run_id = _write_phase(workspace)
    async with _board(workspace, "chen", run_id, "write") as (app, pilot):
        post_keys(app, "a", *"too late")
        await settle([pilot], lambda: _composer(app).value == "too late")
        app.exit()
    assert _stored(workspace, run_id, "chen") is not None
    retro.next_phase(workspace, run_id, "ada")
    assert _stored(workspace, run_id, "chen") is None
    async with _board(workspace, "chen", run_id, "reveal") as (app, _pilot):
        assert _composer(app).purpose is None


async def test_a_new_action_not_saved_is_kept_and_comes_back_in_its_dialog(workspace: Workspace) -> None:
    run_id = _write_phase(workspace)
    retro.advance(workspace, run_id, "ada", to="actions")
    async with _board(workspace, "chen", run_id, "actions") as (app, pilot):
        post_keys(app, "a")
        await settle([pilot], lambda: isinstance(app.screen, ActionDialog))
        post_keys(app, *"Book the room")
        await settle([pilot], lambda: app.screen.query_one("#action-text", Input).value == "Book the room")
        app.exit()
    assert _stored(workspace, run_id, "chen") == ComposerDraft("action", "chen", "Book the room", "+14")
    async with _board(workspace, "chen", run_id, "actions") as (app, pilot):
        await settle([pilot], lambda: isinstance(app.screen, ActionDialog))
        assert app.screen.query_one("#action-text", Input).value == "Book the room"
        post_keys(app, "enter")
        await settle([pilot], lambda: _stored(workspace, run_id, "chen") is None and not app.workers)
    assert [a.text for a in retro.list_actions(workspace)] == ["Book the room"]
