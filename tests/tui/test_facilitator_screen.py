"""The facilitator opens and closes runs from the app; members see them on their home screen."""

from __future__ import annotations

from rich.table import Table
from textual.widgets import DataTable, Static

from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.dialogs import ConfirmDialog, OpenRunDialog
from coptui.tui.screens.facilitator import FacilitatorScreen
from coptui.tui.screens.help import HelpScreen
from coptui.tui.screens.home import HomeScreen
from tests.support.waits import DEFAULT_TIMEOUT, home_loaded, settle


def facilitating(app: CoptuiApp) -> bool:
    """The facilitator screen is up with its definitions and runs read."""
    screen = app.screen
    return (
        isinstance(screen, FacilitatorScreen)
        and screen.query_one("#definitions", DataTable).row_count > 0
        and not app.workers
    )


def open_runs_shown(app: CoptuiApp) -> int:
    return app.screen.query_one("#open-runs", DataTable).row_count


def _move_to(table: DataTable, key: str) -> None:
    table.move_cursor(row=table.get_row_index(key))


async def test_facilitator_opens_a_survey_and_a_member_sees_it(workspace: Workspace) -> None:
    facilitator = CoptuiApp(workspace, workspace.member("ada"))
    member = CoptuiApp(workspace, workspace.member("chen"))
    async with facilitator.run_test(size=(100, 32)) as pilot, member.run_test(size=(100, 32)) as member_pilot:
        await settle(member_pilot, lambda: home_loaded(member))
        assert open_runs_shown(member) == 0
        await pilot.press("f")
        await settle(pilot, lambda: facilitating(facilitator))
        _move_to(facilitator.screen.query_one("#definitions", DataTable), "health-check")
        await pilot.press("o")
        await settle(pilot, until=lambda: isinstance(facilitator.screen, OpenRunDialog))
        await pilot.press(*"2099-01-31", "enter")
        await settle(
            pilot,
            until=lambda: facilitating(facilitator) and facilitator.screen.query_one("#runs", DataTable).row_count == 1,
        )
        runs = workspace.runs.list_runs(state="open")
        assert [r.definition_id for r in runs] == ["health-check"]
        assert str(runs[0].closes_on) == "2099-01-31"
        # The member's home screen hears of it through the hub, with no key pressed (the app
        # merges changes for REFRESH_DELAY first).
        await settle(
            member_pilot, until=lambda: open_runs_shown(member) == 1, timeout=CoptuiApp.REFRESH_DELAY + DEFAULT_TIMEOUT
        )


async def test_bad_closing_date_is_explained(workspace: Workspace) -> None:
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f")
        await settle(pilot, lambda: facilitating(app))
        _move_to(app.screen.query_one("#definitions", DataTable), "health-check")
        await pilot.press("o", *"31/01/2099", "enter")
        await settle(
            pilot,
            until=lambda: (
                isinstance(app.screen, OpenRunDialog)
                and "not a date" in str(app.screen.query_one("#dialog-error").render())
            ),
        )
        await pilot.press("escape")
        await settle(pilot, until=lambda: isinstance(app.screen, FacilitatorScreen))
        assert workspace.runs.list_runs() == []


async def test_closing_a_run_asks_first(workspace: Workspace) -> None:
    run = workspace.runs.open_run("health-check", by="ada")
    app = CoptuiApp(workspace, workspace.member("bruno"))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f")
        await settle(pilot, lambda: facilitating(app) and app.screen.query_one("#runs", DataTable).row_count == 1)
        await pilot.press("c")
        await settle(pilot, until=lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("n")
        await settle(pilot, until=lambda: facilitating(app))
        assert workspace.runs.get(run.id).is_open
        await pilot.press("c", "y")
        await settle(pilot, until=lambda: not workspace.runs.get(run.id).is_open)


async def test_closing_names_the_run_and_its_progress_and_the_cursor_stays_on_its_run(workspace: Workspace) -> None:
    first = workspace.runs.open_run("health-check", by="ada")
    second = workspace.runs.open_run("cop-pulse", by="ada")
    app = CoptuiApp(workspace, workspace.member("bruno"))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f")
        await settle(pilot, lambda: facilitating(app) and app.screen.query_one("#runs", DataTable).row_count == 2)
        table = app.screen.query_one("#runs", DataTable)
        table.focus()
        target = table.get_row_index(second.id)
        table.move_cursor(row=target)
        await pilot.press("c")
        await settle(pilot, until=lambda: isinstance(app.screen, ConfirmDialog))
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert dialog.question.startswith(f"Close {second.title}? 0 of ") and "answered" in dialog.question
        await pilot.press("n")
        await settle(pilot, until=lambda: facilitating(app))
        # Another session's change reloads the table: the cursor stays on the same run.
        workspace.runs.open_run("health-check", by="ada")
        await settle(pilot, lambda: facilitating(app) and table.row_count == 3)
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == second.id
        assert workspace.runs.get(first.id).is_open and workspace.runs.get(second.id).is_open


async def test_members_cannot_facilitate(workspace: Workspace) -> None:
    app = CoptuiApp(workspace, workspace.member("dana"))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f")
        # The key is handled (pilot.press waits for that) and leaves the member at home.
        await settle(pilot, until=lambda: isinstance(app.screen, HomeScreen))


async def test_help_lists_the_keys_of_the_screen(demo_workspace: Workspace) -> None:
    app = CoptuiApp(demo_workspace, demo_workspace.member("ada"))
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        await pilot.press("f1")
        await settle(pilot, until=lambda: isinstance(app.screen, HelpScreen))
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-keys", Static).content
        assert isinstance(table, Table)
        text = " ".join(str(cell) for column in table.columns for cell in column.cells)
        for description in ("Quit", "Trends", "Facilitate", "Open"):
            assert description in text
        await pilot.press("escape")
        await settle(pilot, until=lambda: isinstance(app.screen, HomeScreen))
