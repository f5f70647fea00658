"""The retro screen: several members' apps share ONE workspace (as in `coptui serve`) and run a whole retro by keys.

Each assertion reads what a member's terminal shows (the rendered screen as text) and
what is stored; hidden cards of others must never be on another member's screen.
"""

from __future__ import annotations

import io
import random
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from textual._context import active_app
from textual.pilot import Pilot
from textual.widgets import Select

import coptui.tui.app
from coptui.core import retro
from coptui.core.workspace import Workspace
from coptui.exports.retro import export_markdown as export_retro_markdown
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.retro import RetroScreen
from coptui.tui.widgets.action_dialog import ActionDialog
from tests.support.keys import post_keys
from tests.support.waits import home_loaded, settle

SIZE = (100, 32)
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
CHEN_SECRET = "chen-secret"


def screen_text(app: CoptuiApp) -> str:
    """What the member's terminal shows right now, as plain text."""
    # Widgets find their app through a context variable: the test task has to name this app,
    # or every app would draw as the one whose run_test started last.
    token = active_app.set(app)
    try:
        width, height = app.size
        console = Console(
            width=width, height=height, file=io.StringIO(), force_terminal=True, record=True, legacy_windows=False
        )
        console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
        return console.export_text()
    finally:
        active_app.reset(token)


def board_of(app: CoptuiApp) -> retro.RetroBoard | None:
    screen = app.screen
    return screen.board if isinstance(screen, RetroScreen) else None


def phase_is(app: CoptuiApp, phase: str) -> Callable[[], bool]:
    """The app shows the board in ``phase``, with nothing left loading or drawing."""
    return lambda: (board := board_of(app)) is not None and board.phase == phase and not app.workers


def all_in(apps: list[CoptuiApp], phase: str) -> Callable[[], bool]:
    return lambda: all(phase_is(app, phase)() for app in apps)


@asynccontextmanager
async def on_the_board(
    workspace: Workspace, handle: str, run_id: str, phase: str
) -> AsyncIterator[tuple[CoptuiApp, Pilot]]:
    """``handle``'s app, opened on the retro ``run_id`` in ``phase``."""
    app = CoptuiApp(workspace, workspace.member(handle))
    async with app.run_test(size=SIZE) as pilot:
        await settle([pilot], lambda: home_loaded(app))
        app.call_later(app.open_run, run_id)
        await settle([pilot], phase_is(app, phase))
        yield app, pilot


async def type_text(pilot: Pilot, text: str) -> None:
    await pilot.press(*text)


