"""Filling a survey: an intro with the privacy rules, one question at a time, a review, a thank-you.

The screen only keeps the member's answers in memory and shows them; every rule (what is
shown, what is required, what may be stored) lives in :mod:`coptui.core.runs`, and every read
or write goes through it in a thread worker. The draft is saved as the member goes, with
the position, so that quitting (or losing an SSH connection) and coming back resumes at
the same question.

Every change of page (next, back, submit, leave, a page shown after a read) runs as a *step*,
one at a time, after the keys typed before it have reached the input they were typed into:
over SSH a member's keys often arrive in one burst ("4" and PgDn), and PgDn is a priority
binding that would otherwise run before the "4" is handled. Keys typed while a page changes
wait in a :class:`~coptui.tui.typed_ahead.KeyBuffer` and go to the new page's input once it
is there (coptui.tui.typed_ahead: the one mechanism for keys typed ahead, shared with the retro).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Literal

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Footer, Header, OptionList, ProgressBar, RadioSet, SelectionList, Static
from textual.widgets.option_list import Option
from textual.worker import WorkerCancelled

from coptui.core.answers import drop_hidden, is_empty, required_message, shown_questions, soft_required_message
from coptui.core.definitions import Question, SurveyDefinition
from coptui.core.run import NA, AnswerError, MemberRunStatus, Run, RunError
from coptui.core.survey_rules import answers_editable, closed_for_answers
from coptui.core.workspace import Workspace
from coptui.store.errors import StoreError
from coptui.tui.base import CoptuiScreen
from coptui.tui.messages import DataChanged
from coptui.tui.text import literal
from coptui.tui.typed_ahead import CaughtUp, KeyBuffer, Step, bind_now
from coptui.tui.widgets.questions import QuestionInput, describe_answer, make_input

Page = Literal["loading", "intro", "question", "review", "done", "answered", "closed"]
# Typing in a text answer saves the draft this long after the last key, not on every key.
TEXT_SAVE_DELAY = 1.0
# A long written answer shows its first lines on the review page.
REVIEW_LINES = 3


@dataclass(frozen=True)
class SurveyStart:
    """What the screen needs to start: the run, where the member stands, and earlier answers."""

    run: Run
    status: MemberRunStatus
    answers: dict[str, Any]
    position: int | None  # index in the survey's questions; None: start at the intro
    editable: bool
    closed_for_answers: bool


def load_start(workspace: Workspace, run_id: str, handle: str, today: date | None = None) -> SurveyStart:
    """Read everything the survey screen starts from (blocking: call it in a thread)."""
    runs = workspace.runs
    run = runs.get(run_id)
    status = runs.status_for(run, handle)
    editable = answers_editable(run)
    answers: dict[str, Any] = {}
    position: int | None = None
    draft = runs.load_draft(run_id, handle)
    if draft is not None:
        answers, position = draft
    elif status.status == "answered" and editable:
        answers = runs.own_response(run_id, handle) or {}
    closed = closed_for_answers(run, today or date.today())
    return SurveyStart(run, status, _usable(run.survey(), answers), position, editable, closed)


def _usable(survey: SurveyDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    """Stored answers as the inputs take them: a skipped question (stored NA) shows as unanswered."""
    usable = {}
    for question in survey.questions:
        value = answers.get(question.id)
        if value is NA and question.na is None:
            continue
        if value is not None:
            usable[question.id] = value
    return usable


class StepsReady(Message):
    """Every key typed before the waiting step is handled, bindings included: run the steps."""


class SurveyScreen(CoptuiScreen[None]):
    CSS_PATH = "survey.tcss"
    HELP_TITLE = "Survey"
    HELP = (
        "One question at a time. Choose an answer with the arrows and Space, a digit (the n-th choice; "
        "on 0-10 the score itself, 1 then 0 for 10), y or n on a yes/no question, Home or End for the ends "
        "of a scale, or the mouse. On a list of check boxes a digit ticks or unticks the n-th option. Enter "
        "chooses and goes on; PgDn "
        "(or ctrl+n, or the Next button) goes on and PgUp goes back. In a written answer Enter starts a "
        "new line. A required question needs an answer; one marked 'please answer' warns once. The last "
        "page lists your answers: Enter on one goes back to it, ctrl+s submits. Esc leaves and keeps "
        "your draft: you come back to the same question."
    )
    BINDINGS = [
        Binding("pagedown,ctrl+n", "next", "Next", priority=True, key_display="PgDn"),
        Binding("pageup", "back", "Back", priority=True, key_display="PgUp"),
        Binding("ctrl+s", "submit", "Submit", priority=True),
        # Enter on a button or on the review page's list, taken on arrival like PgDn: keys typed
        # after it wait for the page it opens (the widget's own Enter is bound only once it has
        # bubbled up, after the keys that follow it went to the page being left).
        Binding("enter", "enter", "Open", priority=True, show=False),
        Binding("escape", "leave", "Leave"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.run: Run | None = None
        self.survey: SurveyDefinition | None = None
        self.answers: dict[str, Any] = {}
        self.page: Page = "loading"
        self.current: Question | None = None
        self.soft_warned: set[str] = set()
        self.editable = False
        self._text_timer: Any = None
        self._input: QuestionInput | None = None  # the current question's input
        self._focus_target: Widget | None = None  # where the keyboard goes on the current page
        self._key_owner: Widget | None = None  # had the focus when the keys now bubbling up were typed
        self._owner_bindings: dict[str, ActiveBinding] = {}  # the owner's own bindings, as they were then
        # The first step reads the survey. Keys typed from the moment the screen opens (a member
        # typing ahead over SSH: Enter on home, then PgDn, 4, ...) wait for its first page.
        self._key_buffer = KeyBuffer()
        self._key_buffer.items.append(self._load)
        self._key_buffer.holding = self._stepping = True  # steps are waiting or running: a new one waits

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="survey"):
            yield Static("", id="survey-title")
            with Horizontal(id="progress-row"):
                yield ProgressBar(total=1, show_eta=False, show_percentage=False, id="progress")
                yield Static("", id="progress-label")
            yield VerticalScroll(Static("Loading…", classes="empty"), id="page")
            yield Static("", id="message")
            with Horizontal(id="nav"):
                yield Button("← Back", id="back")
                yield Button("Next →", id="next", variant="primary")
                yield Button("Submit", id="submit", variant="success")
                yield Button("Edit my answers", id="edit")
                yield Button("Back home", id="home")
        yield Footer()
        yield self._key_buffer

    def on_mount(self) -> None:
        self.title = "Survey"
        self._show_buttons()
        self._hold_keys(True)
        self._catch_up(None)  # runs the first step

    def post_message(self, message: Message) -> bool:
        # Until the screen has a focused widget, the app gives it the keys: they wait in the buffer.
        if not self.is_mounted and isinstance(message, (events.Key, events.Paste)):
            self._key_buffer.items.append(message)
            return True
        return super().post_message(message)

    @work(thread=True, exclusive=True, group="survey-load", exit_on_error=False)
    def _read_start(self) -> SurveyStart | RunError:
        workspace = self.workspace
        try:
            return load_start(workspace, self.run_id, self.member.handle)
        except RunError as error:
            return error

    async def _load(self) -> None:
        try:
            start = await self._read_start().wait()
        except WorkerCancelled:
            return  # the app is closing
        if isinstance(start, RunError):
            self.notify(str(start), severity="error", markup=False)
            self.app.pop_screen()
            return
        await self._started(start)

    async def _started(self, start: SurveyStart) -> None:
        self.run, self.survey = start.run, start.run.survey()
        self.answers = dict(start.answers)
        self.editable = start.editable
        self.query_one("#survey-title", Static).update(literal(self.run.title, "bold"))
        if start.closed_for_answers:
            await self._show_closed()
        elif start.status.status == "answered" and start.position is None:
            await self._show_answered()
        elif start.position is not None:
            self.notify("Welcome back: you are where you stopped.", timeout=4)
            await self._go_to_position(start.position)
        else:
            await self._show_intro()

    # -- what is shown -------------------------------------------------------------------------

    @property
    def shown(self) -> list[Question]:
        assert self.survey is not None
        return shown_questions(self.survey, self.answers)

    def _show_buttons(self) -> None:
        page = self.page
        visible = {
            "loading": set(),
            "intro": {"next"},
            "question": {"back", "next"},
            "review": {"back", "submit"},
            "done": {"home"},
            "answered": {"home", "edit"} if self.editable else {"home"},
            "closed": {"home"},
        }[page]
        for button in self.query("#nav Button"):
            button.display = button.id in visible
        labels = {"intro": "Start →", "question": "Next →"}
        self.query_one("#next", Button).label = labels.get(page, "Next →")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if (self._stepping or self.page == "loading") and action in ("next", "back", "submit"):
            return True  # the page it applies to is not shown yet: the step decides
        if action == "next":
            return self.page in ("intro", "question")
        if action == "back":
            return self.page in ("question", "review")
        if action == "submit":
            return self.page == "review"
        if action == "enter":
            focused = self.focused
            return (
                (self.page == "review" and isinstance(focused, OptionList))
                or (isinstance(focused, Button) and focused.id in self._button_actions)
                or (self.page == "question" and isinstance(focused, (RadioSet, SelectionList, Checkbox)))
            )
        return True

    def _update_progress(self) -> None:
        total = len(self.shown) if self.survey else 1
        bar = self.query_one("#progress", ProgressBar)
        label = self.query_one("#progress-label", Static)
        if self.page == "question" and self.current is not None:
            number = next((i for i, q in enumerate(self.shown) if q.id == self.current.id), 0) + 1
            bar.update(total=total, progress=number)
            label.update(f"{number} of {total}")
        elif self.page in ("review", "done", "answered"):
            bar.update(total=total, progress=total)
            label.update("Review" if self.page == "review" else "Done")
        else:
            bar.update(total=total, progress=0)
            label.update(f"{total} questions" if self.page == "intro" else "")

    def _say(self, text: str | Text = "", kind: str = "") -> None:
        message = self.query_one("#message", Static)
        message.update(text if isinstance(text, Text) else literal(text))
        message.set_classes(kind)

    async def _set_page(self, page: Page, *widgets: Widget, focus: Widget | None = None) -> None:
        self.page = page
        container = self.query_one("#page", VerticalScroll)
        await container.remove_children()
        await container.mount_all(widgets)
        container.scroll_home(animate=False)
        self._input = next((w for w in widgets if isinstance(w, QuestionInput)), None)
        self._show_buttons()
        self._update_progress()
        if focus is None and self._input is not None:
            focus = self._input.answer_control if self._input.is_attached else None
        elif focus is None and page == "intro":
            focus = self.query_one("#next", Button)
        elif focus is None and page in ("done", "answered", "closed"):
            focus = self.query_one("#edit" if page == "answered" and self.editable else "#home", Button)
        self._focus_target = focus
        if not self._stepping:
            self.set_focus(focus)  # at once: Widget.focus() would wait behind keys already typed

    async def _show_intro(self) -> None:
        assert self.run is not None and self.survey is not None
        self._say()
        await self._set_page("intro", Static(intro_text(self.run, self.survey, len(self.shown)), id="intro"))

    async def _show_question(self, question: Question) -> None:
        self.current = question
        self._say()
        number = next((i for i, q in enumerate(self.shown) if q.id == question.id), 0) + 1
        tag = {True: " · required", "soft": " · please answer"}.get(question.required, "")
        widgets: list[Widget] = [
            Static(Text(f"Question {number}{tag}", style="dim"), id="question-number"),
            Static(literal(question.text, "bold"), id="question-text"),
        ]
        if question.help:
            widgets.append(Static(literal(question.help), id="question-help"))
        widgets.append(make_input(question, self.answers.get(question.id), id="answer"))
        await self._set_page("question", *widgets)

    async def _show_review(self, problems: list[str] | None = None) -> None:
        items = []
        for number, question in enumerate(self.shown, start=1):
            prompt = Text.assemble((f"{number}. ", "dim"), literal(question.text, "bold"))
            answer = describe_answer(question, self.answers.get(question.id))
            for line in answer.split("\n")[:REVIEW_LINES]:
                prompt.append("\n   ")
                prompt.append_text(line)
            items.append(Option(prompt, id=question.id))
        review = OptionList(*items, id="review")
        await self._set_page("review", review, focus=review)
        if problems:
            self._say("Cannot submit yet: " + "; ".join(problems), "error")
        else:
            self._say("Check your answers: Enter on one goes back to change it; Submit (ctrl+s) sends them.", "hint")

    async def _show_done(self) -> None:
        assert self.run is not None
        if self.run.anonymous:
            detail = "Your answers are stored without your name. Results appear when the survey closes with enough responses."
        else:
            detail = "Your answers are stored with your name, as this survey said."
        thanks = Text.assemble(("Thank you!", "bold"), "\n\n", detail)
        self._say()
        await self._set_page("done", Static(thanks, id="thanks"))

    async def _show_answered(self) -> None:
        assert self.run is not None
        if self.editable:
            detail = "You have answered this survey. It allows changes until it closes: choose Edit my answers."
        else:
            detail = "You have answered this survey; a member answers once. Results appear when it closes."
        await self._set_page(
            "answered", Static(Text.assemble(("Already answered", "bold"), "\n\n", detail), id="answered")
        )

    async def _show_closed(self) -> None:
        await self._set_page(
            "closed",
            Static(Text.assemble(("This survey is closed", "bold"), "\n\nIt no longer takes answers."), id="closed"),
        )

    async def _go_to_position(self, position: int) -> None:
        """Resume at a question of the survey (by its index), or the next one still shown."""
        assert self.survey is not None
        shown_ids = {q.id for q in self.shown}
        for question in self.survey.questions[position:]:
            if question.id in shown_ids:
                await self._show_question(question)
                return
        await self._show_review()

    # -- steps: one page change at a time, after the keys typed before it ---------------------------

    @property
    def _buffer(self) -> KeyBuffer:
        return self._key_buffer

    def _queue(self, step: Step) -> None:
        """Run ``step`` once every key typed before it has been handled by the input it went to."""
        buffer = self._buffer
        buffer.items.append(step)  # after the keys kept so far: it runs in its turn
        if self._stepping:
            return
        origin = self.focused
        self._stepping = True
        self._key_owner = origin
        # The bindings of the keys already typed, looked up from the focus they were typed at
        # (the app would look them up from the buffer). The screen's and the app's own are
        # left out: the app finds those as usual once the keys bubble up to it.
        self._owner_bindings = {
            key: active for key, active in self.active_bindings.items() if active.node not in (self, self.app)
        }
        # From now on keys wait in the buffer; those already handed to the focused widget are
        # followed there by a marker that reaches this screen once they are handled.
        self._hold_keys(True)
        self._catch_up(origin)

    def _catch_up(self, holder: Widget | None) -> None:
        """Send the marker after the keys ``holder`` was given (straight to the screen if it takes none)."""
        if holder is None or not holder.post_message(CaughtUp()):
            self.post_message(CaughtUp())

    def _hold_keys(self, hold: bool, target: Widget | None = None) -> None:
        buffer = self._buffer
        buffer.holding = hold
        if hold:
            self.set_focus(buffer, scroll_visible=False)
        else:
            self.set_focus(target if target is not None and target.focusable else None)

    async def on_key(self, event: events.Key) -> None:
        """A key handed to an input before the buffer took the focus, bubbling up unhandled (Space
        on a choice): bind it from that input. The app binds keys from the focused widget, which
        is the buffer by now, so it would find none of the input's bindings."""
        owner = self._key_owner
        if not self._buffer.holding or owner is None or not owner.is_attached:
            return
        await bind_now(owner, event, self._owner_bindings)

    @on(CaughtUp)
    def _input_caught_up(self, message: CaughtUp) -> None:
        message.stop()
        # A key that the focused widget leaves to a binding (Space on a choice) is bound by the
        # app after it has bubbled up there: wait for the app's turn too.
        self.app.call_later(self.post_message, StepsReady())

    @on(StepsReady)
    async def _run_steps(self, message: StepsReady) -> None:
        message.stop()
        buffer = self._buffer
        self._hold_keys(True)  # keys typed while the page changes wait for the new page
        while (step := buffer.take_step()) is not None:
            await step()
            if not self.is_attached or self.app.screen is not self:
                buffer.items.clear()  # the survey was left: nothing more goes to it
                buffer.holding = self._stepping = False
                return
        target = self._focus_target if self._focus_target is not None and self._focus_target.is_attached else None
        typed = buffer.take_typed()
        # The keys typed meanwhile go to the page's input, in the order typed, with the focus
        # there: the input's own bindings (arrows, Space) are looked up from the focused widget.
        self._hold_keys(False, target)
        if target is not None:
            for event in typed:
                target.post_message(event)
        if buffer.items:
            # A step typed after those keys: once they are handled. (Keys of a later read that
            # come meanwhile go to this page; a burst is kept whole.)
            self._catch_up(target)
        else:
            self._stepping = False

    # -- answering ----------------------------------------------------------------------------

    @on(QuestionInput.Changed)
    def _answer_changed(self, event: QuestionInput.Changed) -> None:
        if event.question_input is not self._input:
            return  # a page already left: its answer was taken from the input when leaving it
        question = event.question_input.question
        self._take(question, event.value)
        if event.value is not None:
            self._say()
        if question.type == "text":
            if self._text_timer is not None:
                self._text_timer.stop()
            self._text_timer = self.set_timer(TEXT_SAVE_DELAY, self._save_draft)
        else:
            self._save_draft()

    def _take(self, question: Question, value: Any) -> None:
        if value is None:
            self.answers.pop(question.id, None)
        else:
            self.answers[question.id] = value
        self._update_progress()

    def _take_shown_answer(self) -> None:
        """The current input's answer as shown now (its ``Changed`` may still be on its way)."""
        if self._input is not None and self._input.is_attached and self.page == "question":
            self._take(self._input.question, self._input.value)

    def _blocking_message(self, question: Question) -> tuple[str, str] | None:
        """Why the member cannot go on yet (error), or a one-time nudge (warning); None to go on."""
        value = self.answers.get(question.id)
        if value is NA or not is_empty(value):
            return None
        if question.required is True:
            return required_message(question), "error"
        if question.required == "soft" and question.id not in self.soft_warned:
            self.soft_warned.add(question.id)
            return soft_required_message(question), "warning"
        return None

    def action_next(self) -> None:
        self._queue(self._next)

    def action_back(self) -> None:
        self._queue(self._back)

    def action_submit(self) -> None:
        self._queue(self._send)

    def action_edit(self) -> None:
        self._queue(self._edit)

    def action_leave(self) -> None:
        """Back home; the draft is written first so that nothing typed is lost."""
        self._queue(self._leave)

    async def _next(self) -> None:
        if self.page == "intro":
            shown = self.shown
            await (self._show_question(shown[0]) if shown else self._show_review())
            return
        if self.page != "question" or self.current is None:
            return
        self._take_shown_answer()
        blocked = self._blocking_message(self.current)
        if blocked is not None:
            self._say(*blocked)
            return
        shown = self.shown
        index = next((i for i, q in enumerate(shown) if q.id == self.current.id), -1)
        if index + 1 < len(shown):
            await self._show_question(shown[index + 1])
        else:
            await self._show_review()
        self._save_draft()

    async def _back(self) -> None:
        self._take_shown_answer()
        shown = self.shown
        if self.page == "review":
            if shown:
                await self._show_question(shown[-1])
            return
        if self.page != "question" or self.current is None:
            return
        index = next((i for i, q in enumerate(shown) if q.id == self.current.id), 0)
        if index > 0:
            await self._show_question(shown[index - 1])
        else:
            await self._show_intro()
        self._save_draft()

    def action_enter(self) -> None:
        focused = self.focused
        if isinstance(focused, Button):
            self._button_actions[focused.id or ""]()
        elif self.page == "question" and isinstance(focused, RadioSet):
            # Enter chooses the highlighted answer (it may be the one chosen already) and goes on.
            focused.action_toggle_button()
            self.action_next()
        elif self.page == "question" and isinstance(focused, (SelectionList, Checkbox)):
            self.action_next()  # Space ticks; Enter is done ticking
        elif isinstance(focused, OptionList):
            self._queue(self._change_answer)

    async def _change_answer(self) -> None:
        """The question highlighted on the review page (read now: keys before Enter may move it)."""
        if self.page != "review" or self.survey is None:
            return
        option = self.query_one("#review", OptionList).highlighted_option
        question = self.survey.question(option.id or "") if option is not None else None
        if question is not None:
            await self._show_question(question)

    @on(OptionList.OptionSelected, "#review")
    def _review_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._queue(self._change_answer)  # a click on an answer (it is highlighted first)

    async def _edit(self) -> None:
        shown = self.shown
        if shown and self.page == "answered":
            await self._show_question(shown[0])

    @property
    def _button_actions(self) -> dict[str, Callable[[], None]]:
        return {
            "back": self.action_back,
            "next": self.action_next,
            "submit": self.action_submit,
            "edit": self.action_edit,
            "home": self.action_leave,
        }

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        action = self._button_actions.get(event.button.id or "")
        if action is not None:
            action()

    # -- saving ---------------------------------------------------------------------------------

    def _position(self) -> int:
        assert self.survey is not None
        if self.page == "review":
            return len(self.survey.questions)
        if self.current is None:
            return 0
        return next(i for i, q in enumerate(self.survey.questions) if q.id == self.current.id)

    def _save_draft(self) -> None:
        self._text_timer = None
        if self.page not in ("question", "review") or not self.answers:
            return
        self._write_draft(dict(self.answers), self._position())

    async def on_unmount(self) -> None:
        # Leaving by another way than Esc (h, q, a dropped connection) with typing not yet
        # saved: write it off the event loop; the screen's own workers are gone by now.
        # Awaited: Textual waits for it before the app ends (a server stop waits for the app).
        self._take_shown_answer()
        if self._text_timer is None or self.page not in ("question", "review") or not self.answers:
            return
        self._text_timer.stop()
        runs = self.workspace.runs
        handle = self.member.handle
        answers, position = dict(self.answers), self._position()

        def save() -> None:
            try:
                runs.save_draft(self.run_id, handle, answers, position)
            except RunError:
                pass  # the run closed meanwhile: there is nothing left to answer

        await asyncio.to_thread(save)

    @work(thread=True, exclusive=True, group="survey-draft", exit_on_error=False)
    def _write_draft(self, answers: dict[str, Any], position: int) -> None:
        try:
            self.workspace.runs.save_draft(self.run_id, self.member.handle, answers, position)
        except (RunError, StoreError) as error:  # a closed run, a folder that cannot be written
            self.app.call_from_thread(self.notify, f"Draft not saved: {error}", severity="warning", markup=False)

    async def _send(self) -> None:
        if self.page != "review" or self.survey is None:
            return
        answers = {k: v for k, v in drop_hidden(self.survey, self.answers).items() if not is_empty(v)}
        self._say("Sending…")
        self.query_one("#submit", Button).disabled = True
        self._submit(answers)

    @work(thread=True, exclusive=True, group="survey-submit", exit_on_error=False)
    def _submit(self, answers: dict[str, Any]) -> None:
        runs = self.workspace.runs
        try:
            runs.submit_response(self.run_id, self.member.handle, answers)
        except AnswerError as error:
            self.app.call_from_thread(self._queue, partial(self._submit_failed, error.problems))
            return
        except (RunError, StoreError) as error:  # StoreError: a full disk, a folder that cannot be written
            self.app.call_from_thread(self._queue, partial(self._submit_failed, [str(error)]))
            return
        self.app.call_from_thread(self._queue, self._submitted)

    async def _submit_failed(self, problems: list[str]) -> None:
        self.query_one("#submit", Button).disabled = False
        await self._show_review(problems)

    async def _submitted(self) -> None:
        if self._text_timer is not None:
            self._text_timer.stop()
            self._text_timer = None
        self.query_one("#submit", Button).disabled = False
        await self._show_done()

    async def _leave(self) -> None:
        self._take_shown_answer()
        if self._text_timer is not None:
            self._text_timer.stop()
            self._text_timer = None
        if self.page in ("question", "review") and self.answers:
            runs = self.workspace.runs
            try:
                await asyncio.to_thread(
                    runs.save_draft, self.run_id, self.member.handle, dict(self.answers), self._position()
                )
            except RunError as error:
                self.notify(f"Draft not saved: {error}", severity="warning", markup=False)
            else:
                self.notify("Draft kept: open the survey again to go on.", timeout=3)
        self.dismiss()

    # -- live changes ---------------------------------------------------------------------------

    def on_data_changed(self, message: DataChanged) -> None:
        if self.page in ("question", "review", "intro") and any(c.run_id == self.run_id for c in message.changes):
            self._check_still_open()

    @work(thread=True, exclusive=True, group="survey-check", exit_on_error=False)
    def _check_still_open(self) -> None:
        run = self.workspace.runs.get(self.run_id)
        if not run.is_open:
            self.app.call_from_thread(self._queue, self._closed_meanwhile)

    async def _closed_meanwhile(self) -> None:
        if self.page in ("question", "review", "intro"):
            await self._show_closed()
            self.notify("A facilitator closed this survey; it no longer takes answers.", severity="warning")


