"""The survey screen, driven by Pilot: every question type, required and soft-required messages,
show_if both ways, back, drafts resumed, review, submit; what is shown and what is stored."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual import events
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, OptionList, RadioButton, RadioSet, SelectionList, Static, TextArea

from coptui.core.run import NA
from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.survey import SurveyScreen
from coptui.tui.widgets.questions import QuestionInput
from tests.support.keys import post_keys
from tests.support.ssh import KEYS, Client, ServerProcess, make_keyed_surveys
from tests.support.surveys import full_answers, open_every_type
from tests.support.waits import DEFAULT_TIMEOUT, Condition, click, home_loaded, no_workers, settle

SIZE = (100, 32)


async def press(pilot: Pilot[Any], *keys: str, until: Condition) -> None:
    """Press the keys one at a time, what each started (a draft written) done before the next,
    then wait until ``until()`` holds."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot, no_workers(pilot.app))
    await settle(pilot, until)


def page_text(screen: SurveyScreen) -> str:
    parts = [str(static.content) for static in screen.query("#page Static").results(Static)]
    parts += (
        [str(option.prompt) for option in screen.query(OptionList).first().options] if screen.query(OptionList) else []
    )
    return "\n".join(parts)


def message(screen: SurveyScreen) -> str:
    return str(screen.query_one("#message", Static).content)


def current(screen: Screen[Any]) -> str:
    assert isinstance(screen, SurveyScreen), screen
    assert screen.page == "question" and screen.current is not None, screen.page
    return screen.current.id


def progress(screen: SurveyScreen) -> str:
    return str(screen.query_one("#progress-label", Static).content)


def drafted(workspace: Workspace, run_id: str, handle: str) -> object:
    """The written answer ("notes") the member's draft holds, None without a draft."""
    draft = workspace.runs.load_draft(run_id, handle)
    return None if draft is None else draft[0].get("notes")


def why_drafted(workspace: Workspace, run_id: str, handle: str) -> object:
    """The follow-up answer ("why") the member's draft holds, None without a draft."""
    draft = workspace.runs.load_draft(run_id, handle)
    return None if draft is None else draft[0].get("why")


def on_page(app: CoptuiApp) -> bool:
    """The survey screen is up and shows a page (its run read), with nothing left loading."""
    screen = app.screen
    return isinstance(screen, SurveyScreen) and screen.page != "loading" and not app.workers


async def open_survey(pilot: Pilot[Any], run_id: str) -> SurveyScreen:
    app = pilot.app
    assert isinstance(app, CoptuiApp)
    await settle(pilot, lambda: home_loaded(app))
    app.open_run(run_id)
    await settle(pilot, lambda: on_page(app))
    screen = app.screen
    assert isinstance(screen, SurveyScreen)
    return screen


def answer_input(screen: SurveyScreen) -> QuestionInput:
    return screen.query_one("#answer", QuestionInput)