async def test_a_whole_retro_by_keys_across_three_members(workspace: Workspace) -> None:
    run_id = workspace.runs.open_run("start-stop-continue", by="ada").id
    earlier = workspace.runs.open_run("4ls", by="ada").id
    retro.advance(workspace, earlier, "ada", to="actions")
    old_action = retro.add_action(workspace, earlier, "ada", "Old action to review", "chen", None)
    retro.advance(workspace, earlier, "ada", to="close")
    retro.finish_retro(workspace, earlier, "ada")

    ada_app = CoptuiApp(workspace, workspace.member("ada"))
    chen_app = CoptuiApp(workspace, workspace.member("chen"))
    dana_app = CoptuiApp(workspace, workspace.member("dana"))
    apps = [ada_app, chen_app, dana_app]
    async with AsyncExitStack() as stack:
        ada, chen, dana = [await stack.enter_async_context(app.run_test(size=SIZE)) for app in apps]
        pilots = [ada, chen, dana]
        await settle(pilots, lambda: all(home_loaded(app) for app in apps))
        for app in apps:
            app.call_later(app.open_run, run_id)
        await settle(pilots, all_in(apps, "review"))

        # Review: the old action is listed for everyone; its owner marks it done.
        assert all("Old action to review" in screen_text(app) for app in apps)
        assert "Next phase" in screen_text(ada_app) and "Next phase" not in screen_text(chen_app)
        await chen.press("d")
        await settle(pilots, lambda: "✓ Old action to review" in screen_text(dana_app))
        assert retro.list_actions(workspace, source_run=earlier)[0].status == "done"
        assert old_action

        # Write: each member sees only their own cards.
        await chen.press("n")  # not a facilitator: nothing happens
        await ada.press("n")
        await settle(pilots, all_in(apps, "write"))
        await chen.press("right", "a")
        await type_text(chen, CHEN_SECRET)
        await chen.press("enter", "escape")
        await dana.press("right", "a")
        await type_text(dana, "dana-card [b]x[/b]")
        await dana.press("enter", "escape")
        await ada.press("a")
        await type_text(ada, "Pair")
        await ada.press("enter", "escape")
        await settle(pilots, lambda: all(b is not None and b.hidden_cards == 2 for b in map(board_of, apps)))
        chen_view, dana_view, ada_view = screen_text(chen_app), screen_text(dana_app), screen_text(ada_app)
        assert CHEN_SECRET in chen_view and "dana-card" not in chen_view
        assert "dana-card [b]x[/b]" in dana_view and CHEN_SECRET not in dana_view  # markup shown literally
        assert CHEN_SECRET not in ada_view and "dana-card" not in ada_view and "Pair" in ada_view
        assert "Others have written 2 cards" in ada_view
        assert (
            "n Reveal" in ada_view.splitlines()[-1] and "Reveal" not in chen_view.splitlines()[-1]
        )  # facilitator keys

        # A member who reconnects finds the same phase and their own unrevealed card.
        again = CoptuiApp(workspace, workspace.member("chen"))
        async with again.run_test(size=SIZE) as pilot:
            await settle([pilot], lambda: home_loaded(again))
            again.call_later(again.open_run, run_id)
            await settle([pilot], phase_is(again, "write"))
            assert CHEN_SECRET in screen_text(again) and "dana-card" not in screen_text(again)

        # Reveal: everyone sees every card; then group the two "stop" cards by keys and name the theme.
        await ada.press("n")
        await settle(pilots, all_in(apps, "reveal"))
        assert all(CHEN_SECRET in screen_text(app) and "dana-card" in screen_text(app) for app in apps)
        assert "Chen" in screen_text(dana_app)  # this template names authors (the secret is lower case)
        await ada.press("n")
        await settle(pilots, all_in(apps, "group"))
        await ada.press("right", "m", "down", "m")
        await settle(pilots, lambda: len(board_of(chen_app).themes) == 2)  # type: ignore[union-attr]
        await ada.press("e")
        await type_text(ada, "Slow")
        await ada.press("enter")
        await settle(pilots, lambda: "Slow" in screen_text(dana_app))
        merged = next(t for t in board_of(dana_app).themes if t.name)  # type: ignore[union-attr]
        assert merged.name == "Slow" and len(merged.cards) == 2

        # Vote: limits and remaining votes shown; others' votes hidden until the vote ends.
        await ada.press("n")
        await settle(pilots, all_in(apps, "vote"))
        await chen.press("v", "v")  # chen and dana are still on the column they wrote in: stop
        await dana.press("v")
        await settle(pilots, lambda: board_of(chen_app).votes_left == 1 and board_of(dana_app).votes_left == 2)  # type: ignore[union-attr]
        assert "Votes left: 1/3" in screen_text(chen_app)
        assert "▲" not in screen_text(dana_app) and "3 votes" not in screen_text(ada_app)
        await chen.press("v", "v")  # the fourth vote is refused
        await settle(pilots, lambda: board_of(chen_app).votes_left == 0 and not any(app.workers for app in apps))  # type: ignore[union-attr]
        assert sum(workspace.store.read_run(run_id).get(retro.VOTES, "chen")["themes"].values()) == 3  # type: ignore[index]

        # Discuss: themes by votes, a countdown the facilitator extends.
        await ada.press("n")
        await settle(pilots, all_in(apps, "discuss"))
        assert all("Now discussing" in screen_text(app) and "▲ 4 votes" in screen_text(app) for app in apps)
        assert board_of(dana_app).discuss_theme == merged.id  # type: ignore[union-attr]
        before = board_of(ada_app).timer_deadline  # type: ignore[union-attr]
        await ada.press("plus")
        await settle(pilots, lambda: board_of(dana_app).timer_deadline != before)  # type: ignore[union-attr]
        assert board_of(dana_app).timer_deadline >= before + timedelta(minutes=1)  # type: ignore[union-attr, operator]

        # Actions: the dialog takes text, owner (chen) and due date.
        await ada.press("n")
        await settle(pilots, all_in(apps, "actions"))
        await ada.press("a")
        await settle(
            [ada],
            lambda: (
                isinstance(ada_app.screen, ActionDialog) and ada_app.focused is ada_app.screen.query_one("#action-text")
            ),
        )
        await type_text(ada, "Timebox")
        await ada.press("tab", "enter")  # the owner list opens
        await settle([ada], lambda: ada_app.screen.query_one("#action-owner", Select).expanded)
        await ada.press("down", "down", "enter", "tab", "enter")
        await settle(pilots, lambda: "Timebox" in screen_text(chen_app))
        [action] = retro.list_actions(workspace, source_run=run_id)
        assert (action.text, action.owner, action.status) == ("Timebox", "chen", "open")

        # Close: anonymous ROTI, then the facilitator finishes the retro.
        await ada.press("n")
        await settle(pilots, all_in(apps, "close"))
        await chen.press("4")
        await dana.press("5")
        await settle(pilots, lambda: board_of(ada_app).roti_count == 2)  # type: ignore[union-attr]
        assert "your ROTI is in" in screen_text(chen_app)
        assert all(set(r) == {"score"} for r in workspace.store.read_run(run_id).all(retro.ROTI).values())
        await ada.press("n")  # the facilitator is asked first
        await settle([ada], lambda: not isinstance(ada_app.screen, RetroScreen))
        await ada.press("y")
        await settle(pilots, lambda: all(b is not None and not b.is_open for b in map(board_of, apps)))
        assert all(
            "Closed on" in screen_text(app) and "2 answers: a mean and a spread are shown from 3" in screen_text(app)
            for app in apps
        )
        assert not workspace.runs.get(run_id).is_open

        # Chen's home lists the action chen owns.
        await chen.press("escape")
        await settle(pilots, lambda: "Timebox" in screen_text(chen_app))
        assert "Your actions" in screen_text(chen_app)
    markdown = export_retro_markdown(workspace, run_id)
    assert "**Slow** (4 votes)" in markdown and "| Timebox | Chen Wei |" in markdown