def intro_text(run: Run, survey: SurveyDefinition, questions: int) -> Text:
    """What a member reads before answering: what the survey is, and how private the answers are."""
    text = Text()
    if survey.description:
        text.append_text(literal(survey.description))
        text.append("\n\n")
    extra = len(survey.questions) - questions
    more = f" (and {extra} more, depending on your answers)" if extra > 0 else ""
    text.append(f"{questions} questions{more}, one at a time. ")
    if run.closes_on:
        text.append(f"Open until {run.closes_on.isoformat()}. ")
    text.append("You can stop at any time: your draft is kept, and you will come back to the same question.\n\n")
    if run.anonymous:
        text.append("Anonymous\n", "bold")
        text.append(
            "Your response is stored without your name or the time you sent it; who took part is kept apart "
            "and never shown. Nobody sees any result while the survey is open. When it closes, results appear "
            f"only if at least {run.min_responses} of the {run.members} members answered, and written answers "
            f"only from {run.min_text_responses} responses on, shuffled and without names.\n"
            "Until you submit, your draft is kept under your name so that you can come back to it; "
            "submitting deletes it.\n"
        )
    else:
        text.append("Named\n", "bold")
        text.append(
            "Your answers are stored with your name: facilitators and members see who said what, "
            "and results can be seen while the survey is open.\n"
        )
        if survey.allow_edit:
            text.append("You can change your answers until the survey closes.\n")
    return text
