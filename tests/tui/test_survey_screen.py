"""The survey screen, driven by Pilot: every question type, required and soft-required messages,
show_if both ways, back, drafts resumed, review, submit; what is shown and what is stored."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import Button, OptionList, RadioSet, SelectionList, Static, TextArea
from textual.worker import WorkerCancelled

from coptui.core.runs import NA
from coptui.core.workspace import Workspace
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.survey import SurveyScreen
from coptui.tui.widgets.questions import QuestionInput
from tests.support.keys import post_keys
from tests.support.ssh import KEYS, Client, ServerProcess, make_keyed_surveys
from tests.support.surveys import full_answers, open_every_type

SIZE = (100, 32)
WAIT = 10.0


async def settle(pilot: Any) -> None:
    """Let messages, workers and their call-backs finish (bounded)."""

    async def workers_done() -> None:
        for worker in list(pilot.app.workers):
            try:
                await worker.wait()
            except WorkerCancelled:
                pass  # an exclusive worker replaced by a newer one (a draft written again)

    async def run() -> None:
        await pilot.pause()
        await workers_done()
        await pilot.pause()
        await workers_done()
        await pilot.pause()

    await asyncio.wait_for(run(), WAIT)


async def press(pilot: Any, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def page_text(screen: SurveyScreen) -> str:
    parts = [str(static.content) for static in screen.query("#page Static")]
    parts += (
        [str(option.prompt) for option in screen.query(OptionList).first().options] if screen.query(OptionList) else []
    )
    return "\n".join(parts)


def message(screen: SurveyScreen) -> str:
    return str(screen.query_one("#message", Static).content)


def current(screen: SurveyScreen) -> str:
    assert screen.page == "question" and screen.current is not None, screen.page
    return screen.current.id


def progress(screen: SurveyScreen) -> str:
    return str(screen.query_one("#progress-label", Static).content)


async def open_survey(pilot: Any, run_id: str) -> SurveyScreen:
    await settle(pilot)
    pilot.app.open_run(run_id)
    await settle(pilot)
    screen = pilot.app.screen
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

        await press(pilot, "pagedown")
        assert current(screen) == "mood" and progress(screen) == "1 of 7"
        assert isinstance(screen.focused, RadioSet)
        assert all(not button.value for button in screen.query("RadioButton"))  # nothing preselected

        # Required: cannot go on, and the message says why and what the way out is.
        await press(pilot, "pagedown")
        assert current(screen) == "mood"
        assert "needs an answer" in message(screen) and 'choose "Not applicable"' in message(screen)
        assert screen.query_one("#message").has_class("error")

        # Keys: move down to "Agree" and press it.
        await press(pilot, "down", "down", "down", "space")
        assert screen.answers["mood"] == 4
        assert message(screen) == ""
        await press(pilot, "pagedown")

        # Mouse: click the third point of the rating.
        assert current(screen) == "value" and progress(screen) == "2 of 7"
        await pilot.click("#choice-2")
        await settle(pilot)
        assert screen.answers["value"] == 3
        await pilot.click("#next")
        await settle(pilot)

        # Soft-required: one warning, then the member may go on.
        assert current(screen) == "recommend"
        await press(pilot, "pagedown")
        assert current(screen) == "recommend" and screen.query_one("#message").has_class("warning")
        await press(pilot, "pagedown")
        assert current(screen) == "topics"  # "why" is not shown: recommend was not answered

        # Back, answer a low score: the follow-up question appears ...
        await press(pilot, "pageup")
        assert current(screen) == "recommend"
        answer_input(screen).choose(3)
        await settle(pilot)
        assert progress(screen) == "3 of 8"
        await press(pilot, "pagedown")
        assert current(screen) == "why"
        assert isinstance(screen.focused, TextArea)
        await press(pilot, *"too far")
        assert screen.answers["why"] == "too far"
        await press(pilot, "pagedown")
        assert current(screen) == "topics"

        # ... and a high score hides it again (the other way of the show_if).
        await press(pilot, "pageup", "pageup")
        assert current(screen) == "recommend"
        answer_input(screen).choose(9)
        await settle(pilot)
        assert progress(screen) == "3 of 7"
        await press(pilot, "pagedown")
        assert current(screen) == "topics"

        # Multiple choice with keys: tick the first and the third.
        assert isinstance(screen.focused, SelectionList)
        await press(pilot, "space", "down", "down", "space")
        assert screen.answers["topics"] == ["ci", "iac"]
        await press(pilot, "pagedown")

        assert current(screen) == "format"
        await pilot.click("#choice-1")
        await settle(pilot)
        assert screen.answers["format"] == "office hours"
        await press(pilot, "pagedown")

        assert current(screen) == "again"
        await press(pilot, "pagedown")
        assert "needs an answer" in message(screen) and "Not applicable" not in message(screen)
        await press(pilot, "down", "space")
        assert screen.answers["again"] in (True, False)
        answer_input(screen).choose(True)
        await settle(pilot)
        await press(pilot, "pagedown")

        assert current(screen) == "notes"
        await press(pilot, *"[bold]x[/]")
        await press(pilot, "pagedown")

        assert screen.page == "review" and progress(screen) == "Review"
        review = page_text(screen)
        assert "4 · Agree" in review and "office hours" in review and "[bold]x[/]" in review
        assert "Why not higher?" not in review  # hidden questions are not reviewed
        assert "9 of 10" in review
        await press(pilot, "ctrl+s")

        assert screen.page == "done"
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

        await pilot.click("#home")
        await settle(pilot)
        assert not isinstance(app.screen, SurveyScreen)


async def test_review_enter_goes_back_to_a_question(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "dana", full_answers(), position=8)
    app = CoptuiApp(workspace, workspace.member("dana"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert screen.page == "review"
        await press(pilot, "down", "enter")
        assert current(screen) == "value"
        await press(pilot, "pagedown", "pagedown", "pagedown", "pagedown", "pagedown", "pagedown")
        assert screen.page == "review"


async def test_leaving_keeps_a_draft_that_resumes_in_a_new_session(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("emeka"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        await press(pilot, "pagedown")
        answer_input(screen).choose(NA)
        await settle(pilot)
        await press(pilot, "pagedown")
        answer_input(screen).choose(2)
        await settle(pilot)
        await press(pilot, "pagedown")
        assert current(screen) == "recommend"
        await press(pilot, "escape")
        assert not isinstance(app.screen, SurveyScreen)
    assert workspace.runs.load_draft(run.id, "emeka") == ({"mood": NA, "value": 2}, 2)

    # A new connection: a new workspace and app on the same data folder.
    again = Workspace.open(data_dir, surveys_dir)
    app = CoptuiApp(again, again.member("emeka"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert current(screen) == "recommend" and progress(screen) == "3 of 7"
        assert screen.answers == {"mood": NA, "value": 2}
        await press(pilot, "pageup")
        assert current(screen) == "value"
        assert screen.query_one("#choice-1").value is True  # the earlier answer is pressed again


async def test_text_answers_are_saved_in_the_draft_while_typing(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "gus", full_answers(notes=None), position=7)
    app = CoptuiApp(workspace, workspace.member("gus"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert current(screen) == "notes"
        screen.query_one(TextArea).insert("line one\nline two")
        await settle(pilot)
        await press(pilot, "escape")
    draft = workspace.runs.load_draft(run.id, "gus")
    assert draft is not None and draft[0]["notes"] == "line one\nline two"


async def test_an_answered_run_says_so(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True)
    workspace.runs.submit_response(run.id, "hana", full_answers())
    app = CoptuiApp(workspace, workspace.member("hana"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert screen.page == "answered"
        assert "a member answers once" in page_text(screen)
        assert not screen.query_one("#edit", Button).display
        await press(pilot, "pagedown", "ctrl+s")
        assert screen.page == "answered"


async def test_allow_edit_reopens_the_members_answers(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, allow_edit=True)
    workspace.runs.submit_response(run.id, "farah", full_answers(mood=2))
    app = CoptuiApp(workspace, workspace.member("farah"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert screen.page == "answered" and screen.query_one("#edit", Button).display
        await pilot.click("#edit")
        await settle(pilot)
        assert current(screen) == "mood" and screen.query_one("#choice-1").value is True
        answer_input(screen).choose(5)
        await settle(pilot)
        for _ in range(7):
            await press(pilot, "pagedown")
        assert screen.page == "review"
        await press(pilot, "ctrl+s")
        assert screen.page == "done"
    assert workspace.runs.own_response(run.id, "farah")["mood"] == 5
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
        await press(pilot, "pagedown")
        workspace.runs.close_run(run.id, by="ada", today=date(2026, 11, 20))
        await settle(pilot)
        await pilot.pause(0.2)  # the app merges changes for REFRESH_DELAY before telling screens
        await settle(pilot)
        assert screen.page == "closed"
        assert "no longer takes answers" in page_text(screen)


async def test_submit_errors_are_shown_on_the_review_page(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "chen", full_answers(), position=8)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert screen.page == "review"
        workspace.runs.submit_response(run.id, "chen", full_answers())  # from another terminal
        await press(pilot, "ctrl+s")
        assert screen.page in ("review", "answered")
        if screen.page == "review":
            assert "already answered" in message(screen)


async def test_user_text_with_markup_and_escapes_is_shown_literally(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    text = "[bold]x[/] \x1b[31mred"
    workspace.runs.save_draft(run.id, "chen", full_answers(notes=text), position=8)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        option = screen.query_one(OptionList).get_option("notes")
        shown = option.prompt
        assert "[bold]x[/] [31mred" in str(shown) and "\x1b" not in str(shown)
        answer_at = str(shown).index("[bold]x")
        assert not any(span.end > answer_at and "bold" in str(span.style) for span in shown.spans)
        await press(pilot, "ctrl+s")
    assert workspace.runs.own_response(run.id, "chen")["notes"] == text


# -- snapshots -------------------------------------------------------------------------------------------


def _snapshot_app(surveys_dir: Path, data_dir: Path) -> tuple[CoptuiApp, str]:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=5)
    return CoptuiApp(workspace, workspace.member("chen")), run.id


def test_snapshot_survey_question_80x24(surveys_dir: Path, data_dir: Path, snap_compare) -> None:
    app, run_id = _snapshot_app(surveys_dir, data_dir)

    async def run_before(pilot) -> None:
        await open_survey(pilot, run_id)
        await press(pilot, "pagedown", "pagedown")  # the first question, with the required message

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_snapshot_survey_nps_120x40(surveys_dir: Path, data_dir: Path, snap_compare) -> None:
    app, run_id = _snapshot_app(surveys_dir, data_dir)

    async def run_before(pilot) -> None:
        screen = await open_survey(pilot, run_id)
        await press(pilot, "pagedown")
        answer_input(screen).choose(4)
        await settle(pilot)
        await press(pilot, "pagedown")
        answer_input(screen).choose(2)
        await settle(pilot)
        await press(pilot, "pagedown")
        answer_input(screen).choose(8)
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


async def test_typing_is_kept_when_leaving_with_the_home_key(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "hana", full_answers(notes=None), position=7)
    app = CoptuiApp(workspace, workspace.member("hana"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        screen.query_one(TextArea).insert("half a thought")
        await pilot.pause()
        app.action_go_home()  # before the typing pause that would save it
        await settle(pilot)
        assert not isinstance(app.screen, SurveyScreen)

    async def saved() -> None:
        while (workspace.runs.load_draft(run.id, "hana") or ({}, 0))[0].get("notes") != "half a thought":
            await asyncio.sleep(0.01)

    await asyncio.wait_for(saved(), WAIT)


async def test_digits_press_a_choice(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("bruno"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        await press(pilot, "pagedown", "4")
        assert screen.answers["mood"] == 4
        await press(pilot, "6")
        assert screen.answers["mood"] is NA  # the sixth choice: "Not applicable"
        await press(pilot, "pagedown", "pagedown", "0")
        assert current(screen) == "recommend" and screen.answers["recommend"] == 0
        await press(pilot, "9")
        assert screen.answers["recommend"] == 9


# -- keys typed in one burst (as over SSH, or a member typing ahead) ---------------------------------------


async def burst(pilot: Any, *keys: str | events.Paste) -> None:
    """Keys (and pastes) that arrive in one read (see keys_support), then settle."""
    post_keys(pilot.app, *keys)
    await settle(pilot)


async def test_a_digit_and_pagedown_in_one_burst_record_the_answer_and_go_on(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        await press(pilot, "pagedown")
        assert current(screen) == "mood"
        await burst(pilot, "4", "pagedown")
        assert current(screen) == "value" and progress(screen) == "2 of 7"
        assert message(screen) == ""  # no "needs an answer"
        assert screen.answers == {"mood": 4}
        assert workspace.runs.load_draft(run.id, "chen") == ({"mood": 4}, 1)
        await press(pilot, "pageup")
        assert current(screen) == "mood" and screen.query_one("#choice-3").value is True  # "4 · Agree" shown


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
        await burst(pilot, *keys)
        assert current(screen) == "notes" and progress(screen) == "8 of 8"
        assert isinstance(screen.focused, TextArea)
        typed = {"mood": 4, "value": 2, "recommend": 3, "why": "too far", "topics": ["ci"], "format": "office hours"}
        typed["again"] = True
        assert workspace.runs.load_draft(run.id, "dana") == (typed, 7)
        await burst(pilot, *"ok", "pagedown", "ctrl+s")
        assert screen.page == "done" and "Thank you!" in page_text(screen)
    assert workspace.runs.own_response(run.id, "dana") == {**typed, "notes": "ok"}


async def test_text_typed_right_after_pagedown_goes_into_the_next_pages_box(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "gus", full_answers(notes=None), position=6)
    app = CoptuiApp(workspace, workspace.member("gus"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert current(screen) == "again"
        await burst(pilot, "pagedown", *"hello there")
        assert current(screen) == "notes"
        assert screen.query_one(TextArea).text == "hello there"
        await press(pilot, "escape")  # leave: the draft holds what was typed
    draft = workspace.runs.load_draft(run.id, "gus")
    assert draft is not None and draft[0]["notes"] == "hello there" and draft[1] == 7


async def test_a_paste_right_after_pagedown_goes_into_the_next_pages_box(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "hana", {"mood": 4, "value": 2, "recommend": 3}, position=2)
    app = CoptuiApp(workspace, workspace.member("hana"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert current(screen) == "recommend"
        await burst(pilot, "pagedown", events.Paste("too far\naway"), "pagedown")
        assert current(screen) == "topics"
        assert screen.answers["why"] == "too far\naway"
    draft = workspace.runs.load_draft(run.id, "hana")
    assert draft is not None and draft[0]["why"] == "too far\naway"


async def test_enter_on_the_review_and_ticks_on_a_list_in_one_burst(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "farah", full_answers(), position=8)
    app = CoptuiApp(workspace, workspace.member("farah"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        assert screen.page == "review"
        # Down to the fourth answer (topics: ci, iac), open it, untick ci, tick observability, go on.
        await burst(pilot, "down", "down", "down", "enter", "space", "down", "space", "pagedown")
        assert current(screen) == "format"
        assert screen.answers["topics"] == ["observability", "iac"]
    draft = workspace.runs.load_draft(run.id, "farah")
    assert draft is not None and draft[0]["topics"] == ["observability", "iac"] and draft[1] == 5


async def test_keys_typed_while_the_survey_opens_wait_for_its_first_page(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_run(run.id)  # no wait: the keys come before the screen is drawn and the survey read
        await burst(pilot, "pagedown", "4", "pagedown")
        screen = app.screen
        assert isinstance(screen, SurveyScreen)
        assert current(screen) == "value" and screen.answers == {"mood": 4}


async def test_pagedown_typed_twice_in_a_burst_is_refused_on_a_required_question_and_a_digit_after_it_answers(
    surveys_dir: Path, data_dir: Path
) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    app = CoptuiApp(workspace, workspace.member("emeka"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_survey(pilot, run.id)
        await burst(pilot, "pagedown", "pagedown", "pagedown")
        assert current(screen) == "mood"
        assert "needs an answer" in message(screen)
        assert isinstance(screen.focused, RadioSet)
        await burst(pilot, "down", "space", "pagedown", "3", "pagedown")
        assert current(screen) == "recommend"
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
            await client.settle()
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
        await settle(pilot)
        app.push_screen(SurveyScreen("no-such-run"))
        await burst(pilot, "pagedown", "4")  # typed while it loads: nothing breaks
        assert not isinstance(app.screen, SurveyScreen)
        assert any("no-such-run" in str(n.message) for n in app._notifications)