async def test_fill_every_type_with_keys_and_mouse(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert screen.page == "intro"
        intro = page_text(screen)
        assert "Named" in intro and "7 questions (and 1 more, depending on your answers)" in intro

        await press(pilot, "pagedown", until=lambda: current(screen) == "mood" and progress(screen) == "1 of 7")
        assert isinstance(screen.focused, RadioSet)
        assert all(not button.value for button in screen.query(RadioButton))  # nothing preselected

        # Required: cannot go on, and the message says why and what the way out is.
        await press(pilot, "pagedown", until=lambda: "needs an answer" in message(screen))
        assert current(screen) == "mood"
        assert 'choose "Not applicable"' in message(screen)
        assert screen.query_one("#message").has_class("error")

        # Keys: move down to "Agree" and press it.
        await press(pilot, "down", "down", "down", "space", until=lambda: screen.answers.get("mood") == 4)
        assert message(screen) == ""
        await press(pilot, "pagedown", until=lambda: current(screen) == "value")

        # Mouse: click the third point of the rating.
        assert progress(screen) == "2 of 7"
        await click(pilot, "#choice-2")
        await settle(pilot, until=lambda: screen.answers.get("value") == 3)
        await click(pilot, "#next")
        await settle(pilot, until=lambda: current(screen) == "recommend")

        # Soft-required: one warning, then the member may go on.
        await press(pilot, "pagedown", until=lambda: screen.query_one("#message").has_class("warning"))
        assert current(screen) == "recommend"
        # "why" is not shown: recommend was not answered
        await press(pilot, "pagedown", until=lambda: current(screen) == "topics")

        # Back, answer a low score: the follow-up question appears ...
        await press(pilot, "pageup", until=lambda: current(screen) == "recommend")
        answer_input(screen).choose(3)
        await settle(pilot, until=lambda: progress(screen) == "3 of 8")
        await press(pilot, "pagedown", until=lambda: current(screen) == "why")
        assert isinstance(screen.focused, TextArea)
        await press(pilot, *"too far", until=lambda: screen.answers.get("why") == "too far")
        await press(pilot, "pagedown", until=lambda: current(screen) == "topics")

        # ... and a high score hides it again (the other way of the show_if).
        await press(pilot, "pageup", "pageup", until=lambda: current(screen) == "recommend")
        answer_input(screen).choose(9)
        await settle(pilot, until=lambda: progress(screen) == "3 of 7")
        await press(pilot, "pagedown", until=lambda: current(screen) == "topics")

        # Multiple choice with keys: tick the first and the third.
        assert isinstance(screen.focused, SelectionList)
        await press(
            pilot, "space", "down", "down", "space", until=lambda: screen.answers.get("topics") == ["ci", "iac"]
        )
        await press(pilot, "pagedown", until=lambda: current(screen) == "format")

        await click(pilot, "#choice-1")
        await settle(pilot, until=lambda: screen.answers.get("format") == "office hours")
        await press(pilot, "pagedown", until=lambda: current(screen) == "again")

        await press(pilot, "pagedown", until=lambda: "needs an answer" in message(screen))
        assert "Not applicable" not in message(screen)
        await press(pilot, "down", "space", until=lambda: screen.answers.get("again") in (True, False))
        answer_input(screen).choose(True)
        await settle(pilot, until=lambda: screen.answers.get("again") is True)
        await press(pilot, "pagedown", until=lambda: current(screen) == "notes")

        await press(pilot, *"[bold]x[/]", until=lambda: screen.answers.get("notes") == "[bold]x[/]")
        await press(pilot, "pagedown", until=lambda: screen.page == "review")

        assert progress(screen) == "Review"
        review = page_text(screen)
        assert "4 · Agree" in review and "office hours" in review and "[bold]x[/]" in review
        assert "Why not higher?" not in review  # hidden questions are not reviewed
        assert "9 of 10" in review
        await press(pilot, "ctrl+s", until=lambda: screen.page == "done")

        assert "Thank you!" in page_text(screen)
        assert "with your name" in page_text(screen)
        stored = workspace.runs.own_response(run.id, "chen")
        assert stored == {
            "mood": 4,
            "value": 3,
            "recommend": 9,
            "why": NA,
            "topics": ["ci", "iac"],
            "format": "office hours",
            "again": True,
            "notes": "[bold]x[/]",
        }
        assert workspace.runs.load_draft(run.id, "chen") is None

        await click(pilot, "#home")
        await settle(pilot, until=lambda: not isinstance(app.screen, SurveyScreen))


async def test_review_enter_goes_back_to_a_question(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "dana", full_answers(), position=8)
    app = CoptuiApp(workspace, workspace.member("dana"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert screen.page == "review"
        await press(pilot, "down", "enter", until=lambda: current(screen) == "value")
        pagedowns = ["pagedown"] * 6
        await press(pilot, *pagedowns, until=lambda: screen.page == "review")


async def test_leaving_keeps_a_draft_that_resumes_in_a_new_session(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("emeka"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        await press(pilot, "pagedown", until=lambda: current(screen) == "mood")
        answer_input(screen).choose(NA)
        await settle(pilot, until=lambda: screen.answers.get("mood") is NA)
        await press(pilot, "pagedown", until=lambda: current(screen) == "value")
        answer_input(screen).choose(2)
        await settle(pilot, until=lambda: screen.answers.get("value") == 2)
        await press(pilot, "pagedown", until=lambda: current(screen) == "recommend")
        await press(
            pilot,
            "escape",
            until=lambda: (
                not isinstance(app.screen, SurveyScreen)
                and workspace.runs.load_draft(run.id, "emeka") == ({"mood": NA, "value": 2}, 2)
            ),
        )

    # A new connection: a new workspace and app on the same data folder.
    again = Workspace.open(data_dir, surveys_dir)
    app = CoptuiApp(again, again.member("emeka"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert current(screen) == "recommend" and progress(screen) == "3 of 7"
        assert screen.answers == {"mood": NA, "value": 2}
        await press(pilot, "pageup", until=lambda: current(screen) == "value")
        assert screen.query_one("#choice-1", RadioButton).value is True  # the earlier answer is pressed again


async def test_text_answers_are_saved_in_the_draft_while_typing(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "gus", full_answers(notes=None), position=7)
    app = CoptuiApp(workspace, workspace.member("gus"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert current(screen) == "notes"
        screen.query_one(TextArea).insert("line one\nline two")
        await settle(pilot, until=lambda: screen.answers.get("notes") == "line one\nline two")
        await press(
            pilot,
            "escape",
            until=lambda: not isinstance(app.screen, SurveyScreen) and drafted(workspace, run.id, "gus") is not None,
        )
    assert drafted(workspace, run.id, "gus") == "line one\nline two"


async def test_an_answered_run_says_so(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True)
    workspace.runs.submit_response(run.id, "hana", full_answers())
    app = CoptuiApp(workspace, workspace.member("hana"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert screen.page == "answered"
        assert "a member answers once" in page_text(screen)
        assert not screen.query_one("#edit", Button).display
        # Neither key has anything to act on: the page stays once both are handled.
        await press(pilot, "pagedown", "ctrl+s", until=lambda: screen.page == "answered")


async def test_allow_edit_reopens_the_members_answers(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, allow_edit=True)
    workspace.runs.submit_response(run.id, "farah", full_answers(mood=2))
    app = CoptuiApp(workspace, workspace.member("farah"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert screen.page == "answered" and screen.query_one("#edit", Button).display
        await click(pilot, "#edit")
        await settle(pilot, until=lambda: current(screen) == "mood")
        assert screen.query_one("#choice-1", RadioButton).value is True
        answer_input(screen).choose(5)
        await settle(pilot, until=lambda: screen.answers.get("mood") == 5)
        pagedowns = ["pagedown"] * 7
        await press(pilot, *pagedowns, until=lambda: screen.page == "review")
        await press(pilot, "ctrl+s", until=lambda: screen.page == "done")
    assert (workspace.runs.own_response(run.id, "farah") or {}).get("mood") == 5
    assert workspace.runs.response_count(run.id) == 1


async def test_anonymous_intro_states_the_thresholds(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=4, min_text=6)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        intro = page_text(screen)
        assert "Anonymous" in intro
        assert "at least 4 of the 8 members answered" in intro
        assert "written answers only from 6 responses on" in intro


async def test_a_run_closed_while_answering_stops_taking_answers(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        await press(pilot, "pagedown", until=lambda: current(screen) == "mood")
        workspace.runs.close_run(run.id, by="ada", today=date(2026, 11, 20))
        # The app merges changes for REFRESH_DELAY before telling screens.
        await settle(pilot, until=lambda: screen.page == "closed", timeout=CoptuiApp.REFRESH_DELAY + DEFAULT_TIMEOUT)
        assert "no longer takes answers" in page_text(screen)


async def test_submit_errors_are_shown_on_the_review_page(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "chen", full_answers(), position=8)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert screen.page == "review"
        workspace.runs.submit_response(run.id, "chen", full_answers())  # from another terminal
        await press(
            pilot,
            "ctrl+s",
            until=lambda: (
                screen.page == "answered" or (screen.page == "review" and "already answered" in message(screen))
            ),
        )


async def test_user_text_with_markup_and_escapes_is_shown_literally(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    text = "[bold]x[/] \x1b[31mred"
    workspace.runs.save_draft(run.id, "chen", full_answers(notes=text), position=8)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        option = screen.query_one(OptionList).get_option("notes")
        shown = option.prompt
        assert isinstance(shown, Text)
        assert "[bold]x[/] [31mred" in str(shown) and "\x1b" not in str(shown)
        answer_at = str(shown).index("[bold]x")
        assert not any(span.end > answer_at and "bold" in str(span.style) for span in shown.spans)
        await press(pilot, "ctrl+s", until=lambda: screen.page == "done")
    assert (workspace.runs.own_response(run.id, "chen") or {}).get("notes") == text


# -- snapshots -------------------------------------------------------------------------------------------


def _snapshot_app(surveys_dir: Path, data_dir: Path) -> tuple[CoptuiApp, str]:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=5)
    return CoptuiApp(workspace, workspace.member("chen")), run.id


def test_snapshot_survey_question_80x24(surveys_dir: Path, data_dir: Path, snap_compare) -> None:
    app, run_id = _snapshot_app(surveys_dir, data_dir)

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await open_survey(pilot, run_id)
        # The first question, with the required message.
        await press(pilot, "pagedown", "pagedown", until=lambda: "needs an answer" in message(screen))

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_snapshot_survey_nps_120x40(surveys_dir: Path, data_dir: Path, snap_compare) -> None:
    app, run_id = _snapshot_app(surveys_dir, data_dir)

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await open_survey(pilot, run_id)
        await press(pilot, "pagedown", until=lambda: current(screen) == "mood")
        answer_input(screen).choose(4)
        await settle(pilot, until=lambda: screen.answers.get("mood") == 4)
        await press(pilot, "pagedown", until=lambda: current(screen) == "value")
        answer_input(screen).choose(2)
        await settle(pilot, until=lambda: screen.answers.get("value") == 2)
        await press(pilot, "pagedown", until=lambda: current(screen) == "recommend")
        answer_input(screen).choose(8)
        await settle(pilot, until=lambda: screen.answers.get("recommend") == 8 and not pilot.app.workers)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


async def test_typing_is_kept_when_leaving_with_the_home_key(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "hana", full_answers(notes=None), position=7)
    app = CoptuiApp(workspace, workspace.member("hana"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        screen.query_one(TextArea).insert("half a thought")
        await settle(pilot, until=lambda: screen.answers.get("notes") == "half a thought")
        app.action_go_home()  # before the typing pause that would save it
        await settle(
            pilot,
            until=lambda: (
                not isinstance(app.screen, SurveyScreen) and drafted(workspace, run.id, "hana") == "half a thought"
            ),
        )


async def test_digits_press_a_choice(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("bruno"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        await press(pilot, "pagedown", "4", until=lambda: screen.answers.get("mood") == 4)
        # The sixth choice: "Not applicable".
        await press(pilot, "6", until=lambda: screen.answers.get("mood") is NA)
        await press(pilot, "pagedown", "pagedown", "0", until=lambda: screen.answers.get("recommend") == 0)
        assert current(screen) == "recommend"
        await press(pilot, "9", until=lambda: screen.answers.get("recommend") == 9)


# -- keys typed in one burst (as over SSH, or a member typing ahead) ---------------------------------------


async def burst(pilot: Pilot[Any], *keys: str | events.Paste, until: Condition) -> None:
    """Keys (and pastes) that arrive in one read (see tests.support.keys), then wait until ``until()`` holds."""
    post_keys(pilot.app, *keys)
    await settle(pilot, until)


async def test_a_digit_and_pagedown_in_one_burst_record_the_answer_and_go_on(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        await press(pilot, "pagedown", until=lambda: current(screen) == "mood")
        await burst(
            pilot,
            "4",
            "pagedown",
            until=lambda: current(screen) == "value" and workspace.runs.load_draft(run.id, "chen") == ({"mood": 4}, 1),
        )
        assert progress(screen) == "2 of 7"
        assert message(screen) == ""  # no "needs an answer"
        assert screen.answers == {"mood": 4}
        await press(pilot, "pageup", until=lambda: current(screen) == "mood")
        assert screen.query_one("#choice-3", RadioButton).value is True  # "4 · Agree" shown


async def test_a_whole_survey_typed_ahead_in_one_burst_lands_where_typed(surveys_dir: Path, data_dir: Path) -> None:
    """From the intro: answers by digit, Space on a list, text typed onto a page not shown yet, submit."""
    workspace, run = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("dana"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert screen.page == "intro"
        # Enter on the Start button, mood 4, value 2, recommend 3 (shows "why"), a written answer
        # typed straight after its PgDn, topics: Space on the first (a binding of the list),
        # format 2, again: 1 (Yes).
        assert isinstance(screen.focused, Button) and screen.focused.id == "next"
        keys = ["enter", "4", "pagedown", "2", "pagedown", "3", "pagedown", *"too far", "pagedown"]
        keys += ["space", "pagedown", "2", "pagedown", "1", "pagedown"]
        typed = {"mood": 4, "value": 2, "recommend": 3, "why": "too far", "topics": ["ci"], "format": "office hours"}
        typed["again"] = True
        await burst(
            pilot,
            *keys,
            until=lambda: current(screen) == "notes" and workspace.runs.load_draft(run.id, "dana") == (typed, 7),
        )
        assert progress(screen) == "8 of 8"
        assert isinstance(screen.focused, TextArea)
        await burst(pilot, *"ok", "pagedown", "ctrl+s", until=lambda: screen.page == "done")
        assert "Thank you!" in page_text(screen)
    assert workspace.runs.own_response(run.id, "dana") == {**typed, "notes": "ok"}


async def test_text_typed_right_after_pagedown_goes_into_the_next_pages_box(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "gus", full_answers(notes=None), position=6)
    app = CoptuiApp(workspace, workspace.member("gus"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert current(screen) == "again"
        await burst(
            pilot,
            "pagedown",
            *"hello there",
            until=lambda: current(screen) == "notes" and screen.query_one(TextArea).text == "hello there",
        )
        # Leave: the draft holds what was typed.
        await press(pilot, "escape", until=lambda: drafted(workspace, run.id, "gus") == "hello there")
    draft = workspace.runs.load_draft(run.id, "gus")
    assert draft is not None and draft[0]["notes"] == "hello there" and draft[1] == 7


async def test_a_paste_right_after_pagedown_goes_into_the_next_pages_box(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "hana", {"mood": 4, "value": 2, "recommend": 3}, position=2)
    app = CoptuiApp(workspace, workspace.member("hana"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert current(screen) == "recommend"
        await burst(
            pilot,
            "pagedown",
            events.Paste("too far\naway"),
            "pagedown",
            until=lambda: current(screen) == "topics" and why_drafted(workspace, run.id, "hana") == "too far\naway",
        )
        assert screen.answers["why"] == "too far\naway"


async def test_enter_on_the_review_and_ticks_on_a_list_in_one_burst(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "farah", full_answers(), position=8)
    app = CoptuiApp(workspace, workspace.member("farah"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert screen.page == "review"
        # Down to the fourth answer (topics: ci, iac), open it, untick ci, tick observability, go on.
        keys = ["down", "down", "down", "enter", "space", "down", "space", "pagedown"]
        ticked = ["observability", "iac"]
        await burst(
            pilot,
            *keys,
            until=lambda: (
                current(screen) == "format"
                and (draft := workspace.runs.load_draft(run.id, "farah")) is not None
                and draft[0]["topics"] == ticked
                and draft[1] == 5
            ),
        )
        assert screen.answers["topics"] == ticked


async def test_keys_typed_while_the_survey_opens_wait_for_its_first_page(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        app.open_run(run.id)  # no wait: the keys come before the screen is drawn and the survey read
        await burst(pilot, "pagedown", "4", "pagedown", until=lambda: on_page(app) and current(app.screen) == "value")
        screen = app.screen
        assert isinstance(screen, SurveyScreen)
        assert screen.answers == {"mood": 4}


async def test_pagedown_typed_twice_in_a_burst_is_refused_on_a_required_question_and_a_digit_after_it_answers(
    surveys_dir: Path, data_dir: Path
) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("emeka"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        await burst(pilot, "pagedown", "pagedown", "pagedown", until=lambda: "needs an answer" in message(screen))
        assert current(screen) == "mood"
        assert isinstance(screen.focused, RadioSet)
        await burst(pilot, "down", "space", "pagedown", "3", "pagedown", until=lambda: current(screen) == "recommend")
        assert screen.answers == {"mood": 2, "value": 3}


PAGE_DOWN = "\x1b[6~"


@pytest.mark.e2e
async def test_over_ssh_answers_and_pagedowns_sent_in_one_write_all_land(tmp_path: Path) -> None:
    """A member's client sends a survey's keys in one write (typing ahead over a slow link): every
    digit is the answer of its page, every PgDn moves on, the text typed after the last PgDn is in
    the box of the page it opens."""
    community = make_keyed_surveys(tmp_path, ["chen"])
    data = tmp_path / "data"
    run = Workspace.open(data, community.surveys_dir).runs.open_run("cop-pulse", by="ada")
    server = ServerProcess(data, community.surveys_dir).wait_ready()
    try:
        client = await Client.connect(server.port, community.keys["chen"])
        try:
            await client.wait_text("Monthly CoP pulse")
            await client.wait_text("to do")  # home has read where chen stands: the row is ready for Enter
            client.send(KEYS["enter"])
            await client.wait_text("7 questions")
            # Intro -> 1: "4", 2: "2", 3: "5", 4: "3", 5 (0-10): "3", which shows the written question.
            client.send(PAGE_DOWN + "".join(digit + PAGE_DOWN for digit in "42533") + "more demos please")
            await client.wait_text("more demos please")
            assert "What one change would make you recommend it?" in client.text and "6 of 8" in client.text
            client.send(KEYS["escape"])  # leave: the draft is written
            await client.wait_text("Open for you")
        finally:
            client.close()
        draft = Workspace.open(data, community.surveys_dir).runs.load_draft(run.id, "chen")
        assert draft == (
            {
                "domain": 4,
                "community": 2,
                "practice": 5,
                "value": 3,
                "recommend": 3,
                "recommend_why": "more demos please",
            },
            5,
        )
    finally:
        server.stop()


async def test_a_survey_that_cannot_be_read_says_why_and_closes(surveys_dir: Path, data_dir: Path) -> None:
    workspace, _ = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        app.push_screen(SurveyScreen("no-such-run"))
        # Typed while it loads: nothing breaks.
        await burst(pilot, "pagedown", "4", until=lambda: not isinstance(app.screen, SurveyScreen))
        assert any("no-such-run" in str(n.message) for n in app._notifications)


# -- answering by keys: quick and exact --------------------------------------------------------


async def test_keys_choose_and_enter_goes_on(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        await press(pilot, "pagedown", until=lambda: current(screen) == "mood")
        await press(pilot, "4", "enter", until=lambda: current(screen) == "value")
        assert screen.answers.get("mood") == 4
        # End and Home: the ends of a scale.
        await press(pilot, "end", until=lambda: answer_input(screen).value == 4)
        await press(pilot, "home", until=lambda: answer_input(screen).value == 1)
        await press(pilot, "enter", until=lambda: current(screen) == "recommend")
        assert screen.answers.get("value") == 1
        # 10 on NPS by keys: "1" then "0" (one read of the terminal).
        post_keys(app, "1", "0")
        await settle(pilot, lambda: answer_input(screen).value == 10)
        await press(pilot, "enter", until=lambda: current(screen) == "topics")
        # Digits tick and untick on multiple choice; the ticked ones carry a mark.
        await press(pilot, "1", "3", "2", "2", until=lambda: answer_input(screen).value == ["ci", "iac"])
        prompts = [str(option.prompt) for option in screen.query_one(SelectionList).options]
        assert prompts == ["✓ ci", "  observability", "✓ iac"]
        await press(pilot, "enter", until=lambda: current(screen) == "format")
        await press(pilot, "2", "enter", until=lambda: current(screen) == "again")
        assert screen.answers.get("format") == "office hours"
        await press(pilot, "n", until=lambda: answer_input(screen).value is False)
        await press(pilot, "y", until=lambda: answer_input(screen).value is True)
        await press(pilot, "enter", until=lambda: current(screen) == "notes")


async def test_back_on_an_answered_question_the_cursor_is_on_the_answer(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        await press(pilot, "pagedown", until=lambda: current(screen) == "mood")
        await press(pilot, "4", "pagedown", until=lambda: current(screen) == "value")
        await press(pilot, "2", "pagedown", until=lambda: current(screen) == "recommend")
        await press(pilot, "5", "pagedown", until=lambda: current(screen) == "why")
        await press(pilot, "pageup", until=lambda: current(screen) == "recommend")
        # From the saved 5, one step right and Space give 6 (not 1: the cursor was on 0).
        await press(pilot, "right", "space", until=lambda: answer_input(screen).value == 6)
        buttons = list(screen.query(RadioButton).results(RadioButton))
        marks = {button.BUTTON_INNER for button in buttons if not button.value}
        assert marks == {" "} and next(b for b in buttons if b.value).BUTTON_INNER == "●"
