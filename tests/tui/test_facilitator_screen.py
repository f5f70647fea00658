"""The facilitator opens and closes runs from the app; members see them on their home screen."""

from __future__ import annotations

from textual.widgets import DataTable

from coptui.tui.app import CoptuiApp
from coptui.tui.screens.dialogs import ConfirmDialog, OpenRunDialog
from coptui.tui.screens.facilitator import FacilitatorScreen
from coptui.tui.screens.help import HelpScreen
from coptui.tui.screens.home import HomeScreen


async def _settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def _move_to(table: DataTable, key: str) -> None:
    table.move_cursor(row=table.get_row_index(key))


async def test_facilitator_opens_a_survey_and_a_member_sees_it(workspace) -> None:
    facilitator = CoptuiApp(workspace, workspace.member("ada"))
    member = CoptuiApp(workspace, workspace.member("chen"))
    async with facilitator.run_test(size=(100, 32)) as pilot, member.run_test(size=(100, 32)) as member_pilot:
        await _settle(member, member_pilot)
        assert member.screen.query_one("#open-runs", DataTable).row_count == 0
        await pilot.press("f")
        await _settle(facilitator, pilot)
        assert isinstance(facilitator.screen, FacilitatorScreen)
        _move_to(facilitator.screen.query_one("#definitions", DataTable), "health-check")
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(facilitator.screen, OpenRunDialog)
        await pilot.press(*"2099-01-31", "enter")
        await _settle(facilitator, pilot)
        runs = workspace.runs.list_runs(state="open")
        assert [r.definition_id for r in runs] == ["health-check"]
        assert str(runs[0].closes_on) == "2099-01-31"
        assert facilitator.screen.query_one("#runs", DataTable).row_count == 1
        # The member's home screen hears of it through the hub, with no key pressed.
        for _ in range(20):
            await _settle(member, member_pilot)
            if member.screen.query_one("#open-runs", DataTable).row_count == 1:
                break
        assert member.screen.query_one("#open-runs", DataTable).row_count == 1


async def test_bad_closing_date_is_explained(workspace) -> None:
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f")
        await _settle(app, pilot)
        _move_to(app.screen.query_one("#definitions", DataTable), "health-check")
        await pilot.press("o", *"31/01/2099", "enter")
        await pilot.pause()
        assert isinstance(app.screen, OpenRunDialog)
        assert "not a date" in str(app.screen.query_one("#dialog-error").render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, FacilitatorScreen)
        assert workspace.runs.list_runs() == []


async def test_closing_a_run_asks_first(workspace) -> None:
    run = workspace.runs.open_run("health-check", by="ada")
    app = CoptuiApp(workspace, workspace.member("bruno"))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f")
        await _settle(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await _settle(app, pilot)
        assert workspace.runs.get(run.id).is_open
        await pilot.press("c", "y")
        await _settle(app, pilot)
        assert not workspace.runs.get(run.id).is_open


async def test_members_cannot_facilitate(workspace) -> None:
    app = CoptuiApp(workspace, workspace.member("dana"))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_help_lists_the_keys_of_the_screen(demo_workspace) -> None:
    app = CoptuiApp(demo_workspace, demo_workspace.member("ada"))
    async with app.run_test(size=(100, 32)) as pilot:
        await _settle(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-keys").content
        text = " ".join(str(cell) for column in table.columns for cell in column.cells)
        for description in ("Quit", "Trends", "Facilitate", "Open"):
            assert description in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
