"""The home screen: the community, what is open for me (and where I stand), recent results."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from coptui.core.retro import advance
from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.home import HomeScreen
from tests.support.waits import home_loaded, settle


async def _home(app: CoptuiApp, pilot: Pilot[None]) -> HomeScreen:
    await settle(pilot, until=lambda: home_loaded(app))
    assert isinstance(app.screen, HomeScreen)
    return app.screen


def _rows(table: DataTable) -> dict[str, list[str]]:
    return {str(key.value): [str(cell) for cell in table.get_row(key)] for key in table.rows}


async def test_home_shows_community_open_runs_and_results(demo_workspace: Workspace) -> None:
    app = CoptuiApp(demo_workspace, demo_workspace.member("ada"))
    async with app.run_test(size=(100, 32)) as pilot:
        home = await _home(app, pilot)
        header = str(home.query_one("#community", Static).content)
        assert "Platform Engineering Guild" in header and "maturing stage, 8 members" in header
        assert "internal developer platform" in header
        assert "Ada Okafor (facilitator)" in app.sub_title
        open_runs = _rows(home.query_one("#open-runs", DataTable))
        pulse = next(row for key, row in open_runs.items() if key.startswith("cop-pulse-"))
        assert pulse[0] == "Monthly CoP pulse" and pulse[-1] == "to do"
        feedback = next(row for key, row in open_runs.items() if key.startswith("peer-sbi-"))
        assert feedback[-1].endswith("to give")
        results = _rows(home.query_one("#recent-results", DataTable))
        assert len(results) == 8
        # Counts come from the gated summaries: they match what the store holds.
        for run_id, row in results.items():
            run = demo_workspace.runs.get(run_id)
            if run.kind == "survey":
                assert row[-1] == str(demo_workspace.runs.response_count(run_id))


async def test_status_follows_the_member(demo_workspace: Workspace) -> None:
    pulse = next(r for r in demo_workspace.runs.list_runs(state="open") if r.kind == "survey")
    demo_workspace.runs.save_draft(pulse.id, "hana", {"domain": 4}, position=1)
    app = CoptuiApp(demo_workspace, demo_workspace.member("hana"))
    async with app.run_test(size=(100, 32)) as pilot:
        home = await _home(app, pilot)
        assert _rows(home.query_one("#open-runs", DataTable))[pulse.id][-1] == "draft"


async def test_a_live_retro_shows_its_phase_and_opens_on_enter(workspace: Workspace) -> None:
    run = workspace.runs.open_run("start-stop-continue", by="ada")
    advance(workspace, run.id, "ada")
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=(100, 32)) as pilot:
        home = await _home(app, pilot)
        table = home.query_one("#open-runs", DataTable)
        phase = _rows(table)[run.id][-1]
        assert phase.startswith("live: ")
        table.focus()
        await pilot.press("enter")
        from coptui.tui.screens.retro import RetroScreen

        await settle(pilot, until=lambda: isinstance(app.screen, RetroScreen))


async def test_an_empty_community_says_what_to_do(workspace: Workspace) -> None:
    app = CoptuiApp(workspace, workspace.member("dana"))
    async with app.run_test(size=(100, 32)) as pilot:
        home = await _home(app, pilot)
        assert "Nothing open right now" in str(home.query_one("#open-runs-empty", Static).content)


async def test_markup_in_the_community_name_is_shown_literally(data_dir: Path, surveys_dir: Path) -> None:
    community = surveys_dir / "community.toml"
    community.write_text(
        community.read_text().replace('name = "Platform Engineering Guild"', 'name = "[bold red]Guild[/] \\u001b[2J"')
    )
    workspace = Workspace.open(data_dir, surveys_dir)
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=(100, 32)) as pilot:
        home = await _home(app, pilot)
        header = str(home.query_one("#community", Static).content)
        assert "[bold red]Guild[/]" in header and "\x1b" not in header


async def _loaded(pilot: Pilot[None]) -> None:
    await settle(pilot, until=lambda: home_loaded(pilot.app))
    # Tables size their header row on the refresh after their rows arrive: ask for it now, and
    # the snapshot's own pauses before the screenshot let it happen.
    for table in pilot.app.screen.query(DataTable):
        table.refresh()


def test_snapshot_home_80x24(snap_compare, demo_workspace: Workspace) -> None:
    # The demo's open actions are all due before DEMO_TODAY, so "late" marks never change.
    app = CoptuiApp(demo_workspace, demo_workspace.member("ada"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_loaded)


def test_snapshot_home_120x40(snap_compare, demo_workspace: Workspace) -> None:
    app = CoptuiApp(demo_workspace, demo_workspace.member("chen"))
    assert snap_compare(app, terminal_size=(120, 40), run_before=_loaded)
