"""Where the app goes: the screen that shows a run of each kind, and the screens of the app's keys.

The screens are imported when they are first opened, not with this module: each brings the
run code and pydantic, which the home screen's first frame does without
(tests/tui/test_startup.py checks that no pydantic is imported before it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.screen import Screen

    from coptui.core.run import Run


def run_screen(run: Run) -> Screen[None]:
    """The screen for ``run``: a survey to answer (its results once closed), a retro board, a feedback round."""
    if run.kind == "survey":
        return survey_screen(run.id) if run.is_open else results_screen(run.id)
    if run.kind == "retro":
        from coptui.tui.screens.retro import RetroScreen  # on first use: see the module

        return RetroScreen(run.id)
    from coptui.tui.screens.feedback import FeedbackScreen  # on first use: see the module

    return FeedbackScreen(run.id)


def survey_screen(run_id: str) -> Screen[None]:
    from coptui.tui.screens.survey import SurveyScreen  # on first use: see the module

    return SurveyScreen(run_id)


def results_screen(run_id: str) -> Screen[None]:
    from coptui.tui.screens.results import ResultsScreen  # on first use: see the module

    return ResultsScreen(run_id)


def trends_screen() -> Screen[None]:
    from coptui.tui.screens.trends import TrendsScreen  # on first use: see the module

    return TrendsScreen()


def facilitator_screen() -> Screen[None]:
    from coptui.tui.screens.facilitator import FacilitatorScreen  # on first use: see the module

    return FacilitatorScreen()


def inbox_screen() -> Screen[None]:
    from coptui.tui.screens.inbox import InboxScreen  # on first use: see the module

    return InboxScreen()
