"""Every screen, the header and the notifications show hostile user text as text.

What is checked is what the app would send to the terminal (the same over `coptui serve`):
the screen's rendered lines. None may hold a bidi control, an escape or an 8-bit control,
and Rich markup in a name or a card shows as typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.facilitator import FacilitatorScreen
from coptui.tui.screens.feedback import FeedbackScreen
from coptui.tui.screens.inbox import InboxScreen
from coptui.tui.screens.results import ResultsScreen
from coptui.tui.screens.retro import RetroScreen
from coptui.tui.screens.survey import SurveyScreen
from coptui.tui.screens.trends import TrendsScreen
from coptui.tui.text import UserTextArea
from tests.support.hostile import (
    FORBIDDEN,
    HOSTILE,
    hostile_feedback,
    hostile_retro,
    hostile_survey,
    write_hostile_community,
)
from tests.support.waits import home_loaded, settle

SIZE = (120, 40)


def rendered(app: App[Any]) -> str:
    """The text of every cell the screen would send to the terminal, line by line."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def forbidden(text: str) -> list[str]:
    return sorted({repr(match[0]) for match in FORBIDDEN.finditer(text.replace("\n", " "))})


def showing(app: CoptuiApp, screen: type, *texts: str) -> Callable[[], bool]:
    def ready() -> bool:
        if not isinstance(app.screen, screen) or app.workers:
            return False
        shown = rendered(app)
        return all(text in shown for text in texts)

    return ready


@pytest.fixture
def hostile(surveys_dir: Path, data_dir: Path) -> dict[str, Any]:
    write_hostile_community(surveys_dir)
    workspace = Workspace.open(data_dir, surveys_dir)
    return {
        "workspace": workspace,
        "closed": hostile_survey(workspace).id,
        "retro": hostile_retro(workspace).id,
        "feedback": hostile_feedback(workspace).id,
        "open": workspace.runs.open_run("hostile", by="ada").id,
    }


async def visit(pilot: Pilot[Any], screen: type, *texts: str) -> str:
    app = pilot.app
    assert isinstance(app, CoptuiApp)
    await settle(pilot, showing(app, screen, *texts))
    shown = rendered(app)
    assert forbidden(shown) == [], type(app.screen).__name__
    return shown


async def test_a_member_sees_hostile_text_as_text(hostile: dict[str, Any]) -> None:
    workspace = hostile["workspace"]
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        home = rendered(app)
        assert forbidden(home) == [] and "Guild =cmd" in home  # the header: community and member names
        app.show_results(hostile["closed"])
        results = await visit(pilot, ResultsScreen, "Participation", "[bold red]loud[/]")
        assert "[link=https://e.vil/]click[/link]" in results
        app.action_go_home()
        await settle(pilot, lambda: home_loaded(app))
        app.open_run(hostile["open"])
        await visit(pilot, SurveyScreen, "Survey")
        await pilot.press("enter")  # the first question, with its hostile options
        await visit(pilot, SurveyScreen, "first =cmd")
        app.action_go_home()
        await settle(pilot, lambda: home_loaded(app))
        app.action_show_inbox()
        await visit(pilot, InboxScreen, "Kudos")
        app.action_show_trends()
        await visit(pilot, TrendsScreen, "Objective =cmd")


async def test_a_facilitator_sees_hostile_text_as_text(hostile: dict[str, Any]) -> None:
    workspace = hostile["workspace"]
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        app.action_show_facilitator()
        await visit(pilot, FacilitatorScreen, "Survey =cmd")
        app.open_run(hostile["retro"])
        # The header holds the retro's title from its template: hostile too.
        board = await visit(pilot, RetroScreen, "theme evil", "4Ls evil")
        assert "[bold red]x[/]" in board
        app.action_go_home()
        await settle(pilot, lambda: home_loaded(app))
        app.open_run(hostile["feedback"])
        await visit(pilot, FeedbackScreen, "Kudos evil")
        await pilot.press("enter")  # the form for the first member still owed feedback
        form = await visit(pilot, FeedbackScreen, "Field evil", "Prompt evil")
        assert "[link=https://e.vil/]y[/link]" in form


async def test_notifications_show_hostile_text_as_text(hostile: dict[str, Any]) -> None:
    workspace = hostile["workspace"]
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        app.notify(f"refused: {HOSTILE}", title=f"title {HOSTILE}", severity="warning", markup=False)
        await settle(pilot, lambda: any("refused" in n.message for n in app._notifications))
        # A toast draws its message and title as they are stored (markup=False: as text).
        (notification,) = app._notifications
        assert notification.message.startswith("refused: =cmd") and "[bold red]loud[/]" in notification.message
        assert forbidden(notification.message) == [] and "\nsecond line" in notification.message
        assert re.fullmatch(r"title =cmd[^\n]* evil [^\n]*third", notification.title)  # one line
        assert forbidden(notification.title) == []


class _Field(App[None]):
    def compose(self) -> ComposeResult:
        yield UserTextArea(f"stored {HOSTILE}")


async def test_a_text_field_shows_stored_and_pasted_text_cleaned() -> None:
    app = _Field()
    async with app.run_test(size=SIZE) as pilot:
        area = app.query_one(UserTextArea)
        await settle(pilot, lambda: "stored =cmd" in rendered(app))
        area.focus()
        area.post_message(events.Paste(f"pasted {HOSTILE}"))
        await settle(pilot, lambda: "pasted" in area.text)
        shown = rendered(app)
        assert forbidden(area.text.replace("\n", " ")) == [] and forbidden(shown) == []
        assert "pasted =cmd" in area.text and "[bold red]loud[/]" in area.text
        area.load_text(f"loaded {HOSTILE}")
        assert forbidden(area.text) == [] and area.text.startswith("loaded =cmd")