async def test_anonymous_cards_show_no_author_on_any_screen(workspace: Workspace) -> None:
    run_id = workspace.runs.open_run("mad-sad-glad", by="ada").id
    retro.advance(workspace, run_id, "ada", to="write")
    retro.add_card(workspace, run_id, "chen", "mad", "Flaky pipelines")
    retro.advance(workspace, run_id, "ada", to="reveal")
    async with on_the_board(workspace, "dana", run_id, "reveal") as (app, _pilot):
        text = screen_text(app)
        assert "Flaky pipelines" in text and "Chen" not in text


async def test_home_lists_open_actions_and_marks_them_done(workspace: Workspace) -> None:
    run_id = workspace.runs.open_run("start-stop-continue", by="ada").id
    retro.advance(workspace, run_id, "ada", to="actions")
    retro.add_action(workspace, run_id, "ada", "Write the [b]runbook[/b]", "chen", None)
    retro.add_action(workspace, run_id, "ada", "Not chen's", "dana", None)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        await settle([pilot], lambda: "runbook" in screen_text(app))
        text = screen_text(app)
        assert "Write the [b]runbook[/b]" in text and "Not chen's" not in text
        app.screen.query_one("#actions-table").focus()
        await pilot.press("d")
        await settle([pilot], lambda: "No open actions" in screen_text(app))
    assert [a.status for a in retro.list_actions(workspace, source_run=run_id) if a.owner == "chen"] == ["done"]


