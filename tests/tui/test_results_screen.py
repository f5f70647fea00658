"""The results screen shows what the gate releases, says why when it withholds, and shows user text literally."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Static

from coptui.core.run import NA
from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.results import ResultsScreen
from coptui.tui.widgets.bar_chart import DistributionChart, count_ticks
from tests.support.surveys import MEMBERS, full_answers, open_every_type
from tests.support.waits import DEFAULT_TIMEOUT, home_loaded, settle

SIZE = (100, 32)
CLOSED = date(2026, 11, 20)
DEMO_RUN = "cop-pulse-2026-10-01"


def screen_text(screen: ResultsScreen) -> str:
    return "\n".join(
        str(static.content) for static in screen.query("#results Static").results(Static) if static.display
    )


def results_shown(app: Any) -> bool:
    """The results screen is up and shows what it read (every view of a run states its participation)."""
    screen = app.screen
    return isinstance(screen, ResultsScreen) and not app.workers and "Participation" in screen_text(screen)


async def open_results(pilot: Pilot[Any], run_id: str) -> ResultsScreen:
    await settle(pilot, lambda: home_loaded(pilot.app))
    app = pilot.app
    assert isinstance(app, CoptuiApp)
    app.show_results(run_id)
    await settle(pilot, lambda: results_shown(pilot.app))
    screen = pilot.app.screen
    assert isinstance(screen, ResultsScreen)
    return screen


async def test_released_results_show_every_figure(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=3, min_text=3)
    texts = {"ada": "[bold]x[/] loud", "bruno": "\x1b[2Jclear", "chen": "plain"}
    for index, handle in enumerate(["ada", "bruno", "chen"]):
        workspace.runs.submit_response(
            run.id,
            handle,
            full_answers(mood=NA if handle == "chen" else 5 - index, recommend=3 * index + 2, notes=texts[handle]),
        )
    workspace.runs.close_run(run.id, by="ada", today=CLOSED)
    app = CoptuiApp(workspace, workspace.member("dana"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, run.id)
        text = screen_text(screen)
        assert "Participation: 3 of 8 members answered (38%)" in text
        assert "2 answers · mean 4.5 on 1-5 · 100% favourable · 1 not applicable" in text
        assert "NPS -67" in text and "0 promoters" in text and "1 passives" in text and "2 detractors" in text
        assert "meetup" in text and "3  100%" in text
        assert "[bold]x[/] loud" in text and "[2Jclear" in text and "\x1b" not in text
        assert " — " not in text  # anonymous: no authors
        charts = list(screen.query(DistributionChart))
        assert len(charts) == 3  # likert, rating, nps
        assert charts[0].counts == [0, 0, 0, 1, 1]
        assert not screen.query_one("#withheld").display


async def test_an_open_anonymous_run_shows_only_participation(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=3)
    for handle in MEMBERS[:6]:
        workspace.runs.submit_response(run.id, handle, full_answers(notes=f"secret {handle}"))
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, run.id)
        text = screen_text(screen)
        assert "Participation: 6 of 8 members answered" in text
        assert "results appear when it is closed" in text
        assert "secret" not in text and "mean" not in text
        assert not screen.query(DistributionChart)


async def test_a_run_one_short_says_how_many_were_needed(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=5)
    for handle in MEMBERS[:4]:
        workspace.runs.submit_response(run.id, handle, full_answers())
    workspace.runs.close_run(run.id, by="ada", today=CLOSED)
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, run.id)
        text = screen_text(screen)
        assert "4 of the 5 needed (1 more was needed)" in text
        assert "answers ·" not in text and not screen.query(DistributionChart)


async def test_named_live_results_update_when_an_answer_arrives(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.submit_response(run.id, "ada", full_answers(notes="from ada"))
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, run.id)
        assert "from ada  — ada" in screen_text(screen)
        workspace.runs.submit_response(run.id, "bruno", full_answers(notes="from bruno"))
        # Changes are merged for the app's REFRESH_DELAY before the screen hears of them.
        await settle(
            pilot,
            until=lambda: "Participation: 2 of 8" in screen_text(screen) and not app.workers,
            timeout=CoptuiApp.REFRESH_DELAY + DEFAULT_TIMEOUT,
        )
        assert "from bruno  — bruno" in screen_text(screen)
        await pilot.press("escape")
        await settle(pilot, until=lambda: not isinstance(app.screen, ResultsScreen))


async def test_closed_run_opens_in_results_from_the_app(demo_workspace: Workspace) -> None:
    app = CoptuiApp(demo_workspace, demo_workspace.member("hana"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        app.open_run(DEMO_RUN)
        await settle(pilot, lambda: results_shown(app))
        assert isinstance(app.screen, ResultsScreen)
        assert "Participation: 7 of 8 members answered" in screen_text(app.screen)


def test_count_ticks_are_whole_numbers() -> None:
    assert count_ticks(0, 6) == [0, 1]
    assert count_ticks(5, 6) == [0, 2, 4, 6]
    assert count_ticks(2000, 6) == [0, 667, 1334, 2001]


def test_snapshot_results_80x24(demo_workspace: Workspace, snap_compare) -> None:
    app = CoptuiApp(demo_workspace, demo_workspace.member("hana"))

    async def run_before(pilot: Pilot[None]) -> None:
        await open_results(pilot, DEMO_RUN)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_snapshot_results_120x40(demo_workspace: Workspace, snap_compare) -> None:
    app = CoptuiApp(demo_workspace, demo_workspace.member("hana"))

    async def run_before(pilot: Pilot[None]) -> None:
        screen = await open_results(pilot, DEMO_RUN)
        await pilot.press("pagedown")
        await settle(pilot, until=lambda: screen.query_one("#results", VerticalScroll).scroll_y > 0)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
