"""Text typed within the draft's save delay is kept when the session ends (a dropped
connection or a server stop ends the member's app as ``App.exit`` does): the feedback form
and a survey's text answer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from textual.widgets import TextArea

from coptui.core import feedback as fb
from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from coptui.tui.screens import feedback as feedback_screen
from coptui.tui.screens import survey as survey_screen
from coptui.tui.screens.feedback import FeedbackScreen
from coptui.tui.screens.survey import SurveyScreen
from tests.support.surveys import full_answers, open_every_type
from tests.support.waits import home_loaded, settle

DAY = date(2026, 11, 2)
SIZE = (100, 32)


def _areas(app: CoptuiApp) -> dict[str, TextArea]:
    return {area.name or "": area for area in app.screen.query("#fields .field-text").results(TextArea)}


async def test_feedback_typed_just_before_the_session_ends_is_kept(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feedback_screen, "DRAFT_SAVE_DELAY", 600.0)  # the session ends before any save on a pause
    run_id = fb.start_round(workspace, "peer-sbi", "ada", "rotation", 3, seed=3, today=DAY).id
    first = fb.giver_round(workspace, run_id, "chen", DAY).recipients[0].handle
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        app.open_run(run_id)
        await settle(pilot, lambda: isinstance(app.screen, FeedbackScreen) and bool(_areas(app)) and not app.workers)
        _areas(app)["situation"].focus()
        await pilot.press(*"in the retro")
        await settle(pilot, lambda: _areas(app)["situation"].text == "in the retro")
        screen = app.screen
        assert isinstance(screen, FeedbackScreen) and screen._save_timer is not None  # not stored yet
        app.exit()
    assert fb.load_draft(workspace, run_id, "chen", first) == {"situation": "in the retro"}


async def test_a_text_answer_typed_just_before_the_session_ends_is_kept(
    surveys_dir: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(survey_screen, "TEXT_SAVE_DELAY", 600.0)  # the session ends before any save on a pause
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "gus", full_answers(notes=None), position=7)
    app = CoptuiApp(workspace, workspace.member("gus"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        app.open_run(run.id)
        await settle(pilot, lambda: isinstance(app.screen, SurveyScreen) and app.screen.page == "question")
        screen = app.screen
        assert isinstance(screen, SurveyScreen) and screen.current is not None and screen.current.id == "notes"
        screen.query_one(TextArea).focus()
        await pilot.press(*"last words")
        await settle(pilot, lambda: screen.answers.get("notes") == "last words")
        app.exit()
    draft = workspace.runs.load_draft(run.id, "gus")
    assert draft is not None and draft[0].get("notes") == "last words"