# -- snapshots ------------------------------------------------------------------------------------


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Countdowns and card ids the same on every run, so the pictures are too."""
    monkeypatch.setattr("coptui.tui.widgets.countdown.current_time", lambda: NOW + timedelta(minutes=2, seconds=30))
    ids = random.Random(7)
    # Every uuid4 of the test, card ids among them (the core calls uuid.uuid4 where it makes one).
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=ids.getrandbits(128), version=4))


def _snapshot_app(workspace: Workspace, handle: str, run_id: str) -> CoptuiApp:
    class OpenOnStart(CoptuiApp):
        CSS_PATH = str(Path(coptui.tui.app.__file__).with_name("app.tcss"))  # relative paths resolve from this file

        def on_mount(self) -> None:
            super().on_mount()
            self.call_later(self.open_run, run_id)

    return OpenOnStart(workspace, workspace.member(handle))


def _snapshot_wait(app_phase: str) -> Callable[[Pilot], object]:
    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, CoptuiApp)
        await settle([pilot], phase_is(app, app_phase))

    return run_before


def test_snapshot_write_phase(snap_compare: Callable[..., bool], workspace: Workspace, fixed_clock: None) -> None:
    run_id = workspace.runs.open_run("start-stop-continue", by="ada").id
    retro.advance(workspace, run_id, "ada", to="write", now=NOW)
    retro.add_card(workspace, run_id, "chen", "start", "Pair with product teams on upgrades")
    retro.add_card(workspace, run_id, "chen", "stop", "Meetups overrunning [red]every[/] time")
    retro.add_card(workspace, run_id, "dana", "stop", "dana's hidden card")
    app = _snapshot_app(workspace, "chen", run_id)
    assert snap_compare(app, terminal_size=SIZE, run_before=_snapshot_wait("write"))


def test_snapshot_vote_phase(snap_compare: Callable[..., bool], workspace: Workspace, fixed_clock: None) -> None:
    run_id = workspace.runs.open_run("start-stop-continue", by="ada").id
    retro.advance(workspace, run_id, "ada", to="write", now=NOW)
    for handle, column, text in (
        ("chen", "start", "Pair with product teams"),
        ("dana", "start", "A public platform roadmap"),
        ("emeka", "stop", "Meetups overrun"),
        ("farah", "stop", "Status updates take too long"),
        ("gus", "continue", "Office hours"),
    ):
        retro.add_card(workspace, run_id, handle, column, text)
    retro.advance(workspace, run_id, "ada", to="group", now=NOW)
    board = retro.board_for(workspace, run_id, "ada")
    stop = [t.id for t in board.themes if t.column == "stop"]
    retro.merge_themes(workspace, run_id, "ada", stop[1], stop[0])
    retro.name_theme(workspace, run_id, "ada", stop[0], "Meetings run long")
    retro.advance(workspace, run_id, "ada", to="vote", now=NOW)
    retro.vote(workspace, run_id, "chen", stop[0])
    retro.vote(workspace, run_id, "chen", stop[0])
    retro.vote(workspace, run_id, "dana", stop[0])
    app = _snapshot_app(workspace, "chen", run_id)
    assert snap_compare(app, terminal_size=SIZE, run_before=_snapshot_wait("vote"))


async def test_keys_typed_after_a_column_move_in_one_burst_act_on_the_new_column(workspace: Workspace) -> None:
    # Over SSH "left" and "down" typed quickly arrive in one read: the "down" must move the
    # cursor in the column just moved to, not in the one left behind.
    from coptui.tui.shared.board_list import BoardList

    run_id = workspace.runs.open_run("start-stop-continue", by="ada").id
    retro.advance(workspace, run_id, "ada", to="write")
    for column in ("start", "stop"):
        for number in range(3):
            retro.add_card(workspace, run_id, "chen", column, f"{column} idea {number}")
    retro.advance(workspace, run_id, "ada", to="reveal")
    async with on_the_board(workspace, "dana", run_id, "reveal") as (app, pilot):
        start_list = app.focused
        assert isinstance(start_list, BoardList) and start_list.position == 0
        post_keys(app, "right", "down", "down")
        await settle(
            [pilot],
            lambda: isinstance(app.focused, BoardList) and app.focused is not start_list and app.focused.position == 2,
        )
        stop_list = app.focused
        assert isinstance(stop_list, BoardList) and start_list.position == 0
        post_keys(app, "left", "down")
        await settle([pilot], lambda: app.focused is start_list and start_list.position == 2)
        assert app.focused is start_list and start_list.position == 2, "the row kept across columns, then one down"


async def test_a_card_typed_in_one_burst_after_a_is_written_whole(workspace: Workspace) -> None:
    # "a" opens the composer; the text typed right after it in the same read goes into the
    # card, and none of its letters reaches the board as a key ("n" is the facilitator's next phase).
    run_id = workspace.runs.open_run("start-stop-continue", by="ada").id
    retro.advance(workspace, run_id, "ada", to="write")
    async with on_the_board(workspace, "ada", run_id, "write") as (app, pilot):
        post_keys(app, "a", *"new idea", "enter")
        await settle([pilot], lambda: "new idea" in screen_text(app))
        board = retro.board_for(workspace, run_id, "ada")
        assert board.phase == "write"
        assert [card.text for card in board.my_cards] == ["new idea"]
        # Closing the composer, moving a column and writing there, all in one read.
        post_keys(app, "escape", "right", "a", *"then this one", "enter")
        await settle([pilot], lambda: "then this one" in screen_text(app))
        board = retro.board_for(workspace, run_id, "ada")
        assert board.phase == "write" and isinstance(app.screen, RetroScreen)
        assert [(card.column, card.text) for card in board.my_cards] == [
            ("start", "new idea"),
            ("stop", "then this one"),
        ]
        # A card, Esc right after its Enter, and the next card elsewhere, in one read: the Esc
        # may close the composer before the first card's Enter is handled; it is written all the same.
        post_keys(app, "escape", "left", "a", *"third", "enter", "escape", "right", "right", "a", *"fourth", "enter")
        await settle([pilot], lambda: "fourth" in screen_text(app) and "third" in screen_text(app))
        board = retro.board_for(workspace, run_id, "ada")
        cards = [(card.column, card.text) for card in board.my_cards]
        assert cards == [
            ("start", "new idea"),
            ("start", "third"),
            ("stop", "then this one"),
            ("continue", "fourth"),
        ], cards


async def test_a_long_column_scrolls_to_the_cursor_and_a_click_picks_a_theme(workspace: Workspace) -> None:
    from coptui.tui.shared.board_list import BoardList

    run_id = workspace.runs.open_run("start-stop-continue", by="ada").id
    retro.advance(workspace, run_id, "ada", to="write")
    for number in range(16):
        retro.add_card(workspace, run_id, "chen", "start", f"Idea {number:02d}")
    retro.advance(workspace, run_id, "ada", to="group")
    async with on_the_board(workspace, "dana", run_id, "group") as (app, pilot):
        column = app.focused
        assert isinstance(column, BoardList) and column.current is not None
        first, second, last = (column.items[i].content.plain.split(" — ")[0] for i in (0, 1, -1))
        assert first in screen_text(app) and last not in screen_text(app)  # 16 boxes do not fit
        await pilot.press(*["down"] * 20)  # past the end: the cursor stops on the last theme
        # Scrolled to keep the cursor in view.
        await settle([pilot], lambda: column.current is column.items[-1] and last in screen_text(app))
        assert first not in screen_text(app)
        await pilot.press("home")
        await settle([pilot], lambda: column.current is column.items[0] and first in screen_text(app))
        await pilot.press("pagedown")  # a screenful further: past the boxes that were shown
        await settle(
            [pilot],
            lambda: (
                column.position > 2
                and column.current is not None
                and column.current.content.plain.split(" — ")[0] in screen_text(app)
            ),
        )
        await pilot.press("pageup")
        await settle([pilot], lambda: column.current is column.items[0])

        # A click on the second theme puts the cursor there and picks it up (group phase).
        line = column._tops[1] + 1  # the first line of its text, inside the box
        await pilot.click(column, offset=(4, line - int(column.scroll_offset.y)))
        await settle([pilot], lambda: column.current is not None and second in column.current.content.plain)
        assert app.screen.picked == column.current.id  # type: ignore[attr-defined]
        assert "moving…" in screen_text(app)
