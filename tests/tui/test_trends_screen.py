"""The trends screen and the home objectives panel, driven with Pilot on the demo data, plus snapshots."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import ContentSwitcher, DataTable, Select, Static

from coptui.core.community import community_path
from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.trends import TrendsScreen
from coptui.tui.widgets.chart import ChartPlot
from coptui.tui.widgets.objectives import ObjectivesPanel
from tests.support.waits import DEFAULT_TIMEOUT, Condition, home_loaded, settle

SIZE = (100, 32)


async def wait_until(pilot: Pilot[None], condition: Condition) -> None:
    """Wait for merged data changes to reach the screen: the app merges them for REFRESH_DELAY first."""
    await settle(pilot, until=condition, timeout=CoptuiApp.REFRESH_DELAY + DEFAULT_TIMEOUT)


def trends_shown(app: CoptuiApp) -> bool:
    """The trends screen is up and shows what it read."""
    screen = app.screen
    return (
        isinstance(screen, TrendsScreen)
        and screen.data is not None
        and not app.workers
        and screen.query_one("#objectives-table", DataTable).row_count > 0
    )


def objective_id(screen: TrendsScreen) -> str | None:
    report = screen.selected_report()
    return None if report is None else report.objective.id


def text_of(widget: Static) -> str:
    return str(widget.render())


async def open_trends(app: CoptuiApp, pilot: Pilot[None]) -> TrendsScreen:
    await settle(pilot, lambda: home_loaded(app))
    await pilot.press("t")
    await settle(pilot, lambda: trends_shown(app))
    assert isinstance(app.screen, TrendsScreen)
    return app.screen


async def test_objectives_table_shows_status_value_target_change(demo_workspace: Workspace) -> None:
    app = CoptuiApp(demo_workspace, demo_workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trends(app, pilot)
        table = screen.query_one("#objectives-table", DataTable)
        assert table.row_count == 6
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0] == ["● met", "Most members answer the monthly pulse", "88%", "≥ 60%", "+4 pts"]
        # 4.14 over the window reaches 4.10, but October's pulse alone (4.00) does not.
        assert rows[1] == ["▲ at risk", "Members find the community valuable", "4.14", "≥ 4.10", "+0.09"]
        assert rows[2][:4] == ["● met", "Members recommend the community", "+52", "≥ +30"]
        assert rows[3][0] == "✗ missed"
        # Missed after the previous feedback round (78%), met with the latest (86%).
        assert rows[5] == ["★ met", "Feedback owed is given", "86%", "≥ 80%", "+8 pts"]
        assert screen.query_one("#objective-chart", ChartPlot).has_chart


async def test_moving_to_an_objective_charts_it_and_says_what_was_left_out(demo_workspace: Workspace) -> None:
    app = CoptuiApp(demo_workspace, demo_workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trends(app, pilot)
        await pilot.press("down")
        await settle(pilot, until=lambda: objective_id(screen) == "satisfaction")
        note = text_of(screen.query_one("#objective-note", Static))
        assert "Mean score over the last 3 runs" in note
        # The withheld summer pulse is older than the window; the chart still marks it.
        await pilot.press("down", "down", "down")
        await settle(pilot, until=lambda: objective_id(screen) == "roti")


async def test_left_out_runs_in_the_window_are_named(demo_data_dir: Path, surveys_dir: Path) -> None:
    path = community_path(surveys_dir)
    shipped = path.read_text(encoding="utf-8")
    widened = shipped.replace(
        'question = "value"\ntarget = 4.1\ndirection = "at_least"\nwindow = 3',
        'question = "value"\ntarget = 4.1\ndirection = "at_least"\nwindow = 6',
    )
    assert widened != shipped, "the shipped satisfaction objective changed: update this replacement"
    path.write_text(widened, encoding="utf-8")
    workspace = Workspace.open(demo_data_dir, surveys_dir)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trends(app, pilot)
        await pilot.press("down")
        await settle(pilot, until=lambda: objective_id(screen) == "satisfaction")
        note = text_of(screen.query_one("#objective-note", Static))
        assert "Mean score over 5 of the last 6 runs" in note
        assert "1 run below min_responses left out (cop-pulse-2026-06-01)" in note


async def test_participation_and_answers_tabs(demo_workspace: Workspace) -> None:
    app = CoptuiApp(demo_workspace, demo_workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trends(app, pilot)
        await pilot.press("p")
        await settle(pilot, until=lambda: "11 closed runs" in text_of(screen.query_one("#participation-note", Static)))
        assert screen.query_one(ContentSwitcher).current == "participation"
        assert screen.query_one("#participation-survey", Select).value == "cop-pulse"
        await pilot.press("s")
        await settle(pilot, until=lambda: "3 closed runs" in text_of(screen.query_one("#participation-note", Static)))
        assert screen.query_one("#participation-survey", Select).value == "health-check"

        await pilot.press("a")
        await settle(
            pilot,
            until=lambda: "2 runs below min_responses left out" in text_of(screen.query_one("#answers-note", Static)),
        )
        assert screen.query_one(ContentSwitcher).current == "answers"
        assert screen.query_one("#answers-question", Select).value == "domain"
        await pilot.press("n")
        await settle(pilot, until=lambda: screen.query_one("#answers-question", Select).value == "community")
        assert screen.query_one("#answers-chart", ChartPlot).has_chart


async def test_views_open_with_the_mouse(demo_workspace: Workspace) -> None:
    app = CoptuiApp(demo_workspace, demo_workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trends(app, pilot)
        nav = screen.query_one("#trends-nav", Static)
        column = text_of(nav).index("Answers") + 1  # the nav has one column of padding
        assert await pilot.click("#trends-nav", offset=(column + 2, 0))
        await settle(
            pilot,
            until=lambda: screen.current_view == "answers" and screen.query_one("#answers-chart", ChartPlot).has_chart,
        )
        assert await pilot.click("#trends-nav", offset=(text_of(nav).index("Objectives") + 3, 0))
        await settle(
            pilot,
            until=lambda: screen.current_view == "objectives" and app.focused is screen.query_one("#objectives-table"),
        )


async def test_chart_follows_theme_and_size(demo_workspace: Workspace) -> None:
    app = CoptuiApp(demo_workspace, demo_workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trends(app, pilot)
        chart = screen.query_one("#objective-chart", ChartPlot)
        before = chart.render()
        assert len(before.plain.splitlines()[0]) == chart.size.width  # type: ignore[union-attr]
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await settle(pilot, until=lambda: chart.render().spans != before.spans)  # type: ignore[union-attr]
        themed = chart.render()
        assert themed.plain == before.plain  # type: ignore[union-attr]  # new colours, same drawing
        await pilot.resize_terminal(120, 40)
        await settle(pilot, until=lambda: chart.size.width > SIZE[0] - 10)
        wider = chart.render()
        assert len(wider.plain.splitlines()[0]) == chart.size.width > SIZE[0] - 10  # type: ignore[union-attr]


async def test_screen_follows_new_results(demo_workspace: Workspace) -> None:
    runs = demo_workspace.runs
    app = CoptuiApp(demo_workspace, demo_workspace.member("ada"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trends(app, pilot)
        table = screen.query_one("#objectives-table", DataTable)
        before = str(table.get_row_at(0)[2])
        open_pulse = runs.list_runs(kind="survey", state="open")[0]
        # Three more members answer the open pulse (it has 4): closing it adds an 11-month run at 7/8.
        answered = {
            h
            for h in ("ada", "bruno", "chen", "dana", "emeka", "farah", "gus", "hana")
            if runs.status_for(open_pulse, h).status == "answered"
        }
        for handle in [h for h in ("bruno", "chen", "dana", "emeka", "farah", "gus", "hana") if h not in answered][:3]:
            runs.submit_response(
                open_pulse.id, handle, {"domain": 4, "community": 4, "practice": 4, "value": 5, "recommend": 10}
            )
        runs.close_run(open_pulse.id, by="ada", today=date(2026, 11, 25))
        await wait_until(pilot, lambda: len(screen.data.reports[0].points) == 12)  # type: ignore[union-attr]
        # November: 7 of 8 answered, like September and October: 88% over the window, no change.
        assert screen.data.reports[0].points[-1].value == 7 / 8  # type: ignore[union-attr]
        assert [str(c) for c in table.get_row_at(0)][2:] == [before, "≥ 60%", "±0 pts"]


async def test_home_lists_objectives(demo_workspace: Workspace) -> None:
    app = CoptuiApp(demo_workspace, demo_workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        panel = app.screen.query_one(ObjectivesPanel)
        lines = text_of(panel.query_one("#objectives-lines", Static)).splitlines()
        assert len(lines) == 6
        assert lines[0].startswith("● met") and "88% (target ≥ 60%)" in lines[0]
        assert lines[1].startswith("▲ at risk") and "4.14 (target ≥ 4.10)" in lines[1]
        # The demo's latest feedback round turned its objective met: the banner says so, and only that.
        banner = panel.query_one("#objectives-banner", Static)
        assert banner.has_class("shown") and banner.display
        assert text_of(banner) == "★ Objective met! Feedback owed is given: 86% (target ≥ 80%). Well done, everyone."


async def test_home_celebrates_an_objective_that_turned_met(demo_data_dir: Path, surveys_dir: Path) -> None:
    # At 85%, participation was at risk after September's pulse and is met after October's; the
    # shipped feedback objective turned met with the latest feedback round too.
    path = community_path(surveys_dir)
    shipped = path.read_text(encoding="utf-8")
    path.write_text(shipped.replace("target = 0.6\n", "target = 0.85\n", 1), encoding="utf-8")
    assert path.read_text(encoding="utf-8") != shipped
    workspace = Workspace.open(demo_data_dir, surveys_dir)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        banner = app.screen.query_one("#objectives-banner", Static)
        assert banner.has_class("shown") and banner.display
        text = text_of(banner)
        assert "Objective met" in text and "Most members answer the monthly pulse" in text
        assert "Most members answer the monthly pulse: 88% (target ≥ 85%)" in text
        assert "Feedback owed is given: 86% (target ≥ 80%)" in text
        # A member answering the open pulse changes nothing here (open runs never count) ...
        runs = workspace.runs
        pulse = runs.list_runs(kind="survey", state="open")[0]
        waiting = [
            h
            for h in ("bruno", "chen", "dana", "emeka", "farah", "gus", "hana")
            if runs.status_for(pulse, h).status != "answered"
        ]
        runs.submit_response(
            pulse.id, waiting[0], {"domain": 4, "community": 4, "practice": 4, "value": 5, "recommend": 9}
        )
        # Nothing on the screen tells that the answer has been heard: this holds whether or not
        # it has, and the close below is what shows the screens follow the store.
        await settle(pilot, until=lambda: home_loaded(app))
        panel = app.screen.query_one(ObjectivesPanel)
        assert banner.has_class("shown")
        screen = await open_trends(app, pilot)
        table = screen.query_one("#objectives-table", DataTable)
        assert str(table.get_row_at(0)[0]) == "★ met"
        assert str(table.get_row_at(2)[0]) == "● met"  # NPS: met, and already met before
        assert str(table.get_row_at(5)[0]) == "★ met"
        assert "Met with the latest run" in text_of(screen.query_one("#objective-note", Static))
        # ... closing it does: November's pulse keeps the objective met, so it is no longer news;
        # its high value scores turn satisfaction (at risk until now) met, and the feedback
        # objective, which no pulse moves, is still celebrated.
        for handle in waiting[1:3]:
            runs.submit_response(
                pulse.id, handle, {"domain": 4, "community": 4, "practice": 4, "value": 5, "recommend": 9}
            )
        runs.close_run(pulse.id, by="ada", today=date(2026, 11, 25))
        # The trends screen on top follows at once ...
        await wait_until(pilot, lambda: str(table.get_row_at(0)[0]) == "● met")
        assert [str(table.get_row_at(i)[0]) for i in (1, 5)] == ["★ met", "★ met"]
        # ... and home, under it, catches up when it is shown again.
        await pilot.press("h")
        await wait_until(
            pilot,
            lambda: home_loaded(app) and "Most members" not in text_of(panel.query_one("#objectives-banner", Static)),
        )
        assert panel.query_one("#objectives-banner", Static).has_class("shown")
        assert text_of(panel.query_one("#objectives-banner", Static)) == (
            "★ Objective met! Members find the community valuable: 4.29 (target ≥ 4.10)"
            " · Feedback owed is given: 86% (target ≥ 80%). Well done, everyone."
        )


# -- snapshots -------------------------------------------------------------------------------------


def _snapshot_app(demo_data_dir: Path, surveys_dir: Path) -> CoptuiApp:
    workspace = Workspace.open(demo_data_dir, surveys_dir)
    return CoptuiApp(workspace, workspace.member("chen"))


async def _trends(pilot: Pilot[None]) -> TrendsScreen:
    """From home, once it has loaded, to the trends screen showing what it read."""
    app = pilot.app
    assert isinstance(app, CoptuiApp)
    return await open_trends(app, pilot)


def test_snapshot_trends_objectives(snap_compare: Callable[..., bool], demo_data_dir: Path, surveys_dir: Path) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        screen = await _trends(pilot)
        await pilot.press("down")
        await settle(pilot, until=lambda: objective_id(screen) == "satisfaction")

    assert snap_compare(_snapshot_app(demo_data_dir, surveys_dir), terminal_size=SIZE, run_before=run_before)


def test_snapshot_trends_answers(snap_compare: Callable[..., bool], demo_data_dir: Path, surveys_dir: Path) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        screen = await _trends(pilot)
        await pilot.press("a")
        await settle(
            pilot,
            until=lambda: screen.current_view == "answers" and screen.query_one("#answers-chart", ChartPlot).has_chart,
        )
        picker = screen.query_one("#answers-question", Select)
        for _ in range(4):  # four questions on, one at a time
            before = picker.value
            await pilot.press("n")
            await settle(pilot, until=lambda: picker.value != before)  # noqa: B023 (used at once)

    assert snap_compare(_snapshot_app(demo_data_dir, surveys_dir), terminal_size=SIZE, run_before=run_before)


def test_snapshot_trends_small_terminal(
    snap_compare: Callable[..., bool], demo_data_dir: Path, surveys_dir: Path
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _trends(pilot)

    assert snap_compare(_snapshot_app(demo_data_dir, surveys_dir), terminal_size=(80, 24), run_before=run_before)
